#include "text_sink.h"

#include <fmt/format.h>

namespace kw {

void TextSink::write(const Record &r)
{
	std::string t = format_time(r.realtime_usec);
	// HH:MM:SS.micro is enough on a terminal; the date is in json and journal.
	fmt::print(out_, "{} {}\n", t.substr(11, 15), r.message);
}

} // namespace kw
