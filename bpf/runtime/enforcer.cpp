#include "enforcer.h"

#include "proc_table.h"
#include "subject.h"

namespace kw {

void Enforcer::describe_subject(Record &r, const kw_subject &s)
{
	// A tool without an in-kernel process table: /proc, while the subject lives.
	static ProcTable procs(nullptr);
	static SubjectDescriber subjects(procs);
	subjects.describe(r, s, format_chain(subjects.chain(s)));
}

void keep_until_exit(std::shared_ptr<const LoadedPolicy> p)
{
	// Never destroyed: still reachable at exit, so no leak to a leak checker.
	static auto *kept = new std::vector<std::shared_ptr<const LoadedPolicy>>;
	kept->push_back(std::move(p));
}

} // namespace kw
