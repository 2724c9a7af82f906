#include "exec_tree.h"

#include <fmt/format.h>

namespace kw::texec {

std::string ExecTree::add(const std::vector<ProcEntry> &chain, const std::string &what)
{
	if (chain.empty())
		return what;
	const auto &self = chain.back();
	int depth = 0;
	bool reexec = false;
	if (auto it = depth_.find(self.pid); it != depth_.end()) {
		depth = it->second; // the same process exec'ing again
		reexec = true;
	} else {
		for (auto it = chain.rbegin() + 1; it != chain.rend(); ++it) {
			if (auto d = depth_.find(it->pid); d != depth_.end()) {
				depth = d->second + 1;
				break;
			}
		}
		depth_[self.pid] = depth;
	}
	return fmt::format("{}{}{}({}) {}", std::string(depth * 2, ' '), reexec ? "\u21b3 " : "\u2514 ",
			   self.comm, self.pid, what);
}

} // namespace kw::texec
