#include "audit_event.h"

#include "message_ids.h"

#include <charconv>
#include <vector>

namespace kw::audit {

const std::vector<std::string> &event_fields()
{
	static const std::vector<std::string> f = {
		"MESSAGE_ID", "SYSLOG_IDENTIFIER", "_HOSTNAME", "RULE", "SUBJECT_EXE", "SUBJECT_COMM",
		"SUBJECT_UNIT", "OBJECT_SYSTEMD_UNIT", "PATH", "DECISION", "PROTOCOL", "DIRECTION", "DST_ADDR",
		"DST_PORT", "TAMPER", "TARGET", "REPEAT_COUNT", "STORM_RULE_INDEX"};
	return f;
}

namespace {
uint64_t number(const std::string &s, uint64_t dflt)
{
	uint64_t v = 0;
	auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
	return ec == std::errc() && p == s.data() + s.size() ? v : dflt;
}
} // namespace

std::optional<AuditEvent> classify(const FieldLookup &field, int64_t realtime_usec)
{
	std::string id = field("MESSAGE_ID");
	AuditEvent e;
	e.tool = field("SYSLOG_IDENTIFIER");
	e.host = field("_HOSTNAME");
	e.usec = realtime_usec;
	e.rule = field("RULE");
	e.exe = field("SUBJECT_EXE");
	if (e.exe.empty())
		e.exe = field("SUBJECT_COMM");
	e.unit = field("SUBJECT_UNIT");
	if (e.unit.empty())
		e.unit = field("OBJECT_SYSTEMD_UNIT");
	e.object = field("PATH");
	if (id == frtp::kDenyMessageId)
		e.kind = "deny";
	else if (id == frtp::kWouldDenyMessageId)
		e.kind = "would-deny";
	else if (id == rmf::kDeniedMessageId)
		e.kind = "refusal";
	else if (id == rmf::kAuditedMessageId)
		e.kind = "would-refuse";
	else if (id == nf::kNetDropMessageId) {
		e.kind = field("DECISION") == "drop" ? "drop" : "would-drop";
		std::string port = field("DST_PORT");
		e.object = field("DIRECTION") + " " + field("PROTOCOL") + " " + field("DST_ADDR") +
			   (port.empty() ? "" : ":" + port);
	} else if (id == kTamperMessageId) {
		e.kind = field("DECISION") == "audit" ? "tamper-audited" : "tamper";
		e.rule = "guard:" + field("TAMPER");
		e.object = field("TARGET");
	} else if (id == kUnrecordedMessageId) {
		e.kind = "unrecorded";
		e.rule = "#" + field("STORM_RULE_INDEX");
		e.object = "(not recorded: ring buffer full)";
	} else
		return std::nullopt;
	if (e.rule.empty())
		e.rule = "-";
	std::string repeats = field("REPEAT_COUNT");
	if (!repeats.empty()) {
		// A storm summary: the first record was counted already; this one
		// carries the decisions after it.
		e.summary = true;
		e.count = number(repeats, 0);
	}
	return e;
}

} // namespace kw::audit
