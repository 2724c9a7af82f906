// frtp policy: YAML parsing (frtp_spec.h), compilation into map entries
// (frtp_compiled.h) and a pure C++ evaluation of the compiled policy, frtp
// explain (frtp_evaluate.h), which mirrors the kernel's. No kernel needed:
// unit-tested. Include this for all three.
#pragma once

#include "frtp_compiled.h"
#include "frtp_evaluate.h"
#include "frtp_spec.h"
