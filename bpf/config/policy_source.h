// The bytes of a policy as one load read them: the rules file and its
// drop-ins (docs/drop-ins.md), and their SHA-256. Records name the policy in
// force by this hash, so an operator can compare it with `sha256sum` of the
// file, or of the set of files.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace kw {

// The largest rules or config file read (docs/policy-limits.md): 131,072
// rules of 120 bytes (the most frtp and net-filter hold; 16 MB), or frtp's
// 100,000-rule benchmark policy (10 MB), with room for longer paths and
// comments; YamlLimits::max_values bounds what the largest file costs. A
// larger file, or one that never ends (/dev/zero, a FIFO fed forever), is
// refused after reading one byte past the limit, so memory stays bounded
// whatever the path names. A rules file and its
// drop-ins together are held to it too: they are parsed as one policy.
inline constexpr size_t kMaxFileBytes = 32 << 20;

struct PolicyFile {
	std::string path; // as opened: the --rules path, or <dir>/<name> for a drop-in
	std::string name; // relative to the rules file's directory: frtp.yaml, frtp.d/10-web.yaml
	std::string text;
};

struct PolicySource {
	std::string path; // the rules file as given; "(built-in default)" when there is no file
	// The rules file, then its drop-ins in byte order of their names.
	std::vector<PolicyFile> files;
	// hex; of the file's bytes when there are no drop-ins, else of the
	// listing `sha256sum` prints for the files by `name` (manifest()).
	std::string sha256;

	// Reads the rules file and its drop-ins once (throws ConfigError naming
	// the file when one is unreadable, or they are too large).
	static PolicySource read(const std::string &path);
	// One file's text, no drop-ins (tests, fuzzers).
	static PolicySource of_text(const std::string &text, const std::string &name);
	// A policy that has no file: no files, the hash of no bytes.
	static PolicySource builtin(const std::string &name);
	bool is_builtin() const { return builtin_; }
	bool has_dropins() const { return files.size() > 1; }
	// "<sha256>  <name>\n" per file, as `sha256sum` prints them.
	std::string manifest() const;
	// The drop-ins' names, space-separated ("" when none).
	std::string dropin_names() const;
	// For --check: the files read and the policy's hash, and how to
	// reproduce it with sha256sum.
	std::string describe() const;

private:
	bool builtin_ = false;
};

// The drop-in directory of a rules file: frtp.yaml -> frtp.d (a trailing
// .yaml or .yml replaced, else .d appended).
std::string dropin_dir(const std::string &rules);
// One file's bytes (at most kMaxFileBytes; ConfigError naming it otherwise).
std::string read_policy_file(const std::string &path);
std::string sha256_hex(const std::string &bytes);

} // namespace kw
