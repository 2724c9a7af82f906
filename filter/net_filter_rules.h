// net-filter policy: the YAML rule file parsed into rules (net_filter_spec.h),
// the compiler that turns them into the tuple-space tables the kernel searches
// (net_filter_compiled.h), and the reference matcher and simulation of the
// kernel's search (net_filter_match.h). Pure: no kernel, no root. Include this
// for all three. Everything is in namespace kw::nf.
#pragma once

#include "net_filter_compiled.h"
#include "net_filter_match.h"
#include "net_filter_spec.h"
