#include "resolver.h"

#include "cgroup_resolver.h"

#include <fmt/format.h>
#include <pwd.h>

namespace kw {

std::optional<FileId> SystemResolver::stat(const std::string &path) { return stat_file_id(path); }

std::optional<uint64_t> SystemResolver::unit_cgroup(const std::string &unit) { return unit_cgroup_id(root_, unit); }

std::optional<uint32_t> SystemResolver::user(const std::string &name)
{
	if (auto *p = getpwnam(name.c_str()))
		return p->pw_uid;
	return std::nullopt;
}

std::optional<FileId> RecordingResolver::stat(const std::string &path)
{
	auto [it, fresh] = log_.files.try_emplace(path);
	if (!fresh)
		return it->second;
	if (replay_)
		if (auto was = replay_->files.find(path); was != replay_->files.end())
			return it->second = was->second;
	return it->second = fresh_.stat(path);
}

std::optional<uint32_t> RecordingResolver::user(const std::string &name)
{
	if (replay_)
		if (auto it = replay_->users.find(name); it != replay_->users.end())
			return log_.users[name] = it->second;
	return log_.users[name] = fresh_.user(name);
}

std::optional<uint64_t> RecordingResolver::unit_cgroup(const std::string &unit)
{
	return log_.units[unit] = fresh_.unit_cgroup(unit);
}

std::vector<std::string> moved_units(const Lookups &before, Resolver &fresh)
{
	auto text = [](const std::optional<uint64_t> &id) { return id ? std::to_string(*id) : std::string("none"); };
	std::vector<std::string> out;
	for (auto &[unit, id] : before.units)
		if (auto now = fresh.unit_cgroup(unit); now != id)
			out.push_back(fmt::format("{}: cgroup {} -> {}", unit, text(id), text(now)));
	return out;
}

} // namespace kw
