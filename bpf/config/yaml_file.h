// Loading YAML rule and config files with errors that name file, line and
// column and say how to fix the problem. Every loader reads its values
// through here, so the limits and the rules for numbers, names and paths
// (docs/policy-limits.md) are the same in every tool.
#pragma once

#include "errors.h"
#include "yaml_node.h"

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kw {

// Limits on a file's structure, checked once when it is parsed.
struct YamlLimits {
	// Values (scalars, lists and maps), each alias counted every time it is
	// used. frtp's benchmark holds 12 per rule (1.2 million for 100,000
	// rules), 131,072 rules with subjects a few million; this bounds what a
	// file of kMaxFileBytes can make the loaders walk.
	static constexpr size_t max_values = 8'000'000;
	// Of those, the values aliases stand for, together: a few hundred bytes
	// of anchors and aliases can otherwise stand for billions of values
	// ("billion laughs"). Kept at what it was before large policies, so an
	// input's cost per byte stays what the fuzzers measured.
	static constexpr size_t max_alias_values = 1'000'000;
	// Kwarden's files need five or six levels.
	static constexpr int max_depth = 64;
};

// A uid or gid as written: a number, a range LO-HI of numbers, or a name
// for the caller to look up (`name` non-empty; lo and hi unset).
struct IdSpec {
	uint32_t lo = 0, hi = 0;
	std::string name;
	std::string file; // where it is written, for errors found when compiling
	SourcePos at;
};

class YamlFile {
public:
	// Throws ConfigError when the file cannot be read or parsed, or breaks
	// a YamlLimits limit, or repeats a key in a mapping.
	static YamlFile load(const std::string &path);
	static YamlFile parse(const std::string &text, const std::string &name);

	YamlNode root() const { return {store_.get(), 0}; }
	const std::string &name() const { return name_; }

	[[noreturn]] void fail(const YamlNode &at, const std::string &msg, const std::string &hint = {}) const;
	static SourcePos pos(const YamlNode &n);
	void require_map(const YamlNode &n, const std::string &what) const;
	// Unknown keys are errors (a typo must not silently weaken a policy).
	void check_keys(const YamlNode &map, std::initializer_list<std::string_view> allowed) const;
	// A scalar of UTF-8 text without control characters (config_text.h).
	std::string get_string(const YamlNode &n, const std::string &what) const;
	// A decimal number (decimal.h) in [min, max]; min >= 0.
	int64_t get_int(const YamlNode &n, const std::string &what, int64_t min, int64_t max) const;
	// Part of a scalar (a range's bound, a prefix length) as a decimal number.
	uint64_t number(const YamlNode &at, std::string_view text, const std::string &what, uint64_t min,
			uint64_t max) const;
	// "N" or "LO-HI", decimal, in [min, max], LO <= HI.
	std::pair<uint64_t, uint64_t> get_range(const YamlNode &n, const std::string &what, uint64_t min,
						uint64_t max) const;
	// A user or group: a number, a range LO-HI when `ranges`, or a name.
	// Anything starting with a digit is a number, never a name.
	IdSpec get_id(const YamlNode &n, const std::string &what, bool ranges) const;
	// An absolute path within the kernel's PATH_MAX and NAME_MAX.
	std::string get_path(const YamlNode &n, const std::string &what, std::string_view example) const;
	// A systemd unit name ("nginx.service"), at most 255 bytes as systemd allows.
	std::string get_unit(const YamlNode &n) const;
	bool get_bool(const YamlNode &n, const std::string &what) const;
	// A scalar or a sequence of scalars, as a list of nodes.
	std::vector<YamlNode> as_list(const YamlNode &n, const std::string &what) const;
	// A command name as the kernel stores it (1 to 15 bytes), for comm filters.
	std::string get_comm(const YamlNode &n) const;
	// One of `choices`, or an error listing them.
	std::string get_choice(const YamlNode &n, const std::string &what,
			       std::initializer_list<std::string_view> choices) const;

private:
	YamlFile(std::shared_ptr<const YamlStore> store, std::string name)
	    : store_(std::move(store)), name_(std::move(name))
	{
	}
	std::shared_ptr<const YamlStore> store_; // shared by copies, whose nodes point into it
	std::string name_;
};

// The closest of `choices` to `word` by edit distance, or "" when none is close.
std::string closest_match(std::string_view word, std::initializer_list<std::string_view> choices);

} // namespace kw
