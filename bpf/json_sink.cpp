#include "json_sink.h"

#include <fmt/format.h>

namespace kw {

nlohmann::json JsonSink::to_json(const Record &r, const std::string &tool)
{
	nlohmann::json j;
	j["time"] = format_time(r.realtime_usec);
	j["tool"] = tool;
	j["event"] = r.event;
	j["message"] = r.message;
	for (const auto &f : r.fields)
		std::visit([&](const auto &v) { j[f.name] = v; }, f.value);
	return j;
}

void JsonSink::write(const Record &r)
{
	// Replace, not throw, on invalid UTF-8: paths and argv are arbitrary bytes.
	fmt::print(out_, "{}\n", to_json(r, tool_).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

} // namespace kw
