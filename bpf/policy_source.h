// The bytes of a policy as one load read them, and their SHA-256: records
// name the policy in force by this hash, so an operator can compare it with
// `sha256sum` of the file.
#pragma once

#include <string>

namespace kw {

struct PolicySource {
	std::string path; // as given; "(built-in default)" when there is no file
	std::string text;
	std::string sha256; // hex, of text

	// Reads the file once (throws ConfigError naming it when unreadable).
	static PolicySource read(const std::string &path);
	// A policy that has no file: its text is empty.
	static PolicySource builtin(const std::string &name);
	bool is_builtin() const { return builtin_; }

private:
	bool builtin_ = false;
};

std::string sha256_hex(const std::string &bytes);

} // namespace kw
