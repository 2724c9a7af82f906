// One audit or trace record, in the field vocabulary shared by every tool
// (docs/fields.md). Sinks render it as text, JSON or a journald entry.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace kw {

class Record {
public:
	using Value = std::variant<std::string, int64_t, std::vector<std::string>>;
	struct Field {
		std::string name; // lower_snake_case; journald gets it upper-cased
		Value value;
	};

	Record(std::string event, std::string message_id, int priority);

	Record &add(std::string name, std::string value);
	Record &add(std::string name, const char *value) { return add(std::move(name), std::string(value)); }
	Record &add(std::string name, int64_t value);
	Record &add(std::string name, std::vector<std::string> value);
	template <typename T>
		requires std::is_integral_v<T>
	Record &add(std::string name, T value)
	{
		return add(std::move(name), static_cast<int64_t>(value));
	}
	const Value *get(const std::string &name) const;

	std::string event;      // e.g. "exec", "deny"
	std::string message_id; // 32 hex digits, one per event type
	int priority;           // syslog priority
	std::string message;    // one readable line
	int64_t realtime_usec = 0;
	std::optional<int> object_pid; // lets journald attach the subject's metadata
	std::vector<Field> fields;
};

// Shell-style quoting of one argument, for readable argv in text and journal.
std::string shell_quote(const std::string &arg);
std::string join_argv(const std::vector<std::string> &argv);
// ISO 8601 local time with microseconds.
std::string format_time(int64_t realtime_usec);

} // namespace kw
