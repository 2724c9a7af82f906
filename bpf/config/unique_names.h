// Rule names are unique across a rules file and its drop-ins: records,
// counters and `kwarden-audit report --rule` know a rule by its name alone.
#pragma once

#include <map>
#include <optional>
#include <string>

namespace kw {

class UniqueNames {
public:
	struct Place {
		std::string file;
		int line = 0;
		// "line 4" within `file`, else "/etc/kwarden/frtp.d/10-web.yaml line 4".
		std::string seen_from(const std::string &file) const;
	};
	// Remembers `name` at `here`; returns where it was first when it is not new.
	std::optional<Place> add(const std::string &name, Place here);

private:
	std::map<std::string, Place> first_;
};

} // namespace kw
