#include "process_filter.h"

#include <algorithm>
#include <cstring>
#include <fmt/format.h>

namespace kw {

ProcessFilter ProcessFilter::from_keys(const YamlFile &y)
{
	ProcessFilter f;
	const auto &root = y.root();
	if (root["pid"])
		f.pid = uint32_t(y.get_int(root["pid"], "pid", 1, 4194304));
	if (root["uid"])
		f.uid = uint32_t(y.get_int(root["uid"], "uid", 0, 4294967294)); // 2^32-1 is "no uid"
	if (root["comm"])
		f.comm = y.get_comm(root["comm"]);
	if (root["failed"])
		f.failed_only = y.get_bool(root["failed"], "failed");
	return f;
}

std::string ProcessFilter::describe() const
{
	std::string s;
	if (pid)
		s += fmt::format(" pid={} (and descendants)", pid);
	if (uid)
		s += fmt::format(" uid={}", *uid);
	if (!comm.empty())
		s += " comm=" + comm;
	if (failed_only)
		s += " failed-only";
	return s.empty() ? s : s.substr(1);
}

kw_process_filter ProcessFilter::compile() const
{
	kw_process_filter k{};
	k.pid = pid;
	k.uid = uid.value_or(KW_PF_ANY_UID);
	k.failed_only = failed_only;
	// Parsing refused longer names; the NUL must survive in any case.
	std::memcpy(k.comm, comm.data(), std::min(comm.size(), sizeof(k.comm) - 1));
	return k;
}

void ProcessFilter::store(const volatile kw_process_filter &rodata) const
{
	kw_process_filter k = compile();
	// The skeleton declares rodata volatile; it is plain memory until load.
	std::memcpy(const_cast<kw_process_filter *>(&rodata), &k, sizeof(k));
}

} // namespace kw
