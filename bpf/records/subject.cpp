#include "subject.h"

#include <cstring>

namespace kw {

std::string comm_string(const char (&comm)[KW_COMM_LEN])
{
	return std::string(comm, strnlen(comm, KW_COMM_LEN));
}

std::vector<ProcEntry> SubjectDescriber::chain(const kw_subject &s) const
{
	auto c = procs_.chain(s.ppid);
	c.push_back({s.pid, s.ppid, comm_string(s.comm)});
	return c;
}

void SubjectDescriber::describe(Record &r, const kw_subject &s, const std::string &ancestry)
{
	r.object_pid = int(s.pid);
	r.add("subject_pid", s.pid).add("subject_tid", s.tid).add("subject_ppid", s.ppid);
	r.add("subject_uid", s.uid).add("subject_gid", s.gid);
	if (s.auid != uint32_t(-1))
		r.add("subject_auid", s.auid);
	r.add("subject_comm", comm_string(s.comm));
	auto cg = cgroups_.path(s.cgroup_id);
	if (!cg.empty()) {
		r.add("subject_cgroup", cg);
		auto unit = unit_from_cgroup_path(cg);
		if (!unit.empty())
			r.add("subject_unit", unit);
	}
	r.add("subject_ancestry", ancestry);
}

} // namespace kw
