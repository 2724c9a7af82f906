// kwarden-audit's pure parts: classifying journal records, grouping and
// counting them (storm repeat counts included), time values, status.
#include "audit_event.h"
#include "audit_report.h"
#include "errors.h"
#include "message_ids.h"
#include "service_status.h"
#include "time_spec.h"

#include <gtest/gtest.h>
#include <map>
#include <random>

using namespace kw::audit;

namespace {
using Fields = std::map<std::string, std::string>;

FieldLookup lookup(const Fields &f)
{
	return [f](const std::string &k) {
		auto it = f.find(k);
		return it == f.end() ? std::string() : it->second;
	};
}

Fields frtp_deny(const std::string &rule, const std::string &exe, const std::string &path)
{
	return {{"MESSAGE_ID", kw::frtp::kDenyMessageId}, {"SYSLOG_IDENTIFIER", "frtp"}, {"RULE", rule},
		{"SUBJECT_EXE", exe},			   {"PATH", path},		   {"_HOSTNAME", "h1"}};
}
} // namespace

TEST(AuditClassify, KindsAndObjects)
{
	auto e = classify(lookup(frtp_deny("shadow", "/usr/bin/cat", "/etc/shadow")), 5);
	ASSERT_TRUE(e);
	EXPECT_EQ(e->kind, "deny");
	EXPECT_EQ(e->rule, "shadow");
	EXPECT_EQ(e->object, "/etc/shadow");
	EXPECT_EQ(e->count, 1u);
	EXPECT_FALSE(e->summary);
	EXPECT_EQ(e->usec, 5);

	Fields w = frtp_deny("r", "/bin/x", "/p");
	w["MESSAGE_ID"] = kw::frtp::kWouldDenyMessageId;
	EXPECT_EQ(classify(lookup(w), 0)->kind, "would-deny");

	Fields rf = {{"MESSAGE_ID", kw::rmf::kDeniedMessageId}, {"SYSLOG_IDENTIFIER", "rm-forbid"},
		     {"PATH", "/srv/db"}, {"SUBJECT_COMM", "rm"}, {"OBJECT_SYSTEMD_UNIT", "cron.service"}};
	auto r = classify(lookup(rf), 0);
	EXPECT_EQ(r->kind, "refusal");
	EXPECT_EQ(r->rule, "-");
	EXPECT_EQ(r->exe, "rm"); // no SUBJECT_EXE: the comm
	EXPECT_EQ(r->unit, "cron.service");
	rf["MESSAGE_ID"] = kw::rmf::kAuditedMessageId;
	EXPECT_EQ(classify(lookup(rf), 0)->kind, "would-refuse");

	Fields nf = {{"MESSAGE_ID", kw::nf::kNetDropMessageId}, {"SYSLOG_IDENTIFIER", "net-filter"}, {"RULE", "telnet"},
		     {"DECISION", "drop"}, {"DIRECTION", "ingress"}, {"PROTOCOL", "tcp"}, {"DST_ADDR", "127.0.0.1"},
		     {"DST_PORT", "23"}};
	auto n = classify(lookup(nf), 0);
	EXPECT_EQ(n->kind, "drop");
	EXPECT_EQ(n->object, "ingress tcp 127.0.0.1:23");
	nf["DECISION"] = "accept";
	EXPECT_EQ(classify(lookup(nf), 0)->kind, "would-drop");

	Fields t = {{"MESSAGE_ID", kw::kTamperMessageId}, {"SYSLOG_IDENTIFIER", "frtp"}, {"TAMPER", "signal"},
		    {"DECISION", "deny"}, {"TARGET", "the daemon (pid 5)"}, {"SUBJECT_EXE", "/usr/bin/kill"}};
	auto tm = classify(lookup(t), 0);
	EXPECT_EQ(tm->kind, "tamper");
	EXPECT_EQ(tm->rule, "guard:signal");
	EXPECT_EQ(tm->object, "the daemon (pid 5)");
	t["DECISION"] = "audit";
	EXPECT_EQ(classify(lookup(t), 0)->kind, "tamper-audited");

	Fields u = {{"MESSAGE_ID", kUnrecordedMessageId}, {"SYSLOG_IDENTIFIER", "frtp"}, {"STORM_RULE_INDEX", "3"}};
	EXPECT_EQ(classify(lookup(u), 0)->rule, "#3");

	// Not part of a report: policy records, audit-action records, trace events.
	for (const char *id : {kw::frtp::kPolicyMessageId, kw::frtp::kAuditMessageId, kw::nf::kNetAuditMessageId, "",
			       "6b1d0c9e4f3a4e57a0f2c4d8e1b7a901"})
		EXPECT_FALSE(classify(lookup({{"MESSAGE_ID", id}}), 0)) << id;
}

TEST(AuditClassify, StormSummaryCountsItsRepeats)
{
	Fields f = frtp_deny("r", "/bin/x", "/p");
	f["REPEAT_COUNT"] = "41";
	auto e = classify(lookup(f), 0);
	EXPECT_TRUE(e->summary);
	EXPECT_EQ(e->count, 41u);
}

// A generated set of records with known counts: the report's totals and
// groups must be exactly what was generated.
TEST(AuditReport, GeneratedCountsAreExact)
{
	std::mt19937 rng(15);
	const std::vector<std::string> rules = {"a", "b", "c"}, exes = {"/bin/cat", "/bin/sh"};
	std::map<std::pair<std::string, std::string>, uint64_t> want; // (rule, exe) -> decisions
	std::map<std::pair<std::string, std::string>, std::pair<int64_t, int64_t>> seen;
	uint64_t want_total = 0, want_records = 0, want_repeats = 0;
	AuditReport rep({"rule", "exe"});
	for (int i = 0; i < 2000; i++) {
		std::string rule = rules[rng() % rules.size()], exe = exes[rng() % exes.size()];
		Fields f = frtp_deny(rule, exe, "/p" + std::to_string(rng() % 7));
		uint64_t n = 1;
		if (rng() % 4 == 0) {
			n = rng() % 1000 + 1;
			f["REPEAT_COUNT"] = std::to_string(n);
			want_repeats += n;
		}
		int64_t usec = 1000 + i;
		rep.add(*classify(lookup(f), usec));
		auto k = std::make_pair(rule, exe);
		want[k] += n;
		want_total += n;
		want_records++;
		if (!seen.count(k))
			seen[k] = {usec, usec};
		seen[k].second = usec;
	}
	EXPECT_EQ(rep.totals().at("deny"), want_total);
	EXPECT_EQ(rep.records(), want_records);
	EXPECT_EQ(rep.repeats(), want_repeats);
	auto groups = rep.groups();
	ASSERT_EQ(groups.size(), want.size());
	for (size_t i = 0; i < groups.size(); i++) {
		auto &g = groups[i];
		auto k = std::make_pair(g.dims.at("rule"), g.dims.at("exe"));
		EXPECT_EQ(g.count, want.at(k));
		EXPECT_EQ(g.first_usec, seen.at(k).first);
		EXPECT_EQ(g.last_usec, seen.at(k).second);
		if (i) {
			EXPECT_GE(groups[i - 1].count, g.count); // largest first
		}
	}
	auto j = rep.json(0, 0, "test");
	EXPECT_EQ(j["totals"]["deny"].get<uint64_t>(), want_total);
	EXPECT_EQ(j["groups"].size(), want.size());
	EXPECT_EQ(j["group_by"], nlohmann::json({"rule", "exe"}));
}

TEST(AuditReport, KindsStaySeparateAndTextShowsThem)
{
	AuditReport rep;
	Fields d = frtp_deny("r", "/bin/x", "/p");
	rep.add(*classify(lookup(d), 1));
	d["MESSAGE_ID"] = kw::frtp::kWouldDenyMessageId;
	rep.add(*classify(lookup(d), 2));
	rep.add(*classify(lookup(d), 3));
	EXPECT_EQ(rep.groups().size(), 2u);
	EXPECT_EQ(rep.totals().at("deny"), 1u);
	EXPECT_EQ(rep.totals().at("would-deny"), 2u);
	std::string t = rep.text(0, 0, "test");
	EXPECT_NE(t.find("totals: deny 1, would-deny 2"), std::string::npos) << t;
	EXPECT_NE(t.find("/bin/x"), std::string::npos);
	EXPECT_NE(AuditReport().text(0, 0, "x").find("no denials"), std::string::npos);
}

TEST(AuditReport, UnknownDimensionIsAUsageError)
{
	try {
		AuditReport r({"rule", "colour"});
		FAIL();
	} catch (const kw::Error &e) {
		EXPECT_EQ(e.code(), kw::Errc::usage);
		EXPECT_NE(std::string(e.what()).find("colour"), std::string::npos);
	}
}

TEST(AuditTime, Forms)
{
	int64_t now = 1767225600LL * 1000000 + 123; // 2026-01-01 00:00:00 UTC
	EXPECT_EQ(TimeSpec::parse("--since", "now", now), now);
	EXPECT_EQ(TimeSpec::parse("--since", "@1700000000", now), 1700000000LL * 1000000);
	EXPECT_EQ(TimeSpec::parse("--since", "-2h", now), now - 7200LL * 1000000);
	EXPECT_EQ(TimeSpec::parse("--since", "3d ago", now), now - 3 * 86400LL * 1000000);
	EXPECT_EQ(TimeSpec::parse("--since", "10 m ago", now), now - 600LL * 1000000);
	int64_t day = TimeSpec::parse("--since", "2026-03-04", now);
	EXPECT_EQ(TimeSpec::parse("--since", "2026-03-04 01:02:03", now), day + 3723LL * 1000000);
	EXPECT_EQ(TimeSpec::parse("--since", "2026-03-04 01:02", now), day + 3720LL * 1000000);
	EXPECT_LE(TimeSpec::parse("--since", "today", now), now);
	EXPECT_LT(TimeSpec::parse("--since", "yesterday", now), TimeSpec::parse("--since", "today", now));
	for (const char *bad : {"", "tomorrow", "2026-13-01", "2026-02-01 25:00", "-2y", "@x"}) {
		try {
			TimeSpec::parse("--until", bad, now);
			ADD_FAILURE() << bad;
		} catch (const kw::Error &e) {
			EXPECT_EQ(e.code(), kw::Errc::usage);
			EXPECT_NE(std::string(e.what()).find("--until"), std::string::npos);
		}
	}
}

TEST(AuditStatus, FromTheJournalAndThePins)
{
	const auto &ids = enforcers()[0];
	ASSERT_EQ(ids.tool, "frtp");
	ServiceStatus s(ids);
	auto policy = [&](const std::string &ev, const std::string &sha, const std::string &pid) {
		return Fields{{"MESSAGE_ID", ids.policy_id}, {"POLICY_EVENT", ev}, {"POLICY_SHA256", sha},
			      {"RULES_FILE", "/etc/kwarden/frtp.yaml"}, {"_PID", pid},
			      {"_SYSTEMD_UNIT", "kwarden-frtp.service"}};
	};
	s.add(lookup(policy("load", "aaa", "10")), 100);
	s.add(lookup(frtp_deny("r", "/x", "/p")), 110); // before the restart: not counted
	s.add(lookup(policy("load", "aaa", "20")), 200);
	s.add(lookup(frtp_deny("r", "/x", "/p")), 210);
	Fields rep = frtp_deny("r", "/x", "/p");
	rep["REPEAT_COUNT"] = "9";
	s.add(lookup(rep), 220);
	s.add(lookup(policy("reload", "bbb", "20")), 300);
	s.add(lookup({{"MESSAGE_ID", ids.refused_id}, {"POLICY_EVENT", "refused"}, {"POLICY_SHA256", "bbb"}}), 310);
	s.add(lookup({{"MESSAGE", "3 decision events lost (ring buffer full; 7 in total)"}}), 320);
	s.add(lookup({{"MESSAGE_ID", kw::kTamperMessageId}, {"DECISION", "deny"}}), 330);
	EXPECT_EQ(s.decisions(), 10u);
	EXPECT_EQ(s.lost(), 7u);
	EXPECT_EQ(s.pid(), 20);
	EXPECT_EQ(s.state(), "last event: reload"); // collected journal: no pins
	PinState p;
	p.name = "frtp";
	p.present = true;
	p.links = 12;
	p.guarded = true;
	s.set_pins(p);
	s.set_daemon_alive(true);
	EXPECT_EQ(s.state(), "enforcing");
	s.set_daemon_alive(false);
	EXPECT_EQ(s.state(), "enforcing (daemon down)");
	s.set_file_sha256("ccc");
	auto j = s.json();
	EXPECT_EQ(j["policy_sha256"], "bbb");
	EXPECT_EQ(j["tamper_attempts"], 1);
	EXPECT_EQ(j["refused_reloads"], 1);
	EXPECT_NE(s.text().find("edited, not reloaded"), std::string::npos) << s.text();
	p.lost = 9;
	s.set_pins(p);
	EXPECT_EQ(s.lost(), 9u);
	Fields stop = policy("stop", "bbb", "20");
	stop["REQUESTER_EXE"] = "/usr/sbin/frtp";
	s.add(lookup(stop), 400);
	p.present = false;
	p.links = 0;
	s.set_pins(p);
	EXPECT_EQ(s.state(), "stopped");
	EXPECT_NE(s.text().find("by /usr/sbin/frtp"), std::string::npos);

	// A killed daemon: the next one records an unclean end and loads; a
	// `detach` (another process) removes the pins and names who asked.
	s.add(lookup({{"MESSAGE_ID", ids.policy_id}, {"POLICY_EVENT", "unclean-end"}, {"_PID", "30"}}), 500);
	s.add(lookup(policy("load", "bbb", "30")), 501);
	EXPECT_EQ(s.pid(), 30);
	EXPECT_NE(s.text().find("unclean end"), std::string::npos) << s.text();
	s.add(lookup({{"MESSAGE_ID", ids.policy_id}, {"POLICY_EVENT", "detach"}, {"_PID", "99"},
		      {"REQUESTER_EXE", "/usr/bin/bash"}}),
	      600);
	EXPECT_EQ(s.pid(), 30);
	EXPECT_EQ(s.json()["policy_sha256"], "bbb");
	EXPECT_EQ(s.state(), "detached");
}

TEST(ServiceStatus, NamedInstancesAreToldApartByPinName)
{
	auto ids = *std::find_if(enforcers().begin(), enforcers().end(), [](auto &e) { return e.tool == "net-filter"; });
	EXPECT_EQ(instances_of("net-filter", {"frtp", "net-filter", "net-filter-dmz", "net-filter-lab", "rm-forbid"}),
		  (std::vector<std::string>{"net-filter-dmz", "net-filter-lab"}));
	EXPECT_TRUE(instances_of("frtp", {"frtp", "net-filter-dmz"}).empty());
	Fields dflt{{"MESSAGE_ID", ids.policy_id}, {"POLICY_EVENT", "load"}, {"POLICY_SHA256", "aaa"},
		    {"RULES_FILE", "/etc/kwarden/net-filter.yaml"}, {"_PID", "10"}};
	Fields dmz = dflt;
	dmz["PIN_NAME"] = "net-filter-dmz";
	dmz["POLICY_SHA256"] = "ddd";
	dmz["RULES_FILE"] = "/etc/kwarden/dmz.yaml";
	dmz["POLICY_DROPINS"] = "dmz.d/10-web.yaml";
	EXPECT_EQ(pin_name_of(lookup(dflt), "net-filter"), "net-filter");
	EXPECT_EQ(pin_name_of(lookup(dmz), "net-filter"), "net-filter-dmz");
	ServiceStatus s(ids, "net-filter-dmz");
	EXPECT_EQ(s.instance(), "dmz");
	s.add(lookup(dmz), 100);
	EXPECT_NE(s.text().find("net-filter --instance dmz: last event: load"), std::string::npos) << s.text();
	EXPECT_NE(s.text().find("/etc/kwarden/dmz.yaml + drop-ins dmz.d/10-web.yaml sha256 ddd"), std::string::npos)
		<< s.text();
	EXPECT_EQ(s.json()["instance"], "dmz");
	EXPECT_EQ(s.json()["policy_dropins"], "dmz.d/10-web.yaml");
	EXPECT_EQ(ServiceStatus(ids).instance(), "");
	EXPECT_FALSE(ServiceStatus(ids).json().contains("instance"));
}
