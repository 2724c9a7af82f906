#include "message_ids.h"

namespace kw::audit {

const std::vector<EnforcerIds> &enforcers()
{
	static const std::vector<EnforcerIds> v = {
		{"frtp", frtp::kPolicyMessageId, frtp::kPolicyErrorMessageId,
		 {frtp::kDenyMessageId, frtp::kWouldDenyMessageId, frtp::kAuditMessageId}},
		{"rm-forbid", rmf::kPolicyMessageId, rmf::kPolicyErrorMessageId,
		 {rmf::kDeniedMessageId, rmf::kAuditedMessageId}},
		{"net-filter", nf::kNetPolicyMessageId, nf::kNetPolicyErrorMessageId,
		 {nf::kNetDropMessageId, nf::kNetAuditMessageId}},
	};
	return v;
}

std::vector<std::string> report_message_ids()
{
	return {frtp::kDenyMessageId,	 frtp::kWouldDenyMessageId, rmf::kDeniedMessageId, rmf::kAuditedMessageId,
		nf::kNetDropMessageId, kTamperMessageId,	   kUnrecordedMessageId};
}

} // namespace kw::audit
