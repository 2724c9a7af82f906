#include "guard.h"

#include "errors.h"
#include "file_identity.h"
#include "kernel_path.h"
#include "pinning.h"

#include <bpf/bpf.h>
#include <cstring>
#include <ctime>
#include <optional>
#include <fmt/format.h>
#include <sys/stat.h>
#include <syslog.h>

namespace kw {

namespace {
constexpr std::string_view kPrefix = "kw_guard_";

uint64_t boot_ns()
{
	timespec ts{};
	clock_gettime(CLOCK_BOOTTIME, &ts);
	return uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
}

bpf_map *find_map(bpf_object *obj, const char *name)
{
	bpf_map *m = bpf_object__find_map_by_name(obj, name);
	if (!m)
		throw Error(Errc::kernel, fmt::format("the BPF object has no {} map (guard.bpf.h not included)", name));
	return m;
}

// The kernel's id of the map, program or link behind `fd`.
template <typename Info, typename Get> std::optional<uint32_t> id_of(int fd, Get get)
{
	Info info{};
	uint32_t len = sizeof(info);
	if (fd < 0 || get(fd, &info, &len))
		return std::nullopt;
	return info.id;
}

FileId stat_id(const std::string &path)
{
	struct stat st{};
	if (stat(path.c_str(), &st))
		throw Error(Errc::io, "stat " + path, errno);
	return {kernel_dev(st.st_dev), st.st_ino};
}
} // namespace

const char *const kTamperMessageId = "5cf61232fbce45b793226394f65ed123";

bool Guard::is_guard_program(const bpf_program *prog)
{
	return std::string_view(bpf_program__name(prog)).starts_with(kPrefix);
}

void Guard::leave_out(bpf_object *obj)
{
	bpf_program *prog;
	bpf_object__for_each_program(prog, obj)
	{
		if (is_guard_program(prog))
			bpf_program__set_autoload(prog, false);
	}
}

std::vector<bpf_map *> Guard::pinned_maps(bpf_object *obj)
{
	return {find_map(obj, "kw_guard_cfg"), find_map(obj, "kw_guard_objs")};
}

Guard::Guard(bpf_object *obj, Mode mode) : obj_(obj)
{
	cfg_.mode = mode == Mode::enforce ? KW_MODE_ENFORCE : KW_MODE_AUDIT;
}

void Guard::put_obj(uint32_t kind, uint32_t dev, uint64_t id)
{
	kw_guard_obj k{kind, dev, id};
	uint8_t one = 1;
	check_bpf(bpf_map_update_elem(bpf_map__fd(find_map(obj_, "kw_guard_objs")), &k, &one, BPF_ANY),
		  "write kw_guard_objs");
}

void Guard::write_cfg()
{
	uint32_t zero = 0;
	check_bpf(bpf_map_update_elem(bpf_map__fd(find_map(obj_, "kw_guard_cfg")), &zero, &cfg_, BPF_ANY),
		  "write kw_guard_cfg");
}

void Guard::arm(const PinDir &pins, std::chrono::microseconds stale)
{
	// Ids of a previous daemon's programs are left: they are gone once its
	// links close, and ids are not reused soon.
	bpf_map *m;
	bpf_object__for_each_map(m, obj_)
	{
		if (auto id = id_of<bpf_map_info>(bpf_map__fd(m), bpf_map_get_info_by_fd))
			put_obj(KW_GUARD_MAP, 0, *id);
	}
	bpf_program *p;
	bpf_object__for_each_program(p, obj_)
	{
		if (auto id = id_of<bpf_prog_info>(bpf_program__fd(p), bpf_prog_get_info_by_fd))
			put_obj(KW_GUARD_PROG, 0, *id);
	}
	FileId dir = stat_id(pins.path()), root = stat_id(pins.path() + "/..");
	put_obj(KW_GUARD_INODE, uint32_t(dir.dev), dir.ino);
	put_obj(KW_GUARD_INODE, uint32_t(root.dev), root.ino);
	FileId exe = stat_id("/proc/self/exe");
	cfg_.exe_dev = exe.dev;
	cfg_.exe_ino = exe.ino;
	cfg_.bpffs_dev = uint32_t(dir.dev);
	cfg_.stale_ns = uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(stale).count());
	cfg_.heartbeat_ns = boot_ns();
	cfg_.armed = 1;
	write_cfg();
}

std::vector<Link> Guard::attach(const PinDir &pins, int &adopted)
{
	return attach_and_pin(obj_, pins, adopted, is_guard_program);
}

void Guard::protect(const std::vector<Link> &links)
{
	for (auto &l : links) {
		if (auto id = l ? id_of<bpf_link_info>(bpf_link__fd(l.get()), bpf_link_get_info_by_fd) : std::nullopt)
			put_obj(KW_GUARD_LINK, 0, *id);
	}
}

void Guard::heartbeat()
{
	cfg_.heartbeat_ns = boot_ns();
	write_cfg();
}

bpf_map *Guard::events() const { return find_map(obj_, "kw_guard_events"); }

const char *tamper_name(uint32_t what)
{
	switch (what) {
	case KW_TAMPER_MAP_FD: return "map-fd";
	case KW_TAMPER_PROG_FD: return "prog-fd";
	case KW_TAMPER_LINK_FD: return "link-fd";
	case KW_TAMPER_LINK_DETACH: return "link-detach";
	case KW_TAMPER_LINK_UPDATE: return "link-update";
	case KW_TAMPER_PIN_UNLINK: return "pin-unlink";
	case KW_TAMPER_PIN_RENAME: return "pin-rename";
	case KW_TAMPER_PIN_SETATTR: return "pin-setattr";
	case KW_TAMPER_UMOUNT: return "umount";
	case KW_TAMPER_SIGNAL: return "signal";
	case KW_TAMPER_PTRACE: return "ptrace";
	}
	return "unknown";
}

namespace {
std::string target_text(const kw_guard_event &e)
{
	std::string name(e.name, strnlen(e.name, sizeof(e.name)));
	switch (e.what) {
	case KW_TAMPER_MAP_FD: return fmt::format("map id {}", e.target);
	case KW_TAMPER_PROG_FD: return fmt::format("program id {}", e.target);
	case KW_TAMPER_LINK_FD:
	case KW_TAMPER_LINK_DETACH:
	case KW_TAMPER_LINK_UPDATE: return fmt::format("link id {}", e.target);
	case KW_TAMPER_PIN_UNLINK:
	case KW_TAMPER_PIN_RENAME:
	case KW_TAMPER_PIN_SETATTR: return fmt::format("pin {} (inode {})", name, e.target);
	case KW_TAMPER_UMOUNT: return "the bpffs holding the pins";
	case KW_TAMPER_SIGNAL: return fmt::format("the daemon (pid {}), signal {}", e.target, e.sig);
	case KW_TAMPER_PTRACE: return fmt::format("the daemon (pid {})", e.target);
	}
	return fmt::format("{}", e.target);
}
} // namespace

Record tamper_record(const kw_guard_event &e, int64_t realtime_usec)
{
	bool refused = e.mode == KW_MODE_ENFORCE;
	Record r("tamper", kTamperMessageId, refused ? LOG_ALERT : LOG_WARNING);
	std::string exe = decode_path(e.exe);
	std::string comm(e.subject.comm, strnlen(e.subject.comm, sizeof(e.subject.comm)));
	r.message = fmt::format("{} {} on {} by {} ({}, pid {}, uid {})", refused ? "refused" : "recorded (guard in audit mode)",
				tamper_name(e.what), target_text(e), exe, comm, e.subject.pid, e.subject.uid);
	r.realtime_usec = realtime_usec;
	r.add("tamper", tamper_name(e.what));
	r.add("decision", refused ? "deny" : "audit");
	r.add("target", target_text(e));
	if (e.what == KW_TAMPER_SIGNAL)
		r.add("signal", int64_t(e.sig));
	r.add("subject_exe", exe);
	r.add("subject_pid", int64_t(e.subject.pid));
	r.add("subject_uid", int64_t(e.subject.uid));
	r.add("subject_comm", comm);
	r.object_pid = int(e.subject.pid);
	return r;
}

} // namespace kw
