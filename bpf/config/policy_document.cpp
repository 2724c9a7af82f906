#include "policy_document.h"

#include "config_text.h"

#include <algorithm>
#include <fmt/format.h>
#include <fmt/ranges.h>

namespace kw {

namespace {

// A value as the parser reads it, whatever the quoting and flow style:
// `mode: audit` and `mode: "audit"` agree; key order in a mapping does not count.
std::string canonical(const YamlNode &n)
{
	if (n.is_scalar())
		return fmt::format("'{}'", n.scalar());
	std::vector<std::string> parts;
	if (n.is_sequence()) {
		for (auto e : n)
			parts.push_back(canonical(e));
		return "[" + fmt::format("{}", fmt::join(parts, ",")) + "]";
	}
	if (n.is_map()) {
		for (auto [key, value] : n.entries())
			parts.push_back(canonical(key) + ":" + canonical(value));
		std::sort(parts.begin(), parts.end());
		return "{" + fmt::format("{}", fmt::join(parts, ",")) + "}";
	}
	return "~";
}

std::string place(const YamlFile &f, const YamlNode &n)
{
	auto p = YamlFile::pos(n);
	return fmt::format("{}:{}:{}", f.name(), p.line, p.column);
}

} // namespace

PolicyDocument::PolicyDocument(const PolicySource &src, const std::string &what,
			       std::initializer_list<std::string_view> keys)
{
	files_.reserve(src.files.size());
	for (auto &f : src.files) {
		files_.push_back(YamlFile::parse(f.text, f.path));
		const YamlFile &y = files_.back();
		y.require_map(y.root(), what);
		y.check_keys(y.root(), keys);
	}
	if (files_.empty())
		throw ConfigError(src.path, 0, 0, "no rules file to read");
}

std::optional<PolicyDocument::At> PolicyDocument::setting(const std::string &key) const
{
	std::optional<At> first;
	for (auto &f : files_) {
		YamlNode v = f.root()[key];
		if (!v)
			continue;
		if (!first) {
			first = At{&f, v};
			continue;
		}
		if (canonical(v) != canonical(first->node))
			f.fail(v, fmt::format("{} is set here and, to another value, at {}", key, place(*first->file, first->node)),
			       fmt::format("a setting may be written in several of the rules file and its drop-ins only with "
					   "the same value: write {} in one file (the rules file)",
					   key));
	}
	return first;
}

std::vector<PolicyDocument::At> PolicyDocument::each(const std::string &key) const
{
	std::vector<At> out;
	for (auto &f : files_)
		if (YamlNode v = f.root()[key])
			out.push_back({&f, v});
	return out;
}

std::vector<PolicyDocument::At> PolicyDocument::items(const std::string &key, const std::string &not_list,
						      const std::string &hint) const
{
	std::vector<At> out;
	auto lists = each(key);
	size_t total = 0;
	for (auto &[f, v] : lists)
		total += v.size();
	out.reserve(total);
	for (auto &[f, v] : lists) {
		if (!v.is_sequence())
			f->fail(v, not_list, hint);
		for (auto e : v)
			out.push_back({f, e});
	}
	return out;
}

void PolicyDocument::check_count(const std::string &key, size_t max, const std::string &noun,
				 const std::string &hint) const
{
	auto lists = each(key);
	size_t total = 0;
	for (auto &[f, v] : lists)
		total += v.is_sequence() ? v.size() : 0;
	if (total <= max)
		return;
	size_t running = 0;
	for (auto &[f, v] : lists)
		if (v.is_sequence() && (running += v.size()) > max)
			f->fail(v, fmt::format("{} {}{}; at most {} fit", total, noun,
					       lists.size() > 1 ? " in the rules file and its drop-ins" : "", max),
				hint);
}

} // namespace kw
