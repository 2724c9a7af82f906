// frtp learn's pure parts: when names become trees, the policy written from
// what was learned (through frtp's own parser, compiler and evaluation),
// the diff against an existing policy, and the command line's durations.
#include "config_error.h"
#include "duration.h"
#include "errors.h"
#include "frtp_learn_collapse.h"
#include "frtp_learn_diff.h"
#include "frtp_learn_mounts.h"
#include "frtp_learn_policy.h"
#include "frtp_learn_volatile.h"
#include "frtp_policy.h"
#include "unit_cgroup_path.h"

#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <gtest/gtest.h>
#include <map>
#include <numeric>
#include <unistd.h>

using namespace kw;
using namespace kw::frtp;

namespace {

// Every path asked about exists, with an inode of its own; units have ids.
class AnyFile : public Resolver {
public:
	std::map<std::string, uint64_t> units;
	std::optional<FileId> stat(const std::string &p) override
	{
		auto [it, fresh] = inodes_.try_emplace(p, inodes_.size() + 100);
		return FileId{0x800001, it->second};
	}
	std::optional<uint64_t> unit_cgroup(const std::string &u) override
	{
		auto it = units.find(u);
		if (it == units.end())
			return std::nullopt;
		return it->second;
	}
	// The levels of a path as the kernel walks them: itself, then each
	// directory up to "/".
	std::vector<std::optional<FileId>> levels(std::string p)
	{
		std::vector<std::optional<FileId>> out;
		for (;;) {
			out.push_back(stat(p));
			if (p == "/")
				break;
			size_t s = p.rfind('/');
			p = s == 0 ? "/" : p.substr(0, s);
		}
		return out;
	}

private:
	std::map<std::string, uint64_t> inodes_;
};

LearnedObject name(const std::string &path, std::map<uint32_t, uint64_t> counts)
{
	LearnedObject o;
	o.path = path;
	o.counts = std::move(counts);
	o.samples = {path};
	o.first_us = 1'000'000;
	o.last_us = 2'000'000;
	return o;
}

const LearnedObject *find(const std::vector<LearnedObject> &v, const std::string &path, bool tree)
{
	for (const auto &o : v)
		if (o.path == path && o.tree == tree)
			return &o;
	return nullptr;
}

uint64_t total(const std::vector<LearnedObject> &v)
{
	return std::accumulate(v.begin(), v.end(), uint64_t(0),
			       [](uint64_t n, const LearnedObject &o) { return n + o.count(); });
}

LearnedAccess access(size_t subject, const std::string &path, uint32_t op, uint64_t count,
		     const std::string &exe = "/usr/bin/bash")
{
	LearnedAccess a;
	a.subject = subject;
	a.path = path;
	a.op = op;
	a.exe = exe;
	a.count = count;
	a.first_us = 1'700'000'000'000'000;
	a.last_us = 1'700'000'060'000'000;
	return a;
}

// The workload of the VM suite, as the kernel would report it.
LearnRun learnapp_run()
{
	LearnRun run;
	run.subjects = {{LearnSubject::Kind::unit, "learnapp.service"}};
	run.start_us = 1'700'000'000'000'000;
	run.end_us = 1'700'000'600'000'000;
	run.accesses = {
		access(0, "/etc/learnapp/app.conf", FRTP_OP_READ, 3, "/usr/bin/cat"),
		access(0, "/usr/bin/cat", FRTP_OP_EXEC, 3),
		access(0, "/usr/bin/cat", FRTP_OP_READ, 3, "/usr/bin/cat"),
		access(0, "/usr/lib/x86_64-linux-gnu/libc.so.6", FRTP_OP_READ, 9),
		access(0, "/usr/lib/x86_64-linux-gnu/libc.so.6", FRTP_OP_EXEC, 9),
		access(0, "/var/lib/learnapp/spool/job.1", FRTP_OP_CREATE, 1),
		access(0, "/var/lib/learnapp/spool/job.1", FRTP_OP_WRITE, 1),
		access(0, "/var/lib/learnapp/spool/job.2", FRTP_OP_CREATE, 1),
		access(0, "/var/lib/learnapp/spool/job.2", FRTP_OP_WRITE, 1),
		access(0, "/dev/null", FRTP_OP_WRITE, 4),
	};
	return run;
}

constexpr uint64_t kUnitCgroup = 777;

} // namespace

TEST(FrtpLearnNames, VolatileNamesAreNumberedRandomOrTemporaryAlike)
{
	EXPECT_TRUE(volatile_names({"job.1", "job.22", "job.303"}));
	EXPECT_TRUE(volatile_names({"tmp.a8FkQz", "tmp.Zx81qP"}));           // mktemp
	EXPECT_TRUE(volatile_names({"3f2a9c1e77", "b9e0d4c2a1"}));           // hex ids
	EXPECT_TRUE(volatile_names({"f47ac10b-58cc-4372-a567-0e02b2c3d479", "state.tmp"}));
	EXPECT_TRUE(volatile_names({"notes.txt~", ".#notes.txt"}));
	EXPECT_FALSE(volatile_names({"job.1"})) << "one name is no pattern";
	EXPECT_FALSE(volatile_names({"alpha.conf", "gamma.conf"})) << "words of one length are no template";
	EXPECT_FALSE(volatile_names({"libc.so.6", "libm.so.6"}));
	EXPECT_FALSE(volatile_names({"python3", "sha256sum"}));
	EXPECT_FALSE(volatile_names({"job.1", "config"})) << "every name must be volatile";
}

TEST(FrtpLearnNames, DataDirectoriesAreBelowTheirBase)
{
	EXPECT_TRUE(data_directory("/var/lib/app"));
	EXPECT_TRUE(data_directory("/var/lib/app/db"));
	EXPECT_TRUE(data_directory("/run/app"));
	EXPECT_TRUE(data_directory("/tmp/app"));
	EXPECT_FALSE(data_directory("/var/lib"));
	EXPECT_FALSE(data_directory("/tmp"));
	EXPECT_FALSE(data_directory("/etc/app"));
	EXPECT_FALSE(data_directory("/var/library/x"));
	EXPECT_EQ(path_depth("/"), 0u);
	EXPECT_EQ(path_depth("/etc"), 1u);
	EXPECT_EQ(path_depth("/etc/app"), 2u);
}

TEST(FrtpLearnCollapse, VolatileSiblingsWithTheSameOperationsBecomeTheirDirectory)
{
	std::vector<LearnedObject> in = {name("/opt/app/spool/job.1", {{FRTP_OP_WRITE, 2}}),
					 name("/opt/app/spool/job.2", {{FRTP_OP_WRITE, 3}}),
					 name("/opt/app/spool/job.3", {{FRTP_OP_WRITE, 4}}),
					 name("/opt/app/app.conf", {{FRTP_OP_READ, 5}})};
	auto out = TreeCollapser::collapse(in);
	ASSERT_EQ(out.size(), 2u);
	auto *t = find(out, "/opt/app/spool", true);
	ASSERT_NE(t, nullptr);
	EXPECT_EQ(t->ops(), uint32_t(FRTP_OP_WRITE));
	EXPECT_EQ(t->count(), 9u);
	EXPECT_EQ(t->names, 3u);
	EXPECT_EQ(t->samples.size(), 3u);
	EXPECT_NE(find(out, "/opt/app/app.conf", false), nullptr) << "one stable name stays a file";
	EXPECT_EQ(total(out), total(in));
}

TEST(FrtpLearnCollapse, SiblingsWithOtherOperationsOrStableNamesStayFiles)
{
	auto out = TreeCollapser::collapse({name("/opt/app/spool/job.1", {{FRTP_OP_WRITE, 1}}),
					    name("/opt/app/spool/job.2", {{FRTP_OP_WRITE, 1}, {FRTP_OP_UNLINK, 1}})});
	EXPECT_EQ(out.size(), 2u) << "not the same operations";
	out = TreeCollapser::collapse({name("/etc/app/a.conf", {{FRTP_OP_READ, 1}}),
				       name("/etc/app/b.conf", {{FRTP_OP_READ, 1}})});
	EXPECT_EQ(out.size(), 2u) << "stable names outside a data directory";
}

TEST(FrtpLearnCollapse, NeverToTheRootNorADirectoryLessThanTwoLevelsDeep)
{
	auto out = TreeCollapser::collapse({name("/etc/job.1", {{FRTP_OP_READ, 1}}), name("/etc/job.2", {{FRTP_OP_READ, 1}}),
					    name("/tmp.1", {{FRTP_OP_READ, 1}}), name("/tmp.2", {{FRTP_OP_READ, 1}})});
	EXPECT_EQ(out.size(), 4u);
	for (const auto &o : out)
		EXPECT_FALSE(o.tree) << o.path;
	// A data directory's one volatile name: the directory, never its base.
	out = TreeCollapser::collapse({name("/var/lib/app/cache.1", {{FRTP_OP_READ, 1}})});
	ASSERT_EQ(out.size(), 1u);
	EXPECT_EQ(out[0].path, "/var/lib/app");
	EXPECT_TRUE(out[0].tree);
	// Its one stable name stays what it is.
	out = TreeCollapser::collapse({name("/var/lib/app/state", {{FRTP_OP_READ, 1}})});
	ASSERT_EQ(out.size(), 1u);
	EXPECT_FALSE(out[0].tree);
}

TEST(FrtpLearnCollapse, InADataDirectoryTheVolatileNamesCollapseAndTheOthersFoldIn)
{
	// mktemp's files, renamed over a stable name; a log appended to; a
	// config written once with other operations than the temporary files.
	std::vector<LearnedObject> in = {
		name("/var/lib/app/tmp.a8FkQz10", {{FRTP_OP_CREATE, 1}, {FRTP_OP_WRITE, 1}, {FRTP_OP_RENAME, 1}}),
		name("/var/lib/app/tmp.Zx81qPm3", {{FRTP_OP_CREATE, 1}, {FRTP_OP_WRITE, 1}, {FRTP_OP_RENAME, 1}}),
		name("/var/lib/app/sums", {{FRTP_OP_RENAME, 2}}),
		name("/var/lib/app/runs", {{FRTP_OP_CREATE, 1}, {FRTP_OP_WRITE, 2}}),
		name("/var/lib/app/key", {{FRTP_OP_CHMOD, 1}})};
	auto out = TreeCollapser::collapse(in);
	ASSERT_EQ(out.size(), 2u);
	auto *t = find(out, "/var/lib/app", true);
	ASSERT_NE(t, nullptr);
	EXPECT_EQ(t->ops(), uint32_t(FRTP_OP_CREATE | FRTP_OP_WRITE | FRTP_OP_RENAME));
	EXPECT_EQ(t->names, 4u);
	EXPECT_NE(find(out, "/var/lib/app/key", false), nullptr) << "its chmod is not the tree's to allow";
	EXPECT_EQ(total(out), total(in));
}

TEST(FrtpLearnCollapse, WritesWidenOneLevelReadsFurther)
{
	std::vector<LearnedObject> writes = {name("/var/lib/app/a/1", {{FRTP_OP_WRITE, 1}}),
					     name("/var/lib/app/b/2", {{FRTP_OP_WRITE, 1}})};
	auto out = TreeCollapser::collapse(writes);
	ASSERT_EQ(out.size(), 2u);
	EXPECT_NE(find(out, "/var/lib/app/a", true), nullptr);
	EXPECT_NE(find(out, "/var/lib/app/b", true), nullptr);
	std::vector<LearnedObject> reads = {name("/var/lib/app/a/1", {{FRTP_OP_READ, 1}}),
					    name("/var/lib/app/b/2", {{FRTP_OP_READ, 1}})};
	out = TreeCollapser::collapse(reads);
	ASSERT_EQ(out.size(), 1u);
	EXPECT_EQ(out[0].path, "/var/lib/app");
	EXPECT_EQ(out[0].names, 2u);
	// One name read and written: its read part may climb, its write part not.
	out = TreeCollapser::collapse({name("/var/lib/app/a/1", {{FRTP_OP_READ, 1}, {FRTP_OP_WRITE, 1}}),
				       name("/var/lib/app/b/2", {{FRTP_OP_READ, 1}, {FRTP_OP_WRITE, 1}})});
	auto *wide = find(out, "/var/lib/app", true);
	ASSERT_NE(wide, nullptr);
	EXPECT_EQ(wide->ops(), uint32_t(FRTP_OP_READ));
	ASSERT_NE(find(out, "/var/lib/app/a", true), nullptr);
	EXPECT_EQ(find(out, "/var/lib/app/a", true)->ops(), uint32_t(FRTP_OP_WRITE));
	EXPECT_EQ(total(out), 4u);
}

TEST(FrtpLearnCollapse, WhatATreeAboveAllowsFoldsIntoIt)
{
	// The directory itself was listed (read) and its files read: one tree.
	auto out = TreeCollapser::collapse({name("/var/lib/app", {{FRTP_OP_READ, 1}}),
					    name("/var/lib/app/x.1", {{FRTP_OP_READ, 2}})});
	ASSERT_EQ(out.size(), 1u);
	EXPECT_TRUE(out[0].tree);
	EXPECT_EQ(out[0].count(), 3u);
}

TEST(FrtpLearnMounts, MountPointsAreUnescapedAndTheLongestHolds)
{
	auto m = MountTable::parse("22 1 0:21 / / rw - ext4 /dev/vda rw\n"
				   "23 22 0:22 / /dev rw - devtmpfs udev rw\n"
				   "24 22 0:23 / /mnt/my\\040disk rw - ext4 /dev/vdb rw\n");
	EXPECT_EQ(m.root_of("/etc/shadow"), "/");
	EXPECT_EQ(m.root_of("/dev/null"), "/dev");
	EXPECT_EQ(m.root_of("/dev"), "/dev");
	EXPECT_EQ(m.root_of("/devices/x"), "/");
	EXPECT_EQ(m.root_of("/mnt/my disk/f"), "/mnt/my disk");
}

TEST(FrtpLearnPolicy, TheLearnedPolicyLoadsAllowsWhatWasSeenAndDeniesTheRest)
{
	auto run = learnapp_run();
	// As it is once reviewed and switched to enforce (--mode enforce).
	LearnedPolicyWriter w({.mode = Mode::enforce}, MountTable({"/", "/dev"}));
	auto learned = w.write(run);
	SCOPED_TRACE(learned.yaml);
	EXPECT_TRUE(learned.warnings.empty());
	auto spec = parse_policy(learned.yaml, "learned.yaml");
	AnyFile r;
	r.units["learnapp.service"] = kUnitCgroup;
	auto p = compile(spec, r);
	Subject app{0, 0, *r.stat("/usr/bin/bash"), {kUnitCgroup}};
	Subject other{0, 0, *r.stat("/usr/bin/bash"), {12345}};
	auto decide = [&](const Subject &s, uint32_t op, const std::string &path) {
		return evaluate(p, s, op, r.levels(path)).decision;
	};
	// What it did, it may do again; new numbered names in its data directory too.
	EXPECT_EQ(decide(app, FRTP_OP_READ, "/etc/learnapp/app.conf"), FRTP_D_ALLOW);
	EXPECT_EQ(decide(app, FRTP_OP_EXEC, "/usr/bin/cat"), FRTP_D_ALLOW);
	EXPECT_EQ(decide(app, FRTP_OP_EXEC, "/usr/lib/x86_64-linux-gnu/libc.so.6"), FRTP_D_ALLOW);
	EXPECT_EQ(decide(app, FRTP_OP_CREATE, "/var/lib/learnapp/spool/job.3"), FRTP_D_ALLOW);
	EXPECT_EQ(decide(app, FRTP_OP_WRITE, "/var/lib/learnapp/spool/job.3"), FRTP_D_ALLOW);
	EXPECT_EQ(decide(app, FRTP_OP_WRITE, "/dev/null"), FRTP_D_ALLOW);
	// The deviations of the VM suite.
	EXPECT_EQ(decide(app, FRTP_OP_READ, "/etc/shadow"), FRTP_D_DENY);
	EXPECT_EQ(decide(app, FRTP_OP_EXEC, "/tmp/evil"), FRTP_D_DENY);
	EXPECT_EQ(decide(app, FRTP_OP_CREATE, "/var/lib/other/x"), FRTP_D_DENY);
	EXPECT_EQ(decide(app, FRTP_OP_WRITE, "/etc/learnapp/app.conf"), FRTP_D_DENY) << "only read was seen";
	EXPECT_EQ(decide(app, FRTP_OP_READ, "/dev/zero"), FRTP_D_DENY) << "/dev is a filesystem it was seen on";
	EXPECT_EQ(decide(app, FRTP_OP_UNLINK, "/var/lib/learnapp/spool/job.1"), FRTP_D_DENY);
	// Other processes are none of its business.
	EXPECT_EQ(decide(other, FRTP_OP_READ, "/etc/shadow"), FRTP_D_ALLOW);
	EXPECT_FALSE(evaluate(p, other, FRTP_OP_READ, r.levels("/etc/shadow")).decided);
}

TEST(FrtpLearnPolicy, EveryRuleCarriesItsProvenance)
{
	auto learned = LearnedPolicyWriter({}, MountTable({"/", "/dev"})).write(learnapp_run());
	auto spec = parse_policy(learned.yaml, "learned.yaml");
	EXPECT_EQ(learned.rules, spec.rules.size());
	// Above each rule: its accesses, when, and the names it stands for.
	std::istringstream in(learned.yaml);
	std::vector<std::string> above;
	size_t checked = 0;
	for (std::string line; std::getline(in, line);) {
		if (line.starts_with("  - name: learn-learnapp-") && line.find("deny") == std::string::npos) {
			ASSERT_GE(above.size(), 2u) << line;
			EXPECT_NE(above[0].find(" accesses ("), std::string::npos) << line;
			EXPECT_TRUE(above[1].starts_with("  # first 2023-11-14T")) << above[1];
			checked++;
		}
		if (line.starts_with("  #"))
			above.push_back(line);
		else
			above.clear();
	}
	EXPECT_EQ(checked + 1, spec.rules.size()) << "every allow rule, and one deny rule";
	EXPECT_NE(learned.yaml.find("# 4 accesses (write 2, create 2) by /usr/bin/bash"), std::string::npos) << learned.yaml;
	EXPECT_NE(learned.yaml.find("# a tree for 2 names seen below it, names that will differ next time (numbered, random or "
				    "temporary); e.g. "
				    "/var/lib/learnapp/spool/job.1, /var/lib/learnapp/spool/job.2"),
		  std::string::npos)
		<< learned.yaml;
	EXPECT_NE(learned.yaml.find("objects: [{tree: /var/lib/learnapp/spool}]"), std::string::npos);
	EXPECT_NE(learned.yaml.find("objects: [{tree: /}, {tree: /dev}]"), std::string::npos) << learned.yaml;
}

TEST(FrtpLearnPolicy, ItsDenyRulesAreInAuditModeFirstAndTheFileIsADropIn)
{
	auto learned = LearnedPolicyWriter({}, MountTable({"/", "/dev"})).write(learnapp_run());
	auto spec = parse_policy(learned.yaml, "learned.yaml");
	ASSERT_EQ(spec.rules.back().action, Action::deny);
	EXPECT_EQ(spec.rules.back().mode, Mode::audit) << "meant to be loaded in audit mode first";
	EXPECT_EQ(learned.yaml.find("\nmode:"), std::string::npos) << "the rules file's mode is the rules file's";
	AnyFile r;
	r.units["learnapp.service"] = kUnitCgroup;
	auto p = compile(spec, r);
	Subject app{0, 0, *r.stat("/usr/bin/bash"), {kUnitCgroup}};
	EXPECT_EQ(evaluate(p, app, FRTP_OP_READ, r.levels("/etc/shadow")).decision, FRTP_D_WOULD_DENY);
	EXPECT_EQ(evaluate(p, app, FRTP_OP_READ, r.levels("/etc/learnapp/app.conf")).decision, FRTP_D_ALLOW);
}

TEST(FrtpLearnPolicy, NoDenyWritesAllowRulesOnly)
{
	auto learned = LearnedPolicyWriter({.deny = false}, MountTable({"/"})).write(learnapp_run());
	auto spec = parse_policy(learned.yaml, "learned.yaml");
	ASSERT_FALSE(spec.rules.empty());
	for (const auto &r : spec.rules)
		EXPECT_EQ(r.action, Action::allow) << r.name;
}

TEST(FrtpLearnPolicy, SubjectsAreUnitsExecutablesOrEveryone)
{
	LearnRun run;
	run.subjects = {{LearnSubject::Kind::exe, "/usr/local/bin/my app"}, {LearnSubject::Kind::all, ""}};
	run.accesses = {access(0, "/opt/data/a b", FRTP_OP_READ, 1), access(1, "/etc/hosts", FRTP_OP_READ, 1)};
	auto learned = LearnedPolicyWriter({}, MountTable({"/"})).write(run);
	auto spec = parse_policy(learned.yaml, "learned.yaml");
	ASSERT_EQ(spec.rules.size(), 4u) << learned.yaml;
	EXPECT_EQ(spec.rules[0].name, "learn-my-app-1");
	EXPECT_EQ(spec.rules[0].objects[0].path, "/opt/data/a b") << "quoted, read back as written";
	ASSERT_EQ(spec.rules[0].subjects.size(), 1u);
	EXPECT_EQ(spec.rules[0].subjects[0].exes, std::vector<std::string>{"/usr/local/bin/my app"});
	EXPECT_TRUE(spec.rules[2].subjects.empty()) << "--all: everyone";
	EXPECT_EQ(spec.rules[3].name, "learn-all-deny");
}

TEST(FrtpLearnPolicy, WhatCannotBeWrittenIsSaidNotDropped)
{
	LearnRun run = learnapp_run();
	run.accesses.push_back(access(0, "/memfd:x (deleted)", FRTP_OP_WRITE, 2));
	run.accesses.push_back(access(0, "", FRTP_OP_READ, 1));
	run.accesses.push_back(access(0, "/var/lib/learnapp/bad\nname", FRTP_OP_READ, 1));
	run.accesses.push_back(access(0, "/", FRTP_OP_READ, 1));
	run.accesses.push_back(access(0, "/etc/learnapp/app.conf", FRTP_OP_READ, 1, "/opt/bad\xff\nexe"));
	run.lost_accesses = 5;
	auto learned = LearnedPolicyWriter({}, MountTable({"/", "/dev"})).write(run);
	EXPECT_NO_THROW(parse_policy(learned.yaml, "learned.yaml")) << learned.yaml;
	std::string all;
	for (const auto &w : learned.warnings)
		all += w + "\n";
	EXPECT_NE(all.find("2 accesses left out: their name was deleted"), std::string::npos) << all;
	EXPECT_NE(all.find("the table of names was full"), std::string::npos) << all;
	EXPECT_NE(all.find("control character"), std::string::npos) << all;
	EXPECT_NE(all.find("read of / itself stays denied"), std::string::npos) << all;
	EXPECT_NE(learned.yaml.find("# WARNING: 5 accesses were not counted"), std::string::npos);
}

TEST(FrtpLearnPolicy, ATreeAtAFilesystemRootIsLeftOutOfItsDeny)
{
	LearnRun run;
	run.subjects = {{LearnSubject::Kind::unit, "db.service"}};
	run.accesses = {access(0, "/var/lib/db/1", FRTP_OP_WRITE, 1), access(0, "/var/lib/db/2", FRTP_OP_WRITE, 1)};
	auto learned = LearnedPolicyWriter({.mode = Mode::enforce}, MountTable({"/", "/var/lib/db"})).write(run);
	auto spec = parse_policy(learned.yaml, "learned.yaml");
	ASSERT_EQ(spec.rules.size(), 2u) << learned.yaml;
	EXPECT_EQ(spec.rules[1].action, Action::deny);
	EXPECT_EQ(spec.rules[1].ops, uint32_t(FRTP_OP_ALL & ~FRTP_OP_WRITE));
	AnyFile r;
	r.units["db.service"] = kUnitCgroup;
	auto p = compile(spec, r);
	Subject db{0, 0, {}, {kUnitCgroup}};
	EXPECT_EQ(evaluate(p, db, FRTP_OP_WRITE, r.levels("/var/lib/db/3")).decision, FRTP_D_ALLOW);
	EXPECT_EQ(evaluate(p, db, FRTP_OP_UNLINK, r.levels("/var/lib/db/3")).decision, FRTP_D_DENY);
}

TEST(FrtpLearnDiff, OnlyWhatTheExistingPolicyWouldDenyIsPrinted)
{
	namespace fs = std::filesystem;
	char tmpl[] = "/tmp/frtp-learn-diff.XXXXXX";
	ASSERT_NE(mkdtemp(tmpl), nullptr);
	fs::path d(tmpl);
	fs::create_directories(d / "etc");
	std::ofstream(d / "etc/app.conf") << "x";
	std::ofstream(d / "etc/secret") << "x";
	std::ofstream(d / "app") << "";
	std::string policy = fmt::format("rules:\n"
					 "  - name: secret\n"
					 "    objects: [{}]\n"
					 "    operations: [read]\n"
					 "    action: deny\n"
					 "  - name: etc-write\n"
					 "    objects: [{}/**]\n"
					 "    operations: [write]\n"
					 "    action: deny\n"
					 "    mode: audit\n",
					 (d / "etc/secret").string(), (d / "etc").string());
	SystemResolver r;
	auto p = compile(parse_policy(policy, "existing.yaml"), r);
	LearnRun run;
	run.subjects = {{LearnSubject::Kind::exe, (d / "app").string()}};
	std::string exe = (d / "app").string();
	run.accesses = {access(0, (d / "etc/app.conf").string(), FRTP_OP_READ, 7, exe),
			access(0, (d / "etc/secret").string(), FRTP_OP_READ, 2, exe),
			access(0, (d / "etc/app.conf").string(), FRTP_OP_WRITE, 1, exe)};
	auto report = LearnDiff(p, r).report(run, "existing.yaml");
	fs::remove_all(d);
	EXPECT_NE(report.find("2 learned accesses it would deny"), std::string::npos) << report;
	EXPECT_NE(report.find(fmt::format("deny read {}/etc/secret by executable {}", d.string(), exe)),
		  std::string::npos)
		<< report;
	EXPECT_NE(report.find("rule 'secret', 2 accesses"), std::string::npos) << report;
	EXPECT_NE(report.find(fmt::format("would-deny write {}/etc/app.conf", d.string())), std::string::npos)
		<< report;
	EXPECT_EQ(report.find("read " + (d / "etc/app.conf").string()), std::string::npos) << report;
}

TEST(FrtpLearnCommand, DurationsAreSecondsOrSpans)
{
	EXPECT_EQ(parse_duration("--duration", "90").count(), 90);
	EXPECT_EQ(parse_duration("--duration", "10m").count(), 600);
	EXPECT_EQ(parse_duration("--duration", "1h30m").count(), 5400);
	EXPECT_EQ(parse_duration("--duration", "2d").count(), 172800);
	for (const char *bad : {"", "0", "10x", "m", "1h30", "-5", "99999999999999999999"})
		EXPECT_THROW(parse_duration("--duration", bad), Error) << bad;
}

TEST(FrtpLearnCommand, SlicesNestAsSystemdNestsThem)
{
	EXPECT_EQ(slice_cgroup_path("system.slice"), "/system.slice");
	EXPECT_EQ(slice_cgroup_path("user-1000.slice"), "/user.slice/user-1000.slice");
	EXPECT_EQ(slice_cgroup_path("a-b-c.slice"), "/a.slice/a-b.slice/a-b-c.slice");
	EXPECT_EQ(slice_cgroup_path("-.slice"), "");
}
