// Where a systemd unit's processes live in the cgroup2 tree, whether it runs
// yet or not: a learner started before its unit watches for that cgroup to
// be created ("/system.slice/nginx.service").
#pragma once

#include <string>

namespace kw {

// The unit's cgroup path below the cgroup2 root: the running unit's own;
// else its slice's (systemd's Slice property, over D-Bus) with the unit
// below it; else "/system.slice/UNIT", where system services go.
std::string unit_cgroup_path(const std::string &unit, const std::string &root = "/sys/fs/cgroup");

// "a-b.slice" -> "/a.slice/a-b.slice", as systemd nests slices; "-.slice" -> "".
std::string slice_cgroup_path(const std::string &slice);

} // namespace kw
