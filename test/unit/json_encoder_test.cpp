// The one JSON encoder behind every tool's -o json.
#include "json_encoder.h"
#include "json_sink.h"

#include <cstdio>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace kw;

namespace {

std::string escaped(std::string_view s)
{
	std::string out;
	json_escape(out, s);
	return out;
}

} // namespace

TEST(JsonEncoder, EscapesQuotesAndBackslashes)
{
	EXPECT_EQ(escaped("plain /path-1.txt"), "\"plain /path-1.txt\"");
	EXPECT_EQ(escaped("say \"hi\""), "\"say \\\"hi\\\"\"");
	EXPECT_EQ(escaped("C:\\dir\\"), "\"C:\\\\dir\\\\\"");
	EXPECT_EQ(escaped(""), "\"\"");
}

TEST(JsonEncoder, EscapesEveryControlCharacter)
{
	EXPECT_EQ(escaped("a\nb\tc\rd\be\ff"), "\"a\\nb\\tc\\rd\\be\\ff\"");
	EXPECT_EQ(escaped(std::string_view("\x00\x01\x1f", 3)), "\"\\u0000\\u0001\\u001f\"");
	EXPECT_EQ(escaped("\x7f"), "\"\x7f\""); // DEL needs no escape in JSON
	for (int c = 0; c < 0x20; c++) {
		std::string s(1, char(c));
		auto back = nlohmann::json::parse(escaped(s));
		EXPECT_EQ(back.get<std::string>(), s) << c;
	}
}

TEST(JsonEncoder, ReplacesInvalidUtf8AndKeepsValid)
{
	const std::string fffd = "\xef\xbf\xbd";
	EXPECT_EQ(escaped("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"), "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
	EXPECT_EQ(escaped("a\xff" "b"), "\"a" + fffd + "b\"");           // never a UTF-8 byte
	EXPECT_EQ(escaped("\xc3"), "\"" + fffd + "\"");                   // cut short at the end
	EXPECT_EQ(escaped("\xc3" "A"), "\"" + fffd + "A\"");              // continuation missing
	EXPECT_EQ(escaped("\x80"), "\"" + fffd + "\"");                   // lone continuation
	EXPECT_EQ(escaped("\xc0\xaf"), "\"" + fffd + fffd + "\"");        // overlong '/'
	EXPECT_EQ(escaped("\xed\xa0\x80"), "\"" + fffd + fffd + fffd + "\""); // a surrogate
	EXPECT_EQ(escaped("\xf4\x90\x80\x80"), "\"" + fffd + fffd + fffd + fffd + "\""); // past U+10FFFF
	// Whatever the bytes, the result parses.
	std::string all;
	for (int c = 0; c < 256; c++)
		all += char(c);
	EXPECT_NO_THROW(nlohmann::json::parse(escaped(all)));
}

TEST(JsonEncoder, EncodesARecordAsOneLineInFieldOrder)
{
	Record r("file", "3c8f5a1e9b2d4c60a7e1f03d5b9c4a12", 5);
	r.realtime_usec = 1700000000123456;
	r.message = "rename \"a\"\n -> b";
	r.add("path", "/tmp/d\"q\\/a\tb\x01\xff").add("ret", int64_t(-13)).add("argv", std::vector<std::string>{"a", "b\"c"});
	r.add("empty", std::vector<std::string>{});
	std::string line;
	JsonEncoder("trace-file").encode(r, line);
	ASSERT_EQ(line.back(), '\n');
	EXPECT_EQ(line.find('\n'), line.size() - 1); // JSON Lines: one line per record
	EXPECT_EQ(line.rfind("{\"time\":\"", 0), 0u);
	auto j = nlohmann::json::parse(line);
	EXPECT_EQ(j["time"], format_time(r.realtime_usec));
	EXPECT_EQ(j["tool"], "trace-file");
	EXPECT_EQ(j["event"], "file");
	EXPECT_EQ(j["message"], r.message);
	EXPECT_EQ(j["path"], "/tmp/d\"q\\/a\tb\x01\xef\xbf\xbd");
	EXPECT_EQ(j["ret"], -13);
	EXPECT_EQ(j["argv"][1], "b\"c");
	EXPECT_TRUE(j["empty"].is_array() && j["empty"].empty());
	auto at = [&](const char *k) { return line.find(std::string("\"") + k + "\":"); };
	EXPECT_LT(at("message"), at("path"));
	EXPECT_LT(at("path"), at("ret"));
	EXPECT_LT(at("ret"), at("argv"));

	// The per-second time cache keeps each record's own microseconds and second.
	Record later = r;
	later.realtime_usec += 1000001;
	std::string two;
	JsonEncoder enc("t");
	enc.encode(r, two);
	enc.encode(later, two);
	auto nl = two.find('\n');
	EXPECT_EQ(nlohmann::json::parse(two.substr(0, nl))["time"], format_time(r.realtime_usec));
	EXPECT_EQ(nlohmann::json::parse(two.substr(nl + 1))["time"], format_time(later.realtime_usec));
}

TEST(JsonEncoder, SinkWritesTheEncodersLinesOnFlush)
{
	char *buf = nullptr;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	ASSERT_NE(mem, nullptr);
	Record r("exec", "6b1d0c9e4f3a4e57a0f2c4d8e1b7a901", 6);
	r.add("argv", std::vector<std::string>{"true"});
	std::string want;
	JsonEncoder("trace-exec").encode(r, want);
	{
		JsonSink sink(mem, "trace-exec");
		sink.write(r);
		sink.flush();
		EXPECT_EQ(std::string(buf, len), want);
		sink.write(r); // the destructor flushes what is left
	}
	fclose(mem);
	EXPECT_EQ(std::string(buf, len), want + want);
	free(buf);
}
