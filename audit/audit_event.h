// kwarden-audit: one journal record classified as a denial, would-denial,
// refusal, drop, tamper attempt or unrecorded decision, with the dimensions
// a report groups by. Pure code, unit-tested without a journal.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace kw::audit {

// A journal entry's fields, looked up by name ("" when absent).
using FieldLookup = std::function<std::string(const std::string &field)>;

struct AuditEvent {
	std::string kind; // deny, would-deny, refusal, would-refuse, drop, would-drop, tamper, tamper-audited, unrecorded
	std::string tool;   // SYSLOG_IDENTIFIER
	std::string host;   // _HOSTNAME
	std::string rule;   // RULE; guard:<TAMPER>; #<index> for unrecorded; "-" when the tool has none
	std::string exe;    // SUBJECT_EXE (SUBJECT_COMM when the record has no exe)
	std::string unit;   // SUBJECT_UNIT, else journald's OBJECT_SYSTEMD_UNIT
	std::string object; // the path, the destination, or the guard's target
	uint64_t count = 1; // 1, or REPEAT_COUNT on a storm summary record
	bool summary = false;
	int64_t usec = 0; // realtime
};

// The journal fields classify() reads.
const std::vector<std::string> &event_fields();
// nullopt for records that are none of the kinds above (policy records,
// audit-action records, trace events).
std::optional<AuditEvent> classify(const FieldLookup &field, int64_t realtime_usec);

} // namespace kw::audit
