// Where policy compilers learn about the system: files by identity, users,
// and the cgroups of systemd units. The real one asks the system; tests use
// fakes; RecordingResolver keeps the answers so that the policy in memory
// can be compiled again with only the units looked up afresh (a restarted
// unit has a new cgroup), never re-reading the rules file.
#pragma once

#include "file_identity.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace kw {

class Resolver {
public:
	virtual ~Resolver() = default;
	// Follows symlinks, like the kernel does when opening.
	virtual std::optional<FileId> stat(const std::string &path) = 0;
	// The cgroup id (cgroup directory inode) of a running systemd unit.
	virtual std::optional<uint64_t> unit_cgroup(const std::string &unit) = 0;
	virtual std::optional<uint32_t> user(const std::string &name)
	{
		(void)name;
		return std::nullopt;
	}
	// About `paths` more stat() calls to come: a resolver that keeps the
	// answers sizes its table once (rehashing 200,000 paths as they come
	// cost a twentieth of a 100,000-rule compile).
	virtual void expect_paths(size_t paths) { (void)paths; }
};

class SystemResolver : public Resolver {
public:
	explicit SystemResolver(std::string cgroup_root = "/sys/fs/cgroup") : root_(std::move(cgroup_root)) {}
	std::optional<FileId> stat(const std::string &path) override;
	std::optional<uint64_t> unit_cgroup(const std::string &unit) override;
	std::optional<uint32_t> user(const std::string &name) override;

private:
	std::string root_;
};

// Every answer one compile got. Units in order: moved_units lists them so.
struct Lookups {
	std::unordered_map<std::string, std::optional<FileId>> files;
	std::unordered_map<std::string, std::optional<uint32_t>> users;
	std::map<std::string, std::optional<uint64_t>> units;
};

class RecordingResolver : public Resolver {
public:
	// Asks `fresh` and writes every answer into `log`. With `replay`, files
	// and users are answered from it instead (units are always fresh). A
	// file asked again is answered from `log`: policies name one directory
	// for each of thousands of files, and a compile sees one answer per path.
	RecordingResolver(Resolver &fresh, Lookups &log, const Lookups *replay = nullptr)
	    : fresh_(fresh), log_(log), replay_(replay)
	{
	}
	std::optional<FileId> stat(const std::string &path) override;
	std::optional<uint64_t> unit_cgroup(const std::string &unit) override;
	std::optional<uint32_t> user(const std::string &name) override;
	void expect_paths(size_t paths) override { log_.files.reserve(log_.files.size() + paths); }

private:
	Resolver &fresh_;
	Lookups &log_;
	const Lookups *replay_;
};

// "x.service: cgroup 123 -> 456" for each unit whose cgroup is not what
// `before` recorded; empty when none moved.
std::vector<std::string> moved_units(const Lookups &before, Resolver &fresh);

} // namespace kw
