// A value of a parsed YAML file: a handle into the file's node store, which
// holds every node once (an alias shares its anchor's node), children as
// spans of one index array and scalars as spans of one text array. A
// 10,000-rule policy is then a few arrays, not a million small allocations.
// Handles are two words, valid while their YamlFile lives.
#pragma once

#include "blocks.h"
#include "errors.h"

#include <cstdint>
#include <string_view>

namespace kw {

// What YamlBuilder fills in and YamlNode reads.
struct YamlStore {
	enum class Kind : uint8_t { null, scalar, sequence, map };
	// 16 bytes: a 10,000-rule policy has some 120,000 nodes.
	struct Cell {
		// Scalars: their bytes in `text`. Sequences: their items in `kids`;
		// maps: their keys and values in `kids`, alternating, in file order.
		uint32_t begin = 0;
		uint32_t size : 30 = 0; // a 2 MiB file holds fewer bytes and values
		Kind kind : 2 = Kind::null;
		SourcePos at;
	};
	Blocks<Cell> cells;
	Blocks<uint32_t> kids;
	Blocks<char> text;
	uint32_t nodes = 0; // cells 0 to nodes - 1; the root is cell 0
};

class YamlNode {
public:
	struct Entry;
	class Iterator;
	class EntryIterator;
	struct Entries;

	// An undefined node: what a map's lookup of an absent key returns.
	YamlNode() = default;
	YamlNode(const YamlStore *store, uint32_t index) : store_(store), index_(index) {}

	bool defined() const { return store_ != nullptr; }
	explicit operator bool() const { return defined(); }
	// An empty value, or a plain ~, null, Null or NULL; quoted they are text.
	bool is_null() const { return is(YamlStore::Kind::null); }
	bool is_scalar() const { return is(YamlStore::Kind::scalar); }
	bool is_sequence() const { return is(YamlStore::Kind::sequence); }
	bool is_map() const { return is(YamlStore::Kind::map); }

	// A scalar's text (empty for other nodes).
	std::string_view scalar() const;
	// A sequence's items or a map's entries; 0 for other nodes.
	size_t size() const { return is_sequence() || is_map() ? cell().size : 0; }
	// The value of `key` in a map, or an undefined node.
	YamlNode operator[](std::string_view key) const;
	// Where the node is written (1-based); {0, 0} when undefined.
	SourcePos mark() const { return defined() ? cell().at : SourcePos{}; }

	// A sequence's items (nothing for other nodes).
	Iterator begin() const;
	Iterator end() const;
	// A map's entries in file order (nothing for other nodes).
	Entries entries() const;

private:
	const YamlStore::Cell &cell() const { return store_->cells[index_]; }
	bool is(YamlStore::Kind k) const { return defined() && cell().kind == k; }

	const YamlStore *store_ = nullptr;
	uint32_t index_ = 0;
};

struct YamlNode::Entry {
	YamlNode key, value;
};

class YamlNode::Iterator {
public:
	Iterator(const YamlStore *store, const uint32_t *at) : store_(store), at_(at) {}
	YamlNode operator*() const { return {store_, *at_}; }
	Iterator &operator++()
	{
		++at_;
		return *this;
	}
	bool operator==(const Iterator &o) const { return at_ == o.at_; }

private:
	const YamlStore *store_;
	const uint32_t *at_;
};

class YamlNode::EntryIterator {
public:
	EntryIterator(const YamlStore *store, const uint32_t *at) : store_(store), at_(at) {}
	Entry operator*() const { return {{store_, at_[0]}, {store_, at_[1]}}; }
	EntryIterator &operator++()
	{
		at_ += 2;
		return *this;
	}
	bool operator==(const EntryIterator &o) const { return at_ == o.at_; }

private:
	const YamlStore *store_;
	const uint32_t *at_;
};

struct YamlNode::Entries {
	EntryIterator first, last;
	EntryIterator begin() const { return first; }
	EntryIterator end() const { return last; }
};

} // namespace kw
