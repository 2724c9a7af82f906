#include "yaml_file.h"

#include "kw_types.h"

#include <algorithm>
#include <fmt/format.h>
#include <fstream>
#include <sstream>

namespace kw {

static YAML::Node parse_or_throw(const std::string &text, const std::string &name)
{
	try {
		return YAML::Load(text);
	} catch (const YAML::ParserException &e) {
		throw ConfigError(name, e.mark.line + 1, e.mark.column + 1, "YAML syntax error: " + e.msg,
				  "check indentation (spaces, not tabs) and quoting around this place");
	}
}

YamlFile YamlFile::load(const std::string &path)
{
	std::ifstream f(path);
	if (!f)
		throw ConfigError(path, 0, 0, fmt::format("cannot read: {}", std::strerror(errno)),
				  "check the path given to --rules and its permissions");
	std::stringstream ss;
	ss << f.rdbuf();
	return parse(ss.str(), path);
}

YamlFile YamlFile::parse(const std::string &text, const std::string &name)
{
	YAML::Node root = parse_or_throw(text, name);
	if (!root || root.IsNull())
		throw ConfigError(name, 0, 0, "the file is empty", "see /etc/kwarden/ for commented examples");
	return YamlFile(root, name);
}

void YamlFile::fail(const YAML::Node &at, const std::string &msg, const std::string &hint) const
{
	auto m = at.Mark();
	if (m.is_null())
		throw ConfigError(name_, 0, 0, msg, hint);
	throw ConfigError(name_, m.line + 1, m.column + 1, msg, hint);
}

void YamlFile::require_map(const YAML::Node &n, const std::string &what) const
{
	if (!n.IsMap())
		fail(n, what + " must be a mapping (key: value lines)");
}

static size_t edit_distance(std::string_view a, std::string_view b)
{
	std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
	for (size_t j = 0; j <= b.size(); j++)
		prev[j] = j;
	for (size_t i = 1; i <= a.size(); i++) {
		cur[0] = i;
		for (size_t j = 1; j <= b.size(); j++)
			cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
		std::swap(prev, cur);
	}
	return prev[b.size()];
}

std::string closest_match(std::string_view word, std::initializer_list<std::string_view> choices)
{
	std::string best;
	size_t best_d = std::max<size_t>(2, word.size() / 3) + 1;
	for (auto c : choices) {
		size_t d = edit_distance(word, c);
		if (d < best_d) {
			best_d = d;
			best = c;
		}
	}
	return best;
}

static std::string list_choices(std::initializer_list<std::string_view> choices)
{
	std::string s;
	for (auto c : choices)
		s += (s.empty() ? "" : ", ") + std::string(c);
	return s;
}

void YamlFile::check_keys(const YAML::Node &map, std::initializer_list<std::string_view> allowed) const
{
	for (auto it = map.begin(); it != map.end(); ++it) {
		if (!it->first.IsScalar())
			fail(it->first, "keys must be plain words");
		auto k = it->first.Scalar();
		if (std::find(allowed.begin(), allowed.end(), k) != allowed.end())
			continue;
		auto near = closest_match(k, allowed);
		fail(it->first, fmt::format("unknown key '{}'", k),
		     near.empty() ? "allowed here: " + list_choices(allowed)
				  : fmt::format("did you mean '{}'? allowed here: {}", near, list_choices(allowed)));
	}
}

std::string YamlFile::get_string(const YAML::Node &n, const std::string &what) const
{
	if (!n.IsScalar())
		fail(n, what + " must be a single value");
	return n.Scalar();
}

int64_t YamlFile::get_int(const YAML::Node &n, const std::string &what, int64_t min, int64_t max) const
{
	auto s = get_string(n, what);
	size_t used = 0;
	long long v = 0;
	try {
		v = std::stoll(s, &used, 0);
	} catch (const std::exception &) {
		used = 0;
	}
	if (used != s.size() || s.empty())
		fail(n, fmt::format("{} must be a whole number, not '{}'", what, s));
	if (v < min || v > max)
		fail(n, fmt::format("{} must be between {} and {}, not {}", what, min, max, v));
	return v;
}

bool YamlFile::get_bool(const YAML::Node &n, const std::string &what) const
{
	auto s = get_string(n, what);
	if (s == "true" || s == "yes" || s == "on")
		return true;
	if (s == "false" || s == "no" || s == "off")
		return false;
	fail(n, fmt::format("{} must be true or false, not '{}'", what, s));
}

std::vector<YAML::Node> YamlFile::as_list(const YAML::Node &n, const std::string &what) const
{
	std::vector<YAML::Node> out;
	if (n.IsScalar()) {
		out.push_back(n);
	} else if (n.IsSequence()) {
		for (const auto &e : n) {
			if (!e.IsScalar())
				fail(e, what + ": each entry must be a single value");
			out.push_back(e);
		}
	} else {
		fail(n, what + " must be a value or a list of values");
	}
	return out;
}

std::string YamlFile::get_comm(const YAML::Node &n) const
{
	auto comm = get_string(n, "comm");
	if (comm.empty() || comm.size() >= KW_COMM_LEN)
		fail(n, fmt::format("comm must be 1 to {} characters", KW_COMM_LEN - 1),
		     "the kernel keeps only the first 15 characters of a command name");
	return comm;
}

std::string YamlFile::get_choice(const YAML::Node &n, const std::string &what,
				 std::initializer_list<std::string_view> choices) const
{
	auto s = get_string(n, what);
	if (std::find(choices.begin(), choices.end(), s) != choices.end())
		return s;
	auto near = closest_match(s, choices);
	fail(n, fmt::format("{} cannot be '{}'", what, s),
	     (near.empty() ? "" : fmt::format("did you mean '{}'? ", near)) + "choose one of: " + list_choices(choices));
}

} // namespace kw
