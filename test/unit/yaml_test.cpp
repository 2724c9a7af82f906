#include "config_error.h"
#include "yaml_file.h"

#include <gtest/gtest.h>

using namespace kw;

TEST(Yaml, SyntaxErrorNamesLineAndColumn)
{
	auto e = config_error([] { YamlFile::parse("a: 1\nb: [1, 2\n", "r.yaml"); });
	EXPECT_EQ(e.file(), "r.yaml");
	EXPECT_GE(e.line(), 2);
	EXPECT_NE(std::string(e.what()).find("r.yaml:"), std::string::npos);
}

TEST(Yaml, UnknownKeySuggestsTheNearOne)
{
	auto y = YamlFile::parse("mode: audit\nrulez: []\n", "p.yaml");
	auto e = config_error([&] { y.check_keys(y.root(), {"mode", "rules", "default"}); });
	EXPECT_EQ(e.line(), 2);
	EXPECT_EQ(e.column(), 1);
	EXPECT_NE(e.hint().find("did you mean 'rules'"), std::string::npos);
}

TEST(Yaml, TypedGettersCheckRanges)
{
	auto y = YamlFile::parse("n: 12\nbad: 12x\nbig: 99999\nflag: yes\nm: enforcee\n", "t.yaml");
	EXPECT_EQ(y.get_int(y.root()["n"], "n", 0, 100), 12);
	EXPECT_EQ(config_error([&] { y.get_int(y.root()["bad"], "bad", 0, 100); }).line(), 2);
	EXPECT_EQ(config_error([&] { y.get_int(y.root()["big"], "big", 0, 100); }).line(), 3);
	EXPECT_TRUE(y.get_bool(y.root()["flag"], "flag"));
	auto e = config_error([&] { y.get_choice(y.root()["m"], "mode", {"enforce", "audit"}); });
	EXPECT_NE(e.hint().find("did you mean 'enforce'"), std::string::npos);
}

TEST(Yaml, MissingFileSaysSo)
{
	auto e = config_error([] { YamlFile::load("/nonexistent/kwarden.yaml"); });
	EXPECT_NE(std::string(e.what()).find("cannot read"), std::string::npos);
}

TEST(Yaml, ScalarOrListBecomesList)
{
	auto y = YamlFile::parse("one: a\nmany: [a, b]\nbad: {x: 1}\n", "l.yaml");
	EXPECT_EQ(y.as_list(y.root()["one"], "one").size(), 1u);
	EXPECT_EQ(y.as_list(y.root()["many"], "many").size(), 2u);
	EXPECT_EQ(config_error([&] { y.as_list(y.root()["bad"], "bad"); }).line(), 3);
}
