// A YAML file's document as a YamlStore, built from libyaml's events.
// The checks every file gets are made while it is built, so a file that
// breaks them costs no more than the part read up to the place: YamlLimits
// (aliases count each time they are used, and have a budget of their own;
// nesting is counted through them),
// keys that are words and not repeated in a mapping, one document per file.
#pragma once

#include "yaml_node.h"

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>
#include <yaml.h>

namespace kw {

class YamlBuilder {
public:
	// Throws ConfigError naming `name` at the place of the first problem.
	// The root is cell 0; no cell when the file holds no document.
	static std::shared_ptr<const YamlStore> build(std::string_view text, const std::string &name);

	YamlBuilder(const YamlBuilder &) = delete;
	YamlBuilder &operator=(const YamlBuilder &) = delete;
	~YamlBuilder();

private:
	// An open sequence or mapping.
	struct Frame {
		uint32_t cell;
		size_t first_kid;      // its children so far: pending_[first_kid...]
		size_t values_before;  // values_ before it: what it stands for, once closed
		int depth, deepest;    // its depth and its deepest node's, aliases followed
		std::string anchor;
		// A large mapping's keys, for the repeated-key check (a small one is scanned).
		std::unique_ptr<std::unordered_map<std::string, uint32_t>> keys;
	};
	// What an alias stands for.
	struct Anchor {
		uint32_t cell;
		size_t values;
		int height; // levels below it
		bool complete;
	};

	YamlBuilder(std::string_view text, const std::string &name);
	void run();
	void on_event(const yaml_event_t &e);
	void on_scalar(const yaml_event_t &e);
	void on_alias(const yaml_event_t &e);
	void open(const yaml_event_t &e, YamlStore::Kind kind, const unsigned char *anchor);
	void close();
	// Counts a node reached at the current depth and checks the limits.
	void count(const SourcePos &at, size_t values, int height);
	// Places a node (new or aliased) in the open collection or as the root.
	void place(uint32_t cell, const SourcePos &at);
	void check_key(Frame &f, uint32_t cell, const SourcePos &at);
	uint32_t add_cell(YamlStore::Kind kind, const SourcePos &at);
	[[noreturn]] void syntax_error();
	[[noreturn]] void fail(const SourcePos &at, const std::string &msg, const std::string &hint = {}) const;
	SourcePos pos(const yaml_mark_t &m);
	size_t byte_column(const yaml_mark_t &m);

	std::string_view text_;
	const std::string &name_;
	std::shared_ptr<YamlStore> store_ = std::make_shared<YamlStore>();
	yaml_parser_t parser_;
	std::vector<Frame> frames_;
	std::vector<uint32_t> pending_; // the open collections' children, innermost last
	std::unordered_map<std::string, Anchor> anchors_;
	size_t values_ = 0;
	size_t alias_values_ = 0; // of values_, those aliases stand for
	int documents_ = 0;
	bool done_ = false;
	// libyaml counts columns in characters; errors count bytes, as the
	// text checks do. Only a file with non-ASCII bytes needs converting:
	// the character index and byte offset of the last mark converted.
	bool ascii_;
	size_t cursor_index_ = 0, cursor_byte_ = 0;
};

} // namespace kw
