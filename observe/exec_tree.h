// trace-exec --tree: places each exec under the nearest ancestor already
// shown, so the output grows as an indented process tree.
#pragma once

#include "proc_table.h"

#include <string>
#include <unordered_map>
#include <vector>

namespace kw::texec {

class ExecTree {
public:
	// chain: the subject's ancestry, oldest first, ending with the subject.
	// Returns the line to print for this exec.
	std::string add(const std::vector<ProcEntry> &chain, const std::string &what);
	void forget(uint32_t pid) { depth_.erase(pid); }

private:
	std::unordered_map<uint32_t, int> depth_;
};

} // namespace kw::texec
