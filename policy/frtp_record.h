// frtp: decoding a kernel decision event and rendering it as an audit record.
// Pure code, unit-tested without a kernel.
#pragma once

#include "frtp.h"
#include "frtp_compiled.h"
#include "record.h"

#include <string>

namespace kw::frtp {

struct DecisionInfo {
	kw_subject subject{};
	uint64_t boot_ns = 0;
	uint32_t gen = 0;
	uint32_t rule = 0;
	std::string rule_name;
	uint32_t op = 0;
	frtp_decision decision = FRTP_D_ALLOW;
	Mode mode = Mode::enforce;
	Action action = Action::allow;
	std::string path;
	std::string exe;
};

// rule_name comes from the policy of the event's generation (nullptr: unknown).
DecisionInfo decode_event(const frtp_event &e, const CompiledPolicy *policy);
// The decision fields and the message; subject fields come from SubjectDescriber.
Record decision_record(const DecisionInfo &d, int64_t realtime_usec, const std::string &ancestry);

// One MESSAGE_ID per event type.
inline constexpr const char *kDenyMessageId = "3f6c1a2e9b7d4c58a1e0f2b3c4d5e601";
inline constexpr const char *kWouldDenyMessageId = "3f6c1a2e9b7d4c58a1e0f2b3c4d5e602";
inline constexpr const char *kAuditMessageId = "3f6c1a2e9b7d4c58a1e0f2b3c4d5e603";
inline constexpr const char *kPolicyMessageId = "3f6c1a2e9b7d4c58a1e0f2b3c4d5e604";       // loaded / reloaded
inline constexpr const char *kPolicyErrorMessageId = "3f6c1a2e9b7d4c58a1e0f2b3c4d5e605";  // reload refused

} // namespace kw::frtp
