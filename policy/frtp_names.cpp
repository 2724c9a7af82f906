// frtp policy: the names of operations, actions, modes and decisions, shared by
// the parser, the compiler's describe() and the evaluation's trace.
#include "frtp_spec.h"

#include <fmt/format.h>

namespace kw::frtp {

namespace {

struct OpName {
	const char *name;
	uint32_t bit;
};

constexpr OpName kOps[] = {
	{"read", FRTP_OP_READ},     {"write", FRTP_OP_WRITE},   {"exec", FRTP_OP_EXEC},   {"create", FRTP_OP_CREATE},
	{"unlink", FRTP_OP_UNLINK}, {"rmdir", FRTP_OP_RMDIR},   {"mkdir", FRTP_OP_MKDIR}, {"rename", FRTP_OP_RENAME},
	{"link", FRTP_OP_LINK},     {"chmod", FRTP_OP_CHMOD},   {"chown", FRTP_OP_CHOWN},
};

} // namespace

std::string op_name(uint32_t op)
{
	for (auto &o : kOps)
		if (o.bit == op)
			return o.name;
	return fmt::format("op{:#x}", op);
}

std::optional<uint32_t> parse_op(const std::string &name)
{
	if (name == "all")
		return FRTP_OP_ALL;
	for (auto &o : kOps)
		if (name == o.name)
			return o.bit;
	return std::nullopt;
}

std::string ops_text(uint32_t ops)
{
	if (ops == FRTP_OP_ALL)
		return "all";
	std::string s;
	for (auto &o : kOps)
		if (ops & o.bit)
			s += (s.empty() ? "" : ",") + std::string(o.name);
	return s;
}

std::string action_name(Action a)
{
	switch (a) {
	case Action::allow:
		return "allow";
	case Action::audit:
		return "audit";
	case Action::deny:
		return "deny";
	}
	return "?";
}

std::string mode_name(PolicyMode m) { return m == PolicyMode::audit ? "audit" : "enforce"; }

std::string decision_name(frtp_decision d)
{
	switch (d) {
	case FRTP_D_ALLOW:
		return "allow";
	case FRTP_D_AUDIT:
		return "audit";
	case FRTP_D_DENY:
		return "deny";
	case FRTP_D_WOULD_DENY:
		return "would-deny";
	}
	return "?";
}

} // namespace kw::frtp
