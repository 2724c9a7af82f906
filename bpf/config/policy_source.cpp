#include "policy_source.h"

#include "errors.h"
#include "unique_fd.h"

#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <algorithm>
#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

namespace kw {

std::string sha256_hex(const std::string &bytes)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	if (!EVP_Digest(bytes.data(), bytes.size(), md, &n, EVP_sha256(), nullptr))
		throw Error(Errc::io, "SHA-256 of the policy failed (OpenSSL)");
	std::string hex;
	for (unsigned i = 0; i < n; i++)
		hex += fmt::format("{:02x}", md[i]);
	return hex;
}

static ConfigError unreadable(const std::string &path, int e)
{
	return ConfigError(path, 0, 0, fmt::format("cannot read the rules file: {}", std::strerror(e)),
			   "check the path given to --rules and its permissions");
}

// At most kMaxFileBytes + 1 bytes: enough to tell a file that is too large.
static std::string read_capped(const std::string &path)
{
	UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
	if (fd.get() < 0)
		throw unreadable(path, errno);
	std::string text;
	char buf[65536];
	while (text.size() <= kMaxFileBytes) {
		ssize_t n = ::read(fd.get(), buf, std::min(sizeof(buf), kMaxFileBytes + 1 - text.size()));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			throw unreadable(path, errno);
		if (n == 0)
			return text;
		text.append(buf, size_t(n));
	}
	throw ConfigError(path, 0, 0, fmt::format("the file is larger than {} MiB, the limit for rules and config files",
						  kMaxFileBytes >> 20),
			  "is --rules the right file? (a device or pipe that never ends is refused too)");
}

PolicySource PolicySource::read(const std::string &path)
{
	PolicySource s;
	s.path = path;
	s.text = read_capped(path);
	s.sha256 = sha256_hex(s.text);
	return s;
}

PolicySource PolicySource::builtin(const std::string &name)
{
	PolicySource s;
	s.path = name;
	s.sha256 = sha256_hex("");
	s.builtin_ = true;
	return s;
}

} // namespace kw
