// rm-forbid's refusal events: a ring-buffer sample decoded as rm_forbid.cpp's
// handler does, rendered with and without holders.
#include "fuzz.h"
#include "record.h"
#include "rm_forbid_record.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	kw::fuzz::Sample s(data, size);
	auto *ev = s.as<rf_event>();
	if (!ev)
		return 0;
	kw::fuzz::no_exception([&] {
		auto x = kw::rmf::decode_event(*ev);
		std::vector<kw::rmf::Holder> holders;
		if (x.gen & 1)
			holders.push_back(kw::rmf::Holder{});
		kw::fuzz::render(kw::rmf::refusal_record(x, kw::fuzz::realtime_usec(x.boot_ns), holders, "init(1)"));
	});
	return 0;
}
