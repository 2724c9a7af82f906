// What every fuzz target shares: the contract checks and a resolver that
// answers from the name alone, so a run does not depend on the machine's
// files, units and users (but for frtp's parser, which looks user and group
// names up itself) and a crash reproduces anywhere.
#pragma once

#include "errors.h"
#include "resolver.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <typeinfo>

namespace kw::fuzz {

[[noreturn]] inline void crash(const char *what, const std::string &detail)
{
	std::fprintf(stderr, "contract broken: %s: %s\n", what, detail.c_str());
	std::abort();
}

// A loader's contract: every input compiles or is refused with ConfigError
// (exit 3, file:line:column). Anything else escaping is a finding; abort()
// makes libFuzzer keep the input.
template <typename F> void config_error_or_success(F &&load)
{
	try {
		load();
	} catch (const kw::ConfigError &) {
	} catch (const std::exception &e) {
		crash(typeid(e).name(), e.what());
	} catch (...) {
		crash("unknown exception", "");
	}
}

// A decoder's contract: no exception at all (kernel bytes are not an
// operator's mistake to be reported).
template <typename F> void no_exception(F &&decode)
{
	try {
		decode();
	} catch (const std::exception &e) {
		crash(typeid(e).name(), e.what());
	} catch (...) {
		crash("unknown exception", "");
	}
}

// A ring-buffer sample as the tools get it: exactly `size` bytes on the heap,
// so ASan sees a read past the sample's end (libFuzzer's own buffer may be
// reused between inputs).
class Sample {
public:
	Sample(const uint8_t *data, size_t size) : buf_(new std::byte[size]), size_(size)
	{
		if (size)
			std::memcpy(buf_.get(), data, size);
	}
	std::span<const std::byte> bytes() const { return {buf_.get(), size_}; }
	// The tools' handlers: a sample shorter than the event is skipped,
	// else the event is read in place.
	template <typename T> const T *as() const
	{
		return size_ < sizeof(T) ? nullptr : reinterpret_cast<const T *>(buf_.get());
	}

private:
	std::unique_ptr<std::byte[]> buf_;
	size_t size_;
};

inline uint64_t name_hash(const std::string &s)
{
	uint64_t h = 1469598103934665603ULL; // FNV-1a: stable across runs and machines
	for (unsigned char c : s)
		h = (h ^ c) * 1099511628211ULL;
	return h;
}

// About three names in four exist. Identities come from a small space, so
// distinct paths often share one (as hardlinks and bind mounts do) and the
// compilers' merging is exercised too.
class HashResolver : public kw::Resolver {
public:
	std::optional<FileId> stat(const std::string &path) override
	{
		uint64_t h = name_hash(path);
		if (h % 4 == 0)
			return std::nullopt;
		return FileId{(8u << 20) | ((h >> 8) % 3), (h >> 16) % 64 + 2};
	}
	std::optional<uint64_t> unit_cgroup(const std::string &unit) override
	{
		uint64_t h = name_hash(unit);
		if (h % 3 == 0)
			return std::nullopt;
		return (h >> 8) % 32 + 1;
	}
	std::optional<uint32_t> user(const std::string &name) override
	{
		if (name == "root")
			return 0;
		uint64_t h = name_hash(name);
		if (h % 2 == 0)
			return std::nullopt;
		return uint32_t((h >> 8) % 70000);
	}
};

// Text as the loaders get it from a file: any bytes, NULs included.
inline std::string text_of(const uint8_t *data, size_t size)
{
	return std::string(reinterpret_cast<const char *>(data), size);
}

} // namespace kw::fuzz
