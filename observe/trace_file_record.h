// trace-file: decoding a kernel event (header + sections) and rendering it as
// a record. Pure code, unit-tested without a kernel.
#pragma once

#include "record.h"
#include "trace_file.h"

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace kw::tfile {

// Where a path came from, from most to least exact.
enum class PathSource {
	none,   // the kernel had no path (e.g. a bad fd)
	file,   // the kernel's struct file (open, read, write, close, f*)
	dir,    // the real directory (dirfd/cwd) + one literal final component
	string, // the syscall's string: directory parts or .. were not resolved
};

struct FileEvent {
	kw_subject subject{};
	uint64_t boot_ns = 0;
	uint64_t latency_ns = 0;
	int64_t ret = 0;
	uint64_t count = 0;
	int64_t fd = -1;
	uint32_t flags = 0, mode = 0, owner = 0, group = 0;
	unsigned syscall = 0;
	unsigned op = 0;
	std::string path;  // absolute
	PathSource source = PathSource::none;
	std::string path2; // rename/link: the new name; symlink: the link created
	PathSource source2 = PathSource::none;
	std::string target; // symlink: the target string as given
	std::optional<std::string> exe; // carried by the first event of a process image
};

// nullopt when the bytes are not a well-formed event.
std::optional<FileEvent> decode_file_event(std::span<const std::byte> data);

// base: a decoded absolute directory; name: the syscall's string.
// Lexically joins them ("." and "//" dropped, ".." applied) and says how exact
// the result is.
std::string join_path(const std::string &base, std::string_view name, PathSource &source);

const char *op_name(unsigned op);
std::optional<unsigned> op_from_name(std::string_view name);
const char *syscall_name(unsigned sys);
// The op a syscall name belongs to ("openat" -> open; unlinkat -> unlink).
std::optional<unsigned> syscall_op(std::string_view syscall);
const char *source_name(PathSource s);

// "O_WRONLY|O_CREAT|O_TRUNC", "RENAME_NOREPLACE", "AT_SYMLINK_NOFOLLOW"; "" when none apply.
std::string open_flags_string(uint32_t flags);
std::string flags_string(const FileEvent &e);
// Octal mode when the operation uses one ("0644"), else "".
std::string mode_string(const FileEvent &e);
// "ok", or the errno name of a failure.
std::string result_string(const FileEvent &e);

// The header line of the text output, matching the record messages' columns.
std::string text_header();
// The operation's fields and message; subject_unit comes from the caller (cgroup).
Record file_record(const FileEvent &e, int64_t realtime_usec, const std::string &exe, const std::string &unit);

inline constexpr const char *kFileOpMessageId = "3c8f5a1e9b2d4c60a7e1f03d5b9c4a11";
inline constexpr const char *kFileOpFailedMessageId = "3c8f5a1e9b2d4c60a7e1f03d5b9c4a12";
inline constexpr const char *kFileTopMessageId = "3c8f5a1e9b2d4c60a7e1f03d5b9c4a13";

} // namespace kw::tfile
