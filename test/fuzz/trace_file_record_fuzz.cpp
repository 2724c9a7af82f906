// trace-file's events (a header and variable sections): a ring-buffer sample
// decoded by decode_file_event, as trace_file.cpp's handler does, rendered
// as a record and counted into --summary's table.
#include "fuzz.h"
#include "record.h"
#include "trace_file_record.h"
#include "trace_file_top.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	kw::fuzz::Sample s(data, size);
	kw::fuzz::no_exception([&] {
		auto e = kw::tfile::decode_file_event(s.bytes());
		if (!e)
			return;
		static kw::tfile::FileTop top;
		top.add(*e);
		if (top.events() >= 64)
			(void)top.render(10, "fuzz"); // and starts a new interval: memory stays bounded
		kw::fuzz::render(kw::tfile::file_record(*e, kw::fuzz::realtime_usec(e->boot_ns), e->exe.value_or(""),
							"fuzz.service"));
	});
	return 0;
}
