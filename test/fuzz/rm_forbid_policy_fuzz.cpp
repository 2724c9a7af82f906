// rm-forbid's rules file: parse, compile, and the --check and log summaries.
#include "fuzz.h"
#include "rm_forbid_policy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	kw::fuzz::config_error_or_success([&] {
		auto spec = kw::rmf::parse_policy(kw::fuzz::text_of(data, size), "fuzz.yaml");
		kw::fuzz::HashResolver r;
		auto c = kw::rmf::compile(spec, r);
		(void)c.describe();
		(void)c.summary();
	});
	return 0;
}
