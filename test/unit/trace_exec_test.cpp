// trace-exec's pure parts: event decoding, records and the tree (its filter:
// process_filter_test.cpp).
#include "exec_record.h"
#include "exec_tree.h"

#include <cstdint>
#include <cstring>
#include <gtest/gtest.h>

using namespace kw;
using namespace kw::texec;

static void put_path(kw_path &p, const char *leaf_first, size_t len)
{
	memcpy(p.buf, leaf_first, len);
	p.len = len;
}

TEST(TraceExec, DecodesSuccessfulExec)
{
	auto ev = std::make_unique<te_event>();
	ev->subject.pid = 1200;
	ev->subject.ppid = 1001;
	ev->subject.uid = 1000;
	strcpy(ev->subject.comm, "curl");
	strcpy(ev->filename, "/usr/bin/curl");
	const char args[] = "curl\0-s\0http://x y\0";
	memcpy(ev->args, args, sizeof(args) - 1);
	ev->args_len = sizeof(args) - 1;
	ev->argc = 3;
	put_path(ev->exe, "curl\0bin\0usr\0", 13);
	put_path(ev->cwd, "alice\0home\0", 11);
	auto x = decode_exec(*ev);
	EXPECT_EQ(x.exe, "/usr/bin/curl");
	EXPECT_EQ(x.cwd, "/home/alice");
	ASSERT_EQ(x.argv.size(), 3u);
	EXPECT_EQ(x.argv[2], "http://x y");
	EXPECT_FALSE(x.args_truncated);

	auto r = exec_record(x, 1700000000000000, "bash(1001) > curl(1200)");
	EXPECT_EQ(r.message_id, kExecMessageId);
	EXPECT_NE(r.message.find("curl -s 'http://x y'"), std::string::npos);
	EXPECT_NE(r.message.find("bash(1001) > curl(1200)"), std::string::npos);
	EXPECT_EQ(std::get<std::string>(*r.get("result")), "ok");
}

TEST(TraceExec, MarksTruncationAndFailure)
{
	auto ev = std::make_unique<te_event>();
	ev->retval = -2;
	strcpy(ev->filename, "/nope");
	const char args[] = "nope\0a";
	memcpy(ev->args, args, sizeof(args) - 1);
	ev->args_len = sizeof(args) - 1;
	ev->argc = 5; // the kernel saw more than fit
	auto x = decode_exec(*ev);
	EXPECT_TRUE(x.args_truncated);
	EXPECT_EQ(x.argv.back(), "a");
	EXPECT_EQ(x.exe, "");
	auto r = exec_record(x, 0, "");
	EXPECT_EQ(r.message_id, kExecFailedMessageId);
	EXPECT_EQ(std::get<std::string>(*r.get("result")), "ENOENT");
	EXPECT_NE(r.message.find("exec failed (ENOENT)"), std::string::npos);
	EXPECT_NE(r.message.find(" ..."), std::string::npos);
}

// Found by fuzzing: a return value that is no errno was negated (INT_MIN: undefined).
TEST(TraceExec, AReturnValueThatIsNoErrnoIsShownAsANumber)
{
	auto ev = std::make_unique<te_event>();
	ev->retval = INT32_MIN;
	auto r = exec_record(decode_exec(*ev), 0, "");
	EXPECT_EQ(std::get<std::string>(*r.get("result")), "-2147483648");
	EXPECT_EQ(r.get("errno"), nullptr);
	EXPECT_NE(r.message.find("exec failed (-2147483648)"), std::string::npos);
}

TEST(TraceExec, TreeIndentsUnderKnownAncestors)
{
	ExecTree t;
	EXPECT_EQ(t.add({{1, 0, "systemd"}, {10, 1, "bash"}}, "bash"), "\u2514 bash(10) bash");
	EXPECT_EQ(t.add({{1, 0, "systemd"}, {10, 1, "bash"}, {11, 10, "sh"}}, "sh -c x"), "  \u2514 sh(11) sh -c x");
	// A re-exec of pid 11 stays at its depth.
	EXPECT_EQ(t.add({{10, 1, "bash"}, {11, 10, "true"}}, "true"), "  \u21b3 true(11) true");
}
