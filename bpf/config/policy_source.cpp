#include "policy_source.h"

#include "errors.h"
#include "sha256.h"
#include "unique_fd.h"

#include "config_text.h"

#include <cerrno>
#include <dirent.h>
#include <memory>
#include <cstring>
#include <fmt/format.h>
#include <algorithm>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace kw {

std::string sha256_hex(const std::string &bytes)
{
	static constexpr char kDigits[] = "0123456789abcdef";
	std::string hex;
	hex.reserve(64);
	for (uint8_t b : sha256(bytes)) {
		hex += kDigits[b >> 4];
		hex += kDigits[b & 15];
	}
	return hex;
}

static ConfigError unreadable(const std::string &path, int e)
{
	return ConfigError(path, 0, 0, fmt::format("cannot read the rules file: {}", std::strerror(e)),
			   "check the path given to --rules (or the drop-in's) and its permissions");
}

// At most kMaxFileBytes + 1 bytes: enough to tell a file that is too large.
static std::string read_capped(const std::string &path, size_t limit)
{
	UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
	if (fd.get() < 0)
		throw unreadable(path, errno);
	std::string text;
	// A regular file's size known, the text is not grown (and copied) as it
	// comes: a 1 MB policy would touch twice its size.
	struct stat st{};
	if (::fstat(fd.get(), &st) == 0 && S_ISREG(st.st_mode))
		text.reserve(std::min(size_t(st.st_size), limit + 1));
	char buf[65536];
	while (text.size() <= limit) {
		ssize_t n = ::read(fd.get(), buf, std::min(sizeof(buf), limit + 1 - text.size()));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			throw unreadable(path, errno);
		if (n == 0)
			return text;
		text.append(buf, size_t(n));
	}
	throw ConfigError(path, 0, 0,
			  fmt::format("the file{} larger than {} MiB, the limit for rules and config files",
				      limit == kMaxFileBytes ? " is" : " makes the rules file and its drop-ins together",
				      kMaxFileBytes >> 20),
			  "is --rules the right file? (a device or pipe that never ends is refused too)");
}

std::string read_policy_file(const std::string &path) { return read_capped(path, kMaxFileBytes); }

std::string dropin_dir(const std::string &rules)
{
	for (std::string_view ext : {".yaml", ".yml"})
		if (rules.size() > ext.size() && rules.ends_with(ext))
			return rules.substr(0, rules.size() - ext.size()) + ".d";
	return rules + ".d";
}

// The names in the drop-in directory that count, in byte order (the order
// `LC_ALL=C ls` shows): NAME.yaml, not hidden. dpkg's .dpkg-old/.dpkg-dist,
// editors' backups (x.yaml~, .x.yaml.swp) and disabled files (x.yaml.off)
// are left out.
static std::vector<std::string> names_in(const std::string &dir)
{
	std::vector<std::string> names;
	std::unique_ptr<DIR, int (*)(DIR *)> d(::opendir(dir.c_str()), ::closedir);
	if (!d) {
		if (errno == ENOENT)
			return names;
		throw ConfigError(dir, 0, 0, fmt::format("cannot read the drop-in directory: {}", std::strerror(errno)),
				  "it holds NAME.yaml files merged into the rules file (docs/drop-ins.md)");
	}
	errno = 0;
	while (auto *e = ::readdir(d.get())) {
		std::string n = e->d_name;
		if (n.starts_with(".") || !n.ends_with(".yaml") || n.size() == 5)
			continue;
		if (n.find_first_of("\\\n") != std::string::npos)
			throw ConfigError(dir + "/" + printable(n), 0, 0,
					  "a drop-in's name holds a backslash or a newline",
					  "rename it: sha256sum, which reproduces the policy's hash, escapes such names");
		names.push_back(n);
	}
	std::sort(names.begin(), names.end());
	return names;
}

static std::string base_name(const std::string &path)
{
	auto slash = path.rfind('/');
	return slash == std::string::npos ? path : path.substr(slash + 1);
}

PolicySource PolicySource::read(const std::string &path)
{
	PolicySource s;
	s.path = path;
	s.files.push_back({path, base_name(path), read_policy_file(path)});
	size_t total = s.files.back().text.size();
	std::string dir = dropin_dir(path);
	for (auto &n : names_in(dir)) {
		PolicyFile f{dir + "/" + n, base_name(dir) + "/" + n, read_capped(dir + "/" + n, kMaxFileBytes - total)};
		total += f.text.size();
		s.files.push_back(std::move(f));
	}
	s.sha256 = s.has_dropins() ? sha256_hex(s.manifest()) : sha256_hex(s.files.front().text);
	return s;
}

PolicySource PolicySource::of_text(const std::string &text, const std::string &name)
{
	PolicySource s;
	s.path = name;
	s.files.push_back({name, base_name(name), text});
	s.sha256 = sha256_hex(text);
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

std::string PolicySource::manifest() const
{
	std::string m;
	for (auto &f : files)
		m += sha256_hex(f.text) + "  " + f.name + "\n";
	return m;
}

std::string PolicySource::dropin_names() const
{
	std::string s;
	for (size_t i = 1; i < files.size(); i++)
		s += (i > 1 ? " " : "") + files[i].name;
	return s;
}

std::string PolicySource::describe() const
{
	if (is_builtin())
		return fmt::format("policy: {} (no file), sha256 {}\n", path, sha256);
	if (!has_dropins())
		return fmt::format("policy: {}, no drop-ins in {}/, sha256 {} (sha256sum {})\n", path, dropin_dir(path),
				   sha256, path);
	auto slash = path.rfind('/');
	std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
	return fmt::format("policy: {}, then the drop-ins {}, sha256 {}\n"
			   "  (reproduce it: cd {} && sha256sum {} {} | sha256sum)\n",
			   path, dropin_names(), sha256, dir, files.front().name, dropin_names());
}

} // namespace kw
