// rm-forbid: decoding a kernel event and rendering it as a record. Pure code,
// unit-tested without a kernel.
#pragma once

#include "record.h"
#include "rm_forbid.h"
#include "rm_forbid_holders.h"

#include <string>
#include <vector>

namespace kw::rmf {

struct Refusal {
	kw_subject subject{};
	uint64_t boot_ns = 0;
	uint32_t op = 0, decision = 0, use = 0, gen = 0, nlink = 0, self_refs = 0;
	int32_t refs = 0;
	uint64_t dev = 0, ino = 0;
	std::string path, new_path, exe;
};

Refusal decode_event(const rf_event &e);
// The refusal's own fields and message; subject fields come from SubjectDescriber.
Record refusal_record(const Refusal &x, int64_t realtime_usec, const std::vector<Holder> &holders,
		      const std::string &ancestry);

inline constexpr const char *kDeniedMessageId = "3c9a7e1f52b84d0e9f6a1b2c3d4e5f01";
inline constexpr const char *kAuditedMessageId = "3c9a7e1f52b84d0e9f6a1b2c3d4e5f02";
inline constexpr const char *kPolicyMessageId = "3c9a7e1f52b84d0e9f6a1b2c3d4e5f03";
inline constexpr const char *kPolicyErrorMessageId = "3c9a7e1f52b84d0e9f6a1b2c3d4e5f04";

} // namespace kw::rmf
