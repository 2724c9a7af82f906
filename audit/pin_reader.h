// kwarden-audit status: what /sys/fs/bpf/kwarden/<name>/ holds. Lists the
// pins (links still pinned = still enforcing, daemon or not); reads the
// kw_live and kw_lost maps only when no guard protects them, because the
// guard refuses (and records) any other process's descriptor for them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kw::audit {

struct PinState {
	std::string name;	 // frtp, rm-forbid, net-filter, net-filter-<instance>
	bool readable = true;	 // false: /sys/fs/bpf/kwarden not readable (not root)
	bool present = false;	 // the directory exists
	int links = 0;		 // enforcement links pinned (guard links not counted)
	bool guarded = false;	 // guard links pinned
	std::optional<bool> loaded;   // kw_live row 0 `loaded`, when read
	std::optional<uint64_t> lost; // kw_lost, summed over CPUs, when read
	std::string note;		 // why the maps were not read
};

class PinReader {
public:
	explicit PinReader(std::string root = "/sys/fs/bpf/kwarden");
	// The pin directories present (sorted).
	std::vector<std::string> names() const;
	PinState read(const std::string &name) const;

private:
	std::string root_;
};

} // namespace kw::audit
