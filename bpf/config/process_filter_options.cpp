#include "process_filter_options.h"

#include "cli.h"
#include "errors.h"

#include <fmt/format.h>

namespace kw {

void ProcessFilterOptions::add_to(CLI::App &app, const std::string &what, const std::string &comm_help)
{
	app.add_option("--pid,-p", pid_, "only this process and its descendants")->check(decimal_in(1, 4194304));
	app.add_option("--uid,-u", uid_, "only " + what + " by this uid")->check(decimal_in(0, 2147483647));
	app.add_option("--comm,-c", comm_, fmt::format("only {} {} (at most {} characters)", what, comm_help,
						       KW_COMM_LEN - 1));
	app.add_flag("--failed,-x", failed_, "only failed " + what);
}

void ProcessFilterOptions::apply(ProcessFilter &f) const
{
	if (pid_)
		f.pid = uint32_t(pid_);
	if (uid_ >= 0)
		f.uid = uint32_t(uid_);
	if (!comm_.empty()) {
		// A longer name could never match: the kernel keeps 15 characters.
		if (comm_.size() >= KW_COMM_LEN)
			throw Error(Errc::usage, fmt::format("--comm {}: the kernel keeps only the first {} characters "
							     "of a command name",
							     comm_, KW_COMM_LEN - 1));
		f.comm = comm_;
	}
	f.failed_only |= failed_;
}

} // namespace kw
