#include "frtp_learn_volatile.h"

#include <algorithm>
#include <cctype>

namespace kw::frtp {

namespace {

bool digit(char c) { return c >= '0' && c <= '9'; }
bool alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }
int char_class(char c) { return digit(c) ? 0 : std::islower(static_cast<unsigned char>(c)) ? 1 : 2; }

// Digit runs as one '#': "job.17" and "job.203" read "job.#".
std::string numbered_shape(std::string_view name)
{
	std::string out;
	for (size_t i = 0; i < name.size(); i++) {
		if (!digit(name[i])) {
			out += name[i];
		} else if (out.empty() || out.back() != '#') {
			out += '#';
		}
	}
	return out;
}

bool numbered_alike(const std::vector<std::string> &names)
{
	std::string shape = numbered_shape(names[0]);
	if (shape.find('#') == std::string::npos)
		return false;
	return std::all_of(names.begin(), names.end(), [&](const std::string &n) { return numbered_shape(n) == shape; });
}

// mktemp's names: the same template, its X's replaced.
bool random_alike(const std::vector<std::string> &names)
{
	const std::string &a = names[0];
	size_t prefix = a.size(), suffix = a.size();
	for (const auto &n : names) {
		if (n.size() != a.size())
			return false;
		size_t p = 0;
		while (p < prefix && n[p] == a[p])
			p++;
		prefix = p;
		size_t s = 0;
		while (s < suffix && n[n.size() - 1 - s] == a[a.size() - 1 - s])
			s++;
		suffix = s;
	}
	if (prefix + suffix >= a.size() || a.size() - prefix - suffix < 4)
		return false;
	// Letters or digits only, and more than one kind of them somewhere:
	// alpha.conf and gamma.conf are words, not a template's X's.
	bool mixed = false;
	for (const auto &n : names) {
		for (size_t i = prefix; i < n.size() - suffix; i++) {
			if (!alnum(n[i]))
				return false;
			mixed |= char_class(n[i]) != char_class(n[prefix]);
		}
	}
	return mixed;
}

// One token of a name (between '.', '-', '_'): a hex id or timestamp (8 or
// more hex digits, one of them a digit), or noise that switches between
// digits, lower and upper case at least once every four characters.
bool random_token(std::string_view t)
{
	if (t.size() >= 8 && std::all_of(t.begin(), t.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); }) &&
	    std::any_of(t.begin(), t.end(), digit))
		return true;
	if (t.size() < 6 || !std::all_of(t.begin(), t.end(), alnum))
		return false;
	size_t switches = 0;
	for (size_t i = 1; i < t.size(); i++)
		switches += char_class(t[i]) != char_class(t[i - 1]);
	return switches >= 3 && switches * 4 >= t.size();
}

bool temporary(std::string_view n)
{
	for (std::string_view end : {".tmp", ".temp", ".swp", ".part", ".new", "~"})
		if (n.size() > end.size() && n.ends_with(end))
			return true;
	for (std::string_view start : {"tmp.", "tmp-", "tmp_", ".#", "#"})
		if (n.size() > start.size() && n.starts_with(start))
			return true;
	return false;
}

bool random_name(std::string_view n)
{
	if (temporary(n))
		return true;
	size_t start = 0;
	for (size_t i = 0; i <= n.size(); i++) {
		if (i == n.size() || n[i] == '.' || n[i] == '-' || n[i] == '_') {
			if (random_token(n.substr(start, i - start)))
				return true;
			start = i + 1;
		}
	}
	return false;
}

} // namespace

size_t path_depth(std::string_view path)
{
	return size_t(std::count(path.begin(), path.end(), '/')) - (path == "/" ? 1 : 0);
}

bool volatile_names(const std::vector<std::string> &names)
{
	if (names.size() < 2)
		return false;
	return numbered_alike(names) || random_alike(names) ||
	       std::all_of(names.begin(), names.end(), [](const std::string &n) { return random_name(n); });
}

bool volatile_name(std::string_view name)
{
	return random_name(name) || std::any_of(name.begin(), name.end(), digit);
}

bool data_directory(std::string_view dir)
{
	for (std::string_view base :
	     {"/var/lib/", "/var/cache/", "/var/log/", "/var/spool/", "/var/tmp/", "/tmp/", "/run/", "/dev/shm/", "/srv/"})
		if (dir.size() > base.size() && dir.starts_with(base))
			return true;
	return false;
}

} // namespace kw::frtp
