// net-filter learn's kernel side, run from user space: loads
// net_filter_learn.bpf.c for the subjects, attaches it (LOCAL_OUT netfilter
// hooks for IPv4 and IPv6, cgroup_skb/ingress and cgroup/sock_create on the
// cgroup v2 root, the cgroup_mkdir tracepoint), lets it count while the
// caller waits, then detaches and reads back what it counted
// (docs/learn.md). Needs netfilter links (Linux 6.4+) and cgroup v2.
#pragma once

#include "net_filter_learn_flow.h"

#include <cstdint>
#include <memory>
#include <vector>

namespace kw::nf {

class Learner {
public:
	// Probes the kernel (exit 4 without netfilter links), loads and attaches.
	explicit Learner(std::vector<LearnSubject> subjects);
	~Learner();
	Learner(const Learner &) = delete;
	Learner &operator=(const Learner &) = delete;

	// Distinct flows counted so far, and connection starts the full table lost.
	uint64_t distinct() const;
	uint64_t lost() const;
	// Detaches (nothing more is counted) and reads the table.
	FlowRun finish();

private:
	struct Impl;
	std::unique_ptr<Impl> impl_;
};

} // namespace kw::nf
