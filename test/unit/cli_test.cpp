// The common command line and the error-to-exit-code mapping.
#include "cli.h"
#include "errors.h"

#include <gtest/gtest.h>

using namespace kw;

namespace {
int run(std::vector<std::string> args, const std::function<int()> &body, CommonOptions *out = nullptr)
{
	CommonOptions o;
	CLI::App app{"test"};
	add_rules_options(app, o, "rules");
	add_mode_option(app, o);
	add_output_options(app, o);
	std::vector<char *> argv;
	args.insert(args.begin(), "tool");
	for (auto &a : args)
		argv.push_back(a.data());
	int rc = run_tool("tool", app, int(argv.size()), argv.data(), body);
	if (out)
		*out = o;
	return rc;
}
} // namespace

TEST(Cli, ParsesCommonOptions)
{
	CommonOptions o;
	EXPECT_EQ(run({"--mode", "audit", "-o", "json", "--check"}, [] { return 0; }, &o), 0);
	EXPECT_EQ(o.mode_given, Mode::audit);
	EXPECT_EQ(o.output_kind(), Output::json);
	EXPECT_TRUE(o.check);
}

TEST(Cli, UsageErrorsExitTwo)
{
	EXPECT_EQ(run({"--mode", "maybe"}, [] { return 0; }), 2);
	EXPECT_EQ(run({"--output", "xml"}, [] { return 0; }), 2);
	EXPECT_EQ(run({"--rules", "/nonexistent/x.yaml"}, [] { return 0; }), 2);
	EXPECT_EQ(run({"--bogus"}, [] { return 0; }), 2);
}

TEST(Cli, HelpExitsZero) { EXPECT_EQ(run({"--help"}, [] { return 1; }), 0); }

TEST(Cli, TypedErrorsMapToDocumentedCodes)
{
	EXPECT_EQ(run({}, []() -> int { throw ConfigError("r.yaml", 3, 1, "bad"); }), 3);
	EXPECT_EQ(run({}, []() -> int { throw Error(Errc::unsupported, "no LSM"); }), 4);
	EXPECT_EQ(run({}, []() -> int { throw Error(Errc::kernel, "load", EINVAL); }), 5);
	EXPECT_EQ(run({}, []() -> int { throw Error(Errc::io, "journal", EIO); }), 6);
	EXPECT_EQ(run({}, []() -> int { throw std::runtime_error("boom"); }), 1);
}
