// The process filter both tracers (trace-exec, trace-file) apply: a pid
// tree, a uid, a command name and "failures only". One parser, one set of
// flags (ProcessFilterOptions) and one kernel form (kw_process_filter,
// matched by process_filter.bpf.h), so the two tools cannot drift apart in
// what their shared config keys and flags mean.
#pragma once

#include "kw_process_filter.h"
#include "yaml_file.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kw {

struct ProcessFilter {
	uint32_t pid = 0; // with descendants; 0 = every process
	std::optional<uint32_t> uid;
	std::string comm; // "" = any
	bool failed_only = false;

	// Reads a tracer's config file: a mapping of the shared keys (pid, uid,
	// comm, failed) and the tool's own `tool_keys`, which the tool reads
	// itself. Any other key is an error, so a typo cannot silently widen
	// what is traced. Throws ConfigError naming file:line:column.
	template <typename... Keys>
	static ProcessFilter from_config(const YamlFile &y, const std::string &what, Keys... tool_keys)
	{
		y.require_map(y.root(), what);
		y.check_keys(y.root(), {"pid", "uid", "comm", "failed", std::string_view(tool_keys)...});
		return from_keys(y);
	}

	// "pid=1 (and descendants) uid=0 comm=sshd failed-only"; "" when it lets everything through.
	std::string describe() const;
	kw_process_filter compile() const;
	// Writes compile() into a skeleton's rodata (kw_pf), before load.
	void store(const volatile kw_process_filter &rodata) const;

private:
	static ProcessFilter from_keys(const YamlFile &y);
};

} // namespace kw
