// What every enforcement tool does to outlive its daemon: maps and links
// pinned under /sys/fs/bpf/kwarden/<tool>/, adopted on restart.
#pragma once

#include "bpf_link.h"
#include "pin_dir.h"

#include <bpf/libbpf.h>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <vector>

namespace kw {

// Throws Error(Errc::unsupported) naming the lsm= boot parameter to add
// unless the kernel runs BPF LSM programs.
void require_bpf_lsm(const std::string &tool);
// Call before load: a restarted daemon then reuses the pinned maps, and
// with them the policy the kernel is enforcing.
void pin_maps(const PinDir &pins, const std::vector<bpf_map *> &maps);
// Attaches every program of obj and pins its link as link_<program>. A link
// a previous daemon left pinned stays attached until the new one is in
// place, so a restart (after kill -9, or an upgrade) leaves no gap.
// `adopted` counts the links replaced that way. Only the programs that are
// loaded and that `which` selects (all, without it).
std::vector<Link> attach_and_pin(bpf_object *obj, const PinDir &pins, int &adopted,
				 const std::function<bool(const bpf_program *)> &which = {});

} // namespace kw
