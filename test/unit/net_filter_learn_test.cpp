// net-filter learn's pure parts: when addresses become networks, the rules
// written from what was learned (through net-filter's own parser, compiler
// and first-match), the diff against an existing rules file, and the
// learners' shared command-line checks.
#include "config_error.h"
#include "errors.h"
#include "learn_subjects.h"
#include "net_filter_learn_collapse.h"
#include "net_filter_learn_diff.h"
#include "net_filter_learn_policy.h"
#include "net_filter_rules.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

using namespace kw;
using namespace kw::nf;

namespace {

std::array<uint8_t, 16> ip(const char *s)
{
	std::array<uint8_t, 16> a{};
	if (inet_pton(AF_INET, s, a.data()) != 1) {
		EXPECT_EQ(inet_pton(AF_INET6, s, a.data()), 1) << s;
	}
	return a;
}

uint8_t family_of(const char *s) { return std::string(s).find(':') == std::string::npos ? 4 : 6; }

LearnedFlow flow(size_t subject, uint8_t dir, uint8_t proto, const char *addr, uint16_t port, uint64_t count = 1)
{
	LearnedFlow f;
	f.subject = subject;
	f.dir = dir;
	f.family = family_of(addr);
	f.proto = proto;
	f.addr = ip(addr);
	f.port = port;
	f.count = count;
	f.first_us = 1764763200000000 + int64_t(count);
	f.last_us = f.first_us + 1000000;
	return f;
}

std::vector<std::string> nets_of(const std::vector<LearnedFlow> &flows)
{
	std::vector<const LearnedFlow *> p;
	for (const auto &f : flows)
		p.push_back(&f);
	std::vector<std::string> out;
	for (const auto &n : collapse_addresses(p).nets)
		out.push_back(cidr_text(n.net));
	return out;
}

// Units resolve by name (diff_resolvers); curl is an executable.
Resolvers resolvers()
{
	Resolvers r;
	r.user = [](const std::string &) -> std::optional<uint32_t> { return std::nullopt; };
	r.exe = [](const std::string &p) -> std::optional<ExeId> {
		if (p == "/usr/bin/curl")
			return ExeId{8 << 20 | 1, 4242, p};
		return std::nullopt;
	};
	return diff_resolvers(r);
}

PacketFields egress(const char *unit, uint8_t proto, const char *dst, uint16_t dport)
{
	PacketFields p;
	p.dir = NF_DIR_EGRESS;
	p.family = family_of(dst);
	p.proto = proto;
	p.state = NF_CT_NEW;
	p.dst = ip(dst);
	p.dport = dport;
	p.sport = 40000;
	if (unit)
		p.cgroup = unit_stand_in(unit);
	return p;
}

// The rule that decides `pkt`, by name; "" for none.
std::string decides(const Policy &p, const PacketFields &pkt)
{
	auto r = match_linear(p, pkt);
	return r ? p.rules[*r].name : "";
}

FlowRun learnapp_run()
{
	FlowRun run;
	run.subjects = {{LearnSubject::Kind::unit, "learnapp.service"}};
	run.start_us = 1764763200000000;
	run.end_us = run.start_us + 60000000;
	run.flows = {flow(0, NF_DIR_EGRESS, IPPROTO_TCP, "127.0.0.1", 7070, 3),
		     flow(0, NF_DIR_EGRESS, IPPROTO_UDP, "127.0.0.1", 7071, 5),
		     flow(0, NF_DIR_EGRESS, IPPROTO_UDP, "10.0.0.53", 53, 2),
		     flow(0, NF_DIR_INGRESS, IPPROTO_TCP, "192.0.2.9", 8080, 4)};
	return run;
}

} // namespace

TEST(NetFilterLearnCollapse, OneAddressStaysExact)
{
	EXPECT_EQ(nets_of({flow(0, NF_DIR_EGRESS, IPPROTO_TCP, "198.51.100.7", 443)}),
		  std::vector<std::string>{"198.51.100.7"});
}

TEST(NetFilterLearnCollapse, AddressesThatFillANetworkBecomeIt)
{
	EXPECT_EQ(nets_of({flow(0, NF_DIR_EGRESS, IPPROTO_TCP, "10.0.0.0", 443),
			   flow(0, NF_DIR_EGRESS, IPPROTO_TCP, "10.0.0.1", 443)}),
		  std::vector<std::string>{"10.0.0.0/31"});
	EXPECT_EQ(nets_of({flow(0, NF_DIR_EGRESS, IPPROTO_TCP, "10.0.0.4", 443),
			   flow(0, NF_DIR_EGRESS, IPPROTO_TCP, "10.0.0.5", 443),
			   flow(0, NF_DIR_EGRESS, IPPROTO_TCP, "10.0.0.6", 443),
			   flow(0, NF_DIR_EGRESS, IPPROTO_TCP, "10.0.0.7", 443),
			   flow(0, NF_DIR_EGRESS, IPPROTO_TCP, "10.0.0.9", 443)}),
		  (std::vector<std::string>{"10.0.0.4/30", "10.0.0.9"}));
	// Not siblings: 10.0.0.1 and 10.0.0.2 share no /31.
	EXPECT_EQ(nets_of({flow(0, NF_DIR_EGRESS, IPPROTO_TCP, "10.0.0.1", 443),
			   flow(0, NF_DIR_EGRESS, IPPROTO_TCP, "10.0.0.2", 443)}),
		  (std::vector<std::string>{"10.0.0.1", "10.0.0.2"}));
	EXPECT_EQ(nets_of({flow(0, NF_DIR_EGRESS, IPPROTO_TCP, "2001:db8::", 443),
			   flow(0, NF_DIR_EGRESS, IPPROTO_TCP, "2001:db8::1", 443)}),
		  std::vector<std::string>{"2001:db8::/127"});
}

TEST(NetFilterLearnCollapse, ManyAddressesInOneSlash24BecomeIt)
{
	std::vector<LearnedFlow> f;
	for (int i = 0; i < int(kWidenAt); i++)
		f.push_back(flow(0, NF_DIR_EGRESS, IPPROTO_TCP, fmt::format("203.0.113.{}", 3 + i * 29).c_str(), 443));
	std::vector<const LearnedFlow *> p;
	for (const auto &x : f)
		p.push_back(&x);
	auto c = collapse_addresses(p);
	ASSERT_EQ(c.nets.size(), 1u);
	EXPECT_EQ(cidr_text(c.nets[0].net), "203.0.113.0/24");
	EXPECT_EQ(c.nets[0].addresses, kWidenAt);
	EXPECT_EQ(c.nets[0].samples.size(), kSamples);
	EXPECT_NE(c.nets[0].why.find("pool"), std::string::npos);
	// One fewer: each stays exact.
	f.pop_back();
	EXPECT_EQ(nets_of(f).size(), kWidenAt - 1);
}

TEST(NetFilterLearnCollapse, NeverWiderThanASlash24NorLoopback)
{
	std::vector<LearnedFlow> f;
	for (int i = 0; i < 12; i++)
		f.push_back(flow(0, NF_DIR_EGRESS, IPPROTO_TCP, fmt::format("10.{}.0.1", i * 3).c_str(), 443));
	EXPECT_EQ(nets_of(f).size(), 12u); // one each: 12 /24s
	f.clear();
	for (int i = 0; i < 12; i++)
		f.push_back(flow(0, NF_DIR_EGRESS, IPPROTO_TCP, fmt::format("127.0.0.{}", 1 + i * 20).c_str(), 443));
	for (const auto &n : nets_of(f))
		EXPECT_EQ(n.find('/'), std::string::npos) << n;
}

TEST(NetFilterLearnCollapse, ManySourcesToOneLocalPortAreAnySource)
{
	std::vector<LearnedFlow> f;
	for (int i = 0; i < int(kAnySourceAt); i++)
		f.push_back(flow(0, NF_DIR_INGRESS, IPPROTO_TCP, fmt::format("198.51.{}.{}", i, i * 7).c_str(), 22));
	std::vector<const LearnedFlow *> p;
	for (const auto &x : f)
		p.push_back(&x);
	EXPECT_TRUE(collapse_addresses(p).any_source);
	p.pop_back();
	EXPECT_FALSE(collapse_addresses(p).any_source);
	// Egress never becomes any destination.
	for (auto &x : f)
		x.dir = NF_DIR_EGRESS;
	p.push_back(&f.back());
	EXPECT_FALSE(collapse_addresses(p).any_source);
}

TEST(NetFilterLearnPolicy, AcceptsWhatWasSeenAndDropsTheRestForTheUnitOnly)
{
	auto out = LearnedRulesWriter({}).write(learnapp_run());
	SCOPED_TRACE(out.yaml);
	EXPECT_EQ(out.accepts, 4u);
	EXPECT_EQ(out.rules, 5u);
	auto p = parse_policy(out.yaml, "learned.yaml", resolvers());
	ASSERT_NO_THROW(compile_policy(p));
	EXPECT_EQ(out.yaml.find("\nmode:"), std::string::npos);
	EXPECT_EQ(out.yaml.find("\ndefault:"), std::string::npos);
	const char *u = "learnapp.service";
	std::string tcp = decides(p, egress(u, IPPROTO_TCP, "127.0.0.1", 7070));
	EXPECT_TRUE(tcp.starts_with("learn-learnapp-")) << tcp;
	EXPECT_NE(tcp, "learn-learnapp-drop");
	EXPECT_NE(decides(p, egress(u, IPPROTO_UDP, "10.0.0.53", 53)), "learn-learnapp-drop");
	// A deviation: another port, another address, another protocol.
	EXPECT_EQ(decides(p, egress(u, IPPROTO_TCP, "127.0.0.1", 7072)), "learn-learnapp-drop");
	EXPECT_EQ(decides(p, egress(u, IPPROTO_TCP, "127.0.0.2", 7070)), "learn-learnapp-drop");
	EXPECT_EQ(decides(p, egress(u, IPPROTO_TCP, "127.0.0.1", 7071)), "learn-learnapp-drop");
	// Audit first: the drop rule logs and accepts.
	auto drop = match_linear(p, egress(u, IPPROTO_TCP, "127.0.0.1", 7072));
	EXPECT_EQ(p.rules[*drop].action, NF_ACT_AUDIT);
	// Replies and established traffic are not the drop rule's.
	auto est = egress(u, IPPROTO_TCP, "127.0.0.1", 7072);
	est.state = NF_CT_ESTABLISHED;
	EXPECT_EQ(decides(p, est), "");
	// Other processes: untouched.
	EXPECT_EQ(decides(p, egress("other.service", IPPROTO_TCP, "127.0.0.1", 7072)), "");
	EXPECT_EQ(decides(p, egress(nullptr, IPPROTO_TCP, "127.0.0.1", 7072)), "");
	// Ingress: the port, for any owner (ingress cannot name one).
	PacketFields in;
	in.dir = NF_DIR_INGRESS;
	in.proto = IPPROTO_TCP;
	in.src = ip("192.0.2.9");
	in.dport = 8080;
	EXPECT_EQ(decides(p, in), "learn-learnapp-in-4");
	in.src = ip("192.0.2.10");
	EXPECT_EQ(decides(p, in), "");
}

TEST(NetFilterLearnPolicy, EveryRuleCarriesItsProvenance)
{
	auto y = LearnedRulesWriter({}).write(learnapp_run()).yaml;
	std::vector<std::string> lines;
	for (size_t a = 0, b; a < y.size(); a = b + 1) {
		b = y.find('\n', a);
		lines.push_back(y.substr(a, b - a));
	}
	size_t rules = 0;
	for (size_t i = 0; i < lines.size(); i++) {
		if (!lines[i].starts_with("  - name: learn-learnapp-") || lines[i].ends_with("-drop"))
			continue;
		rules++;
		size_t j = i;
		while (j > 0 && lines[j - 1].starts_with("  #") && !lines[j - 1].starts_with("  # ----"))
			j--;
		ASSERT_LT(j + 1, i) << lines[i];
		EXPECT_NE(lines[j].find(" connections started ("), std::string::npos) << lines[j];
		EXPECT_TRUE(lines[j + 1].starts_with("  # first 20")) << lines[j + 1];
		EXPECT_NE(lines[j + 1].find(", last 20"), std::string::npos) << lines[j + 1];
	}
	EXPECT_EQ(rules, 4u);
}

TEST(NetFilterLearnPolicy, EnforceModeAndNoDrop)
{
	auto enforce = LearnedRulesWriter({.drop = true, .mode = Mode::enforce}).write(learnapp_run());
	auto p = parse_policy(enforce.yaml, "learned.yaml", resolvers());
	auto r = match_linear(p, egress("learnapp.service", IPPROTO_TCP, "127.0.0.1", 7072));
	ASSERT_TRUE(r);
	EXPECT_EQ(p.rules[*r].action, NF_ACT_DROP);
	auto open = LearnedRulesWriter({.drop = false}).write(learnapp_run());
	EXPECT_EQ(open.rules, open.accepts);
	EXPECT_EQ(open.yaml.find("-drop"), std::string::npos);
}

TEST(NetFilterLearnPolicy, OtherProtocolsAreSaidNotWritten)
{
	FlowRun run = learnapp_run();
	run.flows.push_back(flow(0, NF_DIR_EGRESS, 47 /* GRE */, "10.0.0.1", 0, 9));
	auto out = LearnedRulesWriter({}).write(run);
	EXPECT_EQ(out.accepts, 4u);
	ASSERT_EQ(out.warnings.size(), 1u);
	EXPECT_NE(out.yaml.find("# note: unit learnapp.service: 9 connections of protocol 47"), std::string::npos);
	EXPECT_NO_THROW(compile_policy(parse_policy(out.yaml, "learned.yaml", resolvers())));
}

TEST(NetFilterLearnPolicy, SubjectsNamedAlikeGetRulesNamedApart)
{
	FlowRun run;
	run.subjects = {{LearnSubject::Kind::unit, "curl.service"}, {LearnSubject::Kind::exe, "/usr/bin/curl"}};
	run.flows = {flow(0, NF_DIR_EGRESS, IPPROTO_TCP, "198.51.100.1", 443),
		     flow(1, NF_DIR_EGRESS, IPPROTO_TCP, "198.51.100.2", 443),
		     flow(1, NF_DIR_EGRESS, IPPROTO_ICMP, "198.51.100.2", 0)};
	auto out = LearnedRulesWriter({}).write(run);
	SCOPED_TRACE(out.yaml);
	auto p = parse_policy(out.yaml, "learned.yaml", resolvers());
	EXPECT_NO_THROW(compile_policy(p));
	auto pkt = egress(nullptr, IPPROTO_TCP, "198.51.100.2", 443);
	pkt.exe = ExeId{8 << 20 | 1, 4242, "/usr/bin/curl"};
	EXPECT_EQ(decides(p, pkt), "learn-curl-2-2");
	pkt.dst = ip("198.51.100.1");
	EXPECT_EQ(decides(p, pkt), "learn-curl-2-drop");
}

TEST(NetFilterLearnPolicy, LostFlowsAreSaidAtTheTop)
{
	FlowRun run = learnapp_run();
	run.lost_flows = 17;
	auto y = LearnedRulesWriter({}).write(run).yaml;
	EXPECT_NE(y.find("# WARNING: 17 connections were not counted"), std::string::npos);
	EXPECT_LT(y.find("# WARNING"), y.find("rules:"));
}

TEST(NetFilterLearnDiff, OnlyWhatTheRulesWouldDrop)
{
	auto text = LearnedRulesWriter({.drop = true, .mode = Mode::enforce}).write(learnapp_run()).yaml;
	auto p = parse_policy(text, "learned.yaml", resolvers());
	FlowRun now = learnapp_run();
	now.flows.push_back(flow(0, NF_DIR_EGRESS, IPPROTO_TCP, "127.0.0.1", 7072, 6));
	auto r = LearnDiff(p, resolvers().exe).report(now, "learned.yaml");
	SCOPED_TRACE(r);
	EXPECT_TRUE(r.starts_with("# net-filter learn --diff learned.yaml: 1 learned flows"));
	EXPECT_NE(r.find("\ndrop egress tcp to 127.0.0.1 port 7072 by unit learnapp.service: rule "
			 "'learn-learnapp-drop', 6 connections"),
		  std::string::npos);
	// Audit first: the same rules say audit.
	auto audit = parse_policy(LearnedRulesWriter({}).write(learnapp_run()).yaml, "learned.yaml", resolvers());
	EXPECT_NE(LearnDiff(audit, resolvers().exe).report(now, "l").find("\naudit egress tcp to 127.0.0.1 port 7072"),
		  std::string::npos);
}

TEST(NetFilterLearnDiff, DefaultDropAndAuditModeFiles)
{
	auto p = parse_policy("mode: audit\ndefault: {ingress: drop, egress: accept}\nrules:\n"
			      "  - {name: web, action: accept, direction: ingress, protocol: tcp, dport: 8080}\n",
			      "host.yaml", resolvers());
	FlowRun run = learnapp_run();
	run.flows.push_back(flow(0, NF_DIR_INGRESS, IPPROTO_TCP, "192.0.2.9", 9090, 2));
	auto r = LearnDiff(p, resolvers().exe).report(run, "host.yaml");
	SCOPED_TRACE(r);
	EXPECT_NE(r.find("\nwould-drop ingress tcp from 192.0.2.9 to local port 9090 by unit learnapp.service: rule "
			 "'default', 2 connections"),
		  std::string::npos);
	EXPECT_EQ(r.find("8080"), std::string::npos);
	EXPECT_EQ(r.find("egress"), std::string::npos);
}

TEST(LearnSubjects, TheCommandLineIsChecked)
{
	auto usage = [](auto f) {
		try {
			f();
		} catch (const Error &e) {
			return e.code() == Errc::usage;
		}
		return false;
	};
	EXPECT_TRUE(usage([] { learn_subjects({"a.service"}, {}, true); }));
	EXPECT_TRUE(usage([] { learn_subjects({}, {}, false); }));
	EXPECT_TRUE(usage([] { learn_subjects({"nginx"}, {}, false); }));
	EXPECT_TRUE(usage([] { learn_subjects({"a/b.service"}, {}, false); }));
	EXPECT_TRUE(usage([] { learn_subjects({}, {"/nonexistent/x"}, false); }));
	EXPECT_TRUE(usage([] { learn_subjects({"a.service", "b.service", "c.service", "d.service", "e.service"}, {},
					      false); }));
	auto s = learn_subjects({"nginx.service"}, {"/bin/sh"}, false);
	ASSERT_EQ(s.size(), 2u);
	EXPECT_EQ(s[0].describe(), "unit nginx.service");
	EXPECT_EQ(s[0].slug(), "nginx");
	EXPECT_EQ(s[1].kind, LearnSubject::Kind::exe);
	EXPECT_EQ(s[1].name[0], '/');
	EXPECT_EQ(LearnSubject{}.slug(), "all");
}
