// trace-exec: every exec on the system, with argv, result and ancestry.
#include "trace_exec.h"

#include "boot_clock.h"
#include "cli.h"
#include "errors.h"
#include "event_loop.h"
#include "exec_filter.h"
#include "exec_record.h"
#include "exec_tree.h"
#include "kernel_features.h"
#include "log.h"
#include "lost_counter.h"
#include "notifier.h"
#include "proc_table.h"
#include "process_filter_options.h"
#include "skeleton.h"
#include "subject.h"
#include "trace_exec.skel.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

using namespace kw;
using namespace kw::texec;

namespace {

constexpr const char *kTool = "trace-exec";

struct Options {
	CommonOptions common;
	ProcessFilterOptions process;
	bool tree = false;
};

ProcessFilter effective_filter(const Options &o)
{
	ProcessFilter f = o.common.rules.empty() ? ProcessFilter{} : load_exec_filter(o.common.rules);
	o.process.apply(f);
	return f;
}

int run(const Options &o)
{
	ProcessFilter filter = effective_filter(o);
	if (o.common.check) {
		fmt::print("trace-exec filter: {}\n", describe_exec_filter(filter));
		return 0;
	}
	setup_logging(kTool, o.common.log_level);
	Features::require(Features::btf(), kTool);
	Features::require(Features::tracefs(), kTool);

	auto skel = Skeleton<trace_exec>::open(kTool);
	filter.store(skel->rodata->kw_pf);
	skel.load();

	ProcTable procs(skel->maps.kw_procs);
	skel.attach(); // the table follows forks from here on; seeding after leaves no gap
	int seeded = procs.seed();
	spdlog::debug("process table seeded with {} processes", seeded);

	auto sink = make_sink(o.common.output_kind(), kTool);
	SubjectDescriber subjects(procs);
	BootClock clock;
	ExecTree tree;
	LostCounter lost(skel->maps.kw_lost);

	RingBuffer rb;
	rb.add(skel->maps.events, [&](std::span<const std::byte> data) {
		if (data.size() < sizeof(te_event))
			return;
		const auto &ev = *reinterpret_cast<const te_event *>(data.data());
		ExecInfo x = decode_exec(ev);
		auto chain = subjects.chain(x.subject);
		if (o.tree && o.common.output_kind() == Output::text) {
			std::string what = x.retval < 0 ? fmt::format("FAILED {} {}", failure_name(x.retval), x.filename)
							: join_argv(x.argv);
			fmt::print("{}\n", tree.add(chain, what));
			return;
		}
		auto ancestry = format_chain(chain);
		Record r = exec_record(x, clock.to_realtime_usec(x.boot_ns), ancestry);
		subjects.describe(r, x.subject, ancestry);
		sink->write(r);
	});

	Notifier notifier;
	EventLoop loop(rb, notifier,
		       {.reload = nullptr,
			.tick =
				[&] {
					lost.report("exec events");
					clock.refresh();
					sink->flush();
				}});
	spdlog::info("tracing execs: {}", describe_exec_filter(filter));
	notifier.ready("tracing " + describe_exec_filter(filter));
	loop.run();
	sink->flush();
	if (auto n = lost.total())
		spdlog::warn("{} exec events lost in total", n);
	return 0;
}

} // namespace

int main(int argc, char **argv)
{
	Options o;
	CLI::App app{"trace-exec: trace every exec on the system with its argv, result and ancestry"};
	app.footer("Examples:\n"
		   "  sudo trace-exec                      every exec, one line each\n"
		   "  sudo trace-exec --tree --pid 1234    exec tree below pid 1234\n"
		   "  sudo trace-exec --failed -o json     failed execs as JSON lines\n"
		   "  sudo trace-exec -o journal           to journald; read with journalctl -t trace-exec\n"
		   "Exit codes: 0 ok, 2 usage, 3 invalid config, 4 kernel unsupported, 5 BPF error, 6 I/O error.");
	add_rules_options(app, o.common, "YAML filter config (keys: pid, uid, comm, failed); flags override it");
	add_output_options(app, o.common);
	o.process.add_to(app, "execs", "whose new command name is this");
	app.add_flag("--tree,-t", o.tree, "print the exec tree as it grows (text output)");
	return run_tool(kTool, app, argc, argv, [&] { return run(o); });
}
