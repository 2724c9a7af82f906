// Loading YAML rule and config files with errors that name file, line and
// column and say how to fix the problem.
#pragma once

#include "errors.h"

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>
#include <yaml-cpp/yaml.h>

namespace kw {

class YamlFile {
public:
	// Throws ConfigError when the file cannot be read or parsed.
	static YamlFile load(const std::string &path);
	static YamlFile parse(const std::string &text, const std::string &name);

	const YAML::Node &root() const { return root_; }
	const std::string &name() const { return name_; }

	[[noreturn]] void fail(const YAML::Node &at, const std::string &msg, const std::string &hint = {}) const;
	void require_map(const YAML::Node &n, const std::string &what) const;
	// Unknown keys are errors (a typo must not silently weaken a policy).
	void check_keys(const YAML::Node &map, std::initializer_list<std::string_view> allowed) const;
	std::string get_string(const YAML::Node &n, const std::string &what) const;
	int64_t get_int(const YAML::Node &n, const std::string &what, int64_t min, int64_t max) const;
	bool get_bool(const YAML::Node &n, const std::string &what) const;
	// A scalar or a sequence of scalars, as a list of nodes.
	std::vector<YAML::Node> as_list(const YAML::Node &n, const std::string &what) const;
	// A command name as the kernel stores it (1 to 15 bytes), for comm filters.
	std::string get_comm(const YAML::Node &n) const;
	// One of `choices`, or an error listing them.
	std::string get_choice(const YAML::Node &n, const std::string &what,
			       std::initializer_list<std::string_view> choices) const;

private:
	YamlFile(YAML::Node root, std::string name) : root_(std::move(root)), name_(std::move(name)) {}
	YAML::Node root_;
	std::string name_;
};

// The closest of `choices` to `word` by edit distance, or "" when none is close.
std::string closest_match(std::string_view word, std::initializer_list<std::string_view> choices);

} // namespace kw
