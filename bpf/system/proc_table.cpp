#include "proc_table.h"

#include "kw_types.h"

#include <bpf/bpf.h>
#include <cstring>
#include <dirent.h>
#include <fmt/format.h>
#include <fstream>
#include <sstream>

namespace kw {

std::vector<ProcEntry> assemble_chain(uint32_t pid,
				      const std::function<std::optional<ProcEntry>(uint32_t)> &lookup,
				      int max_depth)
{
	std::vector<ProcEntry> rev;
	for (int i = 0; i < max_depth && pid != 0; i++) {
		auto e = lookup(pid);
		if (!e)
			break;
		bool loop = false;
		for (const auto &seen : rev)
			loop |= seen.pid == e->pid;
		if (loop)
			break;
		rev.push_back(*e);
		if (pid == 1)
			break;
		pid = e->ppid;
	}
	return {rev.rbegin(), rev.rend()};
}

std::string format_chain(const std::vector<ProcEntry> &chain)
{
	std::string s;
	for (const auto &e : chain) {
		if (!s.empty())
			s += " > ";
		s += fmt::format("{}({})", e.comm, e.pid);
	}
	return s;
}

std::optional<ProcEntry> parse_proc_stat(const std::string &stat)
{
	auto open = stat.find('(');
	auto close = stat.rfind(')');
	if (open == std::string::npos || close == std::string::npos || close < open)
		return std::nullopt;
	ProcEntry e;
	e.pid = std::strtoul(stat.c_str(), nullptr, 10);
	e.comm = stat.substr(open + 1, close - open - 1);
	std::istringstream rest(stat.substr(close + 1));
	std::string state;
	rest >> state >> e.ppid;
	if (!rest)
		return std::nullopt;
	return e;
}

std::optional<ProcEntry> read_proc_entry(uint32_t pid)
{
	std::ifstream f(fmt::format("/proc/{}/stat", pid));
	std::string s;
	if (!std::getline(f, s))
		return std::nullopt;
	return parse_proc_stat(s);
}

int ProcTable::seed()
{
	if (!map_)
		return 0;
	DIR *d = opendir("/proc");
	if (!d)
		return 0;
	int added = 0;
	while (dirent *de = readdir(d)) {
		char *end;
		uint32_t pid = std::strtoul(de->d_name, &end, 10);
		if (*end || !pid)
			continue;
		auto e = read_proc_entry(pid);
		if (!e)
			continue;
		kw_proc row{};
		row.ppid = e->ppid;
		std::strncpy(row.comm, e->comm.c_str(), sizeof(row.comm) - 1);
		// NOEXIST: a fork or exec the kernel already saw is fresher than /proc.
		if (bpf_map_update_elem(bpf_map__fd(map_), &pid, &row, BPF_NOEXIST) == 0)
			added++;
	}
	closedir(d);
	return added;
}

std::optional<ProcEntry> ProcTable::lookup(uint32_t pid) const
{
	if (map_) {
		kw_proc row{};
		if (bpf_map_lookup_elem(bpf_map__fd(map_), &pid, &row) == 0)
			return ProcEntry{pid, row.ppid, std::string(row.comm, strnlen(row.comm, sizeof(row.comm)))};
	}
	return read_proc_entry(pid);
}

std::vector<ProcEntry> ProcTable::chain(uint32_t pid) const
{
	return assemble_chain(pid, [this](uint32_t p) { return lookup(p); });
}

} // namespace kw
