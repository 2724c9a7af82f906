#include "frtp_record.h"

#include "kernel_path.h"
#include "subject.h"

#include <fmt/format.h>
#include <syslog.h>

namespace kw::frtp {

DecisionInfo decode_event(const frtp_event &e, const CompiledPolicy *policy)
{
	DecisionInfo d;
	d.subject = e.subject;
	d.boot_ns = e.boot_ns;
	d.gen = e.gen;
	d.rule = e.rule;
	d.rule_name = policy ? rule_name(*policy, e.rule)
			     : special_rule_name(e.rule).value_or(fmt::format("(rule {})", e.rule));
	d.op = e.op;
	// A byte outside the enum (a BPF object of another version) must not
	// become an invalid enum value: it is logged as an audit record, neither
	// dropped nor called a denial.
	d.decision = e.decision <= FRTP_D_WOULD_DENY ? frtp_decision(e.decision) : FRTP_D_AUDIT;
	d.mode = Mode(e.mode);
	d.action = Action(e.action);
	d.path = decode_path(e.path);
	d.exe = decode_path(e.exe);
	return d;
}

Record decision_record(const DecisionInfo &d, int64_t realtime_usec, const std::string &ancestry)
{
	const char *id = kAuditMessageId;
	int prio = LOG_INFO;
	if (d.decision == FRTP_D_DENY) {
		id = kDenyMessageId;
		prio = LOG_WARNING;
	} else if (d.decision == FRTP_D_WOULD_DENY) {
		id = kWouldDenyMessageId;
		prio = LOG_NOTICE;
	}
	Record r(decision_name(d.decision), id, prio);
	r.realtime_usec = realtime_usec;
	std::string verb = d.decision == FRTP_D_DENY	     ? "denied"
			   : d.decision == FRTP_D_WOULD_DENY ? "would deny (audit mode)"
							     : "audited";
	r.message = fmt::format("{} {} {} by pid={} uid={} comm={} exe={} rule={} ({})", verb, op_name(d.op), d.path,
				d.subject.pid, d.subject.uid, comm_string(d.subject.comm), d.exe, d.rule_name, ancestry);
	r.add("rule", d.rule_name);
	r.add("operation", op_name(d.op));
	r.add("path", d.path);
	r.add("decision", decision_name(d.decision));
	r.add("mode", mode_name(d.mode));
	r.add("action", action_name(d.action));
	if (d.decision == FRTP_D_DENY)
		r.add("errno", "EACCES");
	r.add("subject_exe", d.exe);
	return r;
}

} // namespace kw::frtp
