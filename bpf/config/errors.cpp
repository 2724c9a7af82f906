#include "errors.h"

#include <cstring>
#include <fmt/format.h>

namespace kw {

static std::string with_errno(const std::string &msg, int e)
{
	return e ? fmt::format("{}: {}", msg, std::strerror(e)) : msg;
}

Error::Error(Errc code, const std::string &msg, int sys_errno)
    : std::runtime_error(with_errno(msg, sys_errno)), code_(code), errno_(sys_errno)
{
}

static std::string config_message(const std::string &file, int line, int column,
				  const std::string &msg, const std::string &hint)
{
	std::string s = line > 0 ? fmt::format("{}:{}:{}: {}", file, line, column, msg)
				  : fmt::format("{}: {}", file, msg);
	if (!hint.empty())
		s += fmt::format("\n  hint: {}", hint);
	return s;
}

ConfigError::ConfigError(std::string file, int line, int column, std::string msg, std::string hint)
    : Error(Errc::config, config_message(file, line, column, msg, hint)), file_(std::move(file)),
      line_(line), column_(column), hint_(std::move(hint))
{
}

void check_bpf(int ret, const std::string &what)
{
	if (ret < 0)
		throw Error(Errc::kernel, what, -ret);
}

} // namespace kw

namespace kw {
std::string errno_name(int e)
{
	const char *n = strerrorname_np(e);
	return n ? n : std::to_string(e);
}

std::optional<int> errno_of(int64_t ret)
{
	if (ret < -4095 || ret >= 0)
		return std::nullopt;
	return int(-ret);
}

std::string failure_name(int64_t ret)
{
	auto e = errno_of(ret);
	return e ? errno_name(*e) : std::to_string(ret);
}
} // namespace kw
