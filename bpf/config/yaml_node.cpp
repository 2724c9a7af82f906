#include "yaml_node.h"

namespace kw {

std::string_view YamlNode::scalar() const
{
	if (!is_scalar() || !cell().size) // an empty span has no place
		return {};
	return {store_->text.at(cell().begin), cell().size};
}

// Kwarden's maps have a handful of keys and their keys are checked against
// a short list first, so a scan beats any index.
YamlNode YamlNode::operator[](std::string_view key) const
{
	for (auto [k, v] : entries())
		if (k.scalar() == key && k.is_scalar())
			return v;
	return {};
}

YamlNode::Iterator YamlNode::begin() const
{
	// An empty list (or no list) has no place in `kids` to point into.
	if (!size() || !is_sequence())
		return {store_, nullptr};
	return {store_, store_->kids.at(cell().begin)};
}

YamlNode::Iterator YamlNode::end() const
{
	if (!size() || !is_sequence())
		return {store_, nullptr};
	return {store_, store_->kids.at(cell().begin) + cell().size};
}

YamlNode::Entries YamlNode::entries() const
{
	if (!size() || !is_map())
		return {{store_, nullptr}, {store_, nullptr}};
	const uint32_t *first = store_->kids.at(cell().begin);
	return {{store_, first}, {store_, first + 2 * cell().size}};
}

} // namespace kw
