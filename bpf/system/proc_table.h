// User-space side of the in-kernel process table (proctab.bpf.h): seeds it
// from /proc at start and assembles ancestry chains for events.
#pragma once

#include <bpf/libbpf.h>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace kw {

struct ProcEntry {
	uint32_t pid = 0;
	uint32_t ppid = 0;
	std::string comm;
};

// Ancestry of pid, oldest first, ending with pid itself. Bounded; stops at
// pid 1, at a pid the lookup does not know, or at a loop.
std::vector<ProcEntry> assemble_chain(uint32_t pid,
				      const std::function<std::optional<ProcEntry>(uint32_t)> &lookup,
				      int max_depth = 24);
// "systemd(1) > sshd(812) > bash(1001)"
std::string format_chain(const std::vector<ProcEntry> &chain);
// Parses /proc/<pid>/stat text (comm may hold spaces and parentheses).
std::optional<ProcEntry> parse_proc_stat(const std::string &stat);

class ProcTable {
public:
	// map: the object's kw_procs map; nullptr reads /proc only.
	explicit ProcTable(bpf_map *map) : map_(map) {}
	// Inserts every live process the kernel table does not have yet.
	int seed();
	std::optional<ProcEntry> lookup(uint32_t pid) const;
	std::vector<ProcEntry> chain(uint32_t pid) const;

private:
	bpf_map *map_;
};

std::optional<ProcEntry> read_proc_entry(uint32_t pid);

} // namespace kw
