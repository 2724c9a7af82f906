// net-filter: keeps the kernel's connection tracking on in this network
// namespace while a rule matches on `state` (docs/net-filter.md).
//
// Since Linux 4.10 conntrack registers its hooks in a namespace only while
// something there asks for it (nf_ct_netns_get): an nftables ct expression,
// an iptables state match, NAT. A BPF netfilter link cannot ask. So
// net-filter keeps one nftables table, `inet kwarden_<instance>`, holding a
// regular chain (no hook: it sees no packet) with one rule that loads the
// ct state. Loading that rule is what takes the namespace's reference on
// conntrack; the table outlives a crashed daemon, as the pinned links do,
// and a clean stop deletes it. Raw nfnetlink, no library.
#pragma once

#include <string>

namespace kw::nf {

class ConntrackKeeper {
public:
	// `instance_pin`: net-filter or net-filter-NAME (the table's name).
	explicit ConntrackKeeper(const std::string &instance_pin);
	const std::string &table() const { return table_; }
	// Creates (or atomically re-creates) the table. Throws
	// Error(Errc::unsupported) when the kernel refuses.
	void enable();
	// True when the table exists in this namespace.
	bool present() const;
	// Deletes the table (no error when it is gone).
	void disable() noexcept;

private:
	std::string table_;
};

} // namespace kw::nf
