#include "net_filter_learner.h"

#include "bpf_link.h"
#include "boot_clock.h"
#include "cgroup_resolver.h"
#include "errors.h"
#include "kernel_features.h"
#include "learn_selection.h"
#include "learner_members.h"
#include "learn_units.h"
#include "lost_counter.h"
#include "map_walk.h"
#include "net_filter.h"
#include "net_filter_learn.h"
#include "net_filter_spec.h"
#include "skeleton.h"
#include "unique_fd.h"
#include "net_filter_learn.skel.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <linux/netfilter.h>
#include <optional>

namespace kw {

using nf::FlowRun;
using nf::LearnedFlow;
using nf::Resolvers;

namespace {

constexpr const char *kWhat = "net-filter learn";
// net-filter's own priority: after conntrack (-200), so the learner reads
// the connection state the filter reads.
constexpr int kHookPriority = -10;

Link attached(bpf_link *l, const std::string &what)
{
	if (!l)
		throw Error(Errc::kernel, "attach " + what + " of " + kWhat, errno);
	return Link(l);
}

} // namespace

template <> struct Learner<FlowRun>::Impl {
	std::optional<LearnSelection> sel;
	std::optional<Skeleton<net_filter_learn>> skel;
	std::vector<Link> links;
	std::optional<LearnTable> table;
};

template <> Learner<FlowRun>::Learner(std::vector<LearnSubject> subjects) : impl_(std::make_unique<Impl>())
{
	Features::require(Features::btf(), kWhat);
	Features::require(Features::netfilter_link(), kWhat);
	// Where net-filter finds units, and the hierarchy sockets record.
	std::string root = cgroup2_root();
	if (root.empty())
		throw Error(Errc::unsupported, fmt::format("{}: no cgroup v2 hierarchy is mounted", kWhat));
	auto skel = Skeleton<net_filter_learn>::open(kWhat);
	auto &cfg = skel->rodata->learn_cfg;
	// The executable as net-filter's exe rules compare it.
	auto exe = [](const std::string &path) { return Resolvers::system().exe(path); };
	impl_->sel.emplace(std::move(subjects), cfg.all, cfg.units, exe_slots(cfg, exe), root);
	skel.load();
	UniqueFd cgroot(open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	if (!cgroot)
		throw Error(Errc::unsupported, fmt::format("{}: open {}", kWhat, root), errno);
	// Sockets' owners first: a connection is learned from a socket created
	// after this, with its executable.
	impl_->links.push_back(attached(bpf_program__attach_cgroup(skel->progs.nf_learn_sock_create, cgroot.get()),
					"cgroup/sock_create"));
	impl_->links.push_back(attached(bpf_program__attach_cgroup(skel->progs.nf_learn_sock_release, cgroot.get()),
					"cgroup/sock_release"));
	skel.attach(); // the cgroup_mkdir tracepoint
	seed_learn_units(skel->maps.unit_cgroups, cfg.units, root);
	for (int pf : {NFPROTO_IPV4, NFPROTO_IPV6}) {
		LIBBPF_OPTS(bpf_netfilter_opts, nopts, .pf = uint32_t(pf), .hooknum = NF_INET_LOCAL_OUT,
			    .priority = kHookPriority);
		impl_->links.push_back(attached(bpf_program__attach_netfilter(skel->progs.nf_learn_egress, &nopts),
						"the netfilter LOCAL_OUT hook"));
	}
	impl_->links.push_back(attached(bpf_program__attach_cgroup(skel->progs.nf_learn_ingress, cgroot.get()),
					"cgroup_skb/ingress"));
	impl_->skel.emplace(std::move(skel));
	impl_->table.emplace(impl_->skel->get()->maps.flows, impl_->skel->get()->maps.lost_flows);
}

template <> FlowRun Learner<FlowRun>::finish()
{
	auto &skel = *impl_->skel;
	impl_->links.clear();
	skel.detach();
	auto run = impl_->table->frame<FlowRun>(*impl_->sel);
	BootClock clock;
	each_entry<nf_learn_key, kw_learn_count>(skel->maps.flows, [&](const nf_learn_key &k, const kw_learn_count &c) {
		auto s = impl_->sel->subject_of(k.subject);
		if (!s)
			return;
		LearnedFlow f;
		f.subject = *s;
		f.dir = k.dir;
		f.family = k.family;
		f.proto = k.proto;
		f.port = k.port;
		std::memcpy(f.addr.data(), k.addr, sizeof(k.addr));
		f.count = c.count;
		f.first_us = clock.to_realtime_usec(c.first_ns);
		f.last_us = clock.to_realtime_usec(c.last_ns);
		run.flows.push_back(f);
	});
	run.lost_flows = LostCounter(skel->maps.lost_flows).total();
	return run;
}

template class Learner<FlowRun>;

} // namespace kw
