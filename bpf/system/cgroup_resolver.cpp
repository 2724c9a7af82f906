#include "cgroup_resolver.h"

#include <cstdio>
#include <cstring>

#include <fstream>

#include <filesystem>
#include <sys/stat.h>

namespace kw {

std::string cgroup_v2_path(const std::string &pid)
{
	std::ifstream f("/proc/" + pid + "/cgroup");
	for (std::string line; std::getline(f, line);)
		if (line.starts_with("0::"))
			return line.substr(3);
	return "";
}

std::string unit_from_cgroup_path(const std::string &path)
{
	// The innermost .service or .scope names the unit (user sessions nest).
	std::string_view rest(path);
	while (!rest.empty()) {
		size_t slash = rest.rfind('/');
		std::string_view comp = slash == std::string_view::npos ? rest : rest.substr(slash + 1);
		if (comp.ends_with(".service") || comp.ends_with(".scope"))
			return std::string(comp);
		if (slash == std::string_view::npos)
			break;
		rest = rest.substr(0, slash);
	}
	return "";
}

std::optional<uint64_t> unit_cgroup_id(const std::string &root, const std::string &unit)
{
	namespace fs = std::filesystem;
	for (auto first : {root + "/system.slice/" + unit, root + "/" + unit}) {
		struct stat st{};
		if (::stat(first.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
			return st.st_ino;
	}
	std::error_code ec;
	fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec), end;
	for (; !ec && it != end; it.increment(ec)) {
		if (it.depth() > 6) {
			it.disable_recursion_pending();
			continue;
		}
		if (it->is_directory(ec) && it->path().filename() == unit) {
			struct stat st{};
			if (::stat(it->path().c_str(), &st) == 0)
				return st.st_ino;
		}
	}
	return std::nullopt;
}

uint64_t CgroupResolver::id_of(const std::string &dir)
{
	struct stat st{};
	return stat(dir.c_str(), &st) == 0 ? st.st_ino : 0;
}

void CgroupResolver::rescan()
{
	namespace fs = std::filesystem;
	std::error_code ec;
	paths_[id_of(root_)] = "/";
	for (auto it = fs::recursive_directory_iterator(root_, fs::directory_options::skip_permission_denied, ec);
	     !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
		if (!it->is_directory(ec))
			continue;
		paths_[id_of(it->path())] = it->path().string().substr(root_.size());
	}
	last_scan_ = std::chrono::steady_clock::now();
}

std::string CgroupResolver::path(uint64_t id)
{
	auto it = paths_.find(id);
	if (it != paths_.end())
		return it->second;
	// A new cgroup: rescan, but not more than once a second under a storm.
	if (std::chrono::steady_clock::now() - last_scan_ > std::chrono::seconds(1)) {
		rescan();
		it = paths_.find(id);
		if (it != paths_.end())
			return it->second;
	}
	return "";
}

std::string cgroup2_root()
{
	FILE *f = fopen("/proc/self/mounts", "re");
	if (!f)
		return "";
	char dev[256], dir[512], type[64];
	std::string found;
	while (fscanf(f, "%255s %511s %63s %*[^\n]", dev, dir, type) == 3)
		if (!strcmp(type, "cgroup2") && found.empty())
			found = dir;
	fclose(f);
	return found;
}

} // namespace kw
