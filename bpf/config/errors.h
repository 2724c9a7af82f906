// Typed errors of the loader library; each kind maps to a documented exit code.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

namespace kw {

enum class Errc {
	usage = 2,       // bad command line
	config = 3,      // invalid rules or config file
	unsupported = 4, // the kernel lacks a needed feature
	kernel = 5,      // a BPF load, attach or map operation failed
	io = 6,          // files, journald, pins
};

class Error : public std::runtime_error {
public:
	Error(Errc code, const std::string &msg, int sys_errno = 0);
	Errc code() const { return code_; }
	int sys_errno() const { return errno_; }
	int exit_code() const { return static_cast<int>(code_); }

private:
	Errc code_;
	int errno_;
};

// Where a value was written in a file (1-based; line 0: unknown). Values
// that are checked only after parsing (a user looked up, a map filling up)
// keep it, so that those errors point at the place too.
struct SourcePos {
	int line = 0;
	int column = 0;
};

// An error in a YAML file, pointing at the offending place and saying how to fix it.
class ConfigError : public Error {
public:
	ConfigError(std::string file, int line, int column, std::string msg, std::string hint = {});
	ConfigError(std::string file, SourcePos at, std::string msg, std::string hint = {})
	    : ConfigError(std::move(file), at.line, at.column, std::move(msg), std::move(hint))
	{
	}
	const std::string &file() const { return file_; }
	int line() const { return line_; }
	int column() const { return column_; }
	const std::string &hint() const { return hint_; }

private:
	std::string file_;
	int line_;
	int column_;
	std::string hint_;
};

// Throws Error(Errc::kernel) naming `what` when a libbpf call returned an error.
void check_bpf(int ret, const std::string &what);

} // namespace kw

namespace kw {
// "ENOENT" for 2; the number itself when unknown.
std::string errno_name(int e);
// The errno in a syscall's or the kernel's return value: -1 to -4095
// (MAX_ERRNO); anything else is no errno (and negating INT64_MIN overflows).
std::optional<int> errno_of(int64_t ret);
// errno_name of a failed return value ("ENOENT" for -2), else the number.
std::string failure_name(int64_t ret);
} // namespace kw
