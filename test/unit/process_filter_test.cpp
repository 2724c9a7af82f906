// The tracers' shared process filter: config keys, errors, flags, and the
// kernel form both trace-exec and trace-file load.
#include "config_error.h"
#include "errors.h"
#include "exec_filter.h"
#include "process_filter_options.h"
#include "trace_file_filter.h"

#include <cstring>
#include <fmt/format.h>
#include <functional>
#include <gtest/gtest.h>

using namespace kw;

namespace {

// What each tool makes of a config file's process filter keys.
ProcessFilter as_exec(const std::string &text) { return texec::parse_exec_filter(text, "tracer.yaml"); }
ProcessFilter as_file(const std::string &text) { return tfile::parse_file_filter(text, "tracer.yaml").process; }

bool same_kernel_form(const ProcessFilter &a, const ProcessFilter &b)
{
	auto ka = a.compile(), kb = b.compile();
	return std::memcmp(&ka, &kb, sizeof(ka)) == 0;
}

// Parses argv with the shared flags over `f`.
int parse_flags(std::vector<std::string> args, ProcessFilter &f)
{
	ProcessFilterOptions o;
	CLI::App app{"test"};
	o.add_to(app, "things", "named so");
	args.insert(args.begin(), "tool");
	std::vector<char *> argv;
	for (auto &a : args)
		argv.push_back(a.data());
	try {
		app.parse(int(argv.size()), argv.data());
	} catch (const CLI::ParseError &) {
		return 2;
	}
	o.apply(f);
	return 0;
}

} // namespace

TEST(ProcessFilter, ReadsTheSharedKeys)
{
	auto f = as_exec("pid: 1234\nuid: 1000\ncomm: curl\nfailed: yes\n");
	EXPECT_EQ(f.pid, 1234u);
	EXPECT_EQ(f.uid, 1000u);
	EXPECT_EQ(f.comm, "curl");
	EXPECT_TRUE(f.failed_only);
	EXPECT_EQ(f.describe(), "pid=1234 (and descendants) uid=1000 comm=curl failed-only");
	EXPECT_EQ(ProcessFilter{}.describe(), "");
	EXPECT_EQ(texec::describe_exec_filter(ProcessFilter{}), "every exec");
	EXPECT_EQ(texec::describe_exec_filter(f), f.describe());
}

TEST(ProcessFilter, CompilesToTheKernelForm)
{
	auto k = as_exec("uid: 0\ncomm: sshd\n").compile();
	EXPECT_EQ(k.pid, 0u);
	EXPECT_EQ(k.uid, 0u); // root is a uid like any other, not "every user"
	EXPECT_EQ(k.failed_only, 0u);
	EXPECT_STREQ(k.comm, "sshd");
	auto none = ProcessFilter{}.compile();
	EXPECT_EQ(none.uid, KW_PF_ANY_UID);
	EXPECT_EQ(none.comm[0], 0);
	ProcessFilter longest;
	longest.comm = "fifteen-chars15";
	auto kl = longest.compile();
	EXPECT_EQ(std::string(kl.comm), "fifteen-chars15");
	EXPECT_EQ(kl.comm[KW_COMM_LEN - 1], 0);

	volatile kw_process_filter rodata{};
	as_exec("pid: 7\nfailed: true\n").store(rodata);
	EXPECT_EQ(rodata.pid, 7u);
	EXPECT_EQ(rodata.uid, KW_PF_ANY_UID);
	EXPECT_EQ(rodata.failed_only, 1u);
}

TEST(ProcessFilter, BothToolsAcceptTheSameKeys)
{
	for (const char *text : {"pid: 1\n", "uid: 4294967294\n", "comm: nginx\n", "failed: false\n", "failed: on\n",
				 "pid: 16\nuid: 0\ncomm: a\nfailed: true\n"}) {
		ProcessFilter e, f;
		ASSERT_NO_THROW(e = as_exec(text)) << text;
		ASSERT_NO_THROW(f = as_file(text)) << text;
		EXPECT_TRUE(same_kernel_form(e, f)) << text;
		EXPECT_EQ(e.describe(), f.describe()) << text;
	}
	// trace-file's own keys are trace-file's alone.
	EXPECT_NO_THROW(as_file("ops: [open]\npaths: /etc\nall_files: true\n"));
	auto e = config_error([] { as_exec("paths: /etc\n"); });
	EXPECT_EQ(e.line(), 1);
	EXPECT_NE(std::string(e.what()).find("unknown key 'paths'"), std::string::npos);
}

TEST(ProcessFilter, ErrorsNameFileLineAndColumnAlikeInBothTools)
{
	struct Case {
		const char *text;
		int line, column;
		const char *says;
	};
	for (auto c : {
		     Case{"uid: 10\ncommm: x\n", 2, 1, "unknown key 'commm'"},
		     Case{"pid: 1\ncomm: averyveryverylongname\n", 2, 7, "comm must be 1 to 15 bytes"},
		     Case{"uid: -1\n", 1, 6, "uid must be between 0 and 4294967294"},
		     Case{"uid: 99999999999999999999\n", 1, 6, "uid must be between 0 and 4294967294"},
		     Case{"pid: 0x10\n", 1, 6, "pid must be a decimal number"},
		     Case{"uid: 0777\n", 1, 6, "uid must be written without a leading zero"},
		     Case{"uid: 09\n", 1, 6, "uid must be written without a leading zero"},
		     Case{"comm: \"ssh\\0d\"\n", 1, 7, "control character"},
		     Case{"pid: 1\npid: 2\n", 2, 1, "key 'pid' is repeated: line 1 already sets it"},
		     Case{"pid: 0\n", 1, 6, "pid must be between 1 and 4194304"},
		     Case{"pid: me\n", 1, 6, "pid must be a whole number"},
		     Case{"failed: maybe\n", 1, 9, "failed must be true or false"},
		     Case{"comm: [a, b]\n", 1, 7, "comm must be a single value"},
		     Case{"- pid: 1\n", 1, 1, "must be a mapping"},
	     }) {
		for (const auto &parse : {std::function<void()>([&] { as_exec(c.text); }),
					  std::function<void()>([&] { as_file(c.text); })}) {
			auto e = config_error(parse);
			EXPECT_EQ(e.file(), "tracer.yaml") << c.text;
			EXPECT_EQ(e.line(), c.line) << c.text;
			EXPECT_EQ(e.column(), c.column) << c.text;
			EXPECT_NE(std::string(e.what()).find(c.says), std::string::npos) << c.text << ": " << e.what();
			EXPECT_EQ(std::string(e.what()).rfind(fmt::format("tracer.yaml:{}:{}: ", c.line, c.column), 0), 0u)
				<< e.what();
		}
	}
	auto typo = config_error([] { as_exec("uidd: 3\n"); });
	EXPECT_NE(typo.hint().find("did you mean 'uid'"), std::string::npos);
}

TEST(ProcessFilter, FlagsOverrideTheFileKeyByKey)
{
	auto f = as_exec("pid: 10\nuid: 1000\ncomm: curl\n");
	ASSERT_EQ(parse_flags({"--uid", "0", "-c", "wget"}, f), 0);
	EXPECT_EQ(f.pid, 10u); // not given: the file's stays
	EXPECT_EQ(f.uid, 0u);
	EXPECT_EQ(f.comm, "wget");
	EXPECT_FALSE(f.failed_only);
	ASSERT_EQ(parse_flags({"-p", "42", "-x"}, f), 0);
	EXPECT_EQ(f.pid, 42u);
	EXPECT_TRUE(f.failed_only);
	ASSERT_EQ(parse_flags({}, f), 0);
	EXPECT_TRUE(f.failed_only); // a flag can turn it on, never off
}

TEST(ProcessFilter, FlagsAreValidated)
{
	ProcessFilter f;
	EXPECT_EQ(parse_flags({"--pid", "0"}, f), 2);
	EXPECT_EQ(parse_flags({"--uid", "-1"}, f), 2);
	EXPECT_EQ(parse_flags({"--pid", "x"}, f), 2);
	try {
		parse_flags({"--comm", "averyveryverylongname"}, f);
		FAIL() << "accepted a comm the kernel cannot hold";
	} catch (const Error &e) {
		EXPECT_EQ(e.code(), Errc::usage);
		EXPECT_NE(std::string(e.what()).find("15 characters"), std::string::npos);
	}
	EXPECT_EQ(f.comm, "");
}
