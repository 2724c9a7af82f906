// The units a learner selects (struct kw_learn_units, learn.bpf.h): their
// cgroup paths written before load, and the cgroup ids of those running
// already written after attach (a unit that starts later is seen by the
// learner's cgroup_mkdir program).
#pragma once

#include "kw_learn.h"

#include <cstdint>
#include <string>

struct bpf_map;

namespace kw {

// Adds `unit`'s cgroup path below the cgroup v2 mount `root`
// (unit_cgroup_path) and its depth; returns its slot.
// A usage Error past KW_LEARN_UNITS or for a path longer than the kernel's
// buffer (never cut: a cut path could look like another's).
uint32_t add_learn_unit(kw_learn_units &units, const std::string &unit, const std::string &root = "/sys/fs/cgroup");

// After attaching: the units running now get their cgroup's id in `ids`,
// unless the cgroup_mkdir program wrote one meanwhile (a newer start).
void seed_learn_units(bpf_map *ids, const kw_learn_units &units, const std::string &root = "/sys/fs/cgroup");

} // namespace kw
