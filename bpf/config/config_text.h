// The text of rules and config files: what bytes a value may hold, and how
// a value is shown in an error message.
//
// Files are UTF-8 (YAML requires it), and no value may hold a control
// character (0x00-0x1f, 0x7f). Linux paths are bytes, but the kernel stops
// at a NUL ("/etc/shadow\0x" would protect /etc/shadow) and a name that is
// not UTF-8 or holds a control character is almost always a typo or an
// editor's mistake: a policy must not silently name something other than
// what its author sees. Such a file is protected through its directory.
#pragma once

#include "errors.h"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace kw {

// The offset of the first byte that does not belong to well-formed UTF-8
// (overlong forms, surrogates and code points past U+10FFFF included).
std::optional<size_t> invalid_utf8_at(std::string_view s);
// The offset of the first control character (0x00-0x1f, 0x7f); `allow`
// lists the ones accepted (a file's tab and line ends).
std::optional<size_t> control_char_at(std::string_view s, std::string_view allow = {});
// `s` quoted for an error message: control and non-UTF-8 bytes as \xNN, at
// most about 60 characters (a 10,000-character name stays readable).
std::string printable(std::string_view s);
// The line and column (1-based, in bytes) of byte `offset` of `text`.
SourcePos pos_of_offset(std::string_view text, size_t offset);

} // namespace kw
