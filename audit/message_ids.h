// kwarden-audit: the MESSAGE_IDs it reads, from the tools' own headers, so
// a renamed or new one is a compile error here rather than a silent miss.
#pragma once

#include "exec_record.h"
#include "frtp_record.h"
#include "guard.h"
#include "net_filter_record.h"
#include "rm_forbid_record.h"

#include <string>
#include <vector>

namespace kw::audit {

// The decision records' MESSAGE_ID of the enforcement runtime's "unrecorded"
// record (bpf/runtime/enforcement_runtime.cpp).
inline constexpr const char *kUnrecordedMessageId = "75a8df7ed89a419fbc48b424422fcd6a";

// One enforcer: its SYSLOG_IDENTIFIER, policy record ids and decision record ids.
struct EnforcerIds {
	std::string tool;
	std::string policy_id, refused_id;
	std::vector<std::string> decision_ids;
};

const std::vector<EnforcerIds> &enforcers();
// Every MESSAGE_ID a report reads: decisions, tamper, unrecorded.
std::vector<std::string> report_message_ids();

} // namespace kw::audit
