// A system lookup (user name -> uid, path -> file identity) asked once per
// key while one file loads: aliases let a few bytes name one value
// thousands of times, and each lookup reads /etc/passwd or makes a syscall.
#pragma once

#include <functional>
#include <string>
#include <unordered_map>
#include <utility>

namespace kw {

template <typename Value>
class LookupCache {
public:
	explicit LookupCache(std::function<Value(const std::string &)> lookup) : lookup_(std::move(lookup)) {}

	Value operator()(const std::string &key)
	{
		auto it = answers_.find(key);
		if (it == answers_.end())
			it = answers_.emplace(key, lookup_(key)).first;
		return it->second;
	}

private:
	std::function<Value(const std::string &)> lookup_;
	std::unordered_map<std::string, Value> answers_;
};

} // namespace kw
