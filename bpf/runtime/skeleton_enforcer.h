// The parts of an Enforcer that depend only on its skeleton: open and load
// with the maps pinned, and the runtime's kw_live and kw_lost maps.
// LsmEnforcer adds what every BPF LSM enforcer shares.
#pragma once

#include "enforcer.h"
#include "errors.h"
#include "guard.h"
#include "kernel_features.h"
#include "pinning.h"
#include "proc_table.h"
#include "resolver.h"
#include "skeleton.h"
#include "subject.h"

#include <bpf/bpf.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <optional>
#include <vector>

namespace kw {

// Writes one map entry or throws naming the map.
template <typename K, typename V> void map_put(bpf_map *m, const K &k, const V &v)
{
	check_bpf(bpf_map_update_elem(bpf_map__fd(m), &k, &v, BPF_ANY), std::string("write ") + bpf_map__name(m));
}

template <typename S> class SkeletonEnforcer : public Enforcer {
public:
	void load(const PinDir &pins) override
	{
		skel_.emplace(Skeleton<S>::open(identity().tool));
		Guard::fit_kernel(skel().obj);
		fit_kernel(skel().obj);
		if (!with_guard)
			Guard::leave_out(skel().obj);
		auto maps = pinned_maps();
		for (bpf_map *m : Guard::pinned_maps(skel().obj))
			maps.push_back(m);
		// What a restarted daemon must find again, with the policy: the
		// generation in force, and what the hooks counted meanwhile.
		for (bpf_map *m : {skel().maps.kw_live, skel().maps.kw_lost, skel().maps.kw_storm,
				   skel().maps.kw_storm_epoch})
			maps.push_back(m);
		pin_maps(pins, maps);
		skel_->load();
	}
	void probe_load() override
	{
		auto s = Skeleton<S>::open(identity().tool);
		Guard::fit_kernel(s.get()->obj);
		fit_kernel(s.get()->obj);
		// As the daemon would run: without its guard where the kernel runs
		// no BPF LSM programs (net-filter then runs unguarded).
		if (!Features::bpf_lsm().ok)
			Guard::leave_out(s.get()->obj);
		try {
			s.load();
		} catch (const Error &e) {
			throw Error(Errc::unsupported,
				    fmt::format("this kernel's BPF verifier refuses {}'s programs ({}): {} runs on the "
						"kernels in the support table of README.md",
						identity().tool, e.what(), identity().tool));
		}
	}
	bpf_object *object() override { return skel().obj; }
	bpf_map *live_map() override { return skel().maps.kw_live; }
	bpf_map *lost_map() override { return skel().maps.kw_lost; }
	bpf_map *storm_map() override { return skel().maps.kw_storm; }
	bpf_map *storm_epoch_map() override { return skel().maps.kw_storm_epoch; }

protected:
	S &skel() { return *skel_->get(); }
	// Before load: leave out the tool's programs this kernel has no hook for.
	virtual void fit_kernel(bpf_object *obj) { (void)obj; }
	// The tool's maps a restarted daemon must find again (policy, ring buffers).
	virtual std::vector<bpf_map *> pinned_maps() = 0;

private:
	std::optional<Skeleton<S>> skel_;
};

template <typename S> class LsmEnforcer : public SkeletonEnforcer<S> {
public:
	void probe() override
	{
		Features::require(Features::btf(), this->identity().tool);
		require_bpf_lsm(this->identity().tool);
	}
	// Every program is a hook; each link is pinned as link_<program>.
	std::vector<Link> attach(const PinDir &pins, int &adopted) override
	{
		// The guard's programs are the runtime's to attach, first.
		return attach_and_pin(this->skel().obj, pins, adopted,
				      [](const bpf_program *p) { return !Guard::is_guard_program(p); });
	}

	void describe_subject(Record &r, const kw_subject &s) override
	{
		subjects().describe(r, s, format_chain(subjects().chain(s)));
	}

protected:
	// Who did it, from the in-kernel process table (seeded on first use).
	SubjectDescriber &subjects()
	{
		if (!subjects_) {
			procs_.emplace(this->skel().maps.kw_procs);
			procs_->seed();
			subjects_.emplace(*procs_);
		}
		return *subjects_;
	}
	// Adds the subject fields and ancestry to the record `make(ancestry)` builds.
	template <typename Make> Record attributed(const kw_subject &s, Make make)
	{
		auto ancestry = format_chain(subjects().chain(s));
		Record r = make(ancestry);
		subjects().describe(r, s, ancestry);
		return r;
	}

private:
	std::optional<ProcTable> procs_;
	std::optional<SubjectDescriber> subjects_;
};

// A policy compiled by a compiler that asks a Resolver, with every answer it
// got: a unit refresh compiles the same spec again, with the same files and
// users, and only the units looked up afresh. `summary_of(c)` is the tool's.
template <typename Spec, typename Compiled> struct ResolvedPolicy : LoadedPolicy {
	Spec spec;
	Compiled c;
	Lookups lookups;

	std::string summary() const override { return summary_of(c); }

	// compile(const Spec &, Resolver &) -> Compiled
	template <typename F>
	static std::shared_ptr<const ResolvedPolicy> make(Spec spec, F compile, const Lookups *replay = nullptr)
	{
		auto p = std::make_shared<ResolvedPolicy>();
		p->spec = std::move(spec);
		SystemResolver sys;
		RecordingResolver r(sys, p->lookups, replay);
		p->c = compile(p->spec, r);
		p->warnings = p->c.warnings;
		return p;
	}
	// Null when no unit moved; `what` names those that did.
	template <typename F> std::shared_ptr<const ResolvedPolicy> refreshed(F compile, std::string &what) const
	{
		SystemResolver sys;
		auto moved = moved_units(lookups, sys);
		if (moved.empty())
			return nullptr;
		what = fmt::format("{}", fmt::join(moved, ", "));
		return make(spec, compile, &lookups);
	}
};

} // namespace kw
