// frtp learn: one subject's names as the objects of its rules, and their
// collapse into trees under the conditions of docs/learn.md: siblings with
// the same operations whose names are volatile, or in a data directory;
// never a directory less than two levels deep; operations that change files
// widened one level at most, reads and execs further. Pure code.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace kw::frtp {

// A rule's object: a name, or a tree standing for the names seen below it.
struct LearnedObject {
	static constexpr size_t kSamples = 3;

	std::string path;
	bool tree = false;
	std::map<uint32_t, uint64_t> counts; // accesses per FRTP_OP_* bit
	int64_t first_us = 0, last_us = 0;
	std::vector<std::string> samples; // the first kSamples names, by path
	size_t names = 1;                 // distinct names it stands for
	std::string why;                  // a tree: what made it one
	std::set<std::string> exes;       // the executables seen

	uint32_t ops() const;
	uint64_t count() const;
	// Adds what was seen on `o` (not its path, kind or reason).
	void absorb(const LearnedObject &o);
};

class TreeCollapser {
public:
	// Names (tree = false, one per path) in; the objects of the rules out,
	// sorted by path. Every access stays counted on exactly one object.
	static std::vector<LearnedObject> collapse(const std::vector<LearnedObject> &names);
};

} // namespace kw::frtp
