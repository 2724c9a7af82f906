// trace-exec's config: the tracers' shared process filter (process_filter.cpp)
// parsed, described and compiled into its kernel form.
#include "exec_filter.h"
#include "fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	kw::fuzz::config_error_or_success([&] {
		auto f = kw::texec::parse_exec_filter(kw::fuzz::text_of(data, size), "fuzz.yaml");
		(void)kw::texec::describe_exec_filter(f);
		auto k = f.compile();
		if (k.comm[sizeof(k.comm) - 1] != 0)
			kw::fuzz::crash("kernel form", "comm is not NUL-terminated");
	});
	return 0;
}
