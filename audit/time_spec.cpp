#include "time_spec.h"

#include "errors.h"

#include <ctime>
#include <fmt/format.h>
#include <regex>

namespace kw::audit {

namespace {
int64_t local_midnight(int64_t usec, int days_back)
{
	time_t t = time_t(usec / 1000000);
	struct tm tm{};
	localtime_r(&t, &tm);
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_mday -= days_back;
	tm.tm_isdst = -1;
	return int64_t(mktime(&tm)) * 1000000;
}
} // namespace

int64_t TimeSpec::parse(const std::string &option, const std::string &v, int64_t now_usec)
{
	auto bad = [&](const std::string &why) {
		return Error(Errc::usage, fmt::format("{} '{}': {}; use YYYY-MM-DD, 'YYYY-MM-DD HH:MM[:SS]', today, "
						      "yesterday, now, @EPOCH-SECONDS, -2h or '2h ago' (s, m, h, d)",
						      option, v, why));
	};
	if (v == "now")
		return now_usec;
	if (v == "today")
		return local_midnight(now_usec, 0);
	if (v == "yesterday")
		return local_midnight(now_usec, 1);
	std::smatch m;
	static const std::regex epoch(R"(@([0-9]{1,12}))");
	static const std::regex rel(R"((?:-([0-9]{1,9})([smhd]))|(?:([0-9]{1,9}) ?([smhd]) ago))");
	static const std::regex date(R"(([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[ T]([0-9]{2}):([0-9]{2})(?::([0-9]{2}))?)?)");
	if (std::regex_match(v, m, epoch))
		return std::stoll(m[1]) * 1000000;
	if (std::regex_match(v, m, rel)) {
		int64_t n = std::stoll(m[1].matched ? m[1].str() : m[3].str());
		char unit = (m[2].matched ? m[2].str() : m[4].str())[0];
		int64_t mult = unit == 's' ? 1 : unit == 'm' ? 60 : unit == 'h' ? 3600 : 86400;
		return now_usec - n * mult * 1000000;
	}
	if (std::regex_match(v, m, date)) {
		struct tm tm{};
		tm.tm_year = std::stoi(m[1]) - 1900;
		tm.tm_mon = std::stoi(m[2]) - 1;
		tm.tm_mday = std::stoi(m[3]);
		tm.tm_hour = m[4].matched ? std::stoi(m[4]) : 0;
		tm.tm_min = m[5].matched ? std::stoi(m[5]) : 0;
		tm.tm_sec = m[6].matched ? std::stoi(m[6]) : 0;
		if (tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
		    tm.tm_sec > 60)
			throw bad("no such date or time");
		tm.tm_isdst = -1;
		return int64_t(mktime(&tm)) * 1000000;
	}
	throw bad("not a time");
}

} // namespace kw::audit
