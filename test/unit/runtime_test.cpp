// The enforcement runtime's pure parts: policy source hashing and the
// recording resolver that lets a unit refresh recompile from memory.
#include "errors.h"
#include "policy_source.h"
#include "resolver.h"

#include <cstdio>
#include <fstream>
#include <gtest/gtest.h>
#include <unistd.h>

using namespace kw;

namespace {

class ScriptedResolver : public Resolver {
public:
	std::map<std::string, FileId> files;
	std::map<std::string, uint64_t> units;
	std::map<std::string, uint32_t> users;
	int stats = 0;
	std::optional<FileId> stat(const std::string &p) override
	{
		stats++;
		auto it = files.find(p);
		return it == files.end() ? std::nullopt : std::optional(it->second);
	}
	std::optional<uint64_t> unit_cgroup(const std::string &u) override
	{
		auto it = units.find(u);
		return it == units.end() ? std::nullopt : std::optional(it->second);
	}
	std::optional<uint32_t> user(const std::string &n) override
	{
		auto it = users.find(n);
		return it == users.end() ? std::nullopt : std::optional(it->second);
	}
};

} // namespace

TEST(PolicySource, HashesTheBytesRead)
{
	EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	char path[] = "/tmp/kw_source_XXXXXX";
	int fd = mkstemp(path);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(write(fd, "abc", 3), 3);
	close(fd);
	auto s = PolicySource::read(path);
	EXPECT_EQ(s.text, "abc");
	EXPECT_EQ(s.sha256, sha256_hex("abc"));
	EXPECT_FALSE(s.is_builtin());
	unlink(path);
	EXPECT_THROW(PolicySource::read(path), ConfigError);
	auto b = PolicySource::builtin("(built-in default)");
	EXPECT_TRUE(b.is_builtin());
	EXPECT_EQ(b.sha256, sha256_hex(""));
}

TEST(RecordingResolver, ReplaysFilesAndUsersButAsksUnitsAfresh)
{
	ScriptedResolver sys;
	sys.files["/srv/a"] = {1, 10};
	sys.users["www"] = 33;
	sys.units["x.service"] = 100;
	Lookups first;
	RecordingResolver rec(sys, first);
	EXPECT_EQ(rec.stat("/srv/a")->ino, 10u);
	EXPECT_EQ(*rec.user("www"), 33u);
	EXPECT_EQ(*rec.unit_cgroup("x.service"), 100u);
	EXPECT_FALSE(rec.stat("/srv/missing"));

	// The system moves on: a file replaced, a user renumbered, the unit restarted.
	sys.files["/srv/a"] = {1, 11};
	sys.files["/srv/missing"] = {1, 12};
	sys.users["www"] = 34;
	sys.units["x.service"] = 200;
	auto moved = moved_units(first, sys);
	ASSERT_EQ(moved.size(), 1u);
	EXPECT_EQ(moved[0], "x.service: cgroup 100 -> 200");

	Lookups second;
	RecordingResolver replay(sys, second, &first);
	int before = sys.stats;
	EXPECT_EQ(replay.stat("/srv/a")->ino, 10u); // as the policy in memory saw it
	EXPECT_FALSE(replay.stat("/srv/missing"));
	EXPECT_EQ(sys.stats, before); // no file was looked at again
	EXPECT_EQ(*replay.user("www"), 33u);
	EXPECT_EQ(*replay.unit_cgroup("x.service"), 200u);
	EXPECT_TRUE(moved_units(second, sys).empty());
}

TEST(RecordingResolver, AUnitThatStopsCountsAsMoved)
{
	ScriptedResolver sys;
	sys.units["x.service"] = 100;
	Lookups log;
	RecordingResolver rec(sys, log);
	rec.unit_cgroup("x.service");
	rec.unit_cgroup("absent.service");
	sys.units.erase("x.service");
	auto moved = moved_units(log, sys);
	ASSERT_EQ(moved.size(), 1u);
	EXPECT_EQ(moved[0], "x.service: cgroup 100 -> none");
}
