#include "exec_filter.h"

namespace kw::texec {

static ProcessFilter from_yaml(const YamlFile &y) { return ProcessFilter::from_config(y, "the trace-exec config"); }

ProcessFilter load_exec_filter(const std::string &path) { return from_yaml(YamlFile::load(path)); }

ProcessFilter parse_exec_filter(const std::string &text, const std::string &name)
{
	return from_yaml(YamlFile::parse(text, name));
}

std::string describe_exec_filter(const ProcessFilter &f)
{
	std::string s = f.describe();
	return s.empty() ? "every exec" : s;
}

} // namespace kw::texec
