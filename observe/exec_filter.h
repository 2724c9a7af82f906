// trace-exec filters: from the YAML config (--rules, used by the service) and
// the command line, which overrides it. Applied in the kernel.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace kw::texec {

struct ExecFilter {
	uint32_t pid = 0; // with descendants; 0 = every process
	std::optional<uint32_t> uid;
	std::string comm;
	bool failed_only = false;

	std::string describe() const;
};

// Keys: pid, uid, comm, failed. Throws ConfigError.
ExecFilter load_exec_filter(const std::string &path);
ExecFilter parse_exec_filter(const std::string &text, const std::string &name);

} // namespace kw::texec
