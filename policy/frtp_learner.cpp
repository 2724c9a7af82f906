#include "frtp_learner.h"

#include "boot_clock.h"
#include "errors.h"
#include "file_identity.h"
#include "frtp_learn.h"
#include "kernel_features.h"
#include "kernel_path.h"
#include "learn_selection.h"
#include "learner_members.h"
#include "learn_units.h"
#include "lost_counter.h"
#include "map_walk.h"
#include "pinning.h"
#include "skeleton.h"
#include "frtp_learn.skel.h"

#include <bpf/bpf.h>
#include <fmt/format.h>
#include <map>
#include <unistd.h>

namespace kw {

using frtp::LearnedAccess;
using frtp::LearnRun;

namespace {

constexpr const char *kWhat = "frtp learn";

} // namespace

template <> struct Learner<LearnRun>::Impl {
	std::optional<LearnSelection> sel;
	std::optional<Skeleton<frtp_learn>> skel;
	std::optional<LearnTable> table;
};

template <> Learner<LearnRun>::Learner(std::vector<LearnSubject> subjects) : impl_(std::make_unique<Impl>())
{
	Features::require(Features::btf(), kWhat);
	require_bpf_lsm(kWhat);
	auto skel = Skeleton<frtp_learn>::open(kWhat);
	auto &cfg = skel->rodata->learn_cfg;
	cfg.self_tgid = uint32_t(getpid());
	impl_->sel.emplace(std::move(subjects), cfg.all, cfg.units, exe_slots(cfg, stat_file_id));

	// As frtp: POSIX ACLs have hooks of their own since Linux 6.2.
	if (!Features::lsm_hook("inode_set_acl")) {
		bpf_program__set_autoload(skel->progs.learn_inode_set_acl, false);
		bpf_program__set_autoload(skel->progs.learn_inode_remove_acl, false);
	}
	skel.load();
	skel.attach();
	// After attaching: a unit started meanwhile is seen by the cgroup_mkdir
	// program, and one running already by its directory, read now.
	seed_learn_units(skel->maps.unit_cgroups, cfg.units);
	impl_->skel.emplace(std::move(skel));
	impl_->table.emplace(impl_->skel->get()->maps.accesses, impl_->skel->get()->maps.lost_accesses);
}

template <> LearnRun Learner<LearnRun>::finish()
{
	auto &skel = *impl_->skel;
	skel.detach();
	auto run = impl_->table->frame<LearnRun>(*impl_->sel);
	std::map<std::tuple<uint64_t, uint64_t, uint64_t>, std::string> names;
	each_entry<frtp_learn_obj, kw_path>(skel->maps.names, [&](const frtp_learn_obj &o, const kw_path &p) {
		names[{o.dev, o.dir, o.name}] = decode_path(p);
	});
	std::map<std::pair<uint64_t, uint64_t>, std::string> exes;
	each_entry<frtp_learn_exe, kw_path>(skel->maps.exes, [&](const frtp_learn_exe &e, const kw_path &p) {
		exes[{e.dev, e.ino}] = decode_path(p);
	});
	BootClock clock;
	each_entry<frtp_learn_key, kw_learn_count>(skel->maps.accesses, [&](const frtp_learn_key &k,
										  const kw_learn_count &c) {
		auto s = impl_->sel->subject_of(k.subject);
		if (!s)
			return;
		LearnedAccess a;
		a.subject = *s;
		auto n = names.find({k.obj.dev, k.obj.dir, k.obj.name});
		if (n != names.end())
			a.path = n->second;
		auto e = exes.find({k.exe_dev, k.exe_ino});
		if (e != exes.end())
			a.exe = e->second;
		a.op = k.op;
		a.uid = k.uid;
		a.gid = k.gid;
		a.count = c.count;
		a.first_us = clock.to_realtime_usec(c.first_ns);
		a.last_us = clock.to_realtime_usec(c.last_ns);
		run.accesses.push_back(std::move(a));
	});
	run.lost_accesses = LostCounter(skel->maps.lost_accesses).total();
	run.lost_names = LostCounter(skel->maps.lost_names).total();
	run.lost_exes = LostCounter(skel->maps.lost_exes).total();
	return run;
}

template class Learner<LearnRun>;

} // namespace kw
