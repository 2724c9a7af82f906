// The one enforce/audit mode type of every enforcer (--mode, the rules
// files' `mode:`, frtp's per-rule mode), encoded as kw_types.h's kw_mode.
#pragma once

#include "kw_types.h"

#include <cstdint>

namespace kw {

enum class Mode : uint8_t { enforce = KW_MODE_ENFORCE, audit = KW_MODE_AUDIT };

inline const char *mode_name(Mode m) { return m == Mode::audit ? "audit" : "enforce"; }

} // namespace kw
