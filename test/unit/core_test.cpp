// Loader library: pure parts, no kernel needed.
#include "cgroup_resolver.h"
#include "errors.h"
#include "kernel_features.h"
#include "journal_sink.h"
#include "json_encoder.h"
#include "kernel_path.h"
#include "proc_table.h"
#include "record.h"
#include "sink.h"
#include "tagged_sink.h"

#include <cstdint>
#include <gtest/gtest.h>
#include <map>
#include <nlohmann/json.hpp>

using namespace kw;
using namespace std::string_literals;

TEST(KernelPath, ReversesLeafFirstComponents)
{
	EXPECT_EQ(decode_path("shadow\0etc\0"s, 0), "/etc/shadow");
	EXPECT_EQ(decode_path(""s, 0), "/");
	EXPECT_EQ(decode_path("c\0b\0a\0"s, KW_PATH_TRUNCATED), ".../a/b/c");
	EXPECT_EQ(decode_path("c\0b\0"s, KW_PATH_DEPTH_OVERFLOW), "?/b/c");
	EXPECT_EQ(decode_path("f\0tmp\0"s, KW_PATH_DELETED), "/tmp/f (deleted)");
}

TEST(KernelPath, DecodesStructAndClampsLength)
{
	kw_path p{};
	memcpy(p.buf, "true\0bin\0usr\0", 13);
	p.len = 13;
	EXPECT_EQ(decode_path(p), "/usr/bin/true");
	p.len = 60000; // a corrupt length must not read past the buffer
	EXPECT_EQ(decode_path(p), "/usr/bin/true");
}

// Found by fuzzing the decoders: negating a return value that is not an errno
// (INT64_MIN) is undefined behaviour.
TEST(Errno, OnlyMinusOneToMaxErrnoIsAnErrno)
{
	EXPECT_EQ(errno_of(-2), 2);
	EXPECT_EQ(errno_of(-4095), 4095);
	EXPECT_EQ(errno_of(-4096), std::nullopt);
	EXPECT_EQ(errno_of(0), std::nullopt);
	EXPECT_EQ(errno_of(INT64_MIN), std::nullopt);
	EXPECT_EQ(failure_name(-2), "ENOENT");
	EXPECT_EQ(failure_name(INT64_MIN), "-9223372036854775808");
	EXPECT_EQ(failure_name(-4096), "-4096");
}

TEST(ProcTable, ParsesStatWithAwkwardComm)
{
	auto e = parse_proc_stat("1234 (my (odd) prog) S 77 1234 1234 0 -1");
	ASSERT_TRUE(e);
	EXPECT_EQ(e->pid, 1234u);
	EXPECT_EQ(e->comm, "my (odd) prog");
	EXPECT_EQ(e->ppid, 77u);
	EXPECT_FALSE(parse_proc_stat("garbage"));
}

TEST(ProcTable, AssemblesChainOldestFirst)
{
	std::map<uint32_t, ProcEntry> t = {{1, {1, 0, "systemd"}},
					   {812, {812, 1, "sshd"}},
					   {1001, {1001, 812, "bash"}},
					   {1200, {1200, 1001, "curl"}}};
	auto lookup = [&](uint32_t p) -> std::optional<ProcEntry> {
		auto it = t.find(p);
		return it == t.end() ? std::nullopt : std::optional(it->second);
	};
	EXPECT_EQ(format_chain(assemble_chain(1200, lookup)), "systemd(1) > sshd(812) > bash(1001) > curl(1200)");
	// An unknown ancestor ends the chain rather than inventing one.
	t.erase(812);
	EXPECT_EQ(format_chain(assemble_chain(1200, lookup)), "bash(1001) > curl(1200)");
	// A loop (pid reuse races) terminates.
	t[1001].ppid = 1200;
	EXPECT_EQ(assemble_chain(1200, lookup).size(), 2u);
	// The depth bound holds.
	EXPECT_LE(assemble_chain(1200, lookup, 1).size(), 1u);
}

TEST(Features, ParsesReleaseAndLsmList)
{
	auto v = parse_kernel_release("6.12.43+deb12-amd64");
	EXPECT_EQ(v.major, 6);
	EXPECT_EQ(v.minor, 12);
	EXPECT_TRUE(v.at_least(6, 4));
	EXPECT_FALSE(parse_kernel_release("5.15.0").at_least(6, 4));
	auto l = split_lsm_list("lockdown,capability,landlock,yama,apparmor\n");
	ASSERT_EQ(l.size(), 5u);
	EXPECT_EQ(l.back(), "apparmor");
	EXPECT_EQ(lsm_boot_parameter(l), "lsm=lockdown,capability,landlock,yama,apparmor,bpf");
	l.push_back("bpf");
	EXPECT_EQ(lsm_boot_parameter(l), "lsm=lockdown,capability,landlock,yama,apparmor,bpf");
}

TEST(Cgroup, NamesTheInnermostUnit)
{
	EXPECT_EQ(unit_from_cgroup_path("/system.slice/sshd.service"), "sshd.service");
	EXPECT_EQ(unit_from_cgroup_path("/user.slice/user-1000.slice/user@1000.service/app.slice/vim.scope"),
		  "vim.scope");
	EXPECT_EQ(unit_from_cgroup_path("/system.slice/foo.service/sub"), "foo.service");
	EXPECT_EQ(unit_from_cgroup_path("/"), "");
	EXPECT_EQ(unit_from_cgroup_path("/init.scope"), "init.scope");
}

static Record sample()
{
	Record r("deny", "0123456789abcdef0123456789abcdef", 4);
	r.message = "denied read of /etc/shadow";
	r.realtime_usec = 1700000000123456;
	r.object_pid = 42;
	r.add("subject_pid", 42).add("path", "/etc/shadow").add("argv", std::vector<std::string>{"cat", "a b"});
	return r;
}

TEST(Sinks, JournalFieldsAreUpperCaseWithIdentity)
{
	auto e = JournalSink::entries(sample(), "frtp");
	auto has = [&](const std::string &s) { return std::find(e.begin(), e.end(), s) != e.end(); };
	EXPECT_TRUE(has("SYSLOG_IDENTIFIER=frtp"));
	EXPECT_TRUE(has("MESSAGE_ID=0123456789abcdef0123456789abcdef"));
	EXPECT_TRUE(has("OBJECT_PID=42"));
	EXPECT_TRUE(has("SUBJECT_PID=42"));
	EXPECT_TRUE(has("PATH=/etc/shadow"));
	EXPECT_TRUE(has("ARGV=cat 'a b'"));
	EXPECT_TRUE(has("PRIORITY=4"));
}

TEST(Sinks, TaggedSinkNamesTheInstanceInEveryRecord)
{
	class Keep : public Sink {
	public:
		std::vector<Record> *out;
		explicit Keep(std::vector<Record> *o) : out(o) {}
		void write(const Record &r) override { out->push_back(r); }
	};
	std::vector<Record> got;
	TaggedSink t(std::make_unique<Keep>(&got), "pin_name", "net-filter-dmz");
	t.write(sample());
	ASSERT_EQ(got.size(), 1u);
	auto e = JournalSink::entries(got[0], "net-filter");
	EXPECT_NE(std::find(e.begin(), e.end(), "PIN_NAME=net-filter-dmz"), e.end());
	EXPECT_NE(std::find(e.begin(), e.end(), "PATH=/etc/shadow"), e.end());
}

TEST(Sinks, JsonKeepsTypes)
{
	std::string line;
	JsonEncoder("frtp").encode(sample(), line);
	auto j = nlohmann::json::parse(line);
	EXPECT_EQ(j["tool"], "frtp");
	EXPECT_EQ(j["event"], "deny");
	EXPECT_EQ(j["subject_pid"], 42);
	EXPECT_EQ(j["argv"][1], "a b");
	EXPECT_EQ(j["path"], "/etc/shadow");
}

TEST(Sinks, ParseOutputRejectsUnknown)
{
	EXPECT_EQ(parse_output("json"), Output::json);
	EXPECT_THROW(parse_output("xml"), kw::Error);
}

TEST(Record, ShellQuoting)
{
	EXPECT_EQ(shell_quote("plain/path-1.txt"), "plain/path-1.txt");
	EXPECT_EQ(shell_quote(""), "''");
	EXPECT_EQ(shell_quote("it's"), "'it'\\''s'");
	EXPECT_EQ(join_argv({"sh", "-c", "echo hi"}), "sh -c 'echo hi'");
}

#include "storm_aggregator.h"

namespace {
struct CollectSink : Sink {
	std::vector<Record> got;
	void write(const Record &r) override { got.push_back(r); }
};
StormAggregator::Clock::time_point fake_now;
StormAggregator::Clock::time_point fake_clock() { return fake_now; }
} // namespace

TEST(StormAggregator, FirstPassesRepeatsAreCountedNotLost)
{
	CollectSink out;
	StormAggregator agg(out, std::chrono::seconds(1));
	agg.set_clock(fake_clock);
	fake_now = {};
	Record r = sample();
	for (int i = 0; i < 1000; i++)
		agg.write(r, "same");
	agg.write(r, "other");
	ASSERT_EQ(out.got.size(), 2u); // the first of each kind, at once
	agg.flush();
	EXPECT_EQ(out.got.size(), 2u); // window still open
	fake_now += std::chrono::seconds(2);
	agg.flush();
	ASSERT_EQ(out.got.size(), 3u); // one summary; "other" had no repeats
	EXPECT_EQ(std::get<int64_t>(*out.got[2].get("repeat_count")), 999);
	EXPECT_NE(out.got[2].message.find("repeated 999 more times"), std::string::npos);
	// After the window closes the next one passes through again.
	agg.write(r, "same");
	EXPECT_EQ(out.got.size(), 4u);
}

TEST(StormAggregator, KeyOverflowFlushesInsteadOfDropping)
{
	CollectSink out;
	StormAggregator agg(out, std::chrono::seconds(10), 2);
	Record r = sample();
	agg.write(r, "a");
	agg.write(r, "a");
	agg.write(r, "b");
	agg.write(r, "c"); // table full: a's count goes out now
	EXPECT_EQ(agg.overflowed(), 1u);
	int64_t counted = 0;
	for (auto &g : out.got)
		if (auto v = g.get("repeat_count"))
			counted += std::get<int64_t>(*v);
	EXPECT_EQ(counted, 1);
}

// The kernel counts repeats (storm.bpf.h); they reach journald as repeat
// counts of the record they repeat, whichever window that record is in.
TEST(StormAggregator, KernelCountsJoinTheirRecord)
{
	CollectSink out;
	StormAggregator agg(out, std::chrono::seconds(1));
	agg.set_clock(fake_clock);
	fake_now = {};
	Record r = sample();
	int unknowns = 0;
	auto unknown = [&] {
		unknowns++;
		return sample();
	};
	agg.write(r, "k");                 // the kernel's first record
	agg.add_repeats("k", 500, unknown); // counted in the same epoch
	fake_now += std::chrono::seconds(2);
	agg.flush(); // closes k: 1 + 500
	agg.add_repeats("k", 300, unknown); // the epoch that straddled the close
	fake_now += std::chrono::seconds(2);
	agg.flush();
	agg.add_repeats("never-seen", 7, unknown); // its first found the ring full
	fake_now += std::chrono::seconds(2);
	agg.flush();
	EXPECT_EQ(unknowns, 1);
	int64_t total = 0;
	for (auto &g : out.got)
		total += g.get("repeat_count") ? std::get<int64_t>(*g.get("repeat_count")) : 1;
	EXPECT_EQ(total, 1 + 500 + 300 + 7);
}
