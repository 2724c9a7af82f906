#include "config_error.h"
#include "config_text.h"
#include "decimal.h"
#include "policy_source.h"
#include "yaml_file.h"

#include <fmt/format.h>
#include <functional>
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

TEST(Yaml, RepeatedKeyIsRefusedWhereItRepeats)
{
	auto e = config_error([] { YamlFile::parse("mode: audit\nrules:\n  - action: allow\n    name: a\n    action: deny\n", "r.yaml"); });
	EXPECT_EQ(e.line(), 5);
	EXPECT_EQ(e.column(), 5);
	EXPECT_NE(std::string(e.what()).find("key 'action' is repeated: line 3 already sets it"), std::string::npos)
		<< e.what();
	// In flow style too, and at the top.
	EXPECT_EQ(config_error([] { YamlFile::parse("a: {x: 1, x: 2}\n", "r.yaml"); }).column(), 11);
	EXPECT_EQ(config_error([] { YamlFile::parse("a: 1\nb: 2\na: 1\n", "r.yaml"); }).line(), 3);
	// Keys are words: a list or map as a key is refused, not compared.
	EXPECT_NE(std::string(config_error([] { YamlFile::parse("? [a, b]\n: 1\n", "r.yaml"); }).what()).find("plain words"),
		  std::string::npos);
}

TEST(Yaml, NumbersAreDecimalOnly)
{
	auto y = YamlFile::parse("a: 0777\nb: 0x10\nc: 09\nd: 99999999999999999999\ne: -1\nf: 0\ng: 1_000\nh: 777\n"
				 "i: \" 1\"\nj: 18446744073709551616\n",
				 "n.yaml");
	auto get = [&](const char *k) { return y.get_int(y.root()[k], k, 0, 4294967294); };
	auto says = [&](const char *k) {
		auto e = config_error([&] { get(k); });
		EXPECT_EQ(e.column(), 4) << k;
		return std::string(e.what()) + " hint: " + e.hint();
	};
	EXPECT_NE(says("a").find("without a leading zero"), std::string::npos);
	EXPECT_NE(says("a").find("write 777, or 511 if you meant octal 0777"), std::string::npos) << says("a");
	EXPECT_NE(says("b").find("must be a decimal number, not '0x10'"), std::string::npos) << says("b");
	EXPECT_NE(says("b").find("write 16"), std::string::npos);
	EXPECT_NE(says("c").find("write 9"), std::string::npos) << says("c");
	EXPECT_NE(says("d").find("must be between 0 and 4294967294, not '99999999999999999999'"), std::string::npos);
	EXPECT_NE(says("e").find("must be between 0 and 4294967294, not '-1'"), std::string::npos);
	EXPECT_EQ(get("f"), 0);
	EXPECT_NE(says("g").find("must be a whole number"), std::string::npos);
	EXPECT_EQ(get("h"), 777);
	EXPECT_NE(says("i").find("must be a whole number"), std::string::npos);
	EXPECT_NE(says("j").find("must be between"), std::string::npos);
}

TEST(Yaml, DecimalParsesWithoutAFile)
{
	EXPECT_EQ(Decimal::parse("65535", 0, 65535).value, 65535u);
	EXPECT_FALSE(Decimal::parse("65536", 0, 65535).value);
	EXPECT_FALSE(Decimal::parse("", 0, 10).value);
	EXPECT_FALSE(Decimal::parse("00", 0, 10).value);
	EXPECT_NE(Decimal::parse("00", 0, 10).hint.find("write 0"), std::string::npos);
	EXPECT_FALSE(Decimal::parse("+1", 0, 10).value);
	EXPECT_FALSE(Decimal::parse("1e3", 0, 10000).value);
	EXPECT_FALSE(Decimal::parse("0x", 0, 10).value);
	EXPECT_EQ(Decimal::parse("18446744073709551615", 0, UINT64_MAX).value, UINT64_MAX);
}

TEST(Yaml, RangesAndIds)
{
	auto y = YamlFile::parse("a: 1000-1999\nb: 2000-1000\nc: 7\nd: alice\ne: 1000-\nf: 1-2\ng: 0777-1000\n", "r.yaml");
	EXPECT_EQ(y.get_range(y.root()["a"], "uid", 0, 65535), (std::pair<uint64_t, uint64_t>{1000, 1999}));
	auto e = config_error([&] { y.get_range(y.root()["b"], "uid", 0, 65535); });
	EXPECT_EQ(e.line(), 2);
	EXPECT_NE(std::string(e.what()).find("runs backwards"), std::string::npos);
	EXPECT_EQ(e.hint(), "write it as 1000-2000");
	EXPECT_EQ(y.get_range(y.root()["c"], "port", 0, 65535), (std::pair<uint64_t, uint64_t>{7, 7}));
	EXPECT_EQ(config_error([&] { y.get_range(y.root()["e"], "uid", 0, 65535); }).line(), 5);
	EXPECT_EQ(config_error([&] { y.get_range(y.root()["g"], "uid", 0, 65535); }).line(), 7);

	auto id = y.get_id(y.root()["d"], "uid", true);
	EXPECT_EQ(id.name, "alice");
	EXPECT_EQ(id.at.line, 4);
	id = y.get_id(y.root()["a"], "uid", true);
	EXPECT_TRUE(id.name.empty());
	EXPECT_EQ(id.lo, 1000u);
	EXPECT_EQ(id.hi, 1999u);
	e = config_error([&] { y.get_id(y.root()["f"], "uid", false); });
	EXPECT_NE(std::string(e.what()).find("ranges like '1-2' are not supported here"), std::string::npos) << e.what();
}

TEST(Yaml, ControlCharactersAndNonUtf8AreRefusedWhereTheyAre)
{
	auto y = YamlFile::parse("a: \"/etc/shadow\\0x\"\nb: \"eth0\\tx\"\nc: \"\\x7f\"\nd: \"caf\\u00e9\"\n", "t.yaml");
	auto e = config_error([&] { y.get_string(y.root()["a"], "path"); });
	EXPECT_EQ(e.line(), 1);
	EXPECT_EQ(e.column(), 4);
	EXPECT_NE(std::string(e.what()).find("path '/etc/shadow\\x00x' holds a control character (byte 0x00)"),
		  std::string::npos)
		<< e.what();
	EXPECT_NE(e.hint().find("NUL"), std::string::npos);
	EXPECT_EQ(config_error([&] { y.get_string(y.root()["b"], "interface"); }).line(), 2);
	EXPECT_NE(std::string(config_error([&] { y.get_string(y.root()["c"], "name"); }).what()).find("byte 0x7f"),
		  std::string::npos);
	EXPECT_EQ(y.get_string(y.root()["d"], "name"), "caf\xc3\xa9");

	// Raw bytes in the file: refused at their line and column before YAML reads them.
	e = config_error([] { YamlFile::parse(std::string("a: 1\nb: /etc/sha\0dow\n", 21), "t.yaml"); });
	EXPECT_EQ(e.line(), 2);
	EXPECT_EQ(e.column(), 12);
	EXPECT_NE(std::string(e.what()).find("control character (byte 0x00)"), std::string::npos) << e.what();
	e = config_error([] { YamlFile::parse("a: caf\xe9\n", "t.yaml"); });
	EXPECT_EQ(e.line(), 1);
	EXPECT_EQ(e.column(), 7);
	EXPECT_NE(std::string(e.what()).find("not UTF-8"), std::string::npos);
	EXPECT_NE(std::string(config_error([] { YamlFile::parse("\xff\xfe" "a\0:\0 \0" "1\0", "t.yaml"); }).what())
			  .find("UTF-16"),
		  std::string::npos);
	// Tabs in the text are YAML's business (allowed in comments and quoted values' whitespace).
	EXPECT_NO_THROW(YamlFile::parse("a: 1\t# comment\r\n", "t.yaml"));
}

TEST(Yaml, PathsWithinTheKernelsLimits)
{
	std::string component(256, 'x'), long_path;
	while (long_path.size() < 4096)
		long_path += "/" + std::string(200, 'p');
	auto y = YamlFile::parse("a: etc/shadow\nb: /srv/" + component + "/f\nc: " + long_path + "\nd: /srv/" +
					 component.substr(1) + "\n",
				 "p.yaml");
	auto e = config_error([&] { y.get_path(y.root()["a"], "exe", "/usr/bin/cat"); });
	EXPECT_NE(std::string(e.what()).find("must be an absolute path"), std::string::npos);
	EXPECT_EQ(e.hint(), "start it with /, e.g. /usr/bin/cat");
	e = config_error([&] { y.get_path(y.root()["b"], "exe", "/usr/bin/cat"); });
	EXPECT_EQ(e.line(), 2);
	EXPECT_NE(std::string(e.what()).find("is 256 bytes long; the kernel's limit is 255 (NAME_MAX)"),
		  std::string::npos)
		<< e.what();
	EXPECT_LT(std::string(e.what()).size(), 200u) << "the name is shortened in the message";
	e = config_error([&] { y.get_path(y.root()["c"], "exe", "/usr/bin/cat"); });
	EXPECT_NE(std::string(e.what()).find("the kernel's limit is 4095 (PATH_MAX)"), std::string::npos) << e.what();
	EXPECT_EQ(y.get_path(y.root()["d"], "exe", "/usr/bin/cat").size(), 5u + 255u);
}

TEST(Yaml, UnitNames)
{
	auto y = YamlFile::parse("a: nginx.service\nb: nginx\nc: .service\nd: a/b.service\ne: x.\nf: " +
					 std::string(300, 'u') + ".service\n",
				 "u.yaml");
	EXPECT_EQ(y.get_unit(y.root()["a"]), "nginx.service");
	for (const char *k : {"b", "c", "d", "e"})
		EXPECT_NE(std::string(config_error([&] { y.get_unit(y.root()[k]); }).what()).find("not a systemd unit name"),
			  std::string::npos)
			<< k;
	EXPECT_NE(std::string(config_error([&] { y.get_unit(y.root()["f"]); }).what()).find("systemd's limit is 255"),
		  std::string::npos);
}

TEST(Yaml, DeepNestingSaysSo)
{
	// Just past the limit, and far past it: refused while reading, at the place.
	for (int depth : {70, 2000}) {
		auto e = config_error([&] { YamlFile::parse("a: " + std::string(depth, '[') + std::string(depth, ']') + "\n", "d.yaml"); });
		EXPECT_NE(std::string(e.what()).find("nesting deeper than 64 levels"), std::string::npos) << e.what();
		EXPECT_EQ(std::string(e.what()).find("indentation"), std::string::npos) << e.what();
		EXPECT_GE(e.line(), 1);
	}
	EXPECT_NO_THROW(YamlFile::parse("a: " + std::string(60, '[') + std::string(60, ']') + "\n", "d.yaml"));
}

TEST(Yaml, AliasBombsAreRefused)
{
	// "Billion laughs": 10^9 values in a few hundred bytes.
	std::string text = "l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n";
	for (int i = 1; i < 9; i++) {
		text += fmt::format("l{}: &l{} [", i, i);
		for (int j = 0; j < 10; j++)
			text += fmt::format("{}*l{}", j ? ", " : "", i - 1);
		text += "]\n";
	}
	ASSERT_LT(text.size(), 1000u);
	auto e = config_error([&] { YamlFile::parse(text, "bomb.yaml"); });
	EXPECT_NE(std::string(e.what()).find(fmt::format("aliases stand for more than {} values",
							  YamlLimits::max_alias_values)),
		  std::string::npos)
		<< e.what();
	EXPECT_NE(e.hint().find("aliases"), std::string::npos);
	// An alias inside its own anchor is a cycle: it ends at the depth limit.
	e = config_error([] { YamlFile::parse("a: &a [1, *a]\n", "cycle.yaml"); });
	EXPECT_NE(std::string(e.what()).find("nesting deeper than"), std::string::npos) << e.what();
	// Aliases as such are fine.
	EXPECT_NO_THROW(YamlFile::parse("a: &p [80, 443]\nb: *p\n", "ok.yaml"));
}

TEST(Yaml, LargePoliciesFitAndAliasesKeepTheirOwnBudget)
{
	// Written out, values count against the file's limit only: frtp's
	// largest policies hold millions.
	auto list = [](size_t n) {
		std::string t = "a: [";
		t.reserve(2 * n + 8);
		for (size_t i = 0; i < n; i++)
			t += i ? ",1" : "1";
		return t + "]\n";
	};
	EXPECT_EQ(YamlFile::parse(list(YamlLimits::max_alias_values + 1), "big.yaml").root()["a"].size(),
		  YamlLimits::max_alias_values + 1);
	auto e = config_error([&] { YamlFile::parse(list(YamlLimits::max_values), "huge.yaml"); });
	EXPECT_NE(std::string(e.what()).find(fmt::format("stands for more than {} values", YamlLimits::max_values)),
		  std::string::npos)
		<< e.what();
	// Through aliases, a million values are as many as before, whatever
	// the file's size.
	std::string text = "l: &l [";
	for (int i = 0; i < 999; i++) // with the list, 1,000 values per alias
		text += i ? ",x" : "x";
	text += "]\n";
	for (int i = 0; i <= 1000; i++)
		text += fmt::format("k{}: *l\n", i);
	e = config_error([&] { YamlFile::parse(text, "aliases.yaml"); });
	EXPECT_EQ(e.line(), 1002) << e.what();
	EXPECT_NE(std::string(e.what()).find("aliases stand for more than"), std::string::npos) << e.what();
}

TEST(Yaml, AliasesShareTheirAnchorAndCountWhereTheyAreUsed)
{
	auto y = YamlFile::parse("a: &p [80, 443]\nb: *p\n", "a.yaml");
	auto b = y.root()["b"];
	ASSERT_TRUE(b.is_sequence());
	EXPECT_EQ(b.size(), 2u);
	EXPECT_EQ(b.mark().line, 1) << "an aliased value is the anchor's";
	// 40 levels below the anchor, used 30 levels down: 70 levels.
	std::string deep = std::string(40, '[') + std::string(40, ']');
	std::string text = "a: &d " + deep + "\nb: " + std::string(30, '[') + "*d" + std::string(30, ']') + "\n";
	auto e = config_error([&] { YamlFile::parse(text, "d.yaml"); });
	EXPECT_NE(std::string(e.what()).find("nesting deeper than 64 levels"), std::string::npos) << e.what();
	EXPECT_EQ(e.line(), 2);
	e = config_error([] { YamlFile::parse("a: *x\nb: &x 1\n", "a.yaml"); });
	EXPECT_EQ(e.line(), 1);
	EXPECT_EQ(e.column(), 4);
	EXPECT_NE(std::string(e.what()).find("alias *x names no anchor written before it"), std::string::npos) << e.what();
}

TEST(Yaml, NullIsAnUntaggedPlainWord)
{
	auto y = YamlFile::parse("a:\nb: ~\nc: null\nd: Null\ne: NULL\nf: \"null\"\ng: ''\nh: !!str null\ni: nULL\n", "n.yaml");
	for (const char *k : {"a", "b", "c", "d", "e"})
		EXPECT_TRUE(y.root()[k].is_null()) << k;
	for (const char *k : {"f", "g", "h", "i"})
		EXPECT_TRUE(y.root()[k].is_scalar()) << k;
	EXPECT_EQ(y.get_string(y.root()["h"], "h"), "null");
	EXPECT_EQ(y.get_string(y.root()["g"], "g"), "");
	EXPECT_FALSE(y.root()["z"].defined());
	EXPECT_EQ(y.root()["z"].mark().line, 0);
}

TEST(Yaml, MappingsKeepFileOrder)
{
	auto y = YamlFile::parse("z: 1\na: 2\nm: [x, y]\n", "o.yaml");
	std::string keys;
	for (auto [k, v] : y.root().entries())
		keys += std::string(k.scalar()) + "=" + (v.is_scalar() ? std::string(v.scalar()) : "list") + " ";
	EXPECT_EQ(keys, "z=1 a=2 m=list ");
	std::string items;
	for (auto e : y.root()["m"])
		items += e.scalar();
	EXPECT_EQ(items, "xy");
	EXPECT_EQ(y.root()["m"]["x"].defined(), false) << "a list has no keys";
}

TEST(Yaml, RepeatedKeyInALargeMapping)
{
	std::string text;
	for (int i = 0; i < 20; i++)
		text += fmt::format("k{}: {}\n", i, i);
	text += "k5: again\n";
	auto e = config_error([&] { YamlFile::parse(text, "m.yaml"); });
	EXPECT_EQ(e.line(), 21);
	EXPECT_NE(std::string(e.what()).find("key 'k5' is repeated: line 6 already sets it"), std::string::npos) << e.what();
}

TEST(Yaml, ValuesLongerThanABlockStayWhole)
{
	// The store keeps nodes, lists and text in 64 KB blocks: a value longer
	// than a block gets blocks of its own, and short ones around it stay put.
	std::string big(100000, 'x'), list;
	for (int i = 0; i < 20000; i++)
		list += fmt::format("{}{}", i ? ", " : "", i);
	auto y = YamlFile::parse("a: b\nbig: " + big + "\nlist: [" + list + "]\nz: last\n", "b.yaml");
	EXPECT_EQ(y.root()["a"].scalar(), "b");
	EXPECT_EQ(y.root()["big"].scalar(), big);
	auto l = y.root()["list"];
	ASSERT_EQ(l.size(), 20000u);
	int i = 0;
	for (auto e : l)
		ASSERT_EQ(e.scalar(), std::to_string(i++));
	EXPECT_EQ(y.root()["z"].scalar(), "last");
	EXPECT_EQ(y.root()["z"].mark().line, 4);
}

TEST(Yaml, OneDocumentPerFile)
{
	auto e = config_error([] { YamlFile::parse("a: 1\n---\nb: 2\n", "d.yaml"); });
	EXPECT_EQ(e.line(), 2);
	EXPECT_NE(std::string(e.what()).find("second YAML document"), std::string::npos) << e.what();
	EXPECT_NO_THROW(YamlFile::parse("---\na: 1\n...\n", "d.yaml"));
}

TEST(Yaml, ColumnsCountBytesAndSyntaxErrorsSayWhere)
{
	auto y = YamlFile::parse("a: [\"\xc3\xa9\", bad]\n", "c.yaml");
	auto it = y.root()["a"].begin();
	++it;
	EXPECT_EQ((*it).mark().column, 11);
	auto e = config_error([] { YamlFile::parse("a: {x: 1, y: 2\nb: 3\n", "s.yaml"); });
	EXPECT_NE(std::string(e.what()).find("YAML syntax error: "), std::string::npos) << e.what();
	EXPECT_NE(std::string(e.what()).find("that starts at line 1, column 4"), std::string::npos) << e.what();
	EXPECT_NE(e.hint().find("indentation"), std::string::npos);
	// A C1 control character, which the byte checks leave to the YAML reader.
	e = config_error([] { YamlFile::parse("a: x\xc2\x80y\n", "c.yaml"); });
	EXPECT_EQ(e.line(), 1);
	EXPECT_EQ(e.column(), 5);
	EXPECT_NE(std::string(e.what()).find("U+0080"), std::string::npos) << e.what();
}

TEST(Yaml, EndlessAndHugeFilesAreRefusedAtTheLimit)
{
	for (auto load : {std::function<void()>([] { PolicySource::read("/dev/zero"); }),
			  std::function<void()>([] { YamlFile::load("/dev/zero"); })}) {
		auto e = config_error(load);
		EXPECT_EQ(e.file(), "/dev/zero");
		EXPECT_NE(std::string(e.what()).find(fmt::format("larger than {} MiB", kMaxFileBytes >> 20)), std::string::npos) << e.what();
	}
	EXPECT_NE(std::string(config_error([] { YamlFile::parse(std::string(kMaxFileBytes + 1, ' '), "big.yaml"); }).what())
			  .find(fmt::format("larger than {} MiB", kMaxFileBytes >> 20)),
		  std::string::npos);
	EXPECT_NE(std::string(config_error([] { PolicySource::read("/"); }).what()).find("Is a directory"),
		  std::string::npos);
}

TEST(Yaml, ValuesInMessagesAreShownSafely)
{
	EXPECT_EQ(printable("eth0"), "'eth0'");
	EXPECT_EQ(printable(std::string("a\0b\x01", 4)), "'a\\x00b\\x01'");
	EXPECT_EQ(printable("caf\xc3\xa9 \xff"), "'caf\xc3\xa9 \\xff'");
	auto shown = printable(std::string(10000, 'n'));
	EXPECT_LT(shown.size(), 100u);
	EXPECT_NE(shown.find("(10000 bytes)"), std::string::npos);
}
