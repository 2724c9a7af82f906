#include "frtp_learn_collapse.h"

#include "frtp.h"
#include "frtp_learn_volatile.h"

#include <algorithm>
#include <optional>

namespace kw::frtp {

uint32_t LearnedObject::ops() const
{
	uint32_t ops = 0;
	for (auto &[op, n] : counts)
		ops |= op;
	return ops;
}

uint64_t LearnedObject::count() const
{
	uint64_t sum = 0;
	for (auto &[op, n] : counts)
		sum += n;
	return sum;
}

void LearnedObject::absorb(const LearnedObject &o)
{
	if (counts.empty() || (o.first_us && o.first_us < first_us))
		first_us = o.first_us;
	last_us = std::max(last_us, o.last_us);
	for (auto &[op, n] : o.counts)
		counts[op] += n;
	std::vector<std::string> all = samples;
	all.insert(all.end(), o.samples.begin(), o.samples.end());
	std::sort(all.begin(), all.end());
	all.erase(std::unique(all.begin(), all.end()), all.end());
	all.resize(std::min(all.size(), kSamples));
	samples = std::move(all);
	names += o.names;
	exes.insert(o.exes.begin(), o.exes.end());
}

namespace {

// Reads and execs widen further than the operations that change files.
constexpr uint32_t kReadOps = FRTP_OP_READ | FRTP_OP_EXEC;

std::string parent_of(const std::string &path)
{
	size_t s = path.rfind('/');
	return s == 0 ? "/" : path.substr(0, s);
}

// `o` with only the accesses of the operations in `mask`.
std::optional<LearnedObject> part(const LearnedObject &o, uint32_t mask)
{
	LearnedObject p = o;
	std::erase_if(p.counts, [&](const auto &c) { return !(c.first & mask); });
	if (p.counts.empty())
		return std::nullopt;
	return p;
}

// In each directory, each set of entries with the same operations that may
// become the directory does, once. Returns whether any did.
bool collapse_once(std::vector<LearnedObject> &items, bool nested)
{
	std::map<std::pair<std::string, uint32_t>, std::vector<size_t>> groups; // (directory, operations)
	for (size_t i = 0; i < items.size(); i++)
		if (items[i].path != "/")
			groups[{parent_of(items[i].path), items[i].ops()}].push_back(i);
	std::vector<bool> gone(items.size());
	std::vector<LearnedObject> trees;
	for (auto &[key, idx] : groups) {
		const std::string &dir = key.first;
		if (path_depth(dir) < 2)
			continue;
		bool has_tree = false;
		std::vector<std::string> names;
		for (size_t i : idx) {
			has_tree |= items[i].tree;
			names.push_back(items[i].path.substr(items[i].path.rfind('/') + 1));
		}
		if (has_tree && !nested)
			continue;
		LearnedObject t;
		if (volatile_names(names))
			t.why = has_tree ? "directories whose names will differ next time"
					 : "names that will differ next time (numbered, random or temporary)";
		else if (data_directory(dir) && (names.size() > 1 || volatile_name(names[0])))
			t.why = "a data directory";
		else
			continue;
		t.path = dir;
		t.tree = true;
		t.names = 0;
		for (size_t i : idx) {
			t.absorb(items[i]);
			gone[i] = true;
		}
		trees.push_back(std::move(t));
	}
	if (trees.empty())
		return false;
	std::vector<LearnedObject> next;
	for (size_t i = 0; i < items.size(); i++)
		if (!gone[i])
			next.push_back(std::move(items[i]));
	for (auto &t : trees)
		next.push_back(std::move(t));
	items = std::move(next);
	return true;
}

// One object per (path, kind): the two classes' parts meet again.
std::vector<LearnedObject> merge_alike(std::vector<LearnedObject> items)
{
	std::map<std::pair<std::string, bool>, LearnedObject> by_key;
	for (auto &o : items) {
		auto [it, fresh] = by_key.try_emplace({o.path, o.tree}, o);
		if (!fresh) {
			size_t names = std::max(it->second.names, o.names);
			it->second.absorb(o);
			it->second.names = names; // the same names, counted in each part
			if (it->second.why.empty())
				it->second.why = o.why;
		}
	}
	std::vector<LearnedObject> out;
	for (auto &[k, o] : by_key)
		out.push_back(std::move(o));
	return out;
}

// An object whose operations a tree above it (or at its own path) allows
// already adds nothing: its accesses join that tree's.
std::vector<LearnedObject> fold_into_trees(std::vector<LearnedObject> items)
{
	std::map<std::string, size_t> tree_at;
	for (size_t i = 0; i < items.size(); i++)
		if (items[i].tree)
			tree_at[items[i].path] = i;
	std::vector<bool> gone(items.size());
	// Deepest first: a tree folded into a wider one carries what it took.
	std::vector<size_t> order(items.size());
	for (size_t i = 0; i < order.size(); i++)
		order[i] = i;
	std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
		return path_depth(items[a].path) > path_depth(items[b].path);
	});
	for (size_t i : order) {
		const LearnedObject &o = items[i];
		std::string up = o.tree ? parent_of(o.path) : o.path;
		for (;;) {
			auto it = tree_at.find(up);
			if (it != tree_at.end() && it->second != i && !gone[it->second] &&
			    (o.ops() & ~items[it->second].ops()) == 0) {
				items[it->second].absorb(o);
				gone[i] = true;
				break;
			}
			if (up == "/")
				break;
			up = parent_of(up);
		}
	}
	std::vector<LearnedObject> out;
	for (size_t i = 0; i < items.size(); i++)
		if (!gone[i])
			out.push_back(std::move(items[i]));
	return out;
}

} // namespace

std::vector<LearnedObject> TreeCollapser::collapse(const std::vector<LearnedObject> &names)
{
	std::vector<LearnedObject> reads, writes;
	for (const auto &n : names) {
		if (auto r = part(n, kReadOps))
			reads.push_back(std::move(*r));
		if (auto w = part(n, ~kReadOps))
			writes.push_back(std::move(*w));
	}
	while (collapse_once(reads, true)) {
	}
	collapse_once(writes, false);
	reads.insert(reads.end(), std::make_move_iterator(writes.begin()), std::make_move_iterator(writes.end()));
	auto out = fold_into_trees(merge_alike(std::move(reads)));
	std::sort(out.begin(), out.end(),
		  [](const LearnedObject &a, const LearnedObject &b) { return std::tie(a.path, a.tree) < std::tie(b.path, b.tree); });
	return out;
}

} // namespace kw::frtp
