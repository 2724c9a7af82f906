#include "policy_source.h"

#include "errors.h"

#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <fstream>
#include <memory>
#include <openssl/evp.h>
#include <sstream>

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

PolicySource PolicySource::read(const std::string &path)
{
	std::ifstream in(path, std::ios::binary);
	if (!in)
		throw ConfigError(path, 0, 0, fmt::format("cannot read the rules file: {}", std::strerror(errno)),
				  "check the path given to --rules and its permissions");
	std::ostringstream ss;
	ss << in.rdbuf();
	if (in.bad())
		throw ConfigError(path, 0, 0, "cannot read the rules file", "check the file and its permissions");
	PolicySource s;
	s.path = path;
	s.text = ss.str();
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
