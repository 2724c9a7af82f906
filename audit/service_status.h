// kwarden-audit status of one enforcer: built from its journal records (in
// time order) and what its pins and process show now, so it is right while
// the daemon is down. The journal part is pure code, unit-tested.
#pragma once

#include "audit_event.h"
#include "message_ids.h"
#include "pin_reader.h"

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace kw::audit {

// The pin name a record of `tool` belongs to: its PIN_NAME (a named
// instance's, net-filter-dmz), else the tool's own.
std::string pin_name_of(const FieldLookup &field, const std::string &tool);
// The named instances' pin names among the directories of /sys/fs/bpf/kwarden.
std::vector<std::string> instances_of(const std::string &tool, const std::vector<std::string> &pin_dirs);

class ServiceStatus {
public:
	// pin_name: the tool's for its default instance, <tool>-<name> for the
	// instance started with --instance NAME.
	ServiceStatus(EnforcerIds ids, std::string pin_name);
	explicit ServiceStatus(EnforcerIds ids) : ServiceStatus(ids, ids.tool) {}
	const std::string &tool() const { return ids_.tool; }
	const std::string &pin_name() const { return pin_name_; }
	// NAME of --instance NAME; "" for the default instance.
	std::string instance() const;

	// Every record this instance wrote, oldest first (pin_name_of says whose).
	void add(const FieldLookup &field, int64_t realtime_usec);
	// What this host shows now (not called for collected journals).
	void set_pins(const PinState &p) { pins_ = p; }
	void set_daemon_alive(bool alive) { alive_ = alive; }
	void set_file_sha256(const std::string &sha) { file_sha_ = sha; }

	// The daemon's pid from its last policy record (0: none).
	int pid() const { return pid_; }
	const std::string &rules_file() const { return rules_file_; }

	// enforcing, enforcing (daemon down), running, not enforcing, stopped,
	// detached, not running; with collected journals: the last event only.
	std::string state() const;
	std::string text() const;
	nlohmann::ordered_json json() const;

	uint64_t decisions() const { return decisions_; }
	uint64_t lost() const;

private:
	EnforcerIds ids_;
	std::string pin_name_;
	std::string last_event_, sha_, dropins_, rules_file_, unit_, requester_;
	int pid_ = 0;
	int64_t load_usec_ = 0, policy_usec_ = 0, last_usec_ = 0, unclean_usec_ = 0;
	uint64_t decisions_ = 0, records_ = 0, tamper_ = 0, lost_journal_ = 0, refused_ = 0;
	std::optional<PinState> pins_;
	std::optional<bool> alive_;
	std::string file_sha_;
};

} // namespace kw::audit
