// trace-exec's config (--rules, used by the service): the tracers' shared
// process filter keys (pid, uid, comm, failed) and nothing else.
#pragma once

#include "process_filter.h"

#include <string>

namespace kw::texec {

// Throws ConfigError naming file:line:column.
ProcessFilter load_exec_filter(const std::string &path);
ProcessFilter parse_exec_filter(const std::string &text, const std::string &name);
// The filter in a log line; "every exec" when it lets everything through.
std::string describe_exec_filter(const ProcessFilter &f);

} // namespace kw::texec
