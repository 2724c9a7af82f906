#include "trace_file_record.h"

#include "errors.h"
#include "kernel_path.h"
#include "subject.h"

#include <array>
#include <cstring>
#include <fmt/format.h>
#include <syslog.h>
#include <vector>

namespace kw::tfile {

namespace {

constexpr std::array<const char *, TF_OP_COUNT> kOps = {
	"open", "read", "write", "close", "unlink", "rename", "mkdir",
	"rmdir", "chmod", "chown", "truncate", "link", "symlink",
};

struct SyscallInfo {
	const char *name;
	unsigned op;
};

constexpr std::array<SyscallInfo, TF_SYS_COUNT> kSyscalls = {{
	{"open", TF_OP_OPEN}, {"openat", TF_OP_OPEN}, {"openat2", TF_OP_OPEN}, {"creat", TF_OP_OPEN},
	{"read", TF_OP_READ}, {"pread64", TF_OP_READ}, {"readv", TF_OP_READ}, {"preadv", TF_OP_READ},
	{"write", TF_OP_WRITE}, {"pwrite64", TF_OP_WRITE}, {"writev", TF_OP_WRITE}, {"pwritev", TF_OP_WRITE},
	{"close", TF_OP_CLOSE},
	{"unlink", TF_OP_UNLINK}, {"unlinkat", TF_OP_UNLINK},
	{"rename", TF_OP_RENAME}, {"renameat", TF_OP_RENAME}, {"renameat2", TF_OP_RENAME},
	{"mkdir", TF_OP_MKDIR}, {"mkdirat", TF_OP_MKDIR}, {"rmdir", TF_OP_RMDIR},
	{"chmod", TF_OP_CHMOD}, {"fchmod", TF_OP_CHMOD}, {"fchmodat", TF_OP_CHMOD}, {"fchmodat2", TF_OP_CHMOD},
	{"chown", TF_OP_CHOWN}, {"fchown", TF_OP_CHOWN}, {"lchown", TF_OP_CHOWN}, {"fchownat", TF_OP_CHOWN},
	{"truncate", TF_OP_TRUNCATE}, {"ftruncate", TF_OP_TRUNCATE},
	{"link", TF_OP_LINK}, {"linkat", TF_OP_LINK},
	{"symlink", TF_OP_SYMLINK}, {"symlinkat", TF_OP_SYMLINK},
}};

// The kernel's x86-64 ABI values (include/uapi/asm-generic/fcntl.h, octal);
// glibc's O_LARGEFILE is 0 on 64-bit, the kernel's is not.
struct FlagName {
	uint32_t bit;
	const char *name;
};
constexpr FlagName kOpenFlags[] = {
	{0100, "O_CREAT"}, {0200, "O_EXCL"}, {0400, "O_NOCTTY"}, {01000, "O_TRUNC"}, {02000, "O_APPEND"},
	{04000, "O_NONBLOCK"}, {010000, "O_DSYNC"}, {020000, "O_ASYNC"}, {040000, "O_DIRECT"},
	{0100000, "O_LARGEFILE"}, {0200000, "O_DIRECTORY"}, {0400000, "O_NOFOLLOW"}, {01000000, "O_NOATIME"},
	{02000000, "O_CLOEXEC"}, {04000000, "O_SYNC"}, {010000000, "O_PATH"}, {020000000, "O_TMPFILE"},
};
// include/uapi/linux/fcntl.h
constexpr FlagName kAtFlags[] = {
	{0x100, "AT_SYMLINK_NOFOLLOW"}, {0x200, "AT_REMOVEDIR"}, {0x400, "AT_SYMLINK_FOLLOW"},
	{0x800, "AT_NO_AUTOMOUNT"}, {0x1000, "AT_EMPTY_PATH"},
};
// include/uapi/linux/fs.h
constexpr FlagName kRenameFlags[] = {{1, "RENAME_NOREPLACE"}, {2, "RENAME_EXCHANGE"}, {4, "RENAME_WHITEOUT"}};

template <size_t N> std::string bits_string(uint32_t flags, const FlagName (&names)[N], std::string out = {})
{
	for (const auto &f : names) {
		if (flags & f.bit) {
			if (!out.empty())
				out += '|';
			out += f.name;
			flags &= ~f.bit;
		}
	}
	if (flags) {
		if (!out.empty())
			out += '|';
		out += fmt::format("{:#x}", flags);
	}
	return out;
}

class Reader {
public:
	explicit Reader(std::span<const std::byte> d) : d_(d) {}
	bool path(std::string &out)
	{
		if (d_.size() < 4)
			return false;
		kw_path p{};
		std::memcpy(&p, d_.data(), 4);
		if (p.len > KW_PATH_BUF || d_.size() < 4u + p.len)
			return false;
		out = decode_path(std::string_view(reinterpret_cast<const char *>(d_.data()) + 4, p.len), p.flags);
		d_ = d_.subspan(4 + p.len);
		return true;
	}
	bool name(std::string &out)
	{
		uint16_t n;
		if (d_.size() < 2)
			return false;
		std::memcpy(&n, d_.data(), 2);
		if (d_.size() < 2u + n)
			return false;
		out.assign(reinterpret_cast<const char *>(d_.data()) + 2, n);
		d_ = d_.subspan(2 + n);
		return true;
	}

private:
	std::span<const std::byte> d_;
};

} // namespace

const char *op_name(unsigned op) { return op < kOps.size() ? kOps[op] : "?"; }

std::optional<unsigned> op_from_name(std::string_view name)
{
	for (unsigned i = 0; i < kOps.size(); i++)
		if (name == kOps[i])
			return i;
	return std::nullopt;
}

const char *syscall_name(unsigned sys) { return sys < kSyscalls.size() ? kSyscalls[sys].name : "?"; }

std::optional<unsigned> syscall_op(std::string_view syscall)
{
	for (const auto &s : kSyscalls)
		if (syscall == s.name)
			return s.op;
	return std::nullopt;
}

const char *source_name(PathSource s)
{
	switch (s) {
	case PathSource::none:
		return "none";
	case PathSource::file:
		return "file";
	case PathSource::dir:
		return "dir";
	case PathSource::string:
		return "string";
	}
	return "?";
}

std::string join_path(const std::string &base, std::string_view name, PathSource &source)
{
	std::vector<std::string_view> parts;
	bool dotdot = false;
	size_t components = 0;
	auto push = [&](std::string_view s) {
		size_t pos = 0;
		while (pos <= s.size()) {
			size_t end = s.find('/', pos);
			if (end == std::string_view::npos)
				end = s.size();
			auto c = s.substr(pos, end - pos);
			if (c == "..") {
				dotdot = true;
				if (!parts.empty())
					parts.pop_back();
			} else if (!c.empty() && c != ".") {
				parts.push_back(c);
			}
			pos = end + 1;
		}
	};
	// An absolute string is resolved against the root the kernel gave (base).
	push(base);
	{
		std::string_view n = name;
		size_t pos = 0;
		while (pos <= n.size()) {
			size_t end = n.find('/', pos);
			if (end == std::string_view::npos)
				end = n.size();
			auto c = n.substr(pos, end - pos);
			if (!c.empty() && c != ".")
				components++;
			pos = end + 1;
		}
	}
	push(name);
	source = (dotdot || components > 1) ? PathSource::string : PathSource::dir;
	std::string out;
	for (auto p : parts) {
		out += '/';
		out += p;
	}
	return out.empty() ? "/" : out;
}

std::optional<FileEvent> decode_file_event(std::span<const std::byte> data)
{
	if (data.size() < sizeof(tf_event))
		return std::nullopt;
	tf_event h;
	std::memcpy(&h, data.data(), sizeof(h));
	if (h.data_len > data.size() - sizeof(tf_event) || h.op >= TF_OP_COUNT || h.syscall >= TF_SYS_COUNT)
		return std::nullopt;
	FileEvent e;
	e.subject = h.subject;
	e.boot_ns = h.boot_ns;
	e.latency_ns = h.latency_ns;
	e.ret = h.ret;
	e.count = h.count;
	e.fd = h.fd;
	e.flags = h.flags;
	e.mode = h.mode;
	e.owner = h.owner;
	e.group = h.group;
	e.syscall = h.syscall;
	e.op = h.op;
	Reader r(data.subspan(sizeof(tf_event), h.data_len));
	std::string p1, n1, p2, n2, exe;
	bool has_p1 = h.ev_flags & TF_EV_HAS_PATH, has_n1 = h.ev_flags & TF_EV_HAS_NAME;
	bool has_p2 = h.ev_flags & TF_EV_HAS_PATH2, has_n2 = h.ev_flags & TF_EV_HAS_NAME2;
	if (has_p1 && !r.path(p1))
		return std::nullopt;
	if (has_n1 && !r.name(n1))
		return std::nullopt;
	if (has_p2 && !r.path(p2))
		return std::nullopt;
	if (has_n2 && !r.name(n2))
		return std::nullopt;
	if (h.ev_flags & TF_EV_HAS_EXE) {
		if (!r.path(exe))
			return std::nullopt;
		e.exe = exe;
	}
	auto resolve = [](bool has_p, const std::string &p, bool has_n, const std::string &n, PathSource &src) {
		if (!has_n) {
			src = has_p ? PathSource::file : PathSource::none;
			return p;
		}
		if (n.empty()) { // AT_EMPTY_PATH: the dirfd itself
			src = has_p ? PathSource::file : PathSource::none;
			return p;
		}
		if (!has_p) { // dirfd not open: only the string is known
			src = PathSource::string;
			return n;
		}
		return join_path(p, n, src);
	};
	if (h.ev_flags & TF_EV_TARGET) {
		e.target = n1;
	} else {
		e.path = resolve(has_p1, p1, has_n1, n1, e.source);
	}
	if (has_p2 || has_n2)
		e.path2 = resolve(has_p2, p2, has_n2, n2, e.source2);
	if (h.op == TF_OP_SYMLINK) { // the link created is the object
		e.path = e.path2;
		e.source = e.source2;
		e.path2.clear();
		e.source2 = PathSource::none;
	}
	return e;
}

std::string open_flags_string(uint32_t flags)
{
	static const char *acc[] = {"O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE"};
	return bits_string(flags & ~3u, kOpenFlags, acc[flags & 3]);
}

std::string flags_string(const FileEvent &e)
{
	switch (e.op) {
	case TF_OP_OPEN:
		return open_flags_string(e.flags);
	case TF_OP_RENAME:
		return bits_string(e.flags, kRenameFlags);
	case TF_OP_UNLINK:
	case TF_OP_RMDIR:
	case TF_OP_CHMOD:
	case TF_OP_CHOWN:
	case TF_OP_LINK:
		return bits_string(e.flags, kAtFlags);
	default:
		return {};
	}
}

std::string mode_string(const FileEvent &e)
{
	bool uses = e.op == TF_OP_MKDIR || e.op == TF_OP_CHMOD ||
		    (e.op == TF_OP_OPEN && (e.flags & (0100 | 020000000))); // O_CREAT, O_TMPFILE
	return uses ? fmt::format("{:04o}", e.mode & 07777) : std::string();
}

std::string result_string(const FileEvent &e) { return e.ret < 0 ? failure_name(e.ret) : "ok"; }

std::string text_header()
{
	return fmt::format("{:<15} {:<8} {:>7} {:>6} {:<15} {:>9} {:>9} {:<24} {}", "TIME", "OP", "PID", "UID",
			   "COMM", "RESULT", "LAT(us)", "DETAIL", "PATH");
}

static std::string detail_string(const FileEvent &e)
{
	std::string d;
	auto add = [&](const std::string &s) {
		if (s.empty())
			return;
		if (!d.empty())
			d += ' ';
		d += s;
	};
	if (e.op == TF_OP_READ || e.op == TF_OP_WRITE) {
		add(fmt::format("fd={}", e.fd));
		if (e.count)
			add(fmt::format("req={}", e.count));
	} else if (e.op == TF_OP_CLOSE) {
		add(fmt::format("fd={}", e.fd));
	} else if (e.op == TF_OP_TRUNCATE) {
		add(fmt::format("len={}", e.count));
	} else if (e.op == TF_OP_CHOWN) {
		add(fmt::format("{}:{}", int32_t(e.owner), int32_t(e.group)));
	}
	add(flags_string(e));
	auto m = mode_string(e);
	if (!m.empty())
		add("mode=" + m);
	return d;
}

Record file_record(const FileEvent &e, int64_t realtime_usec, const std::string &exe, const std::string &unit)
{
	bool failed = e.ret < 0;
	Record r("file", failed ? kFileOpFailedMessageId : kFileOpMessageId, failed ? LOG_NOTICE : LOG_INFO);
	r.realtime_usec = realtime_usec;
	r.object_pid = int(e.subject.pid);
	std::string result = result_string(e);
	std::string shown_result = result;
	if (!failed && (e.op == TF_OP_READ || e.op == TF_OP_WRITE))
		shown_result = std::to_string(e.ret); // bytes
	else if (!failed && e.op == TF_OP_OPEN)
		shown_result = fmt::format("fd={}", e.ret);
	std::string shown_path = e.path.empty() ? "-" : e.path;
	if (e.source == PathSource::string)
		shown_path += " (unresolved)";
	if (!e.path2.empty())
		shown_path += " -> " + e.path2 + (e.source2 == PathSource::string ? " (unresolved)" : "");
	if (!e.target.empty())
		shown_path += " -> " + e.target;
	r.message = fmt::format("{:<8} {:>7} {:>6} {:<15} {:>9} {:>9.1f} {:<24} {}", op_name(e.op), e.subject.pid,
				e.subject.uid, comm_string(e.subject.comm), shown_result, double(e.latency_ns) / 1000.0,
				detail_string(e), shown_path);
	r.add("operation", op_name(e.op)).add("syscall", syscall_name(e.syscall));
	r.add("path", e.path).add("path_source", source_name(e.source));
	if (e.op == TF_OP_RENAME || e.op == TF_OP_LINK) {
		r.add("new_path", e.path2).add("new_path_source", source_name(e.source2));
	}
	if (e.op == TF_OP_SYMLINK)
		r.add("target", e.target);
	if (e.fd >= 0)
		r.add("fd", e.fd);
	auto fl = flags_string(e);
	if (!fl.empty() || e.op == TF_OP_OPEN)
		r.add("flags", fl);
	auto m = mode_string(e);
	if (!m.empty())
		r.add("mode", m);
	if (e.op == TF_OP_READ || e.op == TF_OP_WRITE) {
		r.add("bytes", failed ? int64_t(0) : e.ret);
		if (e.count)
			r.add("bytes_requested", int64_t(e.count));
	}
	if (e.op == TF_OP_TRUNCATE)
		r.add("length", int64_t(e.count));
	if (e.op == TF_OP_CHOWN)
		r.add("owner", int64_t(int32_t(e.owner))).add("group", int64_t(int32_t(e.group)));
	r.add("result", result).add("ret", e.ret);
	if (auto en = errno_of(e.ret))
		r.add("errno", *en);
	r.add("latency_ns", int64_t(e.latency_ns));
	r.add("subject_pid", e.subject.pid).add("subject_tid", e.subject.tid).add("subject_ppid", e.subject.ppid);
	r.add("subject_uid", e.subject.uid).add("subject_gid", e.subject.gid);
	if (e.subject.auid != uint32_t(-1))
		r.add("subject_auid", e.subject.auid);
	r.add("subject_comm", comm_string(e.subject.comm));
	if (!exe.empty())
		r.add("subject_exe", exe);
	if (!unit.empty())
		r.add("subject_unit", unit);
	return r;
}

} // namespace kw::tfile
