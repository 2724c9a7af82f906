// trace-file: file operations with full absolute paths, flags, bytes,
// results and latency; or a live top of files (--summary).
#include "trace_file.h"

#include "boot_clock.h"
#include "cgroup_resolver.h"
#include "cli.h"
#include "errors.h"
#include "event_loop.h"
#include "kernel_features.h"
#include "log.h"
#include "lost_counter.h"
#include "notifier.h"
#include "process_filter_options.h"
#include "skeleton.h"
#include "trace_file.skel.h"
#include "trace_file_filter.h"
#include "trace_file_record.h"
#include "trace_file_top.h"

#include <chrono>
#include <climits>
#include <cstdlib>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <fcntl.h>
#include <signal.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <unordered_map>

using namespace kw;
using namespace kw::tfile;

namespace {

constexpr const char *kTool = "trace-file";
constexpr int kSettleMs = 1000;

struct Options {
	CommonOptions common;
	ProcessFilterOptions process;
	std::vector<std::string> paths;
	std::string ops;
	bool all_files = false;
	bool summary = false;
	int interval = 2;
	int top = 20;
	int ring_mb = 64;
	int duration = 0;
};

FileFilter effective_filter(const Options &o)
{
	FileFilter f = o.common.rules.empty() ? FileFilter{} : load_file_filter(o.common.rules);
	o.process.apply(f.process);
	if (!o.paths.empty()) {
		f.paths.clear();
		for (const auto &p : o.paths) {
			std::string why, n = normalize_prefix(p, &why);
			if (n.empty())
				throw Error(Errc::usage, fmt::format("--path {}: {}", p, why));
			f.paths.push_back(n);
		}
		if (f.paths.size() > TF_PREFIX_MAX)
			throw Error(Errc::usage, fmt::format("at most {} --path prefixes", TF_PREFIX_MAX));
	}
	if (!o.ops.empty())
		f.ops = parse_ops(o.ops);
	f.all_files |= o.all_files;
	return f;
}

// The kernel compares real paths (from dentries): a prefix that exists is
// resolved as the kernel will see it (symlinks in it followed).
std::vector<std::string> real_prefixes(const std::vector<std::string> &paths)
{
	std::vector<std::string> out;
	for (const auto &p : paths) {
		char buf[PATH_MAX];
		if (realpath(p.c_str(), buf)) {
			std::string n = normalize_prefix(buf);
			if (!n.empty()) {
				if (n != p)
					spdlog::info("path prefix {} is {} in the kernel's terms", p, n);
				out.push_back(n);
				continue;
			}
		}
		out.push_back(p);
	}
	return out;
}

bool tracepoint_exists(const std::string &name)
{
	struct stat st{};
	return stat(("/sys/kernel/tracing/events/syscalls/" + name).c_str(), &st) == 0 ||
	       stat(("/sys/kernel/debug/tracing/events/syscalls/" + name).c_str(), &st) == 0;
}

// Loads only the programs of wanted operations whose tracepoints exist;
// returns the operations that have programs.
uint32_t select_programs(trace_file *skel, uint32_t ops)
{
	uint32_t loaded = 0;
	bpf_program *prog;
	bpf_object__for_each_program(prog, skel->obj)
	{
		std::string name = bpf_program__name(prog), sys;
		if (name == "tf_exit_main")
			continue; // the shared handler, always loaded
		bool enter = name.rfind("tf_enter_", 0) == 0;
		if (enter)
			sys = name.substr(9);
		else if (name.rfind("tf_exit_", 0) == 0)
			sys = name.substr(8);
		else
			continue;
		auto op = syscall_op(sys);
		bool want = op && (ops & (1u << *op));
		if (want && !tracepoint_exists((enter ? "sys_enter_" : "sys_exit_") + sys)) {
			spdlog::debug("no tracepoint for {} on this kernel; not traced", sys);
			want = false;
		}
		bpf_program__set_autoload(prog, want);
		if (want)
			loaded |= 1u << *op;
	}
	return loaded;
}

// The CPUs this process may run on (the canary covers each).
std::vector<int> usable_cpus()
{
	std::vector<int> out;
	cpu_set_t set;
	CPU_ZERO(&set);
	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		for (int c = 0; c < CPU_SETSIZE && c < TF_CANARY_CPUS; c++)
			if (CPU_ISSET(c, &set))
				out.push_back(c);
	return out;
}

// Children, one pinned to each CPU, each making one failing syscall of every
// operation, over and over (see the canary in trace_file.bpf.c). Empty paths
// and fd -1 fail at once, touching nothing.
[[noreturn]] void canary_child(const std::vector<int> &cpus)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (;;) {
		for (int cpu : cpus) {
			pid_t kid = fork();
			if (kid > 0) {
				waitpid(kid, nullptr, 0);
				continue;
			}
			if (kid < 0)
				continue;
			cpu_set_t one;
			CPU_ZERO(&one);
			CPU_SET(cpu, &one);
			sched_setaffinity(0, sizeof(one), &one);
			char c;
			(void)!openat(AT_FDCWD, "", O_RDONLY);
			(void)!read(-1, &c, 1);
			(void)!write(-1, &c, 1);
			(void)!close(-1);
			(void)!unlink("");
			(void)!rename("", "");
			(void)!mkdir("", 0);
			(void)!rmdir("");
			(void)!chmod("", 0);
			(void)!chown("", uid_t(-1), gid_t(-1));
			(void)!truncate("", 0);
			(void)!link("", "");
			(void)!symlink("", "");
			_exit(0);
		}
		usleep(2000);
	}
}

// A tracepoint program does not run everywhere the moment its attach returns
// (on the 6.18 host: at once on one CPU, ~0.5 s later on the other). The
// canary proves each loaded operation's entry and exit programs run on every
// CPU before trace-file says it is tracing, so nothing a caller does after
// "ready" is missed.
class Canary {
public:
	explicit Canary(trace_file *skel) : skel_(skel), cpus_(usable_cpus())
	{
		child_ = fork();
		if (child_ < 0)
			throw Error(Errc::io, "fork the readiness canary", errno);
		if (child_ == 0)
			canary_child(cpus_);
		skel_->bss->canary_pid = uint32_t(child_);
	}
	Canary(const Canary &) = delete;
	Canary &operator=(const Canary &) = delete;
	~Canary() { stop(); }
	void wait(uint32_t ops)
	{
		auto t0 = std::chrono::steady_clock::now();
		auto deadline = t0 + std::chrono::seconds(10);
		auto missing = [&] {
			std::string m;
			for (int c : cpus_) {
				uint32_t in = __atomic_load_n(&skel_->bss->canary_enter[c], __ATOMIC_RELAXED);
				uint32_t out = __atomic_load_n(&skel_->bss->canary_exit[c], __ATOMIC_RELAXED);
				if ((in & ops) != ops || (out & ops) != ops)
					m += fmt::format(" cpu{}(entry {:#x}, exit {:#x})", c, in & ops, out & ops);
			}
			return m;
		};
		std::string m;
		while (!(m = missing()).empty() && std::chrono::steady_clock::now() < deadline)
			usleep(5000);
		if (!m.empty())
			spdlog::warn("not every program ran within 10 s (of {:#x}:{}); tracing anyway", ops, m);
		spdlog::debug("programs running on {} CPUs after {} ms", cpus_.size(),
			      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
				      .count());
		stop();
	}

private:
	void stop()
	{
		if (child_ <= 0)
			return;
		skel_->bss->canary_pid = 0;
		kill(child_, SIGKILL);
		waitpid(child_, nullptr, 0);
		child_ = -1;
	}
	trace_file *skel_;
	std::vector<int> cpus_;
	pid_t child_ = -1;
};

class ExeCache {
public:
	std::string get(const FileEvent &e)
	{
		uint32_t pid = e.subject.pid;
		if (e.exe) {
			map_[pid] = *e.exe;
			return *e.exe;
		}
		auto it = map_.find(pid);
		if (it != map_.end())
			return it->second;
		// Events lost before this one carried it: ask /proc (empty when gone).
		char buf[PATH_MAX];
		ssize_t n = readlink(fmt::format("/proc/{}/exe", pid).c_str(), buf, sizeof(buf) - 1);
		std::string exe = n > 0 ? std::string(buf, size_t(n)) : std::string();
		map_[pid] = exe;
		return exe;
	}
	void trim()
	{
		if (map_.size() > 65536)
			map_.clear();
	}

private:
	std::unordered_map<uint32_t, std::string> map_;
};

enum class Outcome { stopped, reload };

Outcome trace(const Options &o, const FileFilter &filter, Notifier &notifier, const std::string &rules_text)
{
	auto skel = Skeleton<trace_file>::open(kTool);
	auto &ro = *skel->rodata;
	ro.self_pid = uint32_t(getpid());
	filter.process.store(ro.kw_pf);
	ro.all_files = filter.all_files;
	auto prefixes = real_prefixes(filter.paths);
	ro.n_prefixes = uint32_t(prefixes.size());
	check_bpf(bpf_map__set_max_entries(skel->maps.events, uint32_t(o.ring_mb) * 1024 * 1024),
		  "size the ring buffer");
	uint32_t loaded_ops = select_programs(skel.get(), filter.ops);
	skel.load();
	{
		uint32_t zero = 0;
		int fd = bpf_program__fd(skel->progs.tf_exit_main);
		check_bpf(bpf_map__update_elem(skel->maps.exit_handler, &zero, sizeof(zero), &fd, sizeof(fd), BPF_ANY),
			  "install the exit handler");
	}
	for (uint32_t i = 0; i < prefixes.size(); i++) {
		tf_prefix t = encode_prefix(prefixes[i]);
		check_bpf(bpf_map__update_elem(skel->maps.prefixes, &i, sizeof(i), &t, sizeof(t), BPF_ANY),
			  "store the path prefixes");
	}
	{
		Canary canary(skel.get());
		skel.attach();
		canary.wait(loaded_ops);
	}
	// Even then, on the 6.18 host processes started in the next ~0.5 s were
	// sometimes not traced at all (per process, all or nothing; the kernel
	// mechanism is not identified). Settle before saying "tracing".
	usleep(kSettleMs * 1000);

	auto sink = make_sink(o.common.output_kind(), kTool);
	BootClock clock;
	CgroupResolver cgroups;
	LostCounter lost(skel->maps.kw_lost);
	ExeCache exes;
	FileTop top;
	uint64_t events = 0, malformed = 0;
	bool text = o.common.output_kind() == Output::text;
	if (text && !o.summary) {
		fmt::print("{}\n", text_header());
		fflush(stdout);
	}

	RingBuffer rb;
	rb.add(skel->maps.events, [&](std::span<const std::byte> data) {
		auto e = decode_file_event(data);
		if (!e) {
			malformed++;
			return;
		}
		events++;
		std::string exe = exes.get(*e);
		if (o.summary) {
			top.add(*e);
			return;
		}
		Record r = file_record(*e, clock.to_realtime_usec(e->boot_ns), exe, cgroups.unit(e->subject.cgroup_id));
		sink->write(r);
	});

	auto started = std::chrono::steady_clock::now();
	auto last_summary = started;
	bool reload = false;
	unsigned ticks = 0;
	EventLoop *loop_ptr = nullptr;
	auto emit_summary = [&] {
		auto now_us = BootClock::now_realtime_usec();
		if (text) {
			std::string t = format_time(now_us);
			fmt::print("\n{}", top.render(size_t(o.top), t.substr(0, 19)));
			fflush(stdout);
			return;
		}
		for (const auto &row : top.top(size_t(o.top))) {
			Record r("file_top", kFileTopMessageId, 6);
			r.realtime_usec = now_us;
			r.message = fmt::format("{} ops ({} reads {}, {} writes {}) on {}", row.ops(), row.reads,
						human_bytes(row.read_bytes), row.writes, human_bytes(row.write_bytes),
						row.path);
			r.add("path", row.path).add("ops", int64_t(row.ops())).add("opens", int64_t(row.opens));
			r.add("reads", int64_t(row.reads)).add("writes", int64_t(row.writes));
			r.add("other_ops", int64_t(row.others)).add("bytes_read", int64_t(row.read_bytes));
			r.add("bytes_written", int64_t(row.write_bytes)).add("failures", int64_t(row.failures));
			r.add("interval_s", int64_t(o.interval));
			r.add("subject_pid", row.last_pid).add("subject_comm", row.last_comm);
			sink->write(r);
		}
		top.clear();
		sink->flush();
	};
	EventLoop loop(rb, notifier,
		       {.reload =
				[&] {
					if (o.common.rules.empty()) {
						spdlog::info("SIGHUP: no --rules file; nothing to reload");
						return;
					}
					FileFilter next = effective_filter(o); // throws: the old filter stays
					if (next.describe() == filter.describe()) {
						spdlog::info("SIGHUP: filter unchanged ({})", filter.describe());
						return;
					}
					spdlog::info("SIGHUP: new filter: {}", next.describe());
					reload = true;
					loop_ptr->stop();
				},
			.tick =
				[&] {
					rb.consume();
					if (++ticks % (1000 / TF_DRAIN_MS))
						return; // housekeeping once a second
					lost.report("file events");
					clock.refresh();
					exes.trim();
					sink->flush();
					auto now = std::chrono::steady_clock::now();
					if (o.summary && now - last_summary >= std::chrono::seconds(o.interval)) {
						emit_summary();
						last_summary = now;
					}
					if (o.duration && now - started >= std::chrono::seconds(o.duration))
						loop_ptr->stop();
				}},
		       std::chrono::milliseconds(TF_DRAIN_MS));
	loop_ptr = &loop;
	(void)rules_text;
	spdlog::info("tracing {}", filter.describe());
	notifier.ready("tracing " + filter.describe());
	loop.run();
	if (o.summary && top.events())
		emit_summary();
	sink->flush();
	auto total_lost = lost.total();
	spdlog::info("{} file events received, {} lost", events, total_lost);
	if (malformed)
		spdlog::warn("{} malformed events ignored", malformed);
	return reload ? Outcome::reload : Outcome::stopped;
}

int run(const Options &o)
{
	FileFilter filter = effective_filter(o);
	if (o.common.check) {
		fmt::print("trace-file filter: {}\n", filter.describe());
		fmt::print("  ops: {}\n", ops_string(filter.ops));
		for (const auto &p : filter.paths) {
			auto t = encode_prefix(p);
			fmt::print("  path prefix: {} ({} bytes)\n", p, t.len);
		}
		return 0;
	}
	if ((o.ring_mb & (o.ring_mb - 1)) != 0)
		throw Error(Errc::usage, "--ring-mb must be a power of two");
	setup_logging(kTool, o.common.log_level);
	Features::require(Features::btf(), kTool);
	Features::require(Features::tracefs(), kTool);
	Notifier notifier;
	while (trace(o, filter, notifier, "") == Outcome::reload)
		filter = effective_filter(o);
	return 0;
}

} // namespace

int main(int argc, char **argv)
{
	Options o;
	CLI::App app{"trace-file: trace file operations with full absolute paths, flags, bytes, results and latency"};
	app.footer("Operations: open read write close unlink rename mkdir rmdir chmod chown truncate link symlink.\n"
		   "Examples:\n"
		   "  sudo trace-file                              every file operation, one line each\n"
		   "  sudo trace-file --path /etc --ops open,unlink,rename\n"
		   "  sudo trace-file --pid 1234 --failed          failures of pid 1234 and its children\n"
		   "  sudo trace-file -o json --comm nginx > ops.jsonl\n"
		   "  sudo trace-file --summary --interval 5       top files by operations and bytes\n"
		   "  sudo trace-file -o journal --rules /etc/kwarden/trace-file.yaml   (the service)\n"
		   "Exit codes: 0 ok, 2 usage, 3 invalid config, 4 kernel unsupported, 5 BPF error, 6 I/O error.");
	add_rules_options(app, o.common, "YAML filter config (keys: pid, uid, comm, paths, ops, failed, all_files); flags override it");
	add_output_options(app, o.common);
	o.process.add_to(app, "operations", "by processes with this command name");
	app.add_option("--path,-P", o.paths, "only paths under this prefix (repeatable, at most 8; compared by whole components)");
	app.add_option("--ops", o.ops, "comma-separated operations to trace (default all)");
	app.add_flag("--all-files,-a", o.all_files, "read/write/close on pipes, sockets and devices too (default: regular files)");
	app.add_flag("--summary,-s", o.summary, "print a top of files by operations and bytes per interval instead of events");
	app.add_option("--interval,-i", o.interval, "seconds per --summary interval")->check(decimal_in(1, 3600))->capture_default_str();
	app.add_option("--top", o.top, "rows per --summary table")->check(decimal_in(1, 10000))->capture_default_str();
	app.add_option("--ring-mb", o.ring_mb, "ring buffer size in MiB (power of two)")->check(decimal_in(1, 1024))->capture_default_str();
	app.add_option("--duration,-d", o.duration, "stop after this many seconds (0: run until SIGINT/SIGTERM)")->check(decimal_in(0, 86400 * 365));
	return run_tool(kTool, app, argc, argv, [&] { return run(o); });
}
