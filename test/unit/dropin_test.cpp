// A rules file and its drop-ins (docs/drop-ins.md): which files count, the
// order they merge in, settings written twice, rule names across files,
// where errors point, and the hash an operator reproduces with sha256sum.
#include "config_error.h"
#include "frtp_policy.h"
#include "net_filter_spec.h"
#include "policy_source.h"
#include "rm_forbid_policy.h"

#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <gtest/gtest.h>

using namespace kw;
namespace fs = std::filesystem;

namespace {

// /tmp/kw_dropin_XXXXXX/frtp.yaml and frtp.d/, removed at the end.
class Tree {
public:
	Tree()
	{
		char tmpl[] = "/tmp/kw_dropin_XXXXXX";
		dir_ = mkdtemp(tmpl);
		fs::create_directory(dir_ + "/frtp.d");
	}
	~Tree() { fs::remove_all(dir_); }
	std::string put(const std::string &rel, const std::string &text) const
	{
		std::ofstream(dir_ + "/" + rel) << text;
		return dir_ + "/" + rel;
	}
	std::string main() const { return dir_ + "/frtp.yaml"; }
	std::string path(const std::string &rel) const { return dir_ + "/" + rel; }

private:
	std::string dir_;
};

std::string deny_rule(const std::string &name, const std::string &path)
{
	return "  - name: " + name + "\n    objects: " + path + "\n    operations: read\n    action: deny\n";
}

std::vector<std::string> rule_names(const frtp::PolicySpec &p)
{
	std::vector<std::string> v;
	for (auto &r : p.rules)
		v.push_back(r.name);
	return v;
}

} // namespace

TEST(DropIns, DirectoryIsNamedAfterTheRulesFile)
{
	EXPECT_EQ(dropin_dir("/etc/kwarden/frtp.yaml"), "/etc/kwarden/frtp.d");
	EXPECT_EQ(dropin_dir("p.yml"), "p.d");
	EXPECT_EQ(dropin_dir("/etc/rules"), "/etc/rules.d");
}

TEST(DropIns, MergedAfterTheRulesFileInByteOrderOfTheirNames)
{
	Tree t;
	t.put("frtp.yaml", "mode: enforce\nrules:\n" + deny_rule("main", "/etc/shadow"));
	t.put("frtp.d/20-b.yaml", "rules:\n" + deny_rule("b", "/etc/b"));
	t.put("frtp.d/10-a.yaml", "rules:\n" + deny_rule("a", "/etc/a"));
	t.put("frtp.d/a-lower.yaml", "rules:\n" + deny_rule("lower", "/etc/l"));
	t.put("frtp.d/Z-upper.yaml", "rules:\n" + deny_rule("upper", "/etc/u")); // 'Z' < 'a' in bytes
	// Left out: not NAME.yaml, or hidden.
	for (auto n : {"30-c.yaml.dpkg-old", "30-c.yaml.dpkg-dist", "30-c.yaml~", ".30-c.yaml.swp", ".hidden.yaml",
		       "README", "30-c.yml", ".yaml"})
		t.put(std::string("frtp.d/") + n, "this: [is not yaml");
	auto src = PolicySource::read(t.main());
	ASSERT_EQ(src.files.size(), 5u);
	EXPECT_EQ(src.files[1].name, "frtp.d/10-a.yaml");
	EXPECT_EQ(src.dropin_names(), "frtp.d/10-a.yaml frtp.d/20-b.yaml frtp.d/Z-upper.yaml frtp.d/a-lower.yaml");
	auto p = frtp::parse_policy(src);
	EXPECT_EQ(rule_names(p), (std::vector<std::string>{"main", "a", "b", "upper", "lower"}));
	EXPECT_EQ(p.rules[1].file, t.path("frtp.d/10-a.yaml"));
	EXPECT_EQ(p.rules[1].line, 2);
	EXPECT_EQ(p.rules[0].file, t.main());
	// explain reads the same set.
	EXPECT_EQ(frtp::load_policy(t.main()).rules.size(), 5u);
}

TEST(DropIns, ARulesFileWithoutDropInsReadsAsBefore)
{
	Tree t;
	fs::remove(t.path("frtp.d"));
	std::string text = "rules:\n" + deny_rule("main", "/etc/shadow");
	t.put("frtp.yaml", text);
	auto src = PolicySource::read(t.main());
	EXPECT_FALSE(src.has_dropins());
	EXPECT_EQ(src.sha256, sha256_hex(text)); // sha256sum frtp.yaml
	EXPECT_NE(src.describe().find("no drop-ins"), std::string::npos);
}

TEST(DropIns, HashCoversEveryFileAsSha256sumListsThem)
{
	Tree t;
	std::string m = "rules:\n" + deny_rule("main", "/etc/shadow"), a = "rules:\n" + deny_rule("a", "/etc/a");
	t.put("frtp.yaml", m);
	t.put("frtp.d/10-a.yaml", a);
	auto src = PolicySource::read(t.main());
	// cd DIR && sha256sum frtp.yaml frtp.d/10-a.yaml | sha256sum
	std::string listing = sha256_hex(m) + "  frtp.yaml\n" + sha256_hex(a) + "  frtp.d/10-a.yaml\n";
	EXPECT_EQ(src.manifest(), listing);
	EXPECT_EQ(src.sha256, sha256_hex(listing));
	EXPECT_NE(src.describe().find("sha256sum frtp.yaml frtp.d/10-a.yaml | sha256sum"), std::string::npos)
		<< src.describe();
	// A changed, added or renamed drop-in changes it; removing the last
	// one gives the rules file's own hash back.
	t.put("frtp.d/10-a.yaml", a + "# changed\n");
	auto changed = PolicySource::read(t.main()).sha256;
	EXPECT_NE(changed, src.sha256);
	fs::rename(t.path("frtp.d/10-a.yaml"), t.path("frtp.d/11-a.yaml"));
	EXPECT_NE(PolicySource::read(t.main()).sha256, changed);
	fs::remove(t.path("frtp.d/11-a.yaml"));
	EXPECT_EQ(PolicySource::read(t.main()).sha256, sha256_hex(m));
}

TEST(DropIns, ErrorsNameTheDropInLineAndColumn)
{
	Tree t;
	t.put("frtp.yaml", "rules:\n" + deny_rule("main", "/etc/shadow"));
	auto bad = t.put("frtp.d/10-a.yaml", "rules:\n  - name: a\n    objects: /etc/a\n    operations: raed\n    action: deny\n");
	auto e = config_error([&] { frtp::load_policy(t.main()); });
	EXPECT_EQ(e.file(), bad);
	EXPECT_EQ(e.line(), 4);
	EXPECT_EQ(e.column(), 17);
	t.put("frtp.d/10-a.yaml", "rules: [\n");
	e = config_error([&] { frtp::load_policy(t.main()); });
	EXPECT_EQ(e.file(), bad);
	EXPECT_NE(std::string(e.what()).find("YAML syntax error"), std::string::npos);
	t.put("frtp.d/10-a.yaml", "rulez: []\n");
	e = config_error([&] { frtp::load_policy(t.main()); });
	EXPECT_EQ(e.file(), bad);
	EXPECT_EQ(e.line(), 1);
}

TEST(DropIns, ASettingWrittenTwiceMustAgree)
{
	Tree t;
	t.put("frtp.yaml", "mode: enforce\ndefault: allow\nrules:\n" + deny_rule("main", "/etc/shadow"));
	auto d = t.put("frtp.d/10-a.yaml", "mode: \"enforce\"\nrules: []\n");
	EXPECT_EQ(frtp::load_policy(t.main()).mode, Mode::enforce); // the same value, quoted or not
	t.put("frtp.d/10-a.yaml", "rules: []\nmode: audit\n");
	auto e = config_error([&] { frtp::load_policy(t.main()); });
	EXPECT_EQ(e.file(), d);
	EXPECT_EQ(e.line(), 2);
	EXPECT_EQ(e.column(), 7);
	EXPECT_NE(std::string(e.what()).find(t.main() + ":1:7"), std::string::npos) << e.what();
	// Between two drop-ins too, and the rules file need not write it.
	t.put("frtp.yaml", "rules:\n" + deny_rule("main", "/etc/shadow"));
	t.put("frtp.d/10-a.yaml", "default: deny\n");
	auto b = t.put("frtp.d/20-b.yaml", "default: allow\n");
	e = config_error([&] { frtp::load_policy(t.main()); });
	EXPECT_EQ(e.file(), b);
	EXPECT_NE(std::string(e.what()).find(t.path("frtp.d/10-a.yaml") + ":1:10"), std::string::npos) << e.what();
	fs::remove(b);
	EXPECT_TRUE(frtp::load_policy(t.main()).default_deny);
}

TEST(DropIns, RuleNamesAreUniqueAcrossFiles)
{
	Tree t;
	t.put("frtp.yaml", "rules:\n" + deny_rule("main", "/etc/shadow") + deny_rule("other", "/etc/o"));
	auto d = t.put("frtp.d/10-a.yaml", "rules:\n" + deny_rule("other", "/etc/a"));
	auto e = config_error([&] { frtp::load_policy(t.main()); });
	EXPECT_EQ(e.file(), d);
	EXPECT_EQ(e.line(), 2);
	EXPECT_NE(std::string(e.what()).find(t.main() + " line 6"), std::string::npos) << e.what();
}

TEST(DropIns, RulesMayAllBeInDropIns)
{
	Tree t;
	t.put("frtp.yaml", "mode: audit\n");
	EXPECT_NE(std::string(config_error([&] { frtp::load_policy(t.main()); }).what()).find("no 'rules' list"),
		  std::string::npos);
	t.put("frtp.d/10-a.yaml", "rules:\n" + deny_rule("a", "/etc/a"));
	auto p = frtp::load_policy(t.main());
	EXPECT_EQ(p.mode, Mode::audit);
	EXPECT_EQ(rule_names(p), std::vector<std::string>{"a"});
}

TEST(DropIns, SizeLimitHoldsForTheSet)
{
	Tree t;
	t.put("frtp.yaml", "rules:\n" + deny_rule("main", "/etc/shadow") + "#" + std::string(kMaxFileBytes / 2, 'x') + "\n");
	auto d = t.put("frtp.d/10-a.yaml", "#" + std::string(kMaxFileBytes / 2, 'x') + "\n");
	auto e = config_error([&] { PolicySource::read(t.main()); });
	EXPECT_EQ(e.file(), d);
	EXPECT_NE(std::string(e.what()).find("together"), std::string::npos) << e.what();
}

TEST(DropIns, AnUnreadableDropInIsAnError)
{
	Tree t;
	t.put("frtp.yaml", "rules: []\n");
	fs::create_symlink(t.path("nowhere"), t.path("frtp.d/10-gone.yaml"));
	auto e = config_error([&] { PolicySource::read(t.main()); });
	EXPECT_EQ(e.file(), t.path("frtp.d/10-gone.yaml"));
	fs::remove(t.path("frtp.d/10-gone.yaml"));
	fs::remove(t.path("frtp.d"));
	t.put("frtp.d", "a file, not a directory\n");
	EXPECT_EQ(config_error([&] { PolicySource::read(t.main()); }).file(), t.path("frtp.d"));
}

TEST(DropIns, NetFilterRulesKeepFileOrderForFirstMatch)
{
	Tree t;
	std::string rules = t.put("net-filter.yaml", "mode: audit\ndefault: {ingress: accept}\nrules:\n"
						     "  - {name: ssh, action: accept, protocol: tcp, dport: 22}\n");
	fs::create_directory(t.path("net-filter.d"));
	t.put("net-filter.d/10-web.yaml", "rules:\n  - {name: web, action: drop, protocol: tcp, dport: 80}\n"
					   "  - {action: drop, protocol: udp, dport: 53}\n");
	auto p = nf::parse_policy(PolicySource::read(rules), nf::Resolvers{});
	ASSERT_EQ(p.rules.size(), 3u);
	EXPECT_EQ(p.rules[1].name, "web");
	EXPECT_EQ(p.rules[1].id, 1u);
	EXPECT_EQ(p.rules[2].name, "rule-3"); // its position in the set
	EXPECT_EQ(p.rules[2].file, t.path("net-filter.d/10-web.yaml"));
	EXPECT_EQ(p.mode, Mode::audit);
	auto d = t.put("net-filter.d/20-x.yaml", "default: {ingress: drop}\n");
	auto e = config_error([&] { nf::parse_policy(PolicySource::read(rules), nf::Resolvers{}); });
	EXPECT_EQ(e.file(), d);
	EXPECT_NE(std::string(e.what()).find("default is set here"), std::string::npos) << e.what();
	t.put("net-filter.d/20-x.yaml", "rules:\n  - {name: ssh, action: drop}\n");
	e = config_error([&] { nf::parse_policy(PolicySource::read(rules), nf::Resolvers{}); });
	EXPECT_EQ(e.file(), d);
	EXPECT_NE(std::string(e.what()).find(rules + " line 4"), std::string::npos) << e.what();
}

TEST(DropIns, RmForbidListsAddUpAndSettingsAgree)
{
	Tree t;
	std::string rules = t.put("rm-forbid.yaml", "in_use: write\nprotect: /srv\nexempt: {exe: /usr/bin/dpkg}\n");
	fs::create_directory(t.path("rm-forbid.d"));
	t.put("rm-forbid.d/10-db.yaml", "protect: [/var/lib/db]\nexempt: {uid: 0, unit: backup.service}\n");
	auto s = rmf::parse_policy(PolicySource::read(rules));
	EXPECT_EQ(s.trees, (std::vector<std::string>{"/srv", "/var/lib/db"}));
	EXPECT_EQ(s.exempt_exes, std::vector<std::string>{"/usr/bin/dpkg"});
	EXPECT_EQ(s.exempt_units, std::vector<std::string>{"backup.service"});
	ASSERT_EQ(s.exempt_users.size(), 1u);
	EXPECT_EQ(s.exempt_users[0].file, t.path("rm-forbid.d/10-db.yaml"));
	EXPECT_EQ(s.use, uint32_t(RF_USE_WRITE));
	auto d = t.put("rm-forbid.d/20-x.yaml", "in_use: any\n");
	auto e = config_error([&] { rmf::parse_policy(PolicySource::read(rules)); });
	EXPECT_EQ(e.file(), d);
	EXPECT_EQ(e.line(), 1);
}

TEST(DropIns, RuleLimitCountsEveryFileBeforeAnyRuleIsRead)
{
	Tree t;
	std::string many = "rules:\n";
	for (int i = 0; i < 10000; i++)
		many += "  - {}\n";
	t.put("frtp.yaml", many);
	std::string more = "rules:\n";
	for (int i = 10000; i <= FRTP_RULES_MAX; i++)
		more += "  - {}\n";
	auto d = t.put("frtp.d/10-more.yaml", more);
	auto e = config_error([&] { frtp::load_policy(t.main()); });
	EXPECT_EQ(e.file(), d);
	EXPECT_EQ(e.line(), 2);
	EXPECT_NE(std::string(e.what()).find(fmt::format("{} rules in the rules file and its drop-ins; at most {}",
							  FRTP_RULES_MAX + 1, FRTP_RULES_MAX)),
		  std::string::npos)
		<< e.what();
}
