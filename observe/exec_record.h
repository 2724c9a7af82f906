// trace-exec: decoding a kernel event and rendering it as a record. Pure
// code, unit-tested without a kernel.
#pragma once

#include "record.h"
#include "trace_exec.h"

#include <string>
#include <vector>

namespace kw::texec {

struct ExecInfo {
	kw_subject subject{};
	uint64_t boot_ns = 0;
	int retval = 0;
	std::string filename; // as passed to execve
	std::string exe;      // the file executed ("" for a failed exec)
	std::string cwd;
	std::vector<std::string> argv;
	uint32_t argc = 0;
	bool args_truncated = false;
};

ExecInfo decode_exec(const te_event &e);
// Splits NUL-separated argv bytes; a final argument without NUL still counts.
std::vector<std::string> split_args(const char *buf, size_t len);
// The exec-specific fields and the message; subject fields come from SubjectDescriber.
Record exec_record(const ExecInfo &x, int64_t realtime_usec, const std::string &ancestry);

inline constexpr const char *kExecMessageId = "6b1d0c9e4f3a4e57a0f2c4d8e1b7a901";
inline constexpr const char *kExecFailedMessageId = "6b1d0c9e4f3a4e57a0f2c4d8e1b7a902";

} // namespace kw::texec
