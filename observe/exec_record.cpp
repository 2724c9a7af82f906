#include "exec_record.h"

#include "errors.h"
#include "kernel_path.h"
#include "subject.h"

#include <fmt/format.h>
#include <syslog.h>

namespace kw::texec {

std::vector<std::string> split_args(const char *buf, size_t len)
{
	std::vector<std::string> out;
	size_t pos = 0;
	while (pos < len) {
		size_t end = pos;
		while (end < len && buf[end])
			end++;
		out.emplace_back(buf + pos, end - pos);
		pos = end + 1;
	}
	return out;
}

ExecInfo decode_exec(const te_event &e)
{
	ExecInfo x;
	x.subject = e.subject;
	x.boot_ns = e.boot_ns;
	x.retval = e.retval;
	x.filename.assign(e.filename, strnlen(e.filename, sizeof(e.filename)));
	if (e.retval == 0)
		x.exe = decode_path(e.exe);
	x.cwd = decode_path(e.cwd);
	x.argv = split_args(e.args, std::min<size_t>(e.args_len, sizeof(e.args)));
	x.argc = e.argc;
	x.args_truncated = (e.flags & TE_ARGS_TRUNCATED) || x.argv.size() < e.argc;
	return x;
}

Record exec_record(const ExecInfo &x, int64_t realtime_usec, const std::string &ancestry)
{
	bool failed = x.retval < 0;
	Record r("exec", failed ? kExecFailedMessageId : kExecMessageId, failed ? LOG_NOTICE : LOG_INFO);
	r.realtime_usec = realtime_usec;
	std::string cmd = join_argv(x.argv) + (x.args_truncated ? " ..." : "");
	std::string what = failed ? fmt::format("exec failed ({})", failure_name(x.retval)) : "exec";
	r.message = fmt::format("{} pid={} uid={} {} [{}] {}  ({})", what, x.subject.pid, x.subject.uid,
				failed ? x.filename : x.exe, x.cwd, cmd, ancestry);
	r.add("filename", x.filename);
	if (!failed)
		r.add("exe", x.exe);
	r.add("argv", x.argv).add("argc", x.argc).add("args_truncated", int64_t(x.args_truncated));
	r.add("cwd", x.cwd);
	r.add("result", failed ? failure_name(x.retval) : std::string("ok"));
	if (auto e = errno_of(x.retval))
		r.add("errno", *e);
	return r;
}

} // namespace kw::texec
