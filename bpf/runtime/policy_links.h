// Links only some policies need. A hook runs for every packet or socket it
// sees, even when no rule of the policy in force looks at them: net-filter's
// egress hooks and its socket-owner programs cost every TCP connection of a
// host whose rules are all about inbound traffic. So a tool declares such
// links with the policies that need them, and the runtime attaches each one
// before a policy that needs it goes live, and detaches it once no
// generation a hook may still read needs it (docs/runtime.md).
#pragma once

#include "bpf_link.h"
#include "pin_dir.h"

#include <bpf/libbpf.h>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace kw {

class LoadedPolicy;

struct OptionalLink {
	std::string pin; // link_<name> under the tool's pin directory
	std::function<bool(const LoadedPolicy &)> needed;
	std::function<bpf_link *()> attach; // null with errno set on failure
};

class PolicyLinks {
public:
	PolicyLinks() = default;
	explicit PolicyLinks(std::vector<OptionalLink> specs) : specs_(std::move(specs)) {}
	PolicyLinks(PolicyLinks &&) = default;
	PolicyLinks &operator=(PolicyLinks &&) = default;

	// At start: the links a previous daemon left pinned stay attached until
	// the first policy is live, so a restart leaves no gap. Returns how many.
	int adopt(const PinDir &pins);
	// Before the flip to `p`: every link it needs is attached and pinned
	// (throws Error, and the policy must not go live). `added` is called
	// with each link attached now, for the guard.
	void attach_for(const LoadedPolicy &p, const PinDir &pins, const std::function<void(const Link &)> &added);
	// Once no hook reads any other generation than `p`'s: the links it does
	// not need are unpinned and detached. `removing` is called with each
	// before it goes.
	void release_for(const LoadedPolicy &p, const std::function<void(const Link &)> &removing);
	// The pins of the links attached now, for the log.
	std::vector<std::string> attached() const;

private:
	std::vector<OptionalLink> specs_;
	std::map<std::string, Link> held_;
};

} // namespace kw
