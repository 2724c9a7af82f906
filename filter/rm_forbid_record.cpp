#include "rm_forbid_record.h"

#include "kernel_path.h"
#include "rm_forbid_policy.h"
#include "subject.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <syslog.h>

namespace kw::rmf {

Refusal decode_event(const rf_event &e)
{
	Refusal x;
	x.subject = e.subject;
	x.boot_ns = e.boot_ns;
	x.op = e.op;
	x.decision = e.decision;
	x.use = e.use;
	x.gen = e.gen;
	x.nlink = e.nlink;
	x.self_refs = e.self_refs;
	x.refs = e.refs;
	x.dev = e.dev;
	x.ino = e.ino;
	x.path = decode_path(e.path);
	if (e.newpath.len)
		x.new_path = decode_path(e.newpath);
	if (e.exe.len)
		x.exe = decode_path(e.exe);
	return x;
}

Record refusal_record(const Refusal &x, int64_t realtime_usec, const std::vector<Holder> &holders,
		      const std::string &ancestry)
{
	bool denied = x.decision == RF_DENIED;
	Record r(denied ? "deny" : "audit", denied ? kDeniedMessageId : kAuditedMessageId,
		 denied ? LOG_WARNING : LOG_NOTICE);
	r.realtime_usec = realtime_usec;
	std::vector<std::string> held, pids;
	for (auto &h : holders) {
		held.push_back(h.describe());
		pids.push_back(std::to_string(h.pid));
	}
	std::string holder_text = held.empty() ? std::string("holder not found (exited, or a descriptor in flight)")
					       : fmt::format("held by {}", fmt::join(held, "; "));
	std::string what = x.op == RF_OP_UNLINK	     ? fmt::format("unlink {}", x.path)
			   : x.op == RF_OP_RENAME_OVER ? fmt::format("rename {} over {}", x.new_path, x.path)
						       : fmt::format("rename {} to {}", x.path, x.new_path);
	r.message = fmt::format("{} {}: {} in use, {}; by {}({}) uid={} {} ({})", denied ? "refused" : "would refuse",
				what, x.path, holder_text, comm_string(x.subject.comm), x.subject.pid, x.subject.uid,
				x.exe.empty() ? "?" : x.exe, ancestry);
	r.add("action", denied ? "deny" : "audit");
	r.add("decision", denied ? "denied" : "audited");
	r.add("mode", denied ? "enforce" : "audit");
	r.add("operation", op_name(x.op));
	r.add("path", x.path);
	if (!x.new_path.empty())
		r.add(x.op == RF_OP_RENAME_OVER ? "source_path" : "new_path", x.new_path);
	r.add("in_use", use_names(x.use));
	r.add("references", int64_t(x.refs));
	r.add("dev", dev_string(x.dev)).add("ino", int64_t(x.ino)).add("nlink", x.nlink);
	r.add("holders", fmt::format("{}", fmt::join(held, "; ")));
	r.add("holder_pids", pids);
	if (!x.exe.empty())
		r.add("subject_exe", x.exe);
	r.add("result", denied ? "EBUSY" : "allowed");
	return r;
}

} // namespace kw::rmf
