// Adds the subject fields of the shared vocabulary to a record: pid, ppid,
// uid, gid, comm, unit, cgroup and the ancestry chain.
#pragma once

#include "cgroup_resolver.h"
#include "kw_types.h"
#include "proc_table.h"
#include "record.h"

namespace kw {

class SubjectDescriber {
public:
	explicit SubjectDescriber(ProcTable &procs) : procs_(procs) {}
	// The subject's ancestry, oldest first, ending with the subject as the
	// kernel saw it (its table row may already belong to a newer exec).
	std::vector<ProcEntry> chain(const kw_subject &s) const;
	// Adds the subject_* fields; ancestry as format_chain(chain(s)).
	void describe(Record &r, const kw_subject &s, const std::string &ancestry);

private:
	ProcTable &procs_;
	CgroupResolver cgroups_;
};

std::string comm_string(const char (&comm)[KW_COMM_LEN]);

} // namespace kw
