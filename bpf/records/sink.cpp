#include "sink.h"

#include "errors.h"
#include "journal_sink.h"
#include "json_sink.h"
#include "text_sink.h"

namespace kw {

Output parse_output(const std::string &s)
{
	if (s == "text")
		return Output::text;
	if (s == "json")
		return Output::json;
	if (s == "journal")
		return Output::journal;
	throw Error(Errc::usage, "unknown output '" + s + "': use text, json or journal");
}

std::unique_ptr<Sink> make_sink(Output kind, const std::string &tool, FILE *out)
{
	switch (kind) {
	case Output::text:
		return std::make_unique<TextSink>(out);
	case Output::json:
		return std::make_unique<JsonSink>(out, tool);
	case Output::journal:
		return std::make_unique<JournalSink>(tool);
	}
	return nullptr;
}

} // namespace kw
