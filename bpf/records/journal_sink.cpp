#include "journal_sink.h"

#include "errors.h"

#include <algorithm>
#include <fmt/format.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>

namespace kw {

static std::string journal_name(const std::string &name)
{
	std::string up = name;
	std::transform(up.begin(), up.end(), up.begin(), [](unsigned char c) { return std::toupper(c); });
	return up;
}

std::vector<std::string> JournalSink::entries(const Record &r, const std::string &tool)
{
	std::vector<std::string> out;
	out.push_back("MESSAGE=" + r.message);
	out.push_back("MESSAGE_ID=" + r.message_id);
	out.push_back(fmt::format("PRIORITY={}", r.priority));
	out.push_back("SYSLOG_IDENTIFIER=" + tool);
	out.push_back("KWARDEN_EVENT=" + r.event);
	if (r.object_pid)
		out.push_back(fmt::format("OBJECT_PID={}", *r.object_pid));
	for (const auto &f : r.fields) {
		std::string v;
		if (auto s = std::get_if<std::string>(&f.value))
			v = *s;
		else if (auto i = std::get_if<int64_t>(&f.value))
			v = std::to_string(*i);
		else
			v = join_argv(std::get<std::vector<std::string>>(f.value));
		out.push_back(journal_name(f.name) + "=" + v);
	}
	return out;
}

void JournalSink::write(const Record &r)
{
	auto e = entries(r, tool_);
	std::vector<iovec> iov(e.size());
	for (size_t i = 0; i < e.size(); i++)
		iov[i] = {e[i].data(), e[i].size()};
	int ret = sd_journal_sendv(iov.data(), int(iov.size()));
	if (ret < 0)
		throw Error(Errc::io, "send to journald", -ret);
}

} // namespace kw
