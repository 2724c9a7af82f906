// The decoder targets' last step, as every tool's last step: the record
// rendered by the JSON encoder and the text sink (journald is not reached
// from a fuzzer).
#pragma once

#include "boot_clock.h"
#include "json_encoder.h"
#include "record.h"
#include "text_sink.h"

#include <cstdio>

namespace kw::fuzz {

inline void render(const Record &r)
{
	static JsonEncoder json("fuzz");
	static FILE *null = std::fopen("/dev/null", "w");
	static TextSink text(null);
	std::string out;
	json.encode(r, out);
	text.write(r);
}

// The tools' clock: kernel boot time to wall time.
inline int64_t realtime_usec(uint64_t boot_ns)
{
	static BootClock clock;
	return clock.to_realtime_usec(boot_ns);
}

} // namespace kw::fuzz
