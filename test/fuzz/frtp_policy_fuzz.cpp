// frtp's rules file: parse, then compile as a start and as `--mode audit`
// do, then print it as --check does.
#include "frtp_policy.h"
#include "fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	kw::fuzz::config_error_or_success([&] {
		auto spec = kw::frtp::parse_policy(kw::fuzz::text_of(data, size), "fuzz.yaml");
		kw::fuzz::HashResolver r;
		auto c = kw::frtp::compile(spec, r);
		(void)c.describe();
		(void)kw::frtp::compile(spec, r, kw::Mode::audit);
	});
	return 0;
}
