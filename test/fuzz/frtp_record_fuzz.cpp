// frtp's decision events: a ring-buffer sample decoded as frtp.cpp's handler
// does, named from a policy of its generation (or none), rendered.
#include "frtp_record.h"
#include "fuzz.h"
#include "record.h"

namespace {

const kw::frtp::CompiledPolicy &policy()
{
	static const kw::frtp::CompiledPolicy p = [] {
		kw::fuzz::HashResolver r;
		return kw::frtp::compile(kw::frtp::parse_policy("rules:\n"
								"  - {name: shadow, objects: [/etc/shadow], operations: read, action: deny}\n"
								"  - {name: srv, objects: [/srv/**], operations: all, action: audit}\n",
								"fuzz.yaml"),
					 r);
	}();
	return p;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	kw::fuzz::Sample s(data, size);
	auto *ev = s.as<frtp_event>();
	if (!ev)
		return 0;
	kw::fuzz::no_exception([&] {
		// An event from a generation no longer loaded has no policy to name its rule.
		auto d = kw::frtp::decode_event(*ev, ev->gen & 1 ? &policy() : nullptr);
		kw::fuzz::render(kw::frtp::decision_record(d, kw::fuzz::realtime_usec(d.boot_ns), "init(1)"));
	});
	return 0;
}
