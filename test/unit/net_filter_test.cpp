// net-filter's pure parts: rule parsing, the tuple-space compiler (checked
// against the first-match reference on random rules and packets), records,
// pcap files.
#include "errors.h"
#include "net_filter_record.h"
#include "net_filter_rules.h"

#include <arpa/inet.h>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <fmt/format.h>
#include <fstream>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <random>
#include <span>

using namespace kw;
using namespace kw::nf;

static Resolvers fake()
{
	Resolvers r;
	r.user = [](const std::string &n) -> std::optional<uint32_t> {
		if (n == "alice")
			return 1000;
		return std::nullopt;
	};
	r.exe = [](const std::string &p) -> std::optional<ExeId> {
		if (p == "/usr/bin/curl")
			return ExeId{8 << 20 | 1, 4242, p};
		return std::nullopt;
	};
	r.unit = [](const std::string &u) -> std::optional<uint64_t> {
		if (u == "nginx.service")
			return 7001;
		if (u == "cron.service")
			return 7002;
		return std::nullopt; // not running
	};
	return r;
}

static Policy parse(const std::string &text) { return parse_policy(text, "t.yaml", fake()); }

static PacketFields v4(uint8_t dir, uint8_t proto, const char *src, const char *dst, uint16_t sport, uint16_t dport)
{
	PacketFields p;
	p.dir = dir;
	p.proto = proto;
	p.family = 4;
	inet_pton(AF_INET, src, p.src.data());
	inet_pton(AF_INET, dst, p.dst.data());
	p.sport = sport;
	p.dport = dport;
	return p;
}

static std::string config_error(const std::string &text)
{
	try {
		parse(text);
	} catch (const ConfigError &e) {
		return e.what();
	}
	return "";
}

TEST(NetFilter, ParsesRules)
{
	auto p = parse("mode: audit\n"
		       "default: {ingress: drop}\n"
		       "rules:\n"
		       "  - name: ssh\n"
		       "    action: accept\n"
		       "    direction: ingress\n"
		       "    protocol: tcp\n"
		       "    src: [10.0.0.0/8, 'fd00::/8']\n"
		       "    dport: [22, 8000-8100]\n"
		       "  - action: drop\n"
		       "    direction: egress\n"
		       "    uid: [alice, 0]\n"
		       "    exe: /usr/bin/curl\n"
		       "  - action: capture\n"
		       "    protocol: icmp\n"
		       "    snaplen: 128\n");
	EXPECT_EQ(p.mode, Mode::audit);
	EXPECT_EQ(p.default_action[NF_DIR_INGRESS], NF_ACT_DROP);
	EXPECT_EQ(p.default_action[NF_DIR_EGRESS], NF_ACT_ACCEPT);
	ASSERT_EQ(p.rules.size(), 3u);
	EXPECT_EQ(p.rules[0].src.size(), 2u);
	EXPECT_EQ(p.rules[0].src[1].family, 6);
	EXPECT_EQ(p.rules[0].dport[1].lo, 8000);
	EXPECT_EQ(p.rules[0].dport[1].hi, 8100);
	EXPECT_EQ(p.rules[1].name, "rule-2");
	EXPECT_EQ(p.rules[1].uids, (std::vector<uint32_t>{1000, 0}));
	EXPECT_EQ(p.rules[1].exes[0].ino, 4242u);
	EXPECT_TRUE(p.rules[2].capture);
	EXPECT_EQ(p.rules[2].action, NF_ACT_ACCEPT);
	EXPECT_EQ(p.rules[2].snaplen, 128);
	EXPECT_EQ(p.rules[2].dirs, (std::vector<uint8_t>{NF_DIR_INGRESS, NF_DIR_EGRESS}));
	EXPECT_FALSE(p.capture_file.empty());
}

TEST(NetFilter, RejectsBadRulesWithPlace)
{
	EXPECT_NE(config_error("rules:\n  - action: drop\n    protocl: tcp\n").find("t.yaml:3:5"), std::string::npos);
	EXPECT_NE(config_error("rules:\n  - action: drop\n    dport: 22\n").find("needs 'protocol: tcp'"), std::string::npos);
	EXPECT_NE(config_error("rules:\n  - action: drop\n    src: 10.0.0.1/8\n").find("did you mean 10.0.0.0/8"),
		  std::string::npos);
	EXPECT_NE(config_error("rules:\n  - action: drop\n    protocol: udp\n    dport: 90-80\n").find("backwards"),
		  std::string::npos);
	EXPECT_NE(config_error("rules:\n  - action: drop\n    uid: 5\n").find("direction: egress"), std::string::npos);
	EXPECT_NE(config_error("rules:\n  - action: drop\n    direction: egress\n    exe: /nope\n").find("does not exist"),
		  std::string::npos);
	EXPECT_NE(config_error("rules:\n  - action: drop\n    protocol: icmp\n    dst: 'fd00::/8'\n").find("never matches"),
		  std::string::npos);
	EXPECT_NE(config_error("rules:\n  - action: drop\n    src: 10.0.0.0/8\n    dst: 'fd00::/8'\n").find("no address family"),
		  std::string::npos);
	EXPECT_NE(config_error("rules:\n  - {name: a, action: drop}\n  - {name: a, action: drop}\n").find("used twice"),
		  std::string::npos);
	EXPECT_NE(config_error("rules:\n  - action: dorp\n").find("did you mean 'drop'"), std::string::npos);
}

TEST(NetFilter, PortRangesCutPortsIntoClasses)
{
	auto c = port_classes({{8000, 8100}, {22, 22}, {0, 1023}});
	ASSERT_EQ(c.size(), size_t(NF_PORTS));
	EXPECT_EQ(c[0], c[21]);
	EXPECT_NE(c[21], c[22]);
	EXPECT_NE(c[22], c[23]);
	EXPECT_EQ(c[23], c[1023]);
	EXPECT_NE(c[1023], c[1024]);
	EXPECT_EQ(c[1024], c[7999]);
	EXPECT_EQ(c[8000], c[8100]);
	EXPECT_NE(c[8100], c[8101]);
	EXPECT_EQ(c[8101], c[65535]);
	// Ports no range names are class 0 (the kernel skips port shapes for
	// them); the others never are, and stay one run per range.
	EXPECT_EQ(c[1024], 0);
	EXPECT_EQ(c[8101], 0);
	EXPECT_NE(c[0], 0);
	EXPECT_NE(c[8000], 0);
	EXPECT_EQ(c[23] + 1, c[8000]);
	EXPECT_EQ(port_classes({})[65535], 0);
	EXPECT_EQ(port_classes({{0, 65535}})[0], 1);
	EXPECT_EQ(port_classes({{0, 65535}})[65535], 1);
	std::vector<PortRange> every;
	for (uint32_t port = 0; port < NF_PORTS; port++)
		every.push_back({uint16_t(port), uint16_t(port)});
	auto apart = port_classes(every); // 65,536 classes: no room for a gap class
	EXPECT_EQ(apart[0], 0);
	EXPECT_EQ(apart[65535], 65535);
	EXPECT_FALSE(port_class_zero_is_gap(every, apart));
	EXPECT_TRUE(port_class_zero_is_gap({{100, 200}}, port_classes({{100, 200}})));
	auto overlap = port_classes({{100, 200}, {150, 300}});
	EXPECT_EQ(overlap[99], 0);
	EXPECT_EQ(overlap[100], 1);
	EXPECT_EQ(overlap[150], 2);
	EXPECT_EQ(overlap[201], 3);
	EXPECT_EQ(overlap[300], 3);
	EXPECT_EQ(overlap[301], 0);
}

TEST(NetFilter, FirstMatchWins)
{
	auto p = parse("rules:\n"
		       "  - {name: allow-admin, action: accept, protocol: tcp, src: 10.1.0.0/16, dport: 22}\n"
		       "  - {name: no-ssh, action: drop, protocol: tcp, dport: 22}\n"
		       "  - {name: no-net, action: drop, src: 10.0.0.0/8}\n");
	auto c = compile_policy(p);
	auto admin = v4(NF_DIR_INGRESS, IPPROTO_TCP, "10.1.2.3", "10.9.9.9", 40000, 22);
	auto other = v4(NF_DIR_INGRESS, IPPROTO_TCP, "10.2.2.3", "10.9.9.9", 40000, 22);
	auto web = v4(NF_DIR_INGRESS, IPPROTO_TCP, "10.2.2.3", "10.9.9.9", 40000, 80);
	auto outside = v4(NF_DIR_INGRESS, IPPROTO_UDP, "192.0.2.1", "10.9.9.9", 40000, 80);
	EXPECT_EQ(simulate_lookup(c, admin), 0u);
	EXPECT_EQ(simulate_lookup(c, other), 1u);
	EXPECT_EQ(simulate_lookup(c, web), 2u);
	EXPECT_EQ(simulate_lookup(c, outside), std::nullopt);
	EXPECT_EQ(match_linear(p, admin), 0u);
	// Shapes are ordered by their lowest rule so the search can stop early.
	for (size_t i = 1; i < c.shapes.size(); i++)
		EXPECT_LE(c.shapes[i - 1].min_rule, c.shapes[i].min_rule);
}

TEST(NetFilter, OwnerAndInterfaceFields)
{
	auto p = parse("rules:\n"
		       "  - {action: drop, direction: egress, uid: 1000, protocol: udp, dport: 53}\n"
		       "  - {action: drop, direction: egress, exe: /usr/bin/curl}\n"
		       "  - {action: audit, interface: eth1}\n");
	auto c = compile_policy(p);
	auto dns = v4(NF_DIR_EGRESS, IPPROTO_UDP, "10.0.0.1", "192.0.2.53", 5555, 53);
	EXPECT_EQ(simulate_lookup(c, dns), std::nullopt); // no socket owner known
	dns.uid = 1000;
	EXPECT_EQ(simulate_lookup(c, dns), 0u);
	dns.uid = 1001;
	EXPECT_EQ(simulate_lookup(c, dns), std::nullopt);
	dns.exe = ExeId{8 << 20 | 1, 4242, ""};
	EXPECT_EQ(simulate_lookup(c, dns), 1u);
	auto in = v4(NF_DIR_INGRESS, IPPROTO_TCP, "10.0.0.1", "10.0.0.2", 1, 2);
	in.iface = "eth0";
	EXPECT_EQ(simulate_lookup(c, in), std::nullopt);
	in.iface = "eth1";
	EXPECT_EQ(simulate_lookup(c, in), 2u);
}

TEST(NetFilter, UnitOwner)
{
	auto p = parse("rules:\n"
		       "  - {name: web, action: drop, direction: egress, unit: nginx.service, protocol: tcp, dport: 25}\n"
		       "  - {name: jobs, action: audit, direction: egress, unit: [cron.service, down.service]}\n"
		       "  - {name: gone, action: drop, direction: egress, unit: down.service}\n");
	ASSERT_EQ(p.rules.size(), 3u);
	EXPECT_EQ(p.rules[0].units, std::vector<std::string>{"nginx.service"});
	EXPECT_EQ(p.rules[0].unit_ids[0], std::optional<uint64_t>(7001));
	EXPECT_EQ(p.rules[1].unit_ids[1], std::nullopt);
	auto warn = unresolved_units(p);
	ASSERT_EQ(warn.size(), 2u);
	EXPECT_NE(warn[0].find("'down.service' is not running"), std::string::npos);
	auto c = compile_policy(p);
	EXPECT_EQ(c.entries.size(), 2u); // the unit that is down adds nothing
	for (auto &s : c.shapes)
		EXPECT_TRUE(s.fields & NF_F_CGROUP);
	auto smtp = v4(NF_DIR_EGRESS, IPPROTO_TCP, "10.0.0.1", "192.0.2.25", 40000, 25);
	EXPECT_EQ(simulate_lookup(c, smtp), std::nullopt); // no socket cgroup known
	EXPECT_EQ(match_linear(p, smtp), std::nullopt);
	smtp.cgroup = 7001;
	EXPECT_EQ(simulate_lookup(c, smtp), 0u);
	EXPECT_EQ(match_linear(p, smtp), 0u);
	smtp.cgroup = 7002;
	EXPECT_EQ(simulate_lookup(c, smtp), 1u);
	EXPECT_EQ(match_linear(p, smtp), 1u);
	smtp.cgroup = 7003;
	EXPECT_EQ(simulate_lookup(c, smtp), std::nullopt);
	EXPECT_EQ(match_linear(p, smtp), std::nullopt);
	EXPECT_NE(c.describe(p).find("unit=cron.service(cgroup 7002),down.service(not running)"), std::string::npos);

	// The unit starts: re-resolving gives it an id and the rule matches.
	Resolvers r = fake();
	r.unit = [](const std::string &u) -> std::optional<uint64_t> {
		return u == "down.service" ? 7009 : u == "nginx.service" ? 7001 : 7002;
	};
	EXPECT_TRUE(resolve_units(p, r));
	EXPECT_FALSE(resolve_units(p, r));
	EXPECT_TRUE(unresolved_units(p).empty());
	c = compile_policy(p);
	smtp.cgroup = 7009;
	EXPECT_EQ(simulate_lookup(c, smtp), 1u);
	smtp.dport = 80;
	EXPECT_EQ(simulate_lookup(c, smtp), 1u);
	EXPECT_EQ(match_linear(p, smtp), 1u);
}

TEST(NetFilter, UnitNeedsEgressAndAName)
{
	auto e = config_error("rules:\n  - action: drop\n    unit: nginx.service\n");
	EXPECT_NE(e.find("t.yaml:3:11"), std::string::npos) << e;
	EXPECT_NE(e.find("need 'direction: egress'"), std::string::npos) << e;
	e = config_error("rules:\n  - action: drop\n    direction: [egress, ingress]\n    unit: [nginx.service]\n");
	EXPECT_NE(e.find("direction: egress"), std::string::npos) << e;
	e = config_error("rules:\n  - action: drop\n    direction: egress\n    unit: /system.slice/x\n");
	EXPECT_NE(e.find("not a systemd unit name"), std::string::npos) << e;
	EXPECT_NE(e.find("t.yaml:4:11"), std::string::npos) << e;
}

// The compiled tables, searched the way the kernel searches them, must give
// the same answer as the rule list read top to bottom.
// The kernel decides a direction no shape covers by its default unread,
// when that default accepts: the mask must hold every direction a rule names.
TEST(NetFilter, GenerationNamesTheDirectionsItsRulesCover)
{
	EXPECT_EQ(compile_policy(parse("rules: []\n")).info.dir_mask, 0);
	EXPECT_EQ(compile_policy(parse("rules:\n  - {action: drop, direction: ingress, dport: 22, protocol: tcp}\n"))
			  .info.dir_mask,
		  1 << NF_DIR_INGRESS);
	EXPECT_EQ(compile_policy(parse("rules:\n  - {action: drop, src: 10.0.0.0/8}\n")).info.dir_mask,
		  (1 << NF_DIR_INGRESS) | (1 << NF_DIR_EGRESS)); // the default directions
	EXPECT_EQ(compile_policy(parse("rules:\n  - {action: audit, direction: forward}\n"
				       "  - {action: drop, direction: egress, protocol: udp}\n"))
			  .info.dir_mask,
		  (1 << NF_DIR_FORWARD) | (1 << NF_DIR_EGRESS));
}

// Every port named apart: class 0 is then port 0's, never skipped.
TEST(NetFilter, EveryPortNamedApartStillMatchesEveryPort)
{
	std::string ports;
	for (uint32_t port = 0; port < NF_PORTS; port++)
		ports += (port ? ", " : "") + std::to_string(port);
	auto p = parse("rules:\n  - {action: drop, direction: ingress, protocol: udp, dport: [" + ports + "]}\n");
	auto c = compile_policy(p);
	EXPECT_EQ(c.info.port_gap & 2, 0);
	for (uint16_t port : {0, 1, 1234, 65534, 65535})
		EXPECT_EQ(simulate_lookup(c, v4(NF_DIR_INGRESS, IPPROTO_UDP, "192.0.2.1", "10.9.9.9", 40000, port)), 0u)
			<< port;
	auto one = compile_policy(parse("rules:\n  - {action: drop, direction: ingress, protocol: udp, dport: 53}\n"));
	EXPECT_EQ(one.info.port_gap, 3);
	EXPECT_EQ(simulate_lookup(one, v4(NF_DIR_INGRESS, IPPROTO_UDP, "192.0.2.1", "10.9.9.9", 40000, 53)), 0u);
	EXPECT_EQ(simulate_lookup(one, v4(NF_DIR_INGRESS, IPPROTO_UDP, "192.0.2.1", "10.9.9.9", 40000, 54)), std::nullopt);
}

TEST(NetFilter, CompiledSearchEqualsFirstMatch)
{
	std::mt19937 rng(12345);
	auto pick = [&](int n) { return int(rng() % n); };
	const char *nets4[] = {"10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24", "10.1.2.3/32", "192.168.0.0/16", "0.0.0.0/0"};
	const char *nets6[] = {"fd00::/8", "fd00:1::/32", "fd00:1::5/128", "2001:db8::/32"};
	const char *ports[] = {"22", "80", "1000-2000", "0-1023", "8000-8100", "53", "1024-65535"};
	const char *protos[] = {"tcp", "udp", "icmp", "any"};
	const char *dirs[] = {"ingress", "egress", "forward", "[ingress, egress]"};
	const char *states[] = {"new", "[established, related]", "invalid", "[new, untracked]", "related"};
	for (int round = 0; round < 20; round++) {
		std::string y = "rules:\n";
		int n = 5 + pick(40);
		for (int i = 0; i < n; i++) {
			std::string proto = protos[pick(4)];
			bool six = pick(3) == 0 && proto != "icmp";
			int dir = pick(4);
			y += fmt::format("  - action: {}\n    direction: {}\n", pick(2) ? "drop" : "accept", dirs[dir]);
			if (pick(3) == 0)
				y += std::string("    state: ") + states[pick(5)] + "\n";
			if (dir == 1 && pick(3) == 0) // egress: a unit, running or not
				y += std::string("    unit: ") +
				     (pick(2) ? "[nginx.service, down.service]" : pick(2) ? "cron.service" : "down.service") + "\n";
			if (proto != "any")
				y += "    protocol: " + proto + "\n";
			if (pick(2))
				y += fmt::format("    src: ['{}']\n", six ? nets6[pick(4)] : nets4[pick(6)]);
			if (pick(2))
				y += fmt::format("    dst: ['{}', '{}']\n", six ? nets6[pick(4)] : nets4[pick(6)],
						 six ? nets6[pick(4)] : nets4[pick(6)]);
			if ((proto == "tcp" || proto == "udp") && pick(2))
				y += fmt::format("    dport: ['{}', '{}']\n", ports[pick(7)], ports[pick(7)]);
			if ((proto == "tcp" || proto == "udp") && pick(4) == 0)
				y += fmt::format("    sport: '{}'\n", ports[pick(7)]);
			if (pick(5) == 0)
				y += "    interface: eth" + std::to_string(pick(2)) + "\n";
		}
		auto p = parse(y);
		auto c = compile_policy(p);
		const char *hosts4[] = {"10.1.2.3", "10.1.2.4", "10.1.9.9", "10.200.0.1", "192.168.1.1", "8.8.8.8"};
		const char *hosts6[] = {"fd00:1::5", "fd00:1::6", "fd00:2::1", "2001:db8::1", "2001:db9::1"};
		const uint8_t pprotos[] = {IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP, IPPROTO_ICMPV6};
		const uint16_t pports[] = {22, 80, 53, 1000, 1500, 2000, 2001, 1023, 1024, 8050, 8101, 65535, 0};
		for (int k = 0; k < 3000; k++) {
			PacketFields pkt;
			pkt.dir = uint8_t(pick(3));
			pkt.state = uint8_t(pick(NF_CT_STATES));
			pkt.proto = pprotos[pick(4)];
			pkt.family = pick(3) == 0 ? 6 : 4;
			if (pkt.family == 4) {
				inet_pton(AF_INET, hosts4[pick(6)], pkt.src.data());
				inet_pton(AF_INET, hosts4[pick(6)], pkt.dst.data());
			} else {
				inet_pton(AF_INET6, hosts6[pick(5)], pkt.src.data());
				inet_pton(AF_INET6, hosts6[pick(5)], pkt.dst.data());
			}
			if (pkt.proto == IPPROTO_TCP || pkt.proto == IPPROTO_UDP) {
				pkt.sport = pports[pick(13)];
				pkt.dport = pports[pick(13)];
			}
			pkt.iface = "eth" + std::to_string(pick(3));
			if (int g = pick(4))
				pkt.cgroup = 7000 + g; // 7001 nginx, 7002 cron, 7003 another cgroup
			ASSERT_EQ(simulate_lookup(c, pkt), match_linear(p, pkt)) << "round " << round << " packet " << k << "\n" << y;
		}
	}
}

TEST(NetFilter, TenThousandRulesStayFewShapes)
{
	std::string y = "rules:\n";
	for (int i = 0; i < 10000; i++)
		y += fmt::format("  - {{action: drop, direction: ingress, protocol: udp, src: 10.{}.{}.0/24, dport: {}}}\n",
				 i / 250, i % 250, 1000 + i);
	auto p = parse(y);
	auto c = compile_policy(p);
	EXPECT_EQ(c.shapes.size(), 1u);
	EXPECT_EQ(c.entries.size(), 10000u);
	auto hit = v4(NF_DIR_INGRESS, IPPROTO_UDP, "10.39.249.7", "10.0.0.1", 5, 10999);
	EXPECT_EQ(simulate_lookup(c, hit), 9999u);
}

TEST(NetFilter, TooManyShapesIsAConfigError)
{
	std::string y = "rules:\n";
	for (int i = 0; i < NF_MAX_SHAPES + 10; i++)
		y += fmt::format("  - {{action: drop, src: 10.0.0.0/{}, dst: 10.0.0.0/{}}}\n", 8 + i % 25, 8 + i / 25);
	auto p = parse(y);
	try {
		compile_policy(p);
		ADD_FAILURE() << "no error";
	} catch (const ConfigError &e) {
		EXPECT_EQ(e.line(), 2 + NF_MAX_SHAPES) << e.what(); // the rule bringing the 129th shape
		EXPECT_NE(std::string(e.what()).find("more than 128 distinct match shapes (rule rule-129 adds one more)"),
			  std::string::npos)
			<< e.what();
	}
}

TEST(NetFilter, RecordsNameEverything)
{
	nf_event e{};
	e.rule = 1;
	e.dir = NF_DIR_EGRESS;
	e.action = NF_ACT_DROP;
	e.dropped = 1;
	e.family = 4;
	e.proto = IPPROTO_UDP;
	inet_pton(AF_INET, "10.0.0.1", e.src);
	inet_pton(AF_INET, "192.0.2.53", e.dst);
	e.sport = 5555;
	e.dport = 53;
	e.len = 60;
	strcpy(e.ifname, "eth0");
	e.has_owner = 3;
	e.sk_uid = 1000;
	e.owner.pid = 4321;
	strcpy(e.owner.comm, "dig");
	auto r = net_record(e, "no-dns", 1700000000000000);
	EXPECT_EQ(r.message_id, kNetDropMessageId);
	EXPECT_EQ(std::get<std::string>(*r.get("rule")), "no-dns");
	EXPECT_EQ(std::get<int64_t>(*r.get("rule_number")), 2);
	EXPECT_EQ(std::get<std::string>(*r.get("direction")), "egress");
	EXPECT_EQ(std::get<std::string>(*r.get("dst_addr")), "192.0.2.53");
	EXPECT_EQ(std::get<int64_t>(*r.get("dst_port")), 53);
	EXPECT_EQ(std::get<int64_t>(*r.get("subject_pid")), 4321);
	EXPECT_EQ(std::get<std::string>(*r.get("subject_comm")), "dig");
	EXPECT_EQ(std::get<int64_t>(*r.get("subject_uid")), 1000);
	EXPECT_EQ(r.object_pid, 4321);
	EXPECT_NE(r.message.find("10.0.0.1:5555 -> 192.0.2.53:53"), std::string::npos);
	e.dropped = 0; // audit mode
	EXPECT_EQ(std::get<std::string>(*net_record(e, "no-dns", 0).get("mode")), "audit");
}

TEST(NetFilter, StateMatcher)
{
	auto p = parse("default: {ingress: drop}\n"
		       "rules:\n"
		       "  - name: established\n"
		       "    action: accept\n"
		       "    state: [established, related, established]\n"
		       "    direction: [ingress, forward]\n"
		       "  - name: ssh-admin\n"
		       "    action: accept\n"
		       "    direction: ingress\n"
		       "    state: new\n"
		       "    protocol: tcp\n"
		       "    src: 192.0.2.0/24\n"
		       "    dport: 22\n"
		       "  - name: invalid\n"
		       "    action: drop\n"
		       "    state: [invalid, untracked]\n");
	ASSERT_EQ(p.rules.size(), 3u);
	EXPECT_EQ(p.rules[0].states, (std::vector<uint8_t>{NF_CT_ESTABLISHED, NF_CT_RELATED})); // the repeat dropped
	EXPECT_EQ(p.rules[1].states, (std::vector<uint8_t>{NF_CT_NEW}));
	EXPECT_TRUE(uses_state(p));
	EXPECT_FALSE(uses_state(parse("rules:\n  - action: drop\n")));
	auto c = compile_policy(p);
	EXPECT_TRUE(c.info.fields & NF_F_STATE);
	// 2 states x 2 directions, 1, 2 states x 2 directions
	EXPECT_EQ(c.entries.size(), 9u);
	EXPECT_NE(c.describe(p).find("dir=ingress,forward state=established,related"), std::string::npos) << c.describe(p);
	auto pkt = v4(NF_DIR_INGRESS, IPPROTO_TCP, "198.51.100.1", "10.0.0.1", 40000, 22);
	pkt.state = NF_CT_ESTABLISHED;
	EXPECT_EQ(simulate_lookup(c, pkt), 0u);
	pkt.state = NF_CT_RELATED;
	EXPECT_EQ(simulate_lookup(c, pkt), 0u);
	pkt.state = NF_CT_NEW; // a stranger's SYN: no rule, the default drops it
	EXPECT_EQ(simulate_lookup(c, pkt), std::nullopt);
	inet_pton(AF_INET, "192.0.2.9", pkt.src.data()); // the admin network
	EXPECT_EQ(simulate_lookup(c, pkt), 1u);
	pkt.state = NF_CT_INVALID;
	EXPECT_EQ(simulate_lookup(c, pkt), 2u);
	pkt.state = NF_CT_UNTRACKED;
	EXPECT_EQ(simulate_lookup(c, pkt), 2u);
	pkt.dir = NF_DIR_EGRESS;
	pkt.state = NF_CT_ESTABLISHED; // rule 1 is ingress and forward only
	EXPECT_EQ(simulate_lookup(c, pkt), std::nullopt);
	pkt.dir = NF_DIR_FORWARD;
	EXPECT_EQ(simulate_lookup(c, pkt), 0u);
	// Every combination counts against the entries: states multiply.
	std::string y = "rules:\n  - action: accept\n    state: [new, established, related, invalid, untracked]\n"
			"    direction: [ingress, egress, forward]\n    protocol: udp\n    dport: [1, 3, 5, 7]\n";
	EXPECT_EQ(compile_policy(parse(y)).entries.size(), 5u * 3 * 4);
}

TEST(NetFilter, StateErrorsSayWhereAndHow)
{
	auto e = config_error("rules:\n  - action: accept\n    state: [established, relatd]\n");
	EXPECT_NE(e.find("t.yaml:3:26"), std::string::npos) << e;
	EXPECT_NE(e.find("related"), std::string::npos) << e; // the choices, or the one meant
	e = config_error("rules:\n  - action: accept\n    state: {established: true}\n");
	EXPECT_NE(e.find("t.yaml:3:12"), std::string::npos) << e;
	e = config_error("rules:\n  - action: accept\n    state: []\n");
	EXPECT_NE(e.find("t.yaml:3"), std::string::npos) << e;
}

TEST(NetFilter, RecordsCarryTheConnectionState)
{
	nf_event e{};
	e.rule = NF_NO_RULE;
	e.dir = NF_DIR_INGRESS;
	e.action = NF_ACT_DROP;
	e.dropped = 1;
	e.family = 4;
	e.proto = IPPROTO_TCP;
	e.dport = 22;
	auto r = net_record(e, "", 0);
	EXPECT_FALSE(r.get("ct_state")); // not read: no rule matches on state
	e.ct_state = NF_CT_NEW + 1;
	r = net_record(e, "", 0);
	EXPECT_EQ(std::get<std::string>(*r.get("ct_state")), "new");
	EXPECT_NE(r.message.find("by the default policy, state new"), std::string::npos) << r.message;
}

// Found by fuzzing: a `captures` sample shorter than the packet bytes its
// caplen claims made the pcap writer read past the sample.
TEST(NetFilter, CaptureSampleMustHoldItsPacket)
{
	constexpr size_t header = offsetof(nf_capture, data);
	auto cap = std::make_unique<nf_capture>();
	cap->caplen = 28;
	auto bytes = [&](size_t n) { return std::span(reinterpret_cast<const std::byte *>(cap.get()), n); };
	EXPECT_EQ(capture_of(bytes(header - 1)), nullptr);
	EXPECT_EQ(capture_of(bytes(header + 27)), nullptr);
	EXPECT_EQ(capture_of(bytes(header + 28)), cap.get());
	EXPECT_EQ(capture_of(bytes(sizeof(nf_capture))), cap.get());
	cap->caplen = 0xffffffff; // capped at NF_CAPTURE_MAX when written: a whole record holds it
	EXPECT_EQ(capture_of(bytes(header + 28)), nullptr);
	EXPECT_EQ(capture_of(bytes(sizeof(nf_capture))), cap.get());
	cap->caplen = 0;
	EXPECT_EQ(capture_of(bytes(header)), cap.get());
}

TEST(NetFilter, PcapFileHoldsPackets)
{
	char path[] = "/tmp/nf_pcap_testXXXXXX";
	int fd = mkstemp(path);
	close(fd);
	unlink(path);
	auto cap = std::make_unique<nf_capture>();
	const uint8_t ip[] = {0x45, 0, 0, 28, 0, 0, 0, 0, 64, 1, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
			      8, 0, 0, 0, 0, 1, 0, 1};
	memcpy(cap->data, ip, sizeof(ip));
	cap->caplen = sizeof(ip);
	cap->len = sizeof(ip);
	{
		PcapWriter w;
		w.open(path);
		w.write(*cap, 1700000000000000);
		w.write(*cap, 1700000000000001);
		EXPECT_EQ(w.written(), 2u);
	}
	{
		PcapWriter w; // a restart appends
		w.open(path);
		w.write(*cap, 1700000000000002);
	}
	std::ifstream f(path, std::ios::binary);
	std::string all((std::istreambuf_iterator<char>(f)), {});
	EXPECT_EQ(all.size(), 24u + 3 * (16 + sizeof(ip)));
	uint32_t magic;
	memcpy(&magic, all.data(), 4);
	EXPECT_EQ(magic, 0xa1b2c3d4u);
	unlink(path);
}

// The error's "file:line:column: message" line (the hint follows it).
static std::string where_and_what(const std::string &text)
{
	auto e = config_error(text);
	return e.substr(0, e.find('\n'));
}

TEST(NetFilter, RepeatedKeysAreRefusedNotFirstWins)
{
	EXPECT_EQ(where_and_what("rules:\n  - action: accept\n    dport: 22\n    protocol: tcp\n    action: drop\n"),
		  "t.yaml:5:5: key 'action' is repeated: line 2 already sets it");
	EXPECT_EQ(where_and_what("default: {ingress: drop, ingress: accept}\n"),
		  "t.yaml:1:26: key 'ingress' is repeated: line 1 already sets it");
}

TEST(NetFilter, NumbersAreDecimalAndInRange)
{
	auto rule = [](const std::string &keys) { return "rules:\n  - action: drop\n    protocol: tcp\n" + keys; };
	EXPECT_EQ(where_and_what(rule("    dport: 080\n")),
		  "t.yaml:4:12: dport must be written without a leading zero, not '080'");
	EXPECT_EQ(where_and_what(rule("    dport: 0x50\n")), "t.yaml:4:12: dport must be a decimal number, not '0x50'");
	EXPECT_EQ(where_and_what(rule("    dport: 99999999999999999999\n")),
		  "t.yaml:4:12: dport must be between 0 and 65535, not '99999999999999999999'");
	EXPECT_EQ(where_and_what(rule("    sport: 1024-65536\n")),
		  "t.yaml:4:12: sport must be between 0 and 65535, not '65536'");
	EXPECT_NE(config_error(rule("    src: 10.0.0.0/08\n")).find("t.yaml:4:10: src '10.0.0.0/08': prefix length must be "
								   "written without a leading zero"),
		  std::string::npos);
	EXPECT_NE(config_error(rule("    src: 10.0.0.0/99999999999999999999\n")).find("prefix length must be between 0 and 32"),
		  std::string::npos);
	EXPECT_NE(config_error(rule("    dst: 'fd00::/129'\n")).find("prefix length must be between 0 and 128"),
		  std::string::npos);
	auto egress = [](const std::string &uid) { return "rules:\n  - action: drop\n    direction: egress\n    uid: " + uid + "\n"; };
	EXPECT_EQ(where_and_what(egress("0777")), "t.yaml:4:10: uid must be written without a leading zero, not '0777'");
	EXPECT_EQ(where_and_what(egress("99999999999999999999")),
		  "t.yaml:4:10: uid must be between 0 and 4294967294, not '99999999999999999999'");
	EXPECT_NE(config_error(egress("1000-1999")).find("ranges like '1000-1999' are not supported here"),
		  std::string::npos);
	EXPECT_EQ(parse(egress("[1000, alice, 1000]")).rules[0].uids, (std::vector<uint32_t>{1000}));
	EXPECT_NE(config_error("rules:\n  - {action: capture, snaplen: 0x100}\n").find("t.yaml:2:32: snaplen must be a decimal"),
		  std::string::npos);
}

TEST(NetFilter, InterfaceNamesTheKernelCanHave)
{
	// "eth0\0x" could never match: the kernel's name stops at the NUL.
	EXPECT_NE(config_error("rules:\n  - action: drop\n    interface: \"eth0\\0x\"\n").find("t.yaml:3:16: interface "
										  "'eth0\\x00x' holds a control character"),
		  std::string::npos);
	EXPECT_NE(config_error("rules:\n  - action: drop\n    interface: averyveryverylongname\n")
			  .find("is 21 bytes long; a device name has 1 to 15 (IFNAMSIZ 16 with the NUL)"),
		  std::string::npos);
	EXPECT_NE(config_error("rules:\n  - action: drop\n    interface: 'eth0:1'\n").find("not a network device name"),
		  std::string::npos);
	EXPECT_EQ(parse("rules:\n  - action: drop\n    interface: fifteen-chars15\n").rules[0].iface, "fifteen-chars15");
	EXPECT_NE(config_error("capture_file: pcap/x\nrules: []\n").find("t.yaml:1:15: capture_file 'pcap/x' must be an "
									   "absolute path"),
		  std::string::npos);
}

TEST(NetFilter, ANameThatIsAnotherRulesDefaultNameSaysWhere)
{
	EXPECT_EQ(where_and_what("rules:\n  - {action: drop}\n  - {name: rule-1, action: drop}\n"),
		  "t.yaml:3:12: rule name 'rule-1' is used twice: the rule at line 2 has it");
	auto e = config_error("rules:\n  - {name: rule-2, action: drop}\n  - action: drop\n");
	EXPECT_EQ(e.substr(0, e.find('\n')),
		  "t.yaml:3:5: this rule has no name, so it is called 'rule-2', which the rule at line 2 already is");
	EXPECT_NE(e.find("hint: name one of them"), std::string::npos);
}

TEST(NetFilter, TooManyRulesAreRefusedBeforeTheyAreRead)
{
	std::string y = "rules:\n";
	for (int i = 0; i <= NF_MAX_RULES; i++)
		y += "  - {}\n";
	EXPECT_EQ(where_and_what(y), fmt::format("t.yaml:2:3: {} rules; at most {} fit", NF_MAX_RULES + 1, NF_MAX_RULES));
}

TEST(NetFilter, RepeatedListEntriesAreDroppedWhenParsing)
{
	auto p = parse("rules:\n  - action: drop\n    protocol: tcp\n    src: [10.0.0.1, 10.0.0.1/32, 10.0.0.1]\n"
		       "    dport: [80, 80, 443, 80-80]\n    direction: [ingress, ingress]\n");
	auto &r = p.rules[0];
	EXPECT_EQ(r.src.size(), 1u);
	EXPECT_EQ(r.dport.size(), 2u);
	EXPECT_EQ(r.dirs.size(), 1u);
	EXPECT_EQ(compile_policy(p).entries.size(), 2u);
}

// A rule whose lists come from anchors, repeated by aliases: `copies` rules
// in a few kilobytes, each expanding to every combination of its lists.
static std::string aliased_rules(const std::vector<std::string> &srcs, const std::vector<std::string> &ports, int copies)
{
	std::string y = "rules:\n  - &r\n    action: drop\n    protocol: tcp\n    src: &s [";
	for (size_t i = 0; i < srcs.size(); i++)
		y += (i ? ", " : "") + srcs[i];
	y += "]\n    sport: &p [";
	for (size_t i = 0; i < ports.size(); i++)
		y += (i ? ", " : "") + ports[i];
	y += "]\n    dport: *p\n";
	for (int i = 1; i < copies; i++)
		y += fmt::format("  - {{action: drop, protocol: tcp, name: c{}, src: *s, sport: *p, dport: *p}}\n", i);
	return y;
}

TEST(NetFilter, AliasedRepeatsCompileQuicklyOrAreRefused)
{
	// Repeats: 2 directions x 30 x 30 x 30 combinations per rule, 50 rules,
	// in under 5 KB. Every combination is the same entry: dropped at parse
	// time, the file compiles to two entries.
	auto y = aliased_rules(std::vector<std::string>(30, "10.0.0.1"), std::vector<std::string>(30, "80"), 50);
	ASSERT_LT(y.size(), 5000u);
	auto c = compile_policy(parse(y));
	EXPECT_EQ(c.rules.size(), 50u);
	EXPECT_EQ(c.entries.size(), 2u);

	// Distinct entries, the same in each copy: 54,000 combinations per rule.
	// Every combination counts, not only new entries, and the count is
	// checked before a rule expands: refused at the third rule.
	std::vector<std::string> srcs, ports;
	for (int i = 0; i < 30; i++) {
		srcs.push_back(fmt::format("10.0.0.{}", i));
		ports.push_back(std::to_string(1000 + i));
	}
	y = aliased_rules(srcs, ports, 50);
	ASSERT_LT(y.size(), 5000u);
	auto p = parse(y);
	try {
		compile_policy(p);
		ADD_FAILURE() << "no error";
	} catch (const ConfigError &e) {
		EXPECT_EQ(e.line(), 9) << e.what();
		EXPECT_NE(std::string(e.what()).find("the rules expand to more than 131072 table entries (rule c2 alone to 54000)"),
			  std::string::npos)
			<< e.what();
	}
	p.rules.resize(2);
	EXPECT_EQ(compile_policy(p).entries.size(), 54000u);
}

TEST(NetFilter, OneRulesExpansionIsCountedBeforeItExpands)
{
	std::string y = "rules:\n  - action: drop\n    protocol: udp\n    src: [";
	for (int i = 0; i < 300; i++)
		y += fmt::format("{}10.1.{}.{}", i ? ", " : "", i / 250, i % 250);
	y += "]\n    dport: [";
	for (int i = 0; i < 300; i++)
		y += fmt::format("{}{}", i ? ", " : "", 2 * i);
	y += "]\n";
	auto e = std::string(config_error(y));
	EXPECT_TRUE(e.empty()) << "parses";
	auto p = parse(y);
	try {
		compile_policy(p);
		ADD_FAILURE() << "no error";
	} catch (const ConfigError &ce) {
		EXPECT_EQ(ce.line(), 2);
		EXPECT_NE(std::string(ce.what()).find("(rule rule-1 alone to 180000)"), std::string::npos) << ce.what();
	}
	// Port classes are counted as the compiler expands them: a wide range
	// that other rules' ports cut into many classes counts each.
	y = "rules:\n  - {action: drop, protocol: tcp, dport: 0-65535, src: [";
	for (int i = 0; i < 20; i++)
		y += fmt::format("{}10.2.0.{}", i ? ", " : "", i);
	y += "]}\n  - {action: drop, protocol: tcp, dport: [";
	for (int i = 0; i < 2000; i++)
		y += fmt::format("{}{}", i ? ", " : "", 3 * i + 1);
	y += "]}\n";
	p = parse(y);
	try {
		compile_policy(p);
		ADD_FAILURE() << "no error";
	} catch (const ConfigError &ce) {
		EXPECT_EQ(ce.line(), 2);
		EXPECT_NE(std::string(ce.what()).find("alone to 160040)"), std::string::npos) << ce.what();
	}
}

// Shapes of addresses and ports only go to the compact tables the kernel
// hashes fastest (an IPv6 shape of one prefix of 64 bits at most to the
// 20-byte one); an interface or an owner needs the full key.
TEST(NetFilter, ShapesPickTheirTable)
{
	auto c = compile_policy(parse("rules:\n"
				      "  - {action: drop, direction: ingress, protocol: udp, src: 10.1.0.0/16, dport: 53}\n"
				      "  - {action: drop, direction: ingress, src: 'fd00::/8'}\n"
				      "  - {action: drop, direction: ingress, protocol: tcp}\n"
				      "  - {action: drop, direction: ingress, interface: eth0, src: 10.2.0.0/16}\n"
				      "  - {action: drop, direction: egress, uid: alice, dst: 'fd00::/8'}\n"
				      "  - {action: drop, direction: ingress, dst: 'fd00:1:2:3::/64'}\n"
				      "  - {action: drop, direction: ingress, dst: 'fd00:1:2:3::/65'}\n"
				      "  - {action: drop, direction: ingress, src: 'fd00::5'}\n"
				      "  - {action: drop, direction: ingress, src: 'fd00::/48', dst: 'fd01::/48'}\n"));
	ASSERT_EQ(c.shapes.size(), 9u);
	const uint8_t want[] = {NF_TAB_V4, NF_TAB_V6N, NF_TAB_V4, NF_TAB_FULL, NF_TAB_FULL,
				NF_TAB_V6N, NF_TAB_V6, NF_TAB_V6, NF_TAB_V6};
	for (size_t i = 0; i < 9; i++)
		EXPECT_EQ(c.shapes[i].table, want[i]) << "shape " << i;
	nf_tuple t{};
	t.gen = 1;
	t.shape = 3;
	t.dir = NF_DIR_EGRESS;
	t.proto = IPPROTO_UDP;
	t.state = NF_CT_NEW;
	t.sport = 7;
	t.dport = 9;
	inet_pton(AF_INET, "10.1.2.3", t.src);
	inet_pton(AF_INET, "192.0.2.1", t.dst);
	nf_key4 k4 = key4_of(t);
	EXPECT_EQ(k4.gen, 1u);
	EXPECT_EQ(k4.shape, 3);
	EXPECT_EQ(k4.dir, NF_DIR_EGRESS);
	EXPECT_EQ(k4.proto, IPPROTO_UDP);
	EXPECT_EQ(k4.state, NF_CT_NEW);
	EXPECT_EQ(k4.sport, 7);
	EXPECT_EQ(k4.dport, 9);
	EXPECT_EQ(k4.src, inet_addr("10.1.2.3"));
	EXPECT_EQ(k4.dst, inet_addr("192.0.2.1"));
	inet_pton(AF_INET6, "fd00:1::5", t.src);
	nf_key6 k6 = key6_of(t);
	EXPECT_EQ(memcmp(k6.src, t.src, 16), 0);
	EXPECT_EQ(k6.dport, 9);
	// The narrow IPv6 key: the 64 bits of whichever address the shape
	// matches (the other is zero in its entries, as in a packet's key).
	inet_pton(AF_INET6, "fd00:1:2:3::", t.src);
	memset(t.dst, 0, sizeof(t.dst));
	nf_key6n k6n = key6n_of(t);
	EXPECT_EQ(memcmp(k6n.addr, t.src, 8), 0);
	EXPECT_EQ(k6n.shape, 3);
	EXPECT_EQ(k6n.dport, 9);
	memcpy(t.dst, t.src, sizeof(t.dst));
	memset(t.src, 0, sizeof(t.src));
	EXPECT_EQ(memcmp(key6n_of(t).addr, t.dst, 8), 0);
	EXPECT_EQ(sizeof(nf_key4), 20u); // no padding: every byte is hashed
	EXPECT_EQ(sizeof(nf_key6), 44u);
	EXPECT_EQ(sizeof(nf_key6n), 20u);
}
