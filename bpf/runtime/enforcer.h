// What one enforcement tool declares; EnforcementRuntime runs the life
// cycle (docs/runtime.md) for every tool the same way, as Tetragon's
// sensors and falco's libpman do. A tool brings its BPF object, its policy
// compiler and decoder, and how it writes its maps; nothing else.
#pragma once

#include "bpf_link.h"
#include "pin_dir.h"
#include "policy_links.h"
#include "kw_types.h"
#include "policy_source.h"
#include "record.h"
#include "ring_buffer.h"

#include <bpf/libbpf.h>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace kw {

class Sink;
class StormAggregator;
class BootClock;

// A compiled policy as the runtime holds it; each tool derives its own.
class LoadedPolicy {
public:
	virtual ~LoadedPolicy() = default;
	// One line for records, logs and the unit's status.
	virtual std::string summary() const = 0;
	std::vector<std::string> warnings;
};

// For --check, which exits right after printing the policy: the exit hands
// its memory back at once, while freeing a large policy's allocations one by
// one took a twentieth of `frtp --check` at 10,000 rules.
void keep_until_exit(std::shared_ptr<const LoadedPolicy> p);

// What event handlers get from the runtime.
struct EventContext {
	RingBuffer &rb;
	Sink &sink;
	StormAggregator &storm;
	const BootClock &clock;
	// The policy generation `gen` held when its hooks emitted an event.
	std::function<const LoadedPolicy *(uint32_t gen)> policy_of;
};

class Enforcer {
public:
	struct Identity {
		std::string tool;       // SYSLOG_IDENTIFIER and messages
		std::string pin_name;   // /sys/fs/bpf/kwarden/<pin_name>
		std::string policy_id;  // MESSAGE_ID: policy loaded, reloaded, refreshed
		std::string refused_id; // MESSAGE_ID: reload refused
		std::string events;     // "decision events": what a lost event was
	};
	virtual ~Enforcer() = default;
	virtual Identity identity() const = 0;

	// 1. What the kernel must offer (throws Error(Errc::unsupported)).
	virtual void probe() = 0;
	// Loads the BPF object, attaches and pins nothing: whether this kernel's
	// verifier takes the programs (throws Error(unsupported) when not).
	virtual void probe_load() = 0;
	// 2. Pure: parse and compile (throws ConfigError).
	virtual std::shared_ptr<const LoadedPolicy> compile(const PolicySource &src) = 0;
	// 3. Opens the BPF object with its maps pinned under `pins`, and loads it;
	// without the guard's programs unless `with_guard` (guard.bpf.h).
	virtual void load(const PinDir &pins) = 0;
	virtual bpf_object *object() = 0;
	bool with_guard = false;
	virtual bpf_map *live_map() = 0; // kw_live
	virtual bpf_map *lost_map() = 0; // kw_lost
	virtual bpf_map *storm_map() = 0;       // kw_storm
	virtual bpf_map *storm_epoch_map() = 0; // kw_storm_epoch
	// 4. Fills generation `gen`, which no hook reads.
	virtual void write(const LoadedPolicy &p, uint32_t gen) = 0;
	// 6. Generation `gen` is live now (kw_live flipped); hooks may still
	// finish on the other one. For state the hooks derived from the old one.
	virtual void flipped(uint32_t /*gen*/) {}
	// 7. Empties generation `gen`, which no hook reads any more.
	virtual void clear(uint32_t gen) = 0;
	// 5. Attaches, adopting links a previous daemon left pinned; counts those.
	virtual std::vector<Link> attach(const PinDir &pins, int &adopted) = 0;
	// 5b. Links only some policies need (policy_links.h): attached before
	// a policy that needs them goes live, detached once none in use does.
	// Called once, after load.
	virtual std::vector<OptionalLink> optional_links() { return {}; }
	// Ring buffer handlers (and any tool state they need).
	virtual void watch_events(EventContext &ctx) = 0;
	// The subject fields of a record (pid, ids, comm, unit, ancestry), as
	// the tool's own records have them: the guard's records use it. By
	// default the ancestry comes from /proc.
	virtual void describe_subject(Record &r, const kw_subject &s);
	// 9. Units' cgroups looked up again from the policy in memory: a new
	// policy when an id changed, else null. `what` says what changed.
	virtual std::shared_ptr<const LoadedPolicy> refresh_units(const LoadedPolicy &, std::string &what)
	{
		(void)what;
		return nullptr;
	}
	// Every tick (1 s): the tool's own housekeeping.
	virtual void tick() {}
	// 10. Before an intended stop unpins everything.
	virtual void stopping() {}
};

} // namespace kw
