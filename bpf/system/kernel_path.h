// Turns a kernel-built struct kw_path (leaf-first components) into text.
#pragma once

#include "kw_types.h"

#include <string>
#include <string_view>

namespace kw {

// "/a/b/c"; a truncated path starts with ".../", a deleted one ends in
// " (deleted)", an overflowed walk starts with "?/".
std::string decode_path(const kw_path &p);
// The same from raw parts, for tests and for callers with their own buffers.
std::string decode_path(std::string_view leaf_first, unsigned flags);

} // namespace kw
