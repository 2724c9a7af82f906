// net-filter learn's kernel side (net_filter_learner.cpp):
// net_filter_learn.bpf.c on the LOCAL_OUT netfilter hooks (IPv4, IPv6),
// cgroup_skb/ingress and cgroup/sock_create on the cgroup v2 root and the
// cgroup_mkdir tracepoint, its table read back into a FlowRun
// (docs/learn.md). Needs netfilter links (Linux 6.4+) and cgroup v2.
#pragma once

#include "learner.h"
#include "net_filter_learn_flow.h"

namespace kw::nf {

using Learner = kw::Learner<FlowRun>;

} // namespace kw::nf
