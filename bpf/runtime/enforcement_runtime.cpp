#include "enforcement_runtime.h"

#include "boot_clock.h"
#include "control_socket.h"
#include "errors.h"
#include "event_loop.h"
#include "generations.h"
#include "guard.h"
#include "kernel_features.h"
#include "kernel_storm.h"
#include "log.h"
#include "lost_counter.h"
#include "notifier.h"
#include "rcu_barrier.h"
#include "record.h"
#include "storm_aggregator.h"
#include "tagged_sink.h"

#include <csignal>
#include <unistd.h>
#include <filesystem>
#include <systemd/sd-daemon.h>
#include <fmt/format.h>
#include <optional>
#include <spdlog/spdlog.h>
#include <syslog.h>

namespace kw {

namespace {
sigset_t daemon_signals()
{
	sigset_t set;
	sigemptyset(&set);
	for (int sig : {SIGHUP, SIGINT, SIGTERM})
		sigaddset(&set, sig);
	return set;
}
} // namespace

void hold_signals()
{
	sigset_t set = daemon_signals();
	sigprocmask(SIG_BLOCK, &set, nullptr);
}

void release_signals()
{
	sigset_t set = daemon_signals();
	sigprocmask(SIG_UNBLOCK, &set, nullptr);
}

struct EnforcementRuntime::State {
	PinDir pins;
	Generations gens;
	RcuBarrier barrier;
	std::vector<Link> links;
	PolicyLinks policy_links;
	RingBuffer rb;
	std::unique_ptr<Sink> sink;
	std::optional<StormAggregator> storm;
	BootClock clock;
	std::optional<LostCounter> lost;
	std::optional<KernelStorm> kstorm;
	std::optional<Guard> guard;
	std::vector<Link> guard_links;
	std::optional<ControlSocket> control;
};

EnforcementRuntime::EnforcementRuntime(Enforcer &tool, RuntimeOptions o)
    : tool_(tool), id_(tool.identity()), o_(std::move(o))
{
}

EnforcementRuntime::~EnforcementRuntime() = default;

PolicySource EnforcementRuntime::read_source() const
{
	return o_.rules.empty() ? PolicySource::builtin("(built-in default)") : PolicySource::read(o_.rules);
}

std::shared_ptr<const LoadedPolicy> EnforcementRuntime::compile(const PolicySource &src) const
{
	auto p = tool_.compile(src);
	for (auto &w : p->warnings)
		spdlog::warn("{}", w);
	return p;
}

Record EnforcementRuntime::policy_record(const std::string &event, const std::string &message) const
{
	bool refused = event == "refused";
	Record r("policy", refused ? id_.refused_id : id_.policy_id, refused ? LOG_ERR : LOG_NOTICE);
	r.realtime_usec = BootClock::now_realtime_usec();
	r.message = message;
	r.add("policy_event", event);
	r.add("reload_seq", int64_t(reload_seq_));
	r.add("rules_file", o_.rules.empty() ? std::string("(built-in default)") : o_.rules);
	r.add("policy_sha256", sha256_); // the policy in force once this record is written
	if (!dropins_.empty())
		r.add("policy_dropins", dropins_);
	return r;
}

void EnforcementRuntime::install(std::shared_ptr<const LoadedPolicy> p, const std::string &sha256,
				 const std::function<void()> &before_flip)
{
	auto live = s_->gens.live();
	uint32_t idle = live ? *live ^ 1 : 0;
	// Events the idle generation's hooks emitted are decoded with its old
	// policy before that policy is replaced.
	s_->rb.drain();
	if (idle_dirty_)
		tool_.clear(idle);
	idle_dirty_ = true; // until the old generation is cleared below
	tool_.write(*p, idle);
	by_gen_[idle] = p;
	s_->policy_links.attach_for(*p, s_->pins, [this](const Link &l) {
		if (s_->guard)
			s_->guard->protect(l);
	});
	if (before_flip)
		before_flip();
	s_->gens.flip(idle);
	tool_.flipped(idle);
	current_ = std::move(p);
	sha256_ = sha256;
	// A hook that read the old generation number may still be walking its
	// entries: clearing them before it returns could let it miss a rule.
	s_->barrier.wait();
	if (live)
		tool_.clear(*live);
	idle_dirty_ = false;
	s_->policy_links.release_for(*current_, [this](const Link &l) {
		if (s_->guard)
			s_->guard->forget(l);
	});
}

void EnforcementRuntime::reload()
{
	reload_seq_++;
	std::shared_ptr<const LoadedPolicy> next;
	PolicySource src;
	try {
		src = read_source();
		next = compile(src);
		install(next, src.sha256);
		dropins_ = src.dropin_names();
	} catch (const std::exception &e) {
		Record r = policy_record("refused", std::string("reload refused, the previous policy stays in force: ") +
							     e.what());
		if (!src.sha256.empty())
			r.add("refused_sha256", src.sha256);
		s_->sink->write(r);
		s_->sink->flush();
		throw; // the event loop logs it and tells systemd
	}
	s_->sink->write(policy_record("reload", "policy reloaded: " + current_->summary()));
	s_->sink->flush();
	spdlog::info("policy reloaded from {}: {}", src.path, current_->summary());
}

void EnforcementRuntime::refresh_units()
{
	std::string what;
	std::shared_ptr<const LoadedPolicy> next;
	try {
		next = tool_.refresh_units(*current_, what);
		if (!next)
			return;
		install(next, sha256_);
	} catch (const std::exception &e) {
		spdlog::error("units' cgroups changed, but the policy could not be re-applied (the previous one stays): {}",
			      e.what());
		return;
	}
	s_->sink->write(policy_record("refresh", "unit cgroups changed (" + what + "): policy re-applied: " +
							 current_->summary()));
	spdlog::info("unit cgroups changed ({}); policy re-applied", what);
}

namespace {
// The MESSAGE_ID of decisions whose first record the ring buffer could not
// take: only the kernel's key and count are known.
constexpr const char *kUnrecordedMessageId = "75a8df7ed89a419fbc48b424422fcd6a";
} // namespace

Record EnforcementRuntime::unrecorded_record(const kw_storm_key &k) const
{
	Record r("unrecorded", kUnrecordedMessageId, LOG_WARNING);
	r.message = fmt::format("{} not recorded in detail (ring buffer full): policy generation {}, rule index {}, "
				"kind {:#x}, identity {:#x} {:#x} {:#x} {:#x} {:#x}",
				id_.events, k.gen, k.rule, k.what, k.id[0], k.id[1], k.id[2], k.id[3], k.id[4]);
	r.realtime_usec = BootClock::now_realtime_usec();
	r.add("storm_rule_index", int64_t(k.rule));
	r.add("storm_kind", int64_t(k.what));
	return r;
}

void EnforcementRuntime::collect_storm()
{
	s_->kstorm->collect(s_->barrier, s_->rb, [&](const kw_storm_key &k, uint64_t repeats, uint64_t unrecorded) {
		s_->storm->add_repeats(storm_key_string(k), repeats + unrecorded,
				       [&] { return unrecorded_record(k); });
	});
}

int EnforcementRuntime::run()
{
	hold_signals();
	setup_logging(id_.tool, o_.log_level);
	auto src = read_source();
	auto policy = compile(src);
	tool_.probe();

	s_.reset(new State{PinDir(id_.pin_name), Generations(nullptr), RcuBarrier(), {}, {}, {}, nullptr, {}, {}, {}, {}, {}, {}, {}});
	// Listening before the guard is armed: a stop asked for during start-up
	// waits in the backlog and is served once the loop runs.
	s_->control.emplace(id_.pin_name);
	s_->pins.ensure();
	tool_.with_guard = o_.guard && Features::bpf_lsm().ok;
	if (o_.guard && !tool_.with_guard)
		spdlog::warn("guard: off: the kernel does not run BPF LSM programs ({}); root can switch {} off",
			     Features::bpf_lsm().detail, id_.tool);
	try {
		tool_.load(s_->pins);
	} catch (const Error &e) {
		throw Error(e.code(),
			    fmt::format("{}; if an older {} left incompatible pins, stop it and remove {}", e.what(),
					id_.tool, s_->pins.path()),
			    e.sys_errno());
	}
	s_->gens = Generations(tool_.live_map());
	bool had_policy = s_->gens.live().has_value();
	s_->sink = make_sink(o_.output, id_.tool);
	if (id_.pin_name != id_.tool)
		s_->sink = std::make_unique<TaggedSink>(std::move(s_->sink), "pin_name", id_.pin_name);
	s_->storm.emplace(*s_->sink);
	s_->lost.emplace(tool_.lost_map());
	s_->kstorm.emplace(tool_.storm_map(), tool_.storm_epoch_map());
	EventContext ctx{s_->rb, *s_->sink, *s_->storm, s_->clock, [this](uint32_t gen) {
				 return by_gen_[gen & 1].get();
			 }};
	tool_.watch_events(ctx);
	start_guard();

	// A pinned policy of a previous daemon keeps enforcing until ours is
	// written, and its links until ours are attached: no gap. It may have
	// died between a flip and a retire: wait before clearing the idle side.
	s_->barrier.wait();
	s_->policy_links = PolicyLinks(tool_.optional_links());
	int adopted = s_->policy_links.adopt(s_->pins);
	dropins_ = src.dropin_names();
	install(policy, src.sha256, [&] {
		s_->links = tool_.attach(s_->pins, adopted);
		if (s_->guard)
			s_->guard->protect(s_->links);
	});
	if (adopted)
		spdlog::info("adopted the pinned enforcement of a previous {} ({} links{}); replaced without a gap",
			     id_.tool, adopted, had_policy ? ", policy in force" : "");
	if (had_policy)
		s_->sink->write(unclean_end_record());

	Notifier notifier;
	int ticks = 0;
	auto refresh_every = std::max<int64_t>(1, o_.unit_refresh.count());
	EventLoop loop(s_->rb, notifier,
		       {.reload = [this] { reload(); },
			.tick =
				[&] {
					if (s_->guard)
						s_->guard->heartbeat();
					collect_storm();
					s_->storm->flush();
					s_->lost->report(id_.events.c_str());
					s_->clock.refresh();
					tool_.tick();
					s_->sink->flush();
					if (++ticks % refresh_every == 0)
						refresh_units();
				}});
	loop.watch_control(s_->control->fd(), [this] { return control_request(); });
	s_->sink->write(policy_record("load", "policy loaded: " + current_->summary()));
	s_->sink->flush();
	spdlog::info("enforcing {}: {}", src.path, current_->summary());
	notifier.ready("enforcing " + current_->summary());
	loop.run(); // tells systemd it is stopping

	// An intended stop: unpin, and the links detach when they close.
	s_->rb.drain();
	collect_storm();
	s_->storm->flush(true);
	tool_.stopping();
	s_->sink->flush();
	s_->pins.remove_all();
	s_->links.clear();
	s_->policy_links = PolicyLinks();
	s_->guard_links.clear();
	if (auto n = s_->lost->total())
		spdlog::warn("{} {} lost in total", n, id_.events);
	spdlog::info("stopped; enforcement removed");
	s_->control->finish("stopped; enforcement removed");
	return 0;
}

CLI::App *add_stop_command(CLI::App &app)
{
	return app.add_subcommand("stop", "stop the running daemon through its control socket, as the unit's "
					  "ExecStop does: enforcement is removed, and the record names who asked");
}

int run_stop(const std::string &tool, const std::string &pin_name)
{
	release_signals();
	return request_stop(tool, pin_name);
}

CLI::App *add_probe_command(CLI::App &app)
{
	return app.add_subcommand("probe", "check that this kernel offers what the daemon needs and that its verifier "
					   "takes the daemon's BPF programs (exit 0), or say what is missing (exit 4); "
					   "attaches nothing");
}

int run_probe(Enforcer &tool)
{
	release_signals();
	tool.probe(); // throws Error(unsupported) naming what is missing
	tool.probe_load();
	fmt::print("{}: this kernel ({}) offers what {} needs, and its verifier takes {}'s programs\n",
		   tool.identity().tool, Features::kernel().str(), tool.identity().tool, tool.identity().tool);
	return 0;
}

CLI::App *add_detach_command(CLI::App &app)
{
	return app.add_subcommand("detach", "remove the enforcement a daemon that did not stop (killed, crashed) left "
					    "pinned; refused while a daemon runs, and recorded in journald with who asked");
}

int run_detach(const std::string &tool, const std::string &pin_name, const std::string &policy_id)
{
	release_signals();
	if (daemon_answers(pin_name)) {
		fmt::print(stderr, "{}: a daemon is running (it answers on {}); `{} stop` stops it and removes its "
				   "enforcement\n",
			   tool, ControlSocket::path(pin_name), tool);
		return 1;
	}
	PinDir pins(pin_name);
	if (!std::filesystem::exists(pins.path())) {
		fmt::print("{}: nothing is pinned at {}\n", tool, pins.path());
		return 0;
	}
	// Recorded before it happens: removing enforcement is never quiet.
	pid_t asker = getppid();
	Record r("policy", policy_id, LOG_NOTICE);
	std::string exe = exe_of_pid(asker), unit = unit_of_pid(asker);
	r.message = fmt::format("detach requested by {} (pid {}, uid {}{}): removing the enforcement a previous {} "
				"left pinned at {}",
				exe, asker, getuid(), unit.empty() ? "" : ", unit " + unit, tool, pins.path());
	r.realtime_usec = BootClock::now_realtime_usec();
	r.add("policy_event", "detach");
	if (pin_name != tool)
		r.add("pin_name", pin_name);
	r.add("requester_pid", int64_t(asker));
	r.add("requester_uid", int64_t(getuid()));
	r.add("requester_exe", exe);
	if (!unit.empty())
		r.add("requester_unit", unit);
	auto sink = make_sink(Output::journal, tool);
	sink->write(r);
	sink->flush();
	pins.remove_all();
	fmt::print("{}: removed {} (its links detach when no process holds them)\n", tool, pins.path());
	return 0;
}

void EnforcementRuntime::start_guard()
{
	if (!tool_.with_guard) {
		// A guard a previous daemon left pinned would go on guarding.
		for (auto &e : std::filesystem::directory_iterator(s_->pins.path()))
			if (e.path().filename().string().starts_with("link_kw_guard_"))
				std::filesystem::remove(e.path());
		spdlog::info("guard: off{}", o_.guard ? "" : " (--guard enforce protects this daemon against root)");
		return;
	}
	// systemd's watchdog may end a daemon that stopped beating; the
	// heartbeat is written every tick (at most half the watchdog period).
	uint64_t usec = 0;
	auto stale = sd_watchdog_enabled(0, &usec) > 0 ? std::chrono::microseconds(usec) : std::chrono::seconds(30);
	s_->guard.emplace(tool_.object(), *o_.guard);
	s_->guard->arm(s_->pins, ControlSocket::path(id_.pin_name), stale);
	int adopted = 0;
	s_->guard_links = s_->guard->attach(s_->pins, adopted);
	s_->guard->protect(s_->guard_links);
	s_->rb.add(s_->guard->events(), [this](std::span<const std::byte> data) {
		if (data.size() < sizeof(kw_guard_event))
			return;
		const auto &e = *reinterpret_cast<const kw_guard_event *>(data.data());
		Record r = tamper_record(e, s_->clock.to_realtime_usec(e.boot_ns));
		tool_.describe_subject(r, e.subject);
		s_->storm->write(r, storm_key_string(e.storm));
	});
	spdlog::info("guard: {}: maps, programs, links, pins and this daemon are protected against other processes",
		     mode_name(*o_.guard));
}

// A stop through the stop path removes the pins; finding them means the
// previous daemon was killed (kill -9, cgroup.kill, the OOM killer, the
// watchdog), crashed, or was frozen: never quietly.
Record EnforcementRuntime::unclean_end_record() const
{
	Record r("policy", id_.policy_id, LOG_WARNING);
	// A plain count rather than an optional duration: GCC 12 for aarch64 warns
	// (-Wmaybe-uninitialized, a false positive) on the optional's payload.
	const auto silence = s_->guard ? s_->guard->previous_silence() : std::nullopt;
	const int64_t silent_usec =
		silence ? int64_t(std::chrono::duration_cast<std::chrono::microseconds>(silence.value()).count()) : -1;
	r.message = fmt::format("the previous {} ended without a stop request (killed, crashed or frozen){}; its pinned "
				"enforcement was kept until this one took over",
				id_.tool,
				silent_usec >= 0 ? fmt::format(", silent for {} s", silent_usec / 1000000) : "");
	r.realtime_usec = BootClock::now_realtime_usec();
	r.add("policy_event", "unclean-end");
	if (silent_usec >= 0)
		r.add("silent_usec", silent_usec);
	return r;
}

bool EnforcementRuntime::control_request()
{
	StopRequest who;
	if (!s_->control->accept_stop(who))
		return false;
	Record r("policy", id_.policy_id, LOG_NOTICE);
	r.message = fmt::format("stop requested by {} (pid {}, uid {}{}): removing enforcement", who.exe, who.pid,
				who.uid, who.unit.empty() ? "" : ", unit " + who.unit);
	r.realtime_usec = BootClock::now_realtime_usec();
	r.add("policy_event", "stop");
	r.add("requester_pid", int64_t(who.pid));
	r.add("requester_uid", int64_t(who.uid));
	r.add("requester_exe", who.exe);
	if (!who.unit.empty())
		r.add("requester_unit", who.unit);
	r.add("policy_sha256", sha256_);
	if (!dropins_.empty())
		r.add("policy_dropins", dropins_);
	s_->sink->write(r);
	s_->sink->flush();
	spdlog::info("{}", r.message);
	return true;
}

} // namespace kw
