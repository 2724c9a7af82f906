#include "yaml_builder.h"

#include "config_text.h"
#include "yaml_file.h"

#include <algorithm>
#include <fmt/format.h>
#include <new>
#include <optional>

namespace kw {

namespace {

using Kind = YamlStore::Kind;

// Up to this many keys a mapping's repeated-key check scans them: a rule
// has a handful, and a hash map per rule would cost more than the scan.
constexpr size_t kScannedKeys = 8;

// One libyaml event, freed however the step ends.
struct Event {
	yaml_event_t e{};
	Event() = default;
	Event(const Event &) = delete;
	~Event() { yaml_event_delete(&e); }
};

std::string_view view(const unsigned char *s) { return s ? reinterpret_cast<const char *>(s) : ""; }

// Null as kwarden's files have always been read (YAML 1.2's core schema):
// an untagged plain scalar of these words; quoted or tagged (!!str) they are text.
bool null_word(std::string_view s) { return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL"; }

bool continuation(char c) { return (static_cast<unsigned char>(c) & 0xc0) == 0x80; }

constexpr const char *kDepthHint = "kwarden files need a few levels of lists and mappings";

} // namespace

std::shared_ptr<const YamlStore> YamlBuilder::build(std::string_view text, const std::string &name)
{
	YamlBuilder b(text, name);
	b.run();
	return std::move(b.store_);
}

YamlBuilder::YamlBuilder(std::string_view text, const std::string &name)
    : text_(text), name_(name),
      ascii_(std::none_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; }))
{
	if (!yaml_parser_initialize(&parser_))
		throw std::bad_alloc();
	yaml_parser_set_input_string(&parser_, reinterpret_cast<const unsigned char *>(text.data()), text.size());
	// libyaml skips a UTF-8 byte order mark without counting it.
	if (text.starts_with("\xef\xbb\xbf"))
		cursor_byte_ = 3;
}

YamlBuilder::~YamlBuilder() { yaml_parser_delete(&parser_); }

void YamlBuilder::run()
{
	while (!done_) {
		Event ev;
		if (!yaml_parser_parse(&parser_, &ev.e))
			syntax_error();
		on_event(ev.e);
	}
}

void YamlBuilder::on_event(const yaml_event_t &e)
{
	switch (e.type) {
	case YAML_DOCUMENT_START_EVENT:
		// Readers differ on the documents after the first (most ignore
		// them, silently): a second one is refused, not lost.
		if (documents_)
			fail(pos(e.start_mark), "the file holds a second YAML document",
			     "kwarden reads one document per file: remove this '---' and merge the two, or move the second "
			     "into a file of its own");
		break;
	case YAML_DOCUMENT_END_EVENT:
		documents_++;
		break;
	case YAML_STREAM_END_EVENT:
		done_ = true;
		break;
	case YAML_SCALAR_EVENT:
		on_scalar(e);
		break;
	case YAML_ALIAS_EVENT:
		on_alias(e);
		break;
	case YAML_SEQUENCE_START_EVENT:
		open(e, Kind::sequence, e.data.sequence_start.anchor);
		break;
	case YAML_MAPPING_START_EVENT:
		open(e, Kind::map, e.data.mapping_start.anchor);
		break;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		close();
		break;
	default: // the stream's start; no event
		break;
	}
}

void YamlBuilder::on_scalar(const yaml_event_t &e)
{
	const auto &s = e.data.scalar;
	std::string_view value(reinterpret_cast<const char *>(s.value), s.length);
	bool null = s.style == YAML_PLAIN_SCALAR_STYLE && !s.tag && null_word(value);
	SourcePos at = pos(e.start_mark);
	count(at, 1, 0);
	uint32_t cell = add_cell(null ? Kind::null : Kind::scalar, at);
	if (!null) {
		auto &c = store_->cells[cell];
		c.begin = store_->text.add(value.data(), value.size());
		c.size = uint32_t(value.size());
	}
	if (s.anchor)
		anchors_[std::string(view(s.anchor))] = {cell, 1, 0, true};
	place(cell, at);
}

// An alias is its anchor's node, shared: it counts what the anchor stands
// for and nests as deep as the anchor does below the place of the alias.
void YamlBuilder::on_alias(const yaml_event_t &e)
{
	SourcePos at = pos(e.start_mark);
	std::string name(view(e.data.alias.anchor));
	auto it = anchors_.find(name);
	if (it == anchors_.end())
		fail(at, fmt::format("alias *{} names no anchor written before it", name),
		     fmt::format("write &{} on the value it stands for, above this place", name));
	const Anchor &a = it->second;
	// Inside its own anchor (&a [*a]) it would stand for a value without end.
	if (!a.complete)
		fail(at, fmt::format("nesting deeper than {} levels", YamlLimits::max_depth),
		     fmt::format("the alias *{} is inside the value &{} names, which would nest without end", name, name));
	if ((alias_values_ += a.values) > YamlLimits::max_alias_values)
		fail(at, fmt::format("the file's aliases stand for more than {} values", YamlLimits::max_alias_values),
		     "anchors and aliases (&a, *a) count each time they are used: write fewer of them");
	count(at, a.values, a.height);
	place(a.cell, at);
}

void YamlBuilder::open(const yaml_event_t &e, Kind kind, const unsigned char *anchor)
{
	SourcePos at = pos(e.start_mark);
	size_t values_before = values_;
	count(at, 1, 0);
	uint32_t cell = add_cell(kind, at);
	place(cell, at);
	int depth = int(frames_.size());
	frames_.push_back({cell, pending_.size(), values_before, depth, depth, std::string(view(anchor)), nullptr});
	if (anchor)
		anchors_[frames_.back().anchor] = {cell, 0, 0, false};
}

void YamlBuilder::close()
{
	Frame &f = frames_.back();
	auto &c = store_->cells[f.cell];
	size_t n = pending_.size() - f.first_kid;
	c.begin = store_->kids.add(pending_.data() + f.first_kid, n);
	c.size = uint32_t(c.kind == Kind::map ? n / 2 : n);
	pending_.resize(f.first_kid);
	// Unless a node inside took the anchor's name over since.
	if (auto it = anchors_.find(f.anchor); !f.anchor.empty() && it != anchors_.end() && it->second.cell == f.cell)
		it->second = {f.cell, values_ - f.values_before, f.deepest - f.depth, true};
	int deepest = f.deepest;
	frames_.pop_back();
	if (!frames_.empty())
		frames_.back().deepest = std::max(frames_.back().deepest, deepest);
}

void YamlBuilder::count(const SourcePos &at, size_t values, int height)
{
	if ((values_ += values) > YamlLimits::max_values)
		fail(at, fmt::format("the file stands for more than {} values", YamlLimits::max_values),
		     "every scalar, list and mapping counts, and an alias (*a) what its anchor stands for: "
		     "write fewer values, or split the policy between hosts");
	int depth = int(frames_.size()) + height;
	if (depth > YamlLimits::max_depth)
		fail(at, fmt::format("nesting deeper than {} levels", YamlLimits::max_depth), kDepthHint);
	if (!frames_.empty())
		frames_.back().deepest = std::max(frames_.back().deepest, depth);
}

void YamlBuilder::place(uint32_t cell, const SourcePos &at)
{
	if (frames_.empty())
		return; // the root, cell 0
	Frame &f = frames_.back();
	if (store_->cells[f.cell].kind == Kind::map && (pending_.size() - f.first_kid) % 2 == 0)
		check_key(f, cell, at);
	pending_.push_back(cell);
}

// YAML readers disagree on which of a repeated key's values counts, so a
// stricter line below a looser one could silently lose.
void YamlBuilder::check_key(Frame &f, uint32_t cell, const SourcePos &at)
{
	const auto &cells = store_->cells;
	auto text = [&](uint32_t i) { return YamlNode(store_.get(), i).scalar(); };
	if (cells[cell].kind != Kind::scalar)
		fail(at, "keys must be plain words");
	std::string_view key = text(cell);
	std::optional<uint32_t> first;
	if (!f.keys) {
		for (size_t i = f.first_kid; i < pending_.size() && !first; i += 2)
			if (text(pending_[i]) == key)
				first = pending_[i];
		if (!first && (pending_.size() - f.first_kid) / 2 == kScannedKeys) {
			f.keys = std::make_unique<std::unordered_map<std::string, uint32_t>>();
			for (size_t i = f.first_kid; i < pending_.size(); i += 2)
				f.keys->emplace(text(pending_[i]), pending_[i]);
		}
	}
	if (f.keys && !first)
		if (auto [it, fresh] = f.keys->emplace(key, cell); !fresh)
			first = it->second;
	if (first)
		fail(at, fmt::format("key {} is repeated: line {} already sets it", printable(key), cells[*first].at.line),
		     "remove one of them (YAML readers disagree on which one counts)");
}

uint32_t YamlBuilder::add_cell(Kind kind, const SourcePos &at)
{
	YamlStore::Cell c;
	c.kind = kind;
	c.at = at;
	store_->nodes++;
	return store_->cells.push_back(c);
}

void YamlBuilder::syntax_error()
{
	if (parser_.error == YAML_MEMORY_ERROR)
		throw std::bad_alloc();
	std::string msg = std::string("YAML syntax error: ") + (parser_.problem ? parser_.problem : "unreadable");
	// A character YAML does not allow (a C1 control, U+FFFE...): the text
	// checks refused the rest before libyaml read the file.
	if (parser_.error == YAML_READER_ERROR) {
		if (parser_.problem_value != -1)
			msg += fmt::format(" (U+{:04X})", unsigned(parser_.problem_value));
		fail(pos_of_offset(text_, std::min(parser_.problem_offset, text_.size())), msg,
		     "kwarden files are text: remove it");
	}
	SourcePos at = pos(parser_.problem_mark);
	if (parser_.context) {
		SourcePos c = pos(parser_.context_mark);
		msg += c.line == at.line && c.column == at.column
			       ? fmt::format(" ({})", parser_.context)
			       : fmt::format(" ({} that starts at line {}, column {})", parser_.context, c.line, c.column);
	}
	fail(at, msg, "check indentation (spaces, not tabs) and quoting around this place");
}

void YamlBuilder::fail(const SourcePos &at, const std::string &msg, const std::string &hint) const
{
	throw ConfigError(name_, at, msg, hint);
}

SourcePos YamlBuilder::pos(const yaml_mark_t &m)
{
	return {int(m.line) + 1, int(ascii_ ? m.column : byte_column(m)) + 1};
}

// libyaml's marks count characters: the byte offset of the mark's index is
// found by walking from the last mark converted (marks come nearly in
// order), then the line's characters before it are walked back over.
size_t YamlBuilder::byte_column(const yaml_mark_t &m)
{
	size_t origin = text_.starts_with("\xef\xbb\xbf") ? 3 : 0;
	auto forward = [&](size_t at) {
		for (at++; at < text_.size() && continuation(text_[at]);)
			at++;
		return at;
	};
	auto back = [&](size_t at) {
		for (at--; at > origin && continuation(text_[at]);)
			at--;
		return at;
	};
	for (; cursor_index_ < m.index && cursor_byte_ < text_.size(); cursor_index_++)
		cursor_byte_ = forward(cursor_byte_);
	for (; cursor_index_ > m.index && cursor_byte_ > origin; cursor_index_--)
		cursor_byte_ = back(cursor_byte_);
	size_t start = cursor_byte_;
	for (size_t c = 0; c < m.column && start > origin; c++)
		start = back(start);
	return cursor_byte_ - start;
}

} // namespace kw
