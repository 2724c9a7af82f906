// SHA-256 (FIPS 180-4), the hash that names a policy: kwarden's own, so
// that no tool loads a crypto library for one digest of its rules file.
// (libcrypto was the largest library the tools linked: relocating it and
// reading its configuration took a quarter of a tool's start.)
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace kw {

std::array<uint8_t, 32> sha256(std::string_view bytes);

} // namespace kw
