#include "rm_forbid_holders.h"

#include "kw_kernel_consts.h"
#include "proc_table.h"
#include "rm_forbid_policy.h"

#include <algorithm>
#include <cstdio>
#include <dirent.h>
#include <fmt/format.h>
#include <fstream>
#include <sys/stat.h>

namespace kw::rmf {

std::string Holder::describe() const
{
	std::string s = fmt::format("{}({})", comm.empty() ? "?" : comm, pid);
	for (size_t i = 0; i < how.size(); i++)
		s += (i ? ", " : " ") + how[i];
	return s;
}

std::optional<MapsEntry> parse_maps_line(const std::string &line)
{
	// 7f0c1e000000-7f0c1e021000 r--p 00000000 fd:01 1835 /usr/lib/x.so
	char range[64], perms[8], off[32];
	unsigned maj = 0, min = 0;
	unsigned long long ino = 0;
	int pos = 0;
	if (sscanf(line.c_str(), "%63s %7s %31s %x:%x %llu %n", range, perms, off, &maj, &min, &ino, &pos) < 6)
		return std::nullopt;
	if (!ino)
		return std::nullopt;
	MapsEntry e;
	e.dev = (uint64_t(maj) << KW_MINORBITS) | min;
	e.ino = ino;
	if (pos > 0 && size_t(pos) <= line.size())
		e.path = line.substr(pos);
	return e;
}

static bool same(const struct stat &st, uint64_t dev, uint64_t ino)
{
	return st.st_ino == ino && kernel_dev(st.st_dev) == dev;
}

std::vector<Holder> find_holders(uint64_t dev, uint64_t ino, const std::string &proc, size_t max_holders)
{
	std::vector<Holder> out;
	DIR *d = opendir(proc.c_str());
	if (!d)
		return out;
	while (dirent *de = readdir(d)) {
		char *end = nullptr;
		unsigned long pid = strtoul(de->d_name, &end, 10);
		if (!pid || *end)
			continue;
		std::string base = proc + "/" + de->d_name;
		Holder h;
		h.pid = uint32_t(pid);
		struct stat st{};
		if (DIR *fds = opendir((base + "/fd").c_str())) {
			while (dirent *fe = readdir(fds)) {
				if (fe->d_name[0] == '.')
					continue;
				if (stat((base + "/fd/" + fe->d_name).c_str(), &st) == 0 && same(st, dev, ino))
					h.how.push_back(fmt::format("fd {}", fe->d_name));
			}
			closedir(fds);
		}
		if (stat((base + "/exe").c_str(), &st) == 0 && same(st, dev, ino))
			h.how.push_back("exe");
		std::ifstream maps(base + "/maps");
		std::string line;
		while (std::getline(maps, line)) {
			auto e = parse_maps_line(line);
			if (e && e->ino == ino && e->dev == dev) {
				h.how.push_back("mapped");
				break;
			}
		}
		if (h.how.empty())
			continue;
		std::ifstream statf(base + "/stat");
		std::string text((std::istreambuf_iterator<char>(statf)), std::istreambuf_iterator<char>());
		if (auto pe = parse_proc_stat(text))
			h.comm = pe->comm;
		out.push_back(std::move(h));
		if (out.size() >= max_holders)
			break;
	}
	closedir(d);
	std::sort(out.begin(), out.end(), [](const Holder &a, const Holder &b) { return a.pid < b.pid; });
	return out;
}

} // namespace kw::rmf
