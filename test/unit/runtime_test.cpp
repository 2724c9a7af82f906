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
	ASSERT_EQ(s.files.size(), 1u);
	EXPECT_EQ(s.files[0].text, "abc");
	EXPECT_EQ(s.sha256, sha256_hex("abc"));
	EXPECT_FALSE(s.is_builtin());
	unlink(path);
	EXPECT_THROW(PolicySource::read(path), ConfigError);
	auto b = PolicySource::builtin("(built-in default)");
	EXPECT_TRUE(b.is_builtin());
	EXPECT_EQ(b.sha256, sha256_hex(""));
}

// FIPS 180-4's vectors, and the lengths where the padding takes a second
// block (55 bytes fit one, 56 do not) or a block is exactly full.
TEST(PolicySource, Sha256AtTheBlockEdges)
{
	EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
		  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	EXPECT_EQ(sha256_hex(std::string(55, 'a')), "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
	EXPECT_EQ(sha256_hex(std::string(56, 'a')), "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
	EXPECT_EQ(sha256_hex(std::string(64, 'a')), "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
	EXPECT_EQ(sha256_hex(std::string(1000000, 'a')),
		  "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
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

#include "control_socket.h"
#include "unique_fd.h"

#include <atomic>
#include <sys/socket.h>
#include <sys/un.h>
#include <thread>

namespace {
// A client that sends `req` and returns what the daemon answered.
std::string ask(const std::string &path, const std::string &req)
{
	kw::UniqueFd s(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
	sockaddr_un a{};
	a.sun_family = AF_UNIX;
	strncpy(a.sun_path, path.c_str(), sizeof(a.sun_path) - 1);
	if (connect(s.get(), reinterpret_cast<sockaddr *>(&a), sizeof(a)))
		return "connect failed";
	(void)!write(s.get(), req.data(), req.size());
	std::string got;
	char buf[128];
	ssize_t n;
	while ((n = read(s.get(), buf, sizeof(buf))) > 0)
		got.append(buf, size_t(n));
	return got;
}
} // namespace

// The stop path (docs/guard.md): only "stop" from root stops the daemon,
// who asked is known, and the client is answered once the daemon stopped.
TEST(ControlSocket, StopFromRootOnlyNamesWhoAsked)
{
	char dir[] = "/tmp/kw_ctl_XXXXXX";
	ASSERT_TRUE(mkdtemp(dir));
	{
		kw::ControlSocket ctl("t", dir);
		std::string path = kw::ControlSocket::path("t", dir);
		kw::StopRequest who;
		std::atomic<bool> answered{false};
		// Serves until a stop is accepted or the client got its answer.
		auto serve_once = [&] {
			for (int i = 0; i < 5000 && !answered; i++) {
				if (ctl.accept_stop(who))
					return true;
				usleep(1000);
			}
			return false;
		};

		std::string answer;
		std::thread c([&] {
			answer = ask(path, "reload\n");
			answered = true;
		});
		EXPECT_FALSE(serve_once());
		c.join();
		EXPECT_NE(answer.find("unknown request"), std::string::npos) << answer;

		answered = false;
		std::thread c2([&] {
			answer = ask(path, "stop\n");
			answered = true;
		});
		bool stop = serve_once();
		if (getuid() == 0) {
			ASSERT_TRUE(stop);
			EXPECT_EQ(who.pid, getpid());
			EXPECT_EQ(who.uid, 0u);
			EXPECT_NE(who.exe.find("kwarden_unit"), std::string::npos) << who.exe;
			ctl.finish("stopped; enforcement removed");
			c2.join();
			EXPECT_EQ(answer, "stopped; enforcement removed\n");
		} else {
			c2.join();
			EXPECT_FALSE(stop);
			EXPECT_NE(answer.find("only root"), std::string::npos) << answer;
		}
	}
	EXPECT_NE(access((std::string(dir) + "/t.sock").c_str(), F_OK), 0); // removed with the daemon
	rmdir(dir);
}

// A second daemon of the same name would take over the first one's pins.
TEST(ControlSocket, SecondDaemonOfANameIsRefusedAStaleSocketIsNot)
{
	char dir[] = "/tmp/kw_ctl_XXXXXX";
	ASSERT_TRUE(mkdtemp(dir));
	std::string path = kw::ControlSocket::path("t", dir);
	EXPECT_FALSE(kw::daemon_answers("t", dir));
	{
		kw::ControlSocket first("t", dir);
		EXPECT_TRUE(kw::daemon_answers("t", dir));
		try {
			kw::ControlSocket second("t", dir);
			ADD_FAILURE() << "a second daemon of the same name started";
		} catch (const kw::Error &e) {
			EXPECT_EQ(e.code(), kw::Errc::usage);
			EXPECT_NE(std::string(e.what()).find("already running"), std::string::npos) << e.what();
		}
		EXPECT_TRUE(kw::daemon_answers("t", dir)) << "the refused one must leave the first one's socket";
		kw::ControlSocket other("u", dir); // another name is another daemon
	}
	// A crashed daemon's socket file stays, and nobody answers on it.
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	sockaddr_un a{};
	a.sun_family = AF_UNIX;
	strncpy(a.sun_path, path.c_str(), sizeof(a.sun_path) - 1);
	ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr *>(&a), sizeof(a)), 0);
	close(fd);
	EXPECT_FALSE(kw::daemon_answers("t", dir));
	{
		kw::ControlSocket again("t", dir);
		EXPECT_TRUE(kw::daemon_answers("t", dir));
	}
	rmdir(dir);
}
