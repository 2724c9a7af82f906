// SHA-256, the hash that names a policy (POLICY_SHA256), from nettle: a
// small library for one digest of the rules file. (libcrypto, used before,
// was the largest library the tools linked: relocating it and reading its
// configuration took a quarter of a tool's start.)
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace kw {

std::array<uint8_t, 32> sha256(std::string_view bytes);

} // namespace kw
