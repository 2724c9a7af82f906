// The bytes of a policy as one load read them, and their SHA-256: records
// name the policy in force by this hash, so an operator can compare it with
// `sha256sum` of the file.
#pragma once

#include <cstddef>
#include <string>

namespace kw {

// The largest rules or config file read (docs/policy-limits.md): 16,384
// rules of 120 bytes (the most any tool holds), or the benchmarks'
// 10,000-rule policies with room to spare, while parsing the largest file
// stays around a second. A larger file, or one that never ends (/dev/zero,
// a FIFO fed forever), is refused after reading one byte past the limit,
// so memory stays bounded whatever the path names.
inline constexpr size_t kMaxFileBytes = 2 << 20;

struct PolicySource {
	std::string path; // as given; "(built-in default)" when there is no file
	std::string text;
	std::string sha256; // hex, of text

	// Reads the file once (throws ConfigError naming it when unreadable or
	// larger than kMaxFileBytes).
	static PolicySource read(const std::string &path);
	// A policy that has no file: its text is empty.
	static PolicySource builtin(const std::string &name);
	bool is_builtin() const { return builtin_; }

private:
	bool builtin_ = false;
};

std::string sha256_hex(const std::string &bytes);

} // namespace kw
