#include "exec_filter.h"

#include "kw_types.h"
#include "yaml_file.h"

#include <fmt/format.h>

namespace kw::texec {

std::string ExecFilter::describe() const
{
	std::string s;
	if (pid)
		s += fmt::format(" pid={} (and descendants)", pid);
	if (uid)
		s += fmt::format(" uid={}", *uid);
	if (!comm.empty())
		s += fmt::format(" comm={}", comm);
	if (failed_only)
		s += " failed-only";
	return s.empty() ? "every exec" : s.substr(1);
}

static ExecFilter from_yaml(const YamlFile &y)
{
	ExecFilter f;
	const auto &root = y.root();
	y.require_map(root, "the trace-exec config");
	y.check_keys(root, {"pid", "uid", "comm", "failed"});
	if (root["pid"])
		f.pid = y.get_int(root["pid"], "pid", 1, 4194304);
	if (root["uid"])
		f.uid = y.get_int(root["uid"], "uid", 0, 4294967294);
	if (root["comm"])
		f.comm = y.get_comm(root["comm"]);
	if (root["failed"])
		f.failed_only = y.get_bool(root["failed"], "failed");
	return f;
}

ExecFilter load_exec_filter(const std::string &path) { return from_yaml(YamlFile::load(path)); }

ExecFilter parse_exec_filter(const std::string &text, const std::string &name)
{
	return from_yaml(YamlFile::parse(text, name));
}

} // namespace kw::texec
