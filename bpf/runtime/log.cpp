#include "log.h"

#include <bpf/libbpf.h>
#include <cstdarg>
#include <string>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace kw {

static int libbpf_to_spdlog(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	// Verifier logs run to megabytes: size the buffer to the message.
	va_list copy;
	va_copy(copy, ap);
	int n = vsnprintf(nullptr, 0, fmt, copy);
	va_end(copy);
	if (n <= 0)
		return n;
	std::string buf(size_t(n) + 1, '\0');
	vsnprintf(buf.data(), buf.size(), fmt, ap);
	buf.resize(n);
	if (!buf.empty() && buf.back() == '\n')
		buf.pop_back();
	switch (level) {
	case LIBBPF_WARN:
		spdlog::warn("libbpf: {}", buf);
		break;
	case LIBBPF_INFO:
		spdlog::debug("libbpf: {}", buf);
		break;
	case LIBBPF_DEBUG:
		spdlog::trace("libbpf: {}", buf);
		break;
	}
	return n;
}

void setup_logging(const std::string &tool, const std::string &level)
{
	static bool done = false;
	auto logger = spdlog::stderr_color_mt(tool);
	// journald adds its own timestamp; a terminal user wants one.
	logger->set_pattern(isatty(2) ? "%H:%M:%S %^%l%$ %v" : "%l: %v");
	spdlog::set_default_logger(logger);
	spdlog::set_level(spdlog::level::from_str(level));
	if (!done)
		libbpf_set_print(libbpf_to_spdlog);
	done = true;
}

} // namespace kw
