// Rule names are unique across a rules file and its drop-ins: records,
// counters and `kwarden-audit report --rule` know a rule by its name alone.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace kw {

class UniqueNames {
public:
	struct Place {
		std::string_view file; // a YamlFile's name, which outlives the check
		int line = 0;
		// "line 4" within `file`, else "/etc/kwarden/frtp.d/10-web.yaml line 4".
		std::string seen_from(const std::string &file) const;
	};
	// `expected`: the rules to come; the table never grows while they come.
	explicit UniqueNames(size_t expected = 0) { first_.reserve(expected); }
	// Remembers `name` at `here`; returns where it was first when it is not new.
	std::optional<Place> add(const std::string &name, Place here);

private:
	std::unordered_map<std::string, Place> first_;
};

} // namespace kw
