#include "yaml_file.h"

#include "config_text.h"
#include "decimal.h"
#include "kw_types.h"
#include "policy_source.h"
#include "yaml_builder.h"

#include <algorithm>
#include <fmt/format.h>
#include <linux/limits.h>

namespace kw {

namespace {

bool starts_with_utf16_or_32_bom(const std::string &t)
{
	return t.starts_with("\xfe\xff") || t.starts_with("\xff\xfe") || t.starts_with(std::string("\0\0\xfe\xff", 4));
}

// YAML files are UTF-8 text: a NUL or another control character in the raw
// text is refused where it is, naming the byte, before libyaml reads it.
void check_text(const std::string &text, const std::string &name)
{
	if (text.size() > kMaxFileBytes)
		throw ConfigError(name, 0, 0,
				  fmt::format("the file is larger than {} MiB, the limit for rules and config files",
					      kMaxFileBytes >> 20));
	if (starts_with_utf16_or_32_bom(text))
		throw ConfigError(name, 1, 1, "the file is UTF-16 or UTF-32 text; kwarden reads UTF-8",
				  "convert it, e.g. iconv -f UTF-16 -t UTF-8");
	if (auto at = control_char_at(text, "\t\n\r"))
		throw ConfigError(name, pos_of_offset(text, *at),
				  fmt::format("the file holds a control character (byte {:#04x})",
					      static_cast<unsigned char>(text[*at])),
				  "kwarden files are text: remove it (names and paths cannot hold control characters "
				  "either way)");
	if (auto at = invalid_utf8_at(text))
		throw ConfigError(name, pos_of_offset(text, *at),
				  fmt::format("the file is not UTF-8 text (byte {:#04x})", static_cast<unsigned char>(text[*at])),
				  "save it as UTF-8, e.g. iconv -f LATIN1 -t UTF-8");
}

} // namespace

YamlFile YamlFile::load(const std::string &path) { return parse(read_policy_file(path), path); }

YamlFile YamlFile::parse(const std::string &text, const std::string &name)
{
	check_text(text, name);
	auto store = YamlBuilder::build(text, name);
	if (!store->nodes || store->cells[0].kind == YamlStore::Kind::null)
		throw ConfigError(name, 0, 0, "the file is empty", "see /etc/kwarden/ for commented examples");
	return YamlFile(std::move(store), name);
}

void YamlFile::fail(const YamlNode &at, const std::string &msg, const std::string &hint) const
{
	throw ConfigError(name_, pos(at), msg, hint);
}

SourcePos YamlFile::pos(const YamlNode &n) { return n.mark(); }

void YamlFile::require_map(const YamlNode &n, const std::string &what) const
{
	if (!n.is_map())
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

void YamlFile::check_keys(const YamlNode &map, std::initializer_list<std::string_view> allowed) const
{
	for (auto [key, value] : map.entries()) {
		auto k = key.scalar();
		if (std::find(allowed.begin(), allowed.end(), k) != allowed.end())
			continue;
		auto near = closest_match(k, allowed);
		fail(key, fmt::format("unknown key {}", printable(k)),
		     near.empty() ? "allowed here: " + list_choices(allowed)
				  : fmt::format("did you mean '{}'? allowed here: {}", near, list_choices(allowed)));
	}
}

std::string YamlFile::get_string(const YamlNode &n, const std::string &what) const
{
	if (!n.is_scalar())
		fail(n, what + " must be a single value");
	std::string_view s = n.scalar();
	if (auto at = control_char_at(s))
		fail(n, fmt::format("{} {} holds a control character (byte {:#04x})", what, printable(s),
				    static_cast<unsigned char>(s[*at])),
		     s[*at] == '\0' ? "the kernel stops reading at a NUL: everything after it would be ignored; remove it"
				    : "names and paths cannot hold control characters (\\t, \\n, \\x01...): remove it");
	if (auto at = invalid_utf8_at(s))
		fail(n, fmt::format("{} {} is not UTF-8 text (byte {:#04x})", what, printable(s),
				    static_cast<unsigned char>(s[*at])),
		     "a name in another encoding cannot be written here; name its directory instead");
	return std::string(s);
}

uint64_t YamlFile::number(const YamlNode &at, std::string_view text, const std::string &what, uint64_t min,
			  uint64_t max) const
{
	auto d = Decimal::parse(text, min, max);
	if (!d.value)
		fail(at, what + " " + d.problem, d.hint);
	return *d.value;
}

int64_t YamlFile::get_int(const YamlNode &n, const std::string &what, int64_t min, int64_t max) const
{
	return int64_t(number(n, get_string(n, what), what, uint64_t(std::max<int64_t>(min, 0)), uint64_t(max)));
}

std::pair<uint64_t, uint64_t> YamlFile::get_range(const YamlNode &n, const std::string &what, uint64_t min,
						  uint64_t max) const
{
	std::string s = get_string(n, what);
	auto dash = s.find('-', 1); // a leading '-' is a sign, refused as out of range
	if (dash == std::string::npos) {
		uint64_t v = number(n, s, what, min, max);
		return {v, v};
	}
	uint64_t lo = number(n, std::string_view(s).substr(0, dash), what, min, max);
	uint64_t hi = number(n, std::string_view(s).substr(dash + 1), what, min, max);
	if (lo > hi)
		fail(n, fmt::format("{} range {} runs backwards", what, printable(s)), fmt::format("write it as {}-{}", hi, lo));
	return {lo, hi};
}

IdSpec YamlFile::get_id(const YamlNode &n, const std::string &what, bool ranges) const
{
	std::string s = get_string(n, what);
	IdSpec id;
	id.at = pos(n);
	id.file = name_;
	if (s.empty())
		fail(n, fmt::format("{} is empty", what), fmt::format("write a number or a name, e.g. {}: 0", what));
	if (s[0] < '0' || s[0] > '9') {
		id.name = s;
		return id;
	}
	if (!ranges && s.find('-') != std::string::npos)
		fail(n, fmt::format("{} ranges like {} are not supported here", what, printable(s)),
		     fmt::format("list the {} values one by one", what));
	// 2^32-1 is (uid_t)-1, "no id" to the kernel.
	auto [lo, hi] = get_range(n, what, 0, 4294967294);
	id.lo = uint32_t(lo);
	id.hi = uint32_t(hi);
	return id;
}

std::string YamlFile::get_path(const YamlNode &n, const std::string &what, std::string_view example) const
{
	std::string p = get_string(n, what);
	if (p.empty() || p[0] != '/')
		fail(n, fmt::format("{} {} must be an absolute path", what, printable(p)),
		     fmt::format("start it with /, e.g. {}", example));
	if (p.size() >= PATH_MAX)
		fail(n, fmt::format("{} is {} bytes long; the kernel's limit is {} (PATH_MAX)", what, p.size(), PATH_MAX - 1));
	for (size_t start = 1; start < p.size();) {
		size_t end = std::min(p.find('/', start), p.size());
		if (end - start > NAME_MAX)
			fail(n, fmt::format("{}: the name {} is {} bytes long; the kernel's limit is {} (NAME_MAX)", what,
					    printable(p.substr(start, end - start)), end - start, NAME_MAX));
		start = end + 1;
	}
	return p;
}

std::string YamlFile::get_unit(const YamlNode &n) const
{
	// systemd's UNIT_NAME_MAX is 256 with the NUL.
	constexpr size_t unit_name_max = 255;
	std::string u = get_string(n, "unit");
	auto dot = u.rfind('.');
	if (u.find('/') != std::string::npos || dot == std::string::npos || dot == 0 || dot + 1 == u.size())
		fail(n, fmt::format("unit {} is not a systemd unit name", printable(u)),
		     "write the full unit name, e.g. nginx.service");
	if (u.size() > unit_name_max)
		fail(n, fmt::format("unit name is {} bytes long; systemd's limit is {}", u.size(), unit_name_max));
	return u;
}

bool YamlFile::get_bool(const YamlNode &n, const std::string &what) const
{
	auto s = get_string(n, what);
	if (s == "true" || s == "yes" || s == "on")
		return true;
	if (s == "false" || s == "no" || s == "off")
		return false;
	fail(n, fmt::format("{} must be true or false, not {}", what, printable(s)));
}

std::vector<YamlNode> YamlFile::as_list(const YamlNode &n, const std::string &what) const
{
	std::vector<YamlNode> out;
	if (n.is_scalar()) {
		out.push_back(n);
	} else if (n.is_sequence()) {
		out.reserve(n.size());
		for (auto e : n) {
			if (!e.is_scalar())
				fail(e, what + ": each entry must be a single value");
			out.push_back(e);
		}
	} else {
		fail(n, what + " must be a value or a list of values");
	}
	return out;
}

std::string YamlFile::get_comm(const YamlNode &n) const
{
	auto comm = get_string(n, "comm");
	if (comm.empty() || comm.size() >= KW_COMM_LEN)
		fail(n, fmt::format("comm must be 1 to {} bytes, not {}", KW_COMM_LEN - 1, comm.size()),
		     fmt::format("the kernel keeps only the first {} bytes of a command name (TASK_COMM_LEN {} with "
				 "the NUL)",
				 KW_COMM_LEN - 1, KW_COMM_LEN));
	return comm;
}

std::string YamlFile::get_choice(const YamlNode &n, const std::string &what,
				 std::initializer_list<std::string_view> choices) const
{
	auto s = get_string(n, what);
	if (std::find(choices.begin(), choices.end(), s) != choices.end())
		return s;
	auto near = closest_match(s, choices);
	fail(n, fmt::format("{} cannot be {}", what, printable(s)),
	     (near.empty() ? "" : fmt::format("did you mean '{}'? ", near)) + "choose one of: " + list_choices(choices));
}

} // namespace kw
