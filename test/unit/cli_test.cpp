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

TEST(Cli, NumbersAreDecimalAsInFiles)
{
	auto parse = [](const std::string &value, int64_t *out) {
		CLI::App app{"test"};
		app.add_option("--uid", *out)->check(decimal_in(0, 2147483647));
		std::vector<std::string> args{"tool", "--uid", value};
		std::vector<char *> argv;
		for (auto &a : args)
			argv.push_back(a.data());
		try {
			app.parse(int(argv.size()), argv.data());
			return std::string();
		} catch (const CLI::ParseError &e) {
			return std::string(e.what());
		}
	};
	int64_t uid = -1;
	EXPECT_EQ(parse("1000", &uid), "");
	EXPECT_EQ(uid, 1000);
	EXPECT_NE(parse("0777", &uid).find("without a leading zero"), std::string::npos); // CLI11 alone: 511
	EXPECT_NE(parse("0x10", &uid).find("write 16"), std::string::npos);               // CLI11 alone: 16
	EXPECT_NE(parse("09", &uid).find("write 9"), std::string::npos);
	EXPECT_NE(parse("99999999999999999999", &uid).find("must be between 0 and 2147483647"), std::string::npos);
	EXPECT_EQ(uid, 1000);
}
