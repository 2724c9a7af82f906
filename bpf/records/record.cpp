#include "record.h"

#include <ctime>
#include <fmt/format.h>

namespace kw {

Record::Record(std::string ev, std::string id, int prio)
    : event(std::move(ev)), message_id(std::move(id)), priority(prio)
{
}

Record &Record::add(std::string name, std::string value)
{
	fields.push_back({std::move(name), std::move(value)});
	return *this;
}

Record &Record::add(std::string name, int64_t value)
{
	fields.push_back({std::move(name), value});
	return *this;
}

Record &Record::add(std::string name, std::vector<std::string> value)
{
	fields.push_back({std::move(name), std::move(value)});
	return *this;
}

const Record::Value *Record::get(const std::string &name) const
{
	for (const auto &f : fields)
		if (f.name == name)
			return &f.value;
	return nullptr;
}

std::string shell_quote(const std::string &arg)
{
	if (!arg.empty() && arg.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
						  "0123456789_-+=.,/:@%^") == std::string::npos)
		return arg;
	std::string out = "'";
	for (char c : arg) {
		if (c == '\'')
			out += "'\\''";
		else
			out += c;
	}
	return out + "'";
}

std::string join_argv(const std::vector<std::string> &argv)
{
	std::string out;
	for (const auto &a : argv) {
		if (!out.empty())
			out += ' ';
		out += shell_quote(a);
	}
	return out;
}

std::string format_time(int64_t usec)
{
	time_t secs = usec / 1000000;
	tm t{};
	localtime_r(&secs, &t);
	char buf[64];
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &t);
	char tz[8];
	strftime(tz, sizeof(tz), "%z", &t);
	return fmt::format("{}.{:06d}{}", buf, usec % 1000000, tz);
}

} // namespace kw
