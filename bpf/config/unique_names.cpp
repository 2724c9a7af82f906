#include "unique_names.h"

#include <fmt/format.h>

namespace kw {

std::string UniqueNames::Place::seen_from(const std::string &from) const
{
	return from == file ? fmt::format("line {}", line) : fmt::format("{} line {}", file, line);
}

std::optional<UniqueNames::Place> UniqueNames::add(const std::string &name, Place here)
{
	auto [it, fresh] = first_.try_emplace(name, here);
	if (fresh)
		return std::nullopt;
	return it->second;
}

} // namespace kw
