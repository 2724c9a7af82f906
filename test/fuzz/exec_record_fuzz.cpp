// trace-exec's events: a ring-buffer sample decoded as trace_exec.cpp's
// handler does, rendered.
#include "exec_record.h"
#include "fuzz.h"
#include "record.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	kw::fuzz::Sample s(data, size);
	auto *ev = s.as<te_event>();
	if (!ev)
		return 0;
	kw::fuzz::no_exception([&] {
		auto x = kw::texec::decode_exec(*ev);
		kw::fuzz::render(kw::texec::exec_record(x, kw::fuzz::realtime_usec(x.boot_ns), "init(1)"));
	});
	return 0;
}
