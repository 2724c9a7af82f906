// rm-forbid's pure parts: policy parsing and compilation, holder lookup,
// event decoding and records.
#include "errors.h"
#include "rm_forbid_holders.h"
#include "rm_forbid_policy.h"
#include "rm_forbid_record.h"

#include <cstring>
#include <fmt/format.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <map>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace kw;
using namespace kw::rmf;

namespace {

class FakeResolver : public Resolver {
public:
	std::map<std::string, FileId> files;
	std::map<std::string, uint64_t> units;
	std::optional<FileId> stat(const std::string &p) override
	{
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
		return n == "postgres" ? std::optional<uint32_t>(105) : std::nullopt;
	}
};

ConfigError config_error(const std::string &text)
{
	try {
		parse_policy(text, "rf.yaml");
	} catch (const ConfigError &e) {
		return e;
	}
	ADD_FAILURE() << "no error for: " << text;
	return ConfigError("", 0, 0, "");
}

} // namespace

TEST(RmForbidPolicy, Defaults)
{
	auto s = parse_policy("mode: enforce\n", "rf.yaml");
	EXPECT_EQ(s.mode, Mode::enforce);
	EXPECT_EQ(s.use, uint32_t(RF_USE_ANY));
	EXPECT_TRUE(s.allow_self);
	EXPECT_FALSE(s.rename_away);
	EXPECT_TRUE(s.trees.empty());
}

TEST(RmForbidPolicy, FullPolicyCompiles)
{
	auto s = parse_policy("mode: audit\n"
			      "in_use: [write, mapped]\n"
			      "protect: [/srv, /nope]\n"
			      "rename_away: true\n"
			      "allow_self: false\n"
			      "exempt:\n"
			      "  exe: /usr/bin/dpkg\n"
			      "  uid: [0, postgres]\n"
			      "  unit: [apt.service, gone.service]\n",
			      "rf.yaml");
	FakeResolver r;
	r.files["/srv"] = {0x800001, 2};
	r.files["/usr/bin/dpkg"] = {0x800001, 77};
	r.units["apt.service"] = 4242;
	auto c = compile(s, r);
	EXPECT_EQ(c.cfg.mode, uint32_t(KW_MODE_AUDIT));
	EXPECT_EQ(c.cfg.use, uint32_t(RF_USE_WRITE | RF_USE_MAPPED));
	EXPECT_EQ(c.cfg.rename_away, 1u);
	EXPECT_EQ(c.cfg.allow_self, 0u);
	// A listed tree that does not exist still counts: never "protect everything".
	EXPECT_EQ(c.cfg.n_trees, 2u);
	ASSERT_EQ(c.trees.size(), 2u);
	EXPECT_EQ(c.trees[0].id->ino, 2u);
	EXPECT_FALSE(c.trees[1].id);
	EXPECT_EQ(c.exes[0].id->ino, 77u);
	EXPECT_EQ(c.uids, (std::vector<uint32_t>{0, 105}));
	EXPECT_EQ(c.units[0].second, 4242u);
	EXPECT_FALSE(c.units[1].second);
	EXPECT_EQ(c.warnings.size(), 2u); // /nope, gone.service
	auto d = c.describe();
	EXPECT_NE(d.find("protected tree: /srv (dev 8:1 ino 2)"), std::string::npos) << d;
	EXPECT_NE(d.find("mode: audit"), std::string::npos);

	// --mode enforce on the command line wins.
	auto e = compile(s, r, Mode::enforce);
	EXPECT_EQ(e.cfg.mode, uint32_t(KW_MODE_ENFORCE));
	EXPECT_EQ(compile(s, r).cfg.mode, uint32_t(KW_MODE_AUDIT));
}

TEST(RmForbidPolicy, ErrorsPointAtTheProblem)
{
	auto e = config_error("mode: enforce\nin_use: [write, maped]\n");
	EXPECT_EQ(e.line(), 2);
	EXPECT_EQ(e.column(), 17);
	EXPECT_NE(e.hint().find("mapped"), std::string::npos);
	e = config_error("protect:\n  - srv/data\n");
	EXPECT_EQ(e.line(), 2);
	EXPECT_NE(std::string(e.what()).find("absolute"), std::string::npos);
	e = config_error("exempt:\n  unit: [apt]\n");
	EXPECT_EQ(e.line(), 2);
	e = config_error("exempt:\n  exes: [/bin/x]\n"); // a typo must not weaken the policy silently
	EXPECT_EQ(e.line(), 2);
	e = config_error("rename-away: true\n");
	EXPECT_EQ(e.line(), 1);
	e = config_error("mode: deny\n");
	EXPECT_EQ(e.line(), 1);
	FakeResolver r;
	EXPECT_THROW(compile(parse_policy("exempt:\n  uid: nosuchuser\n", "rf.yaml"), r), Error);
}

TEST(RmForbidPolicy, ExemptUidsAreNumbersRangesOrNames)
{
	FakeResolver r;
	auto c = compile(parse_policy("exempt:\n  uid: [0, 1000-1002, postgres]\n  user: 7\n", "rf.yaml"), r);
	EXPECT_EQ(c.uids, (std::vector<uint32_t>{0, 1000, 1001, 1002, 105, 7}));
	EXPECT_NE(c.describe().find("exempt uid: 1000-1002\n"), std::string::npos) << c.describe();

	auto e = config_error("exempt:\n  uid: [0, 2000-1000]\n");
	EXPECT_EQ(e.line(), 2);
	EXPECT_EQ(e.column(), 12);
	EXPECT_NE(std::string(e.what()).find("uid range '2000-1000' runs backwards"), std::string::npos) << e.what();
	e = config_error("exempt:\n  uid: 99999999999999999999\n");
	EXPECT_EQ(e.line(), 2);
	EXPECT_NE(std::string(e.what()).find("uid must be between 0 and 4294967294"), std::string::npos) << e.what();
	EXPECT_EQ(config_error("exempt:\n  uid: 0777\n").line(), 2);
	EXPECT_EQ(config_error("exempt:\n  user: 0x10\n").line(), 2);
	// Each uid of a range is a map entry.
	e = config_error("exempt:\n  uid: [1-1000, 2000-2024]\n");
	EXPECT_EQ(e.column(), 17);
	EXPECT_NE(std::string(e.what()).find("come to 1025 here; at most 1024"), std::string::npos) << e.what();

	// A name is looked up when compiling; its error still points at it.
	auto spec = parse_policy("mode: audit\nexempt:\n  uid: [0, nosuchuser]\n", "rf.yaml");
	try {
		compile(spec, r);
		ADD_FAILURE() << "no error";
	} catch (const ConfigError &ce) {
		EXPECT_EQ(ce.file(), "rf.yaml");
		EXPECT_EQ(ce.line(), 3);
		EXPECT_EQ(ce.column(), 12);
		EXPECT_NE(std::string(ce.what()).find("exempt user 'nosuchuser' is not a known user name"), std::string::npos);
		EXPECT_EQ(ce.exit_code(), 3);
	}
}

TEST(RmForbidPolicy, InvalidInputIsRefusedWhereItIs)
{
	auto e = config_error("mode: audit\nprotect: [/srv]\nmode: enforce\n");
	EXPECT_EQ(e.line(), 3);
	EXPECT_NE(std::string(e.what()).find("key 'mode' is repeated: line 1 already sets it"), std::string::npos);
	e = config_error("exempt:\n  uid: 0\n  exe: /usr/bin/dpkg\n  uid: 1000\n");
	EXPECT_EQ(e.line(), 4);
	e = config_error("protect: [\"/srv\\0/data\"]\n");
	EXPECT_EQ(e.line(), 1);
	EXPECT_NE(std::string(e.what()).find("control character"), std::string::npos) << e.what();
	e = config_error("exempt:\n  exe: /usr/bin/" + std::string(300, 'x') + "\n");
	EXPECT_NE(std::string(e.what()).find("NAME_MAX"), std::string::npos) << e.what();
	e = config_error("exempt:\n  unit: \"apt\\n.service\"\n");
	EXPECT_EQ(e.line(), 2);
	std::string many = "protect:\n";
	for (int i = 0; i <= RF_TREES_MAX; i++)
		many += fmt::format("  - /srv/t{}\n", i);
	e = config_error(many);
	EXPECT_NE(std::string(e.what()).find("65 protected trees; at most 64"), std::string::npos) << e.what();
}

TEST(RmForbidHolders, ParsesMapsLines)
{
	auto e = parse_maps_line("7f0c1e000000-7f0c1e021000 r--p 00000000 fd:01 1835 /usr/lib/x 86.so");
	ASSERT_TRUE(e);
	EXPECT_EQ(e->dev, (uint64_t(0xfd) << 20) | 1);
	EXPECT_EQ(e->ino, 1835u);
	EXPECT_EQ(e->path, "/usr/lib/x 86.so");
	EXPECT_FALSE(parse_maps_line("7ffd1000-7ffd2000 rw-p 00000000 00:00 0 [stack]"));
	EXPECT_FALSE(parse_maps_line("garbage"));
}

TEST(RmForbidHolders, FindsThisProcessByFdAndMapping)
{
	char name[] = "/tmp/rm_forbid_test.XXXXXX";
	int fd = mkstemp(name);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(write(fd, "hello", 5), 5);
	struct stat st{};
	ASSERT_EQ(fstat(fd, &st), 0);
	uint64_t dev = kernel_dev(st.st_dev);
	auto hs = find_holders(dev, st.st_ino);
	ASSERT_EQ(hs.size(), 1u);
	EXPECT_EQ(hs[0].pid, uint32_t(getpid()));
	EXPECT_EQ(hs[0].how, std::vector<std::string>{fmt::format("fd {}", fd)});
	EXPECT_NE(hs[0].describe().find(fmt::format("({}) fd {}", getpid(), fd)), std::string::npos);

	void *m = mmap(nullptr, 5, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(m, MAP_FAILED);
	close(fd);
	hs = find_holders(dev, st.st_ino);
	ASSERT_EQ(hs.size(), 1u);
	EXPECT_EQ(hs[0].how, std::vector<std::string>{"mapped"});
	munmap(m, 5);
	EXPECT_TRUE(find_holders(dev, st.st_ino).empty());
	unlink(name);
}

TEST(RmForbidRecord, DeniedUnlink)
{
	auto ev = std::make_unique<rf_event>();
	ev->subject.pid = 900;
	ev->subject.uid = 1000;
	strcpy(ev->subject.comm, "rm");
	ev->op = RF_OP_UNLINK;
	ev->decision = RF_DENIED;
	ev->use = RF_USE_ANY;
	ev->refs = 1;
	ev->dev = (8u << 20) | 1;
	ev->ino = 12;
	ev->nlink = 1;
	const char p[] = "held\0data\0srv\0";
	memcpy(ev->path.buf, p, sizeof(p) - 1);
	ev->path.len = sizeof(p) - 1;
	const char exe[] = "rm\0bin\0usr\0";
	memcpy(ev->exe.buf, exe, sizeof(exe) - 1);
	ev->exe.len = sizeof(exe) - 1;
	auto x = decode_event(*ev);
	EXPECT_EQ(x.path, "/srv/data/held");
	EXPECT_EQ(x.exe, "/usr/bin/rm");
	EXPECT_TRUE(x.new_path.empty());
	Holder h{812, "sleep", {"fd 3"}};
	auto r = refusal_record(x, 0, {h}, "bash(700) > rm(900)");
	EXPECT_EQ(r.message_id, kDeniedMessageId);
	EXPECT_EQ(std::get<std::string>(*r.get("operation")), "unlink");
	EXPECT_EQ(std::get<std::string>(*r.get("path")), "/srv/data/held");
	EXPECT_EQ(std::get<std::string>(*r.get("holders")), "sleep(812) fd 3");
	EXPECT_EQ(std::get<std::string>(*r.get("dev")), "8:1");
	EXPECT_EQ(std::get<std::string>(*r.get("decision")), "denied");
	EXPECT_NE(r.message.find("refused unlink /srv/data/held"), std::string::npos) << r.message;
	EXPECT_NE(r.message.find("held by sleep(812) fd 3"), std::string::npos) << r.message;

	ev->op = RF_OP_RENAME_OVER;
	ev->decision = RF_AUDITED;
	const char np[] = "new\0tmp\0";
	memcpy(ev->newpath.buf, np, sizeof(np) - 1);
	ev->newpath.len = sizeof(np) - 1;
	x = decode_event(*ev);
	r = refusal_record(x, 0, {}, "");
	EXPECT_EQ(r.message_id, kAuditedMessageId);
	EXPECT_EQ(std::get<std::string>(*r.get("source_path")), "/tmp/new");
	EXPECT_NE(r.message.find("would refuse rename /tmp/new over /srv/data/held"), std::string::npos) << r.message;
	EXPECT_NE(r.message.find("holder not found"), std::string::npos);
}
