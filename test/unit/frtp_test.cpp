// frtp's pure parts: policy parsing, compilation, evaluation (explain), records.
#include "config_error.h"
#include "errors.h"
#include "frtp_members.h"
#include "frtp_policy.h"
#include "frtp_record.h"
#include "kw_types.h"

#include <cstring>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <unistd.h>
#include <gtest/gtest.h>
#include <map>

using namespace kw;
using namespace kw::frtp;

namespace {

// A made-up filesystem: path -> inode; units -> cgroup ids.
class FakeResolver : public Resolver {
public:
	std::map<std::string, FileId> files;
	std::map<std::string, uint64_t> units;
	std::optional<FileId> stat(const std::string &p) override
	{
		auto it = files.find(p);
		if (it == files.end())
			return std::nullopt;
		return it->second;
	}
	std::optional<uint64_t> unit_cgroup(const std::string &u) override
	{
		auto it = units.find(u);
		if (it == units.end())
			return std::nullopt;
		return it->second;
	}
};

FileId id(uint64_t ino) { return {0x800001, ino}; }

FakeResolver fs()
{
	FakeResolver r;
	r.files = {{"/", id(2)},	      {"/etc", id(10)},		 {"/etc/shadow", id(11)},
		   {"/etc/hosts", id(12)},    {"/tmp", id(20)},		 {"/tmp/x", id(21)},
		   {"/usr/bin/cat", id(30)},  {"/usr/bin/head", id(31)}, {"/usr/sbin/unix_chkpwd", id(32)},
		   {"/srv", id(40)},	      {"/srv/a", id(41)},	 {"/srv/a/b", id(42)},
		   {"/srv/a/b/c", id(43)}};
	r.units = {{"sshd.service", 777}};
	return r;
}

// Levels of a path in the fake fs, leaf first.
std::vector<std::optional<FileId>> levels(FakeResolver &r, std::vector<std::string> paths)
{
	std::vector<std::optional<FileId>> out;
	for (auto &p : paths)
		out.push_back(r.stat(p));
	return out;
}

const char *kPolicy = R"(
mode: enforce
rules:
  - name: shadow
    objects: [/etc/shadow]
    operations: [read, write]
    action: deny
    except:
      - uid: 0
        exe: [/usr/sbin/unix_chkpwd, /usr/bin/cat]
  - name: tmp-noexec
    objects: [/tmp/**]
    operations: exec
    action: deny
  - name: srv-tree
    objects: [/srv/a/**]
    operations: all
    action: deny
    subjects: {uid: 1000-1999}
  - name: srv-b-allow
    objects: [/srv/a/b/**]
    operations: [read]
    action: allow
    subjects: {uid: 1000-1999}
  - name: srv-b-audit
    objects: [/srv/a/b/**]
    operations: [read]
    action: audit
    subjects: {uid: 1200}
  - name: sshd-only
    objects: [/etc/hosts]
    operations: write
    action: deny
    except: {unit: sshd.service}
  - name: hosts-dry
    objects: [/etc/hosts]
    operations: read
    action: deny
    mode: audit
)";

} // namespace

TEST(Frtp, ParsesAndCompiles)
{
	auto r = fs();
	auto spec = parse_policy(kPolicy, "p.yaml");
	ASSERT_EQ(spec.rules.size(), 7u);
	EXPECT_EQ(spec.rules[0].ops, uint32_t(FRTP_OP_READ | FRTP_OP_WRITE));
	EXPECT_EQ(spec.rules[2].ops, uint32_t(FRTP_OP_ALL));
	EXPECT_TRUE(spec.rules[1].objects[0].tree);
	EXPECT_EQ(spec.rules[1].objects[0].path, "/tmp");
	auto p = compile(spec, r);
	EXPECT_EQ(p.objects.size(), 5u); // shadow, /tmp, /srv/a, /srv/a/b, hosts
	EXPECT_EQ(p.objects.at(id(11)).refs[0].flags, FRTP_REF_EXACT);
	EXPECT_EQ(p.objects.at(id(20)).refs[0].flags, FRTP_REF_TREE);
	// Exact objects bind their names in their directory.
	EXPECT_TRUE(p.names.count({id(10), "shadow"}));
	EXPECT_EQ(p.rules[6].k.mode, KW_MODE_AUDIT);
	EXPECT_EQ(p.rules[0].k.mode, KW_MODE_ENFORCE);
	EXPECT_NE(p.describe().find("shadow: deny read,write"), std::string::npos);
	// --mode audit downgrades every rule.
	auto dry = compile(spec, r, Mode::audit);
	for (auto &cr : dry.rules)
		EXPECT_EQ(cr.k.mode, KW_MODE_AUDIT);
}

TEST(Frtp, ExceptMatchesByExecutableIdentity)
{
	auto r = fs();
	auto p = compile(parse_policy(kPolicy, "p.yaml"), r);
	auto lv = levels(r, {"/etc/shadow", "/etc", "/"});
	Subject root_cat{0, 0, id(30), {}};
	Subject root_head{0, 0, id(31), {}};
	Subject user_cat{1000, 1000, id(30), {}};
	EXPECT_TRUE(evaluate(p, root_cat, FRTP_OP_READ, lv).allowed());
	EXPECT_FALSE(evaluate(p, root_cat, FRTP_OP_READ, lv).decided);
	auto v = evaluate(p, root_head, FRTP_OP_READ, lv);
	EXPECT_EQ(v.decision, FRTP_D_DENY);
	EXPECT_EQ(rule_name(p, v.rule), "shadow");
	EXPECT_EQ(v.level, 0);
	EXPECT_EQ(evaluate(p, user_cat, FRTP_OP_WRITE, lv).decision, FRTP_D_DENY);
	// An operation the rule does not name is untouched.
	EXPECT_FALSE(evaluate(p, root_head, FRTP_OP_CHMOD, lv).decided);
}

TEST(Frtp, TreesCoverDescendantsAndNewNames)
{
	auto r = fs();
	auto p = compile(parse_policy(kPolicy, "p.yaml"), r);
	Subject u{1000, 1000, id(30), {}};
	// Exec of a file under /tmp, and of a name not created yet.
	EXPECT_EQ(evaluate(p, u, FRTP_OP_EXEC, levels(r, {"/tmp/x", "/tmp", "/"})).decision, FRTP_D_DENY);
	EXPECT_EQ(evaluate(p, u, FRTP_OP_EXEC, {std::nullopt, id(20), id(2)}).decision, FRTP_D_DENY);
	// The tree root itself is covered by a tree rule.
	EXPECT_EQ(evaluate(p, u, FRTP_OP_EXEC, levels(r, {"/tmp", "/"})).decision, FRTP_D_DENY);
	// An exact rule on a directory does not cover what is below it.
	auto p2 = compile(parse_policy("rules:\n  - name: d\n    objects: [/etc]\n    operations: all\n    action: deny\n",
				       "p.yaml"),
			  r);
	EXPECT_FALSE(evaluate(p2, u, FRTP_OP_READ, levels(r, {"/etc/hosts", "/etc", "/"})).decided);
	EXPECT_EQ(evaluate(p2, u, FRTP_OP_CHMOD, levels(r, {"/etc", "/"})).decision, FRTP_D_DENY);
}

TEST(Frtp, MostSpecificObjectWinsThenDenyAuditAllow)
{
	auto r = fs();
	auto p = compile(parse_policy(kPolicy, "p.yaml"), r);
	auto deep = levels(r, {"/srv/a/b/c", "/srv/a/b", "/srv/a", "/srv", "/"});
	Subject u1000{1000, 1000, {}, {}};
	Subject u1200{1200, 1200, {}, {}};
	Subject u3000{3000, 3000, {}, {}};
	// /srv/a/b (allow read) is deeper than /srv/a (deny all): allowed.
	auto v = evaluate(p, u1000, FRTP_OP_READ, deep);
	EXPECT_TRUE(v.decided);
	EXPECT_EQ(v.decision, FRTP_D_ALLOW);
	EXPECT_EQ(rule_name(p, v.rule), "srv-b-allow");
	EXPECT_EQ(v.level, 1);
	// Same level: audit beats allow.
	v = evaluate(p, u1200, FRTP_OP_READ, deep);
	EXPECT_EQ(v.decision, FRTP_D_AUDIT);
	EXPECT_EQ(rule_name(p, v.rule), "srv-b-audit");
	// Writes are not named at /srv/a/b: the deny at /srv/a decides.
	v = evaluate(p, u1000, FRTP_OP_WRITE, deep);
	EXPECT_EQ(v.decision, FRTP_D_DENY);
	EXPECT_EQ(rule_name(p, v.rule), "srv-tree");
	EXPECT_EQ(v.level, 2);
	// Outside the uid range: nothing applies.
	EXPECT_FALSE(evaluate(p, u3000, FRTP_OP_WRITE, deep).decided);
}

TEST(Frtp, UnitsAuditModeAndDefaultDeny)
{
	auto r = fs();
	auto p = compile(parse_policy(kPolicy, "p.yaml"), r);
	auto hosts = levels(r, {"/etc/hosts", "/etc", "/"});
	Subject sshd{0, 0, {}, {1, 5, 777}};
	Subject other{0, 0, {}, {1, 5, 778}};
	EXPECT_FALSE(evaluate(p, sshd, FRTP_OP_WRITE, hosts).decided);
	EXPECT_EQ(evaluate(p, other, FRTP_OP_WRITE, hosts).decision, FRTP_D_DENY);
	EXPECT_EQ(evaluate(p, other, FRTP_OP_READ, hosts).decision, FRTP_D_WOULD_DENY);

	auto pd = compile(parse_policy("default: deny\nrules:\n  - name: root-reads\n    objects: [/etc/shadow]\n"
				       "    operations: read\n    action: allow\n    subjects: {uid: 0}\n",
				       "p.yaml"),
			  r);
	auto shadow = levels(r, {"/etc/shadow", "/etc", "/"});
	EXPECT_EQ(evaluate(pd, Subject{0, 0, {}, {}}, FRTP_OP_READ, shadow).decision, FRTP_D_ALLOW);
	auto v = evaluate(pd, Subject{1000, 1000, {}, {}}, FRTP_OP_READ, shadow);
	EXPECT_EQ(v.decision, FRTP_D_DENY);
	EXPECT_EQ(v.rule, FRTP_RULE_DEFAULT);
	// Default deny only closes what the policy names.
	EXPECT_FALSE(evaluate(pd, Subject{1000, 1000, {}, {}}, FRTP_OP_READ, levels(r, {"/etc/hosts", "/etc", "/"}))
			     .decided);
}

TEST(Frtp, MissingExeNeverWidensAMatcher)
{
	auto r = fs();
	auto p = compile(parse_policy("rules:\n  - name: x\n    objects: [/etc/shadow]\n    operations: read\n"
				      "    action: deny\n    subjects: {exe: /usr/bin/nonexistent}\n",
				      "p.yaml"),
			 r);
	ASSERT_FALSE(p.warnings.empty());
	EXPECT_NE(p.warnings[0].find("matches nothing"), std::string::npos);
	EXPECT_FALSE(evaluate(p, Subject{0, 0, {}, {}}, FRTP_OP_READ, levels(r, {"/etc/shadow", "/etc", "/"})).decided);
	EXPECT_FALSE(evaluate(p, Subject{0, 0, id(30), {}}, FRTP_OP_READ, levels(r, {"/etc/shadow", "/etc", "/"})).decided);
}

TEST(Frtp, DepthOverflowFailsClosed)
{
	auto r = fs();
	auto p = compile(parse_policy(kPolicy, "p.yaml"), r);
	std::vector<std::optional<FileId>> deep(FRTP_DEPTH + 5, FileId{1, 999});
	auto v = evaluate(p, Subject{}, FRTP_OP_READ, deep);
	EXPECT_EQ(v.rule, FRTP_RULE_OVERFLOW);
	EXPECT_EQ(v.decision, FRTP_D_DENY);
	// More protected objects on one path than the kernel collects.
	std::string y = "rules:\n";
	std::vector<std::optional<FileId>> lv;
	for (int i = 0; i < FRTP_HITS + 1; i++) {
		std::string path = "/d" + std::to_string(i);
		r.files[path] = id(100 + i);
		lv.push_back(id(100 + i));
		y += "  - name: r" + std::to_string(i) + "\n    objects: [" + path + "/**]\n    operations: read\n    action: allow\n";
	}
	auto many = compile(parse_policy(y, "p.yaml"), r);
	EXPECT_EQ(evaluate(many, Subject{}, FRTP_OP_READ, lv).rule, FRTP_RULE_OVERFLOW);
	lv.pop_back();
	EXPECT_EQ(evaluate(many, Subject{}, FRTP_OP_READ, lv).decision, FRTP_D_ALLOW);
}

// The kernel walks the whole path before it looks at rules: a path deeper than
// FRTP_DEPTH fails closed even when a rule on the file itself would decide.
TEST(Frtp, DepthOverflowWinsOverADeeperRule)
{
	auto r = fs();
	auto spec = parse_policy("rules:\n  - name: c-allow\n    objects: [/srv/a/b/c]\n    operations: read\n"
				 "    action: allow\n",
				 "p.yaml");
	auto p = compile(spec, r);
	std::vector<std::optional<FileId>> lv{id(43)};
	while (lv.size() < FRTP_DEPTH)
		lv.push_back(FileId{1, 1000 + lv.size()});
	// Exactly FRTP_DEPTH levels, the root included: the walk ends in time.
	auto v = evaluate(p, Subject{}, FRTP_OP_READ, lv);
	EXPECT_EQ(v.rule, 0u);
	EXPECT_EQ(v.decision, FRTP_D_ALLOW);
	lv.push_back(FileId{1, 5000});
	v = evaluate(p, Subject{}, FRTP_OP_READ, lv);
	EXPECT_TRUE(v.decided);
	EXPECT_EQ(v.rule, FRTP_RULE_OVERFLOW);
	EXPECT_EQ(v.decision, FRTP_D_DENY);
	EXPECT_EQ(v.level, -1);
	// Even for an operation no rule names, and with the policy's mode.
	EXPECT_EQ(evaluate(p, Subject{}, FRTP_OP_CHMOD, lv).rule, FRTP_RULE_OVERFLOW);
	spec.mode = Mode::audit;
	auto pa = compile(spec, r);
	EXPECT_EQ(evaluate(pa, Subject{}, FRTP_OP_READ, lv).decision, FRTP_D_WOULD_DENY);
	// A name that does not exist yet (create) counts as a level too.
	std::vector<std::optional<FileId>> create(FRTP_DEPTH, FileId{1, 7});
	create[0] = std::nullopt;
	EXPECT_FALSE(evaluate(p, Subject{}, FRTP_OP_CREATE, create).decided);
	create.push_back(FileId{1, 8});
	EXPECT_EQ(evaluate(p, Subject{}, FRTP_OP_CREATE, create).rule, FRTP_RULE_OVERFLOW);
}

// A made-up filesystem for path_levels: /d/l is a symlink to /d/t, /s one to /d.
PathSystem fake_paths()
{
	static const std::map<std::string, std::string> links{{"/d/l", "/d/t"}, {"/s", "/d"}};
	static const std::map<std::string, uint64_t> inodes{{"/", 2}, {"/d", 52}, {"/d/l", 50}, {"/d/t", 51}, {"/s", 53}};
	PathSystem s;
	s.canonical = [](const std::string &path) {
		std::string out;
		std::string rest = path;
		// Resolve component by component (enough for these links).
		size_t pos = 1;
		while (pos <= rest.size()) {
			size_t end = rest.find('/', pos);
			if (end == std::string::npos)
				end = rest.size();
			out += "/" + rest.substr(pos, end - pos);
			if (auto it = links.find(out); it != links.end())
				out = it->second;
			pos = end + 1;
		}
		return out.empty() ? std::string("/") : out;
	};
	s.lstat = [](const std::string &path) -> std::optional<std::pair<FileId, uint64_t>> {
		auto it = inodes.find(path);
		if (it == inodes.end())
			return std::nullopt;
		return std::pair{id(it->second), uint64_t(1)};
	};
	return s;
}

TEST(Frtp, ExplainDoesNotFollowASymlinkTheOperationDoesNotFollow)
{
	EXPECT_TRUE(op_follows_link(FRTP_OP_READ));
	EXPECT_TRUE(op_follows_link(FRTP_OP_WRITE));
	EXPECT_TRUE(op_follows_link(FRTP_OP_EXEC));
	EXPECT_TRUE(op_follows_link(FRTP_OP_CHMOD));
	EXPECT_TRUE(op_follows_link(FRTP_OP_CHOWN));
	for (uint32_t op : {FRTP_OP_CREATE, FRTP_OP_UNLINK, FRTP_OP_RMDIR, FRTP_OP_MKDIR, FRTP_OP_RENAME, FRTP_OP_LINK})
		EXPECT_FALSE(op_follows_link(op)) << op_name(op);

	auto sys = fake_paths();
	std::vector<std::string> names;
	auto lv = path_levels("/d/l", &names, true, sys);
	EXPECT_EQ(lv, (std::vector<std::optional<FileId>>{id(51), id(52), id(2)}));
	EXPECT_EQ(names, (std::vector<std::string>{"/d/t", "/d", "/"}));
	names.clear();
	lv = path_levels("/d/l", &names, false, sys);
	EXPECT_EQ(lv, (std::vector<std::optional<FileId>>{id(50), id(52), id(2)}));
	EXPECT_EQ(names, (std::vector<std::string>{"/d/l", "/d", "/"}));
	// Symlinks in the directory part are followed either way.
	EXPECT_EQ(path_levels("/s/l", nullptr, false, sys), (std::vector<std::optional<FileId>>{id(50), id(52), id(2)}));
	EXPECT_EQ(path_levels("/s/l", nullptr, true, sys), (std::vector<std::optional<FileId>>{id(51), id(52), id(2)}));
	// A symlink to a directory, removed or renamed: the link, not the directory.
	EXPECT_EQ(path_levels("/s", nullptr, false, sys), (std::vector<std::optional<FileId>>{id(53), id(2)}));
	// A name that does not exist yet.
	EXPECT_EQ(path_levels("/s/new", nullptr, false, sys), (std::vector<std::optional<FileId>>{std::nullopt, id(52), id(2)}));

	// unlink of the link is decided on the link: a rule on its target does not apply.
	FakeResolver r;
	r.files = {{"/", id(2)}, {"/d", id(52)}, {"/d/t", id(51)}, {"/d/l", id(51)}};
	auto p = compile(parse_policy("rules:\n  - name: t\n    objects: [/d/t]\n    operations: [unlink, chown]\n"
				      "    action: deny\n",
				      "p.yaml"),
			 r);
	EXPECT_FALSE(evaluate(p, Subject{}, FRTP_OP_UNLINK, path_levels("/d/l", nullptr, false, sys)).decided);
	EXPECT_EQ(evaluate(p, Subject{}, FRTP_OP_UNLINK, path_levels("/d/t", nullptr, false, sys)).decision,
		  FRTP_D_DENY);
	// chown(2) follows, lchown(2) (explain --no-follow) does not.
	EXPECT_EQ(evaluate(p, Subject{}, FRTP_OP_CHOWN, path_levels("/d/l", nullptr, true, sys)).decision, FRTP_D_DENY);
	EXPECT_FALSE(evaluate(p, Subject{}, FRTP_OP_CHOWN, path_levels("/d/l", nullptr, false, sys)).decided);
}

TEST(Frtp, UnitMatchersSeeTheCgroupAncestors)
{
	std::map<std::string, uint64_t> cg{{"/fxs.slice", 800}, {"/fxs.slice/fxu1.service", 900},
					   {"/a", 1}, {"/a/b", 2}, {"/a/b/c", 3}, {"/a/b/c/d", 4}, {"/a/b/c/d/e", 5},
					   {"/a/b/c/d/e/f", 6}, {"/a/b/c/d/e/f/g", 7}, {"/a/b/c/d/e/f/g/h", 8}};
	auto id_of = [&](const std::string &p) {
		auto it = cg.find(p);
		return it == cg.end() ? uint64_t(0) : it->second;
	};
	EXPECT_EQ(cgroup_ids(900, "/fxs.slice/fxu1.service", id_of), (std::vector<uint64_t>{900, 800}));
	EXPECT_EQ(cgroup_ids(800, "/fxs.slice", id_of), (std::vector<uint64_t>{800}));
	// Ancestors at depth 1..FRTP_CGROUP_LEVELS only, as the kernel checks them.
	EXPECT_EQ(cgroup_ids(8, "/a/b/c/d/e/f/g/h", id_of), (std::vector<uint64_t>{8, 1, 2, 3, 4, 5, 6}));
	EXPECT_EQ(cgroup_ids(900, "", id_of), (std::vector<uint64_t>{900}));

	auto r = fs();
	r.units = {{"fxs.slice", 800}, {"fxu1.service", 900}};
	auto p = compile(parse_policy("rules:\n  - name: slice\n    objects: [/etc/hosts]\n    operations: read\n"
				      "    action: deny\n    subjects: {unit: fxs.slice}\n",
				      "p.yaml"),
			 r);
	auto hosts = levels(r, {"/etc/hosts", "/etc", "/"});
	Subject in_unit{1000, 1000, {}, cgroup_ids(900, "/fxs.slice/fxu1.service", id_of)};
	EXPECT_EQ(evaluate(p, in_unit, FRTP_OP_READ, hosts).decision, FRTP_D_DENY);
	Subject elsewhere{1000, 1000, {}, {901}};
	EXPECT_FALSE(evaluate(p, elsewhere, FRTP_OP_READ, hosts).decided);
}

TEST(Frtp, ObjectMapsAsDocumented)
{
	auto spec = parse_policy("rules:\n  - name: a\n    objects:\n      - {tree: /srv/a}\n      - {file: /etc/shadow}\n"
				 "      - tree: /tmp/\n      - /etc/hosts\n    operations: read\n    action: deny\n"
				 "  - name: b\n    objects: {tree: /srv/a/b}\n    operations: read\n    action: allow\n",
				 "p.yaml");
	ASSERT_EQ(spec.rules[0].objects.size(), 4u);
	EXPECT_TRUE(spec.rules[0].objects[0].tree);
	EXPECT_EQ(spec.rules[0].objects[0].path, "/srv/a");
	EXPECT_FALSE(spec.rules[0].objects[1].tree);
	EXPECT_EQ(spec.rules[0].objects[1].path, "/etc/shadow");
	EXPECT_TRUE(spec.rules[0].objects[2].tree);
	EXPECT_EQ(spec.rules[0].objects[2].path, "/tmp");
	EXPECT_FALSE(spec.rules[0].objects[3].tree);
	ASSERT_EQ(spec.rules[1].objects.size(), 1u);
	EXPECT_TRUE(spec.rules[1].objects[0].tree);
	EXPECT_EQ(spec.rules[1].objects[0].path, "/srv/a/b");
	auto r = fs();
	auto p = compile(spec, r);
	EXPECT_EQ(p.objects.at(id(41)).refs[0].flags, FRTP_REF_TREE);
	EXPECT_EQ(p.objects.at(id(11)).refs[0].flags, FRTP_REF_EXACT);
	EXPECT_EQ(p.objects.at(id(20)).refs[0].flags, FRTP_REF_TREE);

	auto bad = [](const std::string &objects) {
		return config_error([&] {
			parse_policy("rules:\n  - name: a\n    objects:\n" + objects + "    operations: read\n    action: deny\n",
				     "bad.yaml");
		});
	};
	auto e = bad("      - /x\n      - {tre: /srv}\n");
	EXPECT_EQ(e.file(), "bad.yaml");
	EXPECT_EQ(e.line(), 5);
	EXPECT_EQ(e.column(), 10);
	EXPECT_NE(std::string(e.what()).find("tre"), std::string::npos) << e.what();
	e = bad("      - {file: /x, tree: /y}\n");
	EXPECT_EQ(e.line(), 4);
	EXPECT_EQ(e.column(), 9);
	EXPECT_NE(std::string(e.what()).find("either a file or a tree"), std::string::npos) << e.what();
	e = bad("      - {}\n");
	EXPECT_EQ(e.line(), 4);
	EXPECT_NE(std::string(e.what()).find("no file or tree"), std::string::npos) << e.what();
	e = bad("      - {tree: [/a, /b]}\n");
	EXPECT_EQ(e.line(), 4);
	EXPECT_NE(std::string(e.what()).find("one path"), std::string::npos) << e.what();
	e = bad("      - {file: x}\n");
	EXPECT_EQ(e.line(), 4);
	EXPECT_EQ(e.column(), 16);
	EXPECT_NE(std::string(e.what()).find("absolute path"), std::string::npos) << e.what();
	e = bad("      - [/a, /b]\n");
	EXPECT_EQ(e.line(), 4);
	EXPECT_NE(std::string(e.what()).find("a path or a map"), std::string::npos) << e.what();
}

static void expect_error(const std::string &yaml, int line, const std::string &needle)
{
	try {
		parse_policy(yaml, "bad.yaml");
		ADD_FAILURE() << "no error for:\n" << yaml;
	} catch (const ConfigError &e) {
		EXPECT_EQ(e.line(), line) << e.what();
		EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
		EXPECT_EQ(e.exit_code(), 3);
	}
}

TEST(Frtp, ErrorsNameTheSpotAndTheFix)
{
	expect_error("rules:\n  - name: a\n    objects: [/x]\n    operations: [raed]\n    action: deny\n", 4,
		     "did you mean 'read'");
	expect_error("rules:\n  - name: a\n    objects: [x]\n    operations: read\n    action: deny\n", 3,
		     "absolute path");
	expect_error("rules:\n  - name: a\n    objects: [/x/*.conf]\n    operations: read\n    action: deny\n", 3,
		     "only a trailing /**");
	expect_error("rules:\n  - name: a\n    objects: [/x]\n    operations: read\n    action: block\n", 5, "action");
	expect_error("rules:\n  - name: a\n    objects: [/x]\n    operations: read\n    action: deny\n"
		     "    subjects: {uid: 5-1}\n",
		     6, "backwards");
	expect_error("rules:\n  - name: a\n    objects: [/x]\n    operations: read\n    action: deny\n"
		     "  - name: a\n    objects: [/y]\n    operations: read\n    action: deny\n",
		     6, "used twice");
	expect_error("rules:\n  - name: a\n    objects: [/x]\n    operations: read\n    action: deny\n    subjcts: {}\n",
		     6, "unknown key");
	expect_error("mode: strict\nrules: []\n", 1, "mode");
	expect_error("rules:\n  - name: a\n    objects: [/x]\n    operations: read\n", 2, "no action");
}

TEST(Frtp, RecordsCarryTheVocabulary)
{
	auto r = fs();
	auto p = compile(parse_policy(kPolicy, "p.yaml"), r);
	auto ev = std::make_unique<frtp_event>();
	std::memset(ev.get(), 0, sizeof(*ev));
	ev->subject.pid = 4242;
	ev->subject.uid = 1000;
	std::strcpy(ev->subject.comm, "head");
	ev->rule = 0;
	ev->op = FRTP_OP_READ;
	ev->decision = FRTP_D_DENY;
	ev->action = FRTP_DENY;
	const char path[] = "shadow\0etc\0";
	std::memcpy(ev->path.buf, path, sizeof(path) - 1);
	ev->path.len = sizeof(path) - 1;
	const char exe[] = "head\0bin\0usr\0";
	std::memcpy(ev->exe.buf, exe, sizeof(exe) - 1);
	ev->exe.len = sizeof(exe) - 1;
	auto d = decode_event(*ev, &p);
	EXPECT_EQ(d.rule_name, "shadow");
	EXPECT_EQ(d.path, "/etc/shadow");
	auto rec = decision_record(d, 0, "bash(1) > head(4242)");
	EXPECT_EQ(rec.message_id, kDenyMessageId);
	EXPECT_EQ(std::get<std::string>(*rec.get("rule")), "shadow");
	EXPECT_EQ(std::get<std::string>(*rec.get("operation")), "read");
	EXPECT_EQ(std::get<std::string>(*rec.get("decision")), "deny");
	EXPECT_EQ(std::get<std::string>(*rec.get("subject_exe")), "/usr/bin/head");
	EXPECT_NE(rec.message.find("denied read /etc/shadow"), std::string::npos);
	ev->decision = FRTP_D_WOULD_DENY;
	ev->mode = KW_MODE_AUDIT;
	EXPECT_EQ(decision_record(decode_event(*ev, &p), 0, "").message_id, kWouldDenyMessageId);
	ev->rule = FRTP_RULE_DEFAULT;
	EXPECT_EQ(decode_event(*ev, nullptr).rule_name, "(default)");
}

// Found by fuzzing: a decision byte outside enum frtp_decision became an
// invalid enum value (undefined behaviour).
TEST(Frtp, AnUnknownDecisionIsLoggedAsAnAudit)
{
	auto ev = std::make_unique<frtp_event>();
	std::memset(ev.get(), 0, sizeof(*ev));
	ev->decision = 115;
	auto d = decode_event(*ev, nullptr);
	EXPECT_EQ(d.decision, FRTP_D_AUDIT);
	auto rec = decision_record(d, 0, "");
	EXPECT_EQ(rec.message_id, kAuditMessageId);
	EXPECT_EQ(std::get<std::string>(*rec.get("decision")), "audit");
}

TEST(Frtp, OperationNames)
{
	EXPECT_EQ(parse_op("rename"), uint32_t(FRTP_OP_RENAME));
	EXPECT_EQ(parse_op("all"), uint32_t(FRTP_OP_ALL));
	EXPECT_FALSE(parse_op("delete"));
	EXPECT_EQ(ops_text(FRTP_OP_READ | FRTP_OP_CHOWN), "read,chown");
	EXPECT_EQ(op_name(FRTP_OP_EXEC), "exec");
}

// A rule around `body` (indented four spaces), for the invalid-input tests.
static std::string rule_with(const std::string &body)
{
	return "rules:\n  - name: a\n    objects: [/etc/shadow]\n    operations: read\n" + body;
}

TEST(Frtp, RepeatedKeysAreRefusedNotFirstWins)
{
	// The stricter line below must not silently lose to the looser one above.
	expect_error(rule_with("    action: allow\n    action: deny\n"), 6, "key 'action' is repeated: line 5 already sets it");
	expect_error(rule_with("    action: deny\n    subjects: {uid: 0, uid: 1000}\n"), 6, "key 'uid' is repeated");
	expect_error("mode: audit\nmode: enforce\nrules: []\n", 2, "key 'mode' is repeated");
}

TEST(Frtp, IdsAreDecimalNumbersRangesOrNames)
{
	auto subjects = [](const std::string &v) { return rule_with("    action: deny\n    subjects: {" + v + "}\n"); };
	expect_error(subjects("uid: 99999999999999999999"), 6, "uid must be between 0 and 4294967294");
	expect_error(subjects("uid: 4294967295"), 6, "uid must be between 0 and 4294967294");
	expect_error(subjects("uid: 0777"), 6, "without a leading zero");
	expect_error(subjects("uid: 09"), 6, "without a leading zero");
	expect_error(subjects("gid: 0x10"), 6, "gid must be a decimal number");
	expect_error(subjects("uid: 1000-0999"), 6, "without a leading zero");
	expect_error(subjects("uid: 2000-1000"), 6, "runs backwards");
	expect_error(subjects("uid: nosuchuser-kw"), 6, "unknown user 'nosuchuser-kw'");
	auto spec = parse_policy(subjects("uid: [0, 1000-1999, root], gid: 4294967294"), "ok.yaml");
	auto &m = spec.rules[0].subjects[0];
	ASSERT_EQ(m.uids.size(), 3u);
	EXPECT_EQ(m.uids[1].lo, 1000u);
	EXPECT_EQ(m.uids[1].hi, 1999u);
	EXPECT_EQ(m.uids[2].lo, 0u); // root
	EXPECT_EQ(m.gids[0].lo, 4294967294u);
	EXPECT_EQ(m.at.line, 6);
}

TEST(Frtp, NamesAndPathsHoldNoControlCharactersAndFitTheKernel)
{
	// "/etc/shadow\0x" used to protect /etc/shadow: the NUL cut it short.
	expect_error("rules:\n  - name: a\n    objects: [\"/etc/shadow\\0x\"]\n    operations: read\n    action: deny\n", 3,
		     "holds a control character (byte 0x00)");
	expect_error("rules:\n  - name: a\n    objects: [{tree: \"/srv\\n\"}]\n    operations: read\n    action: deny\n", 3,
		     "control character");
	expect_error(rule_with("    action: deny\n    subjects: {exe: \"/usr/bin/cat\\t\"}\n"), 6, "control character");
	expect_error(rule_with("    action: deny\n    subjects: {unit: \"ssh\\0.service\"}\n"), 6, "control character");
	expect_error("rules:\n  - name: \"a\\tb\"\n    objects: [/x]\n    operations: read\n    action: deny\n", 2,
		     "control character");
	expect_error("rules:\n  - name: a\n    objects: [/" + std::string(256, 'x') + "]\n    operations: read\n"
		     "    action: deny\n",
		     3, "NAME_MAX");
	expect_error("rules:\n  - name: " + std::string(256, 'n') + "\n    objects: [/x]\n    operations: read\n"
		     "    action: deny\n",
		     2, "rule name is 256 bytes long; at most 255");
	expect_error(rule_with("    action: deny\n    subjects: {unit: sshd}\n"), 6, "not a systemd unit name");
}

TEST(Frtp, TooManyRulesAreRefusedBeforeTheyAreRead)
{
	std::string text = "rules:\n";
	for (int i = 0; i <= FRTP_RULES_MAX; i++)
		text += "  - {}\n";
	expect_error(text, 2, fmt::format("{} rules; at most {} fit", FRTP_RULES_MAX + 1, FRTP_RULES_MAX));
}

namespace {

// Every path under /many/ exists, each its own inode.
class ManyFiles : public FakeResolver {
public:
	std::map<std::string, uint64_t> inodes;
	std::optional<FileId> stat(const std::string &p) override
	{
		if (p == "/many")
			return id(5);
		if (p.starts_with("/many/"))
			return id(inodes.emplace(p, 1000 + inodes.size()).first->second);
		return FakeResolver::stat(p);
	}
};

RuleSpec deny_rule(const std::string &name, int line)
{
	RuleSpec r;
	r.name = name;
	r.line = line;
	r.ops = FRTP_OP_READ;
	return r;
}

} // namespace

TEST(Frtp, CompileErrorsNameTheirPlace)
{
	// 1,025 rules of two distinct matchers each: the 2,049th is one too many.
	std::string text = "rules:\n";
	for (int i = 0; i < 1025; i++)
		text += fmt::format("  - {{name: r{}, objects: /nx/{}, operations: read, action: deny, subjects: [{{uid: {}}}, "
				    "{{uid: {}}}]}}\n",
				    i, i, 2 * i, 2 * i + 1);
	auto r = fs();
	auto e = config_error([&] { compile(parse_policy(text, "m.yaml"), r); });
	EXPECT_EQ(e.file(), "m.yaml");
	EXPECT_EQ(e.line(), 1026);
	EXPECT_GT(e.column(), 80);
	EXPECT_NE(std::string(e.what()).find("more than 2048 distinct subject matchers"), std::string::npos) << e.what();

	// Nine rules on one file: the ninth is refused where it names it.
	text = "rules:\n";
	for (int i = 0; i < 9; i++)
		text += fmt::format("  - {{name: r{}, objects: [/etc/hosts], operations: read, action: deny}}\n", i);
	e = config_error([&] { compile(parse_policy(text, "refs.yaml"), r); });
	EXPECT_EQ(e.line(), 10);
	EXPECT_EQ(e.column(), 26);
	EXPECT_NE(std::string(e.what()).find("more than 8 rules name /etc/hosts"), std::string::npos) << e.what();
}

TEST(Frtp, PoliciesLargerThanTheMapsAreRefusedWhenCompiled)
{
	// Both generations share the maps during a reload: a policy gets half.
	ManyFiles r;
	// Each exact file is an object and a bound name: 10,000 of them fit
	// (the benchmark's largest policy), one more than objects do not.
	PolicySpec names;
	names.file = "names.yaml";
	names.rules.push_back(deny_rule("files", 2));
	for (int i = 0; i < 10000; i++)
		names.rules[0].objects.push_back({fmt::format("/many/f{}", i), false, {3 + i, 7}});
	EXPECT_EQ(compile(names, r).names.size(), 10000u);
	for (int i = 10000; i <= FRTP_OBJECTS_MAX / KW_GENS; i++)
		names.rules[0].objects.push_back({fmt::format("/many/f{}", i), false, {3 + i, 7}});
	auto e = config_error([&] { compile(names, r); });
	EXPECT_EQ(e.line(), 3 + FRTP_OBJECTS_MAX / KW_GENS);
	EXPECT_NE(std::string(e.what()).find(fmt::format("more than {}", FRTP_OBJECTS_MAX / KW_GENS)), std::string::npos)
		<< e.what();

	PolicySpec trees;
	trees.file = "trees.yaml";
	trees.rules.push_back(deny_rule("trees", 2));
	for (int i = 0; i <= FRTP_OBJECTS_MAX / KW_GENS; i++)
		trees.rules[0].objects.push_back({fmt::format("/many/t{}", i), true, {3 + i, 7}});
	e = config_error([&] { compile(trees, r); });
	EXPECT_NE(std::string(e.what()).find(fmt::format("more than {} objects", FRTP_OBJECTS_MAX / KW_GENS)),
		  std::string::npos)
		<< e.what();
	trees.rules[0].objects.pop_back();
	EXPECT_EQ(compile(trees, r).objects.size(), size_t(FRTP_OBJECTS_MAX / KW_GENS));
}

TEST(Frtp, ObjectsListedByAllRulesAreBounded)
{
	// An alias lists 1,000 objects for each rule in a few bytes; each listing
	// costs lookups when compiling, so their total is bounded.
	std::string text = "rules:\n  - {name: r0, objects: &o [";
	for (int i = 0; i < 1000; i++)
		text += fmt::format("{}/nx/{}", i ? ", " : "", i);
	text += "], operations: read, action: deny}\n";
	for (int i = 1; i <= FRTP_OBJECTS_MAX / 1000; i++)
		text += fmt::format("  - {{name: r{}, objects: *o, operations: read, action: deny}}\n", i);
	ASSERT_LT(text.size(), 100000u);
	expect_error(text, 2 + FRTP_OBJECTS_MAX / 1000,
		     fmt::format("the rules list more than {} objects together", FRTP_OBJECTS_MAX));
}

// issue 10: what the kernel needs to decide on one object whatever reaches it.

TEST(FrtpIdentity, DisconnectedDentriesGetTheStrictestTreeOutcomePerFilesystem)
{
	auto r = fs();
	auto p = compile(parse_policy(kPolicy, "t.yaml"), r);
	ASSERT_EQ(p.dev_ops.size(), 1u);
	const auto &d = p.dev_ops.at(id(2).dev);
	EXPECT_EQ(d.deny_ops, uint32_t(FRTP_OP_ALL)); // srv-tree denies all (for some uids), tmp-noexec exec
	EXPECT_EQ(d.would_ops, 0u);
	EXPECT_EQ(d.audit_ops, uint32_t(FRTP_OP_READ)); // srv-b-audit
	// Exact rules (shadow, hosts) say nothing about a file of unknown place.
	auto q = compile(parse_policy("rules:\n  - name: x\n    objects: [/etc/shadow]\n    operations: read\n    action: deny\n", "q.yaml"),
			 r);
	EXPECT_TRUE(q.dev_ops.empty());
	// A deny in audit mode would deny; an allow tree rule under default: deny denies.
	auto a = compile(parse_policy("default: deny\nrules:\n  - name: x\n    objects: [/srv/a/**]\n"
				      "    operations: read\n    action: allow\n  - name: y\n    objects: [/tmp/**]\n"
				      "    operations: write\n    action: deny\n    mode: audit\n",
				      "a.yaml"),
			 r);
	EXPECT_EQ(a.dev_ops.at(id(2).dev).deny_ops, uint32_t(FRTP_OP_READ | FRTP_OP_WRITE));
	EXPECT_EQ(a.dev_ops.at(id(2).dev).would_ops, uint32_t(FRTP_OP_WRITE));
}

TEST(FrtpIdentity, SpecialRulesHaveNames)
{
	auto r = fs();
	auto p = compile(parse_policy(kPolicy, "t.yaml"), r);
	EXPECT_EQ(rule_name(p, FRTP_RULE_DISCONNECTED), "(disconnected)");
	EXPECT_EQ(rule_name(p, FRTP_RULE_NO_ROOM), "(no-room)");
	frtp_event e;
	std::memset(&e, 0, sizeof(e));
	e.rule = FRTP_RULE_NO_ROOM;
	EXPECT_EQ(decode_event(e, nullptr).rule_name, "(no-room)");
}

TEST(FrtpIdentity, MissingObjectWarningsAreWholeSentences)
{
	auto r = fs();
	auto p = compile(parse_policy("rules:\n  - name: x\n    objects: [/etc/gone, /nodir/gone, /srv/none/**]\n"
				      "    operations: read\n    action: deny\n",
				      "w.yaml"),
			 r);
	ASSERT_EQ(p.warnings.size(), 3u);
	EXPECT_EQ(p.warnings[0], "rule 'x': /etc/gone does not exist; creating it (or renaming or linking a file to "
				 "that name) is decided by the rule as an operation on it, and a file created under that "
				 "name is covered from the moment it is created");
	EXPECT_NE(p.warnings[1].find("nor does its directory; nothing is protected until a reload"), std::string::npos);
	EXPECT_EQ(p.warnings[2], "rule 'x': /srv/none does not exist; the tree is not protected");
}

TEST(FrtpIdentity, TreeMembersWithSeveralNamesAreFoundWithTheirChain)
{
	namespace fs = std::filesystem;
	auto dir = fs::temp_directory_path() / fmt::format("frtp-members-{}", getpid());
	fs::remove_all(dir);
	fs::create_directories(dir / "t/sub/deeper");
	fs::create_directories(dir / "out");
	auto touch = [](const fs::path &f) { std::ofstream(f) << "x"; };
	touch(dir / "t/one");		// one name: not a member
	touch(dir / "t/linked");	// a second name outside
	touch(dir / "t/sub/deeper/f"); // nested trees: both on its chain
	touch(dir / "out/plain");
	fs::create_hard_link(dir / "t/linked", dir / "out/l1");
	fs::create_hard_link(dir / "t/sub/deeper/f", dir / "out/l2");
	fs::create_hard_link(dir / "out/plain", dir / "out/plain2"); // outside every tree
	SystemResolver sys;
	auto text = fmt::format("rules:\n  - name: t\n    objects: [{0}/t/**]\n    operations: read\n    action: deny\n"
				"  - name: s\n    objects: [{0}/t/sub/**]\n    operations: write\n    action: deny\n",
				dir.string());
	auto p = compile(parse_policy(text, "m.yaml"), sys);
	size_t unreadable = 9;
	auto scan = scan_members(p, &unreadable);
	EXPECT_EQ(unreadable, 0u);
	auto fid = [](const fs::path &f) { return *stat_file_id(f.string()); };
	ASSERT_EQ(scan.members.size(), 2u);
	EXPECT_EQ(scan.members.at(fid(dir / "t/linked")), std::vector<FileId>{fid(dir / "t")});
	EXPECT_EQ(scan.members.at(fid(dir / "t/sub/deeper/f")), (std::vector<FileId>{fid(dir / "t/sub"), fid(dir / "t")}));
	EXPECT_EQ(scan.files, 5u); // one, linked, sub, deeper, f
	auto m = member_value(scan.members.at(fid(dir / "t/sub/deeper/f")));
	EXPECT_EQ(m.n, 2u);
	EXPECT_EQ(m.ino[0], fid(dir / "t/sub").ino);
	// A chain longer than the kernel walks is marked so that it fails closed.
	std::vector<FileId> longchain(FRTP_HITS + 3, fid(dir / "t"));
	EXPECT_EQ(member_value(std::vector<FileId>(longchain.begin(), longchain.begin() + FRTP_HITS + 1)).n,
		  uint32_t(FRTP_HITS + 1));
	fs::remove_all(dir);
}

TEST(FrtpIdentity, AFileUnderTwoDifferentChainsFailsClosed)
{
	namespace fs = std::filesystem;
	auto dir = fs::temp_directory_path() / fmt::format("frtp-members2-{}", getpid());
	fs::remove_all(dir);
	fs::create_directories(dir / "a");
	fs::create_directories(dir / "b");
	std::ofstream(dir / "a/f") << "x";
	fs::create_hard_link(dir / "a/f", dir / "b/f");
	SystemResolver sys;
	auto text = fmt::format("rules:\n  - name: a\n    objects: [{0}/a/**, {0}/b/**]\n    operations: read\n"
				"    action: deny\n",
				dir.string());
	auto scan = scan_members(compile(parse_policy(text, "m.yaml"), sys));
	EXPECT_EQ(scan.conflicts, 1u);
	ASSERT_EQ(scan.members.size(), 1u);
	EXPECT_EQ(member_value(scan.members.begin()->second).n, uint32_t(FRTP_HITS + 1));
	fs::remove_all(dir);
}

Subject as_uid(uint32_t uid)
{
	Subject s;
	s.uid = s.gid = uid;
	return s;
}

TEST(FrtpIdentity, ExplainEvaluatesAMembersInTreeChainAndKeepsTheStricterOutcome)
{
	// /srv/a/** denies read to everyone but uid 0; the file /tmp/x is a
	// hardlink of a file below /srv/a/b: its in-tree chain is [/srv/a/b, /srv/a].
	auto r = fs();
	auto p = compile(parse_policy("rules:\n  - name: t\n    objects: [/srv/a/**]\n    operations: read\n"
				      "    action: deny\n    except: {uid: 0}\n"
				      "  - name: tmp\n    objects: [/tmp/**]\n    operations: read\n    action: audit\n",
				      "m.yaml"),
			 r);
	auto lv = levels(r, {"/tmp/x", "/tmp", "/"});
	std::vector<FileId> chain{id(41)}; // objects only: /srv/a/b is none
	TargetExtra extra;
	extra.member = &chain;
	// By its own path: audit. Its in-tree chain: deny, the stricter.
	EXPECT_EQ(evaluate(p, as_uid(1000), FRTP_OP_READ, lv).decision, FRTP_D_AUDIT);
	auto v = evaluate(p, as_uid(1000), FRTP_OP_READ, lv, {}, extra);
	EXPECT_EQ(v.decision, FRTP_D_DENY);
	EXPECT_EQ(v.rule, 0u);
	EXPECT_EQ(v.level, 1);
	// uid 0 is excepted in the tree: the audit of the name used holds.
	v = evaluate(p, as_uid(0), FRTP_OP_READ, lv, {}, extra);
	EXPECT_EQ(v.decision, FRTP_D_AUDIT);
	EXPECT_EQ(v.rule, 1u);
	// Names under two different chains: fail closed.
	std::vector<FileId> conflict(FRTP_HITS + 1, id(41));
	extra.member = &conflict;
	v = evaluate(p, as_uid(0), FRTP_OP_CHMOD, lv, {}, extra);
	EXPECT_EQ(v.rule, FRTP_RULE_OVERFLOW);
	EXPECT_EQ(v.decision, FRTP_D_DENY);
}

TEST(FrtpIdentity, ExplainDecidesCreatingANameAnExactObjectBinds)
{
	auto r = fs();
	auto p = compile(parse_policy("rules:\n  - name: preload\n    objects: [/etc/ld.so.preload]\n"
				      "    operations: [create, write, rename]\n    action: deny\n    except: {uid: 0}\n",
				      "n.yaml"),
			 r);
	auto it = p.names.find({id(10), "ld.so.preload"});
	ASSERT_NE(it, p.names.end());
	TargetExtra extra;
	extra.name = &it->second;
	std::vector<std::optional<FileId>> lv{std::nullopt, id(10), id(2)};
	auto v = evaluate(p, as_uid(1000), FRTP_OP_CREATE, lv, {}, extra);
	EXPECT_EQ(v.decision, FRTP_D_DENY);
	EXPECT_EQ(v.level, 0);
	EXPECT_EQ(evaluate(p, as_uid(1000), FRTP_OP_RENAME, lv, {}, extra).decision, FRTP_D_DENY);
	EXPECT_FALSE(evaluate(p, as_uid(0), FRTP_OP_CREATE, lv, {}, extra).decided);
	// An operation the rule does not name, and the binding without extra: nothing.
	EXPECT_FALSE(evaluate(p, as_uid(1000), FRTP_OP_MKDIR, lv, {}, extra).decided);
	EXPECT_FALSE(evaluate(p, as_uid(1000), FRTP_OP_CREATE, lv).decided);
}
