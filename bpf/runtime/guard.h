// User space of the guard (bpf/kernel/guard.bpf.h, docs/guard.md): arms it
// with what the daemon must protect, attaches its programs, keeps its
// heartbeat, and turns its events into tamper records.
#pragma once

#include "bpf_link.h"
#include "file_identity.h"
#include "kw_guard.h"
#include "mode.h"
#include "pin_dir.h"
#include "record.h"

#include <bpf/libbpf.h>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace kw {

class Guard {
public:
	// The guard's programs in a tool's BPF object.
	static bool is_guard_program(const bpf_program *prog);
	// Before load: the object without its guard (--guard off, or no BPF LSM).
	static void leave_out(bpf_object *obj);
	// Before load: of the programs written for several kernels, only the
	// one whose hook signature this kernel has.
	static void fit_kernel(bpf_object *obj);
	// The maps a restarted daemon must find again to stay guarded.
	static std::vector<bpf_map *> pinned_maps(bpf_object *obj);

	Guard(bpf_object *obj, Mode mode);
	// How long the daemon that armed the pinned guard before us has been
	// silent; nullopt when none did (the last one stopped through the stop
	// path, or this is the first start).
	std::optional<std::chrono::nanoseconds> previous_silence() const;
	// Fills the guard before its programs attach: this executable and the
	// code it maps, the maps and programs of `obj`, the pin directories,
	// the control socket, the cgroup files that stop it, the heartbeat.
	void arm(const PinDir &pins, const std::string &socket, std::chrono::microseconds stale);
	std::vector<Link> attach(const PinDir &pins, int &adopted);
	// Links by id, once they exist.
	void protect(const std::vector<Link> &links);
	void protect(const Link &link);
	// A link the daemon itself detaches now (a policy no longer needs it).
	void forget(const Link &link);
	// Every tick: a daemon that stops beating may be signalled (watchdog).
	void heartbeat();
	bpf_map *events() const;

private:
	void put_obj(uint32_t kind, uint32_t dev, uint64_t id, uint8_t scope = 1);
	void write_cfg();
	void mark_predating(const FileId &exe);
	void add_code();
	bpf_object *obj_;
	kw_guard_cfg cfg_{};
	std::optional<kw_guard_cfg> previous_;
	std::vector<FileId> code_;
};

// The record of a refused (or, in audit mode, recorded) tamper attempt; the
// enforcer adds the subject's fields (Enforcer::describe_subject).
extern const char *const kTamperMessageId;
Record tamper_record(const kw_guard_event &e, int64_t realtime_usec);
const char *tamper_name(uint32_t what);
const char *untrusted_name(uint32_t why);

} // namespace kw
