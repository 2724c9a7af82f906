// net-filter policy, source form: the YAML rule file parsed into rules, the
// names of actions, directions and protocols, and addresses and ports as
// values. Pure: no kernel, no root; resolvers for users, executables and
// units are injectable for tests.
#pragma once

#include "mode.h"
#include "net_filter.h"
#include "policy_source.h"

#include <array>
#include <compare>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace kw::nf {

struct Cidr {
	uint8_t family = 4; // 4 or 6
	std::array<uint8_t, 16> addr{}; // network order; IPv4 in bytes 0..3
	uint8_t len = 0;
	std::string str() const;
	auto operator<=>(const Cidr &) const = default;
};

struct PortRange {
	uint16_t lo = 0, hi = 65535;
	auto operator<=>(const PortRange &) const = default;
};

struct ExeId {
	uint32_t dev = 0; // kernel encoding (major << 20 | minor)
	uint64_t ino = 0;
	std::string path;
};

enum class Proto { any, tcp, udp, icmp, icmpv6 };

struct Rule {
	uint32_t id = 0; // position in the rules file and its drop-ins, 0-based; lower wins
	std::string name;
	std::string file; // the rules file or the drop-in it is in
	int line = 0;
	uint8_t action = NF_ACT_ACCEPT;
	bool capture = false;
	uint16_t snaplen = 0;
	std::vector<uint8_t> dirs; // enum nf_direction
	std::vector<uint8_t> states; // enum nf_ct_state; empty = any
	Proto proto = Proto::any;
	std::vector<Cidr> src, dst;        // empty = any
	std::vector<PortRange> sport, dport; // empty = any
	std::string iface;                 // empty = any
	std::vector<uint32_t> uids;        // empty = any
	std::vector<ExeId> exes;           // empty = any
	// systemd units (empty = any) and their cgroup ids, index for index;
	// nullopt: the unit is not running, so it matches nothing.
	std::vector<std::string> units;
	std::vector<std::optional<uint64_t>> unit_ids;
};

struct Policy {
	std::string file;
	Mode mode = Mode::enforce;
	std::array<uint8_t, NF_DIRS> default_action{NF_ACT_ACCEPT, NF_ACT_ACCEPT, NF_ACT_ACCEPT};
	std::vector<Rule> rules;
	std::string capture_file; // where captured packets go
};

struct Resolvers {
	std::function<std::optional<uint32_t>(const std::string &)> user;  // name -> uid
	std::function<std::optional<ExeId>(const std::string &)> exe;       // path -> identity
	std::function<std::optional<uint64_t>(const std::string &)> unit;   // unit -> cgroup id (not running: nullopt)
	// cgroup_root: the cgroup v2 mount, where units are looked up.
	static Resolvers system(const std::string &cgroup_root = "/sys/fs/cgroup");
};

// Throws ConfigError (file:line:column: message, hint).
// The rules file and its drop-ins (docs/drop-ins.md).
Policy parse_policy(const PolicySource &src, const Resolvers &r = Resolvers::system());
// One file's text.
Policy parse_policy(const std::string &text, const std::string &name, const Resolvers &r = Resolvers::system());
Policy load_policy(const std::string &path, const Resolvers &r = Resolvers::system());

// Looks the rules' units up again (a restarted unit has a new cgroup id).
// True when any id changed.
bool resolve_units(Policy &p, const Resolvers &r = Resolvers::system());
// "rule 'x': unit 'y' is not running" for each unit without a cgroup.
std::vector<std::string> unresolved_units(const Policy &p);

std::optional<Cidr> parse_cidr(const std::string &s, std::string *why = nullptr);
// The 16-byte network mask of a prefix of len bits.
void mask_bytes(uint8_t *out, unsigned len);

const char *action_name(uint8_t a);
const char *direction_name(uint8_t d);
const char *state_name(uint8_t s); // enum nf_ct_state
// A rule matches on connection state: conntrack must be on in the namespace.
bool uses_state(const Policy &p);
const char *proto_name(Proto p);
uint8_t proto_number(Proto p); // 0 for any
std::string proto_string(uint8_t ipproto);
uint8_t proto_bit(uint8_t ipproto); // NF_PBIT_*

} // namespace kw::nf
