// trace-file's config: parsed, described, and its path prefixes encoded in
// the two forms the kernel compares.
#include "fuzz.h"
#include "trace_file_filter.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	kw::fuzz::config_error_or_success([&] {
		auto f = kw::tfile::parse_file_filter(kw::fuzz::text_of(data, size), "fuzz.yaml");
		(void)f.describe();
		(void)f.process.compile();
		for (const auto &p : f.paths) {
			auto t = kw::tfile::encode_prefix(p);
			if (t.len != p.size())
				kw::fuzz::crash("prefix", p);
		}
	});
	return 0;
}
