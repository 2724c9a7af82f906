#include "guard.h"

#include "errors.h"
#include "file_identity.h"
#include "guard_inventory.h"
#include "kernel_path.h"
#include "pinning.h"
#include "unique_fd.h"

#include <algorithm>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <cstring>
#include <filesystem>
#include <ctime>
#include <optional>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
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

void Guard::fit_kernel(bpf_object *obj)
{
	// inode_setattr(idmap, dentry, attr) since Linux 6.3, (dentry, attr)
	// before: the kernel's BTF says which.
	bool idmap = false;
	if (btf *vmlinux = btf__load_vmlinux_btf()) {
		idmap = btf__find_by_name_kind(vmlinux, "mnt_idmap", BTF_KIND_STRUCT) > 0;
		btf__free(vmlinux);
	}
	bpf_program *prog;
	bpf_object__for_each_program(prog, obj)
	{
		std::string_view name = bpf_program__name(prog);
		if (name == "kw_guard_inode_setattr" && !idmap)
			bpf_program__set_autoload(prog, false);
		if (name == "kw_guard_inode_setattr_noidmap" && idmap)
			bpf_program__set_autoload(prog, false);
	}
}

std::vector<bpf_map *> Guard::pinned_maps(bpf_object *obj)
{
	return {find_map(obj, "kw_guard_cfg"), find_map(obj, "kw_guard_objs")};
}

Guard::Guard(bpf_object *obj, Mode mode) : obj_(obj)
{
	uint32_t zero = 0;
	kw_guard_cfg prev{};
	if (!bpf_map_lookup_elem(bpf_map__fd(find_map(obj_, "kw_guard_cfg")), &zero, &prev) && prev.armed)
		previous_ = prev;
	cfg_.mode = mode == Mode::enforce ? KW_MODE_ENFORCE : KW_MODE_AUDIT;
}

std::optional<std::chrono::nanoseconds> Guard::previous_silence() const
{
	if (!previous_)
		return std::nullopt;
	return std::chrono::nanoseconds(boot_ns() - previous_->heartbeat_ns);
}

void Guard::put_obj(uint32_t kind, uint32_t dev, uint64_t id, uint8_t scope)
{
	kw_guard_obj k{kind, dev, id};
	check_bpf(bpf_map_update_elem(bpf_map__fd(find_map(obj_, "kw_guard_objs")), &k, &scope, BPF_ANY),
		  "write kw_guard_objs");
}

void Guard::write_cfg()
{
	uint32_t zero = 0;
	check_bpf(bpf_map_update_elem(bpf_map__fd(find_map(obj_, "kw_guard_cfg")), &zero, &cfg_, BPF_ANY),
		  "write kw_guard_cfg");
}

void Guard::arm(const PinDir &pins, const std::string &socket, std::chrono::microseconds stale)
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
	put_obj(KW_GUARD_INODE, uint32_t(dir.dev), dir.ino, KW_GUARD_SELF | KW_GUARD_ENTRIES);
	put_obj(KW_GUARD_INODE, uint32_t(root.dev), root.ino, KW_GUARD_SELF);
	// Without its socket, `<tool> stop` could not reach the daemon, and a
	// second daemon would not see this one running.
	FileId sock = stat_id(socket), run = stat_id(std::filesystem::path(socket).parent_path());
	put_obj(KW_GUARD_INODE, uint32_t(sock.dev), sock.ino, KW_GUARD_SELF);
	put_obj(KW_GUARD_INODE, uint32_t(run.dev), run.ino, KW_GUARD_SELF);
	load_nss_modules();
	add_code();
	auto cg = cgroup_stop_files();
	for (auto &f : cg.files)
		put_obj(KW_GUARD_INODE, uint32_t(f.dev), f.ino, KW_GUARD_SELF);
	if (cg.files.empty())
		spdlog::warn("guard: no cgroup v2 cgroup.kill/cgroup.freeze/memory.max found: they are not guarded");
	FileId exe = stat_id("/proc/self/exe");
	mark_predating(exe);
	cfg_.exe_dev = exe.dev;
	cfg_.exe_ino = exe.ino;
	cfg_.bpffs_dev = uint32_t(dir.dev);
	cfg_.cgroup_dev = uint32_t(cg.dev);
	cfg_.run_dev = uint32_t(sock.dev);
	cfg_.stale_ns = uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(stale).count());
	cfg_.heartbeat_ns = boot_ns();
	cfg_.armed = 1;
	write_cfg();
}

void Guard::mark_predating(const FileId &exe)
{
	// They may have been traced, and code written into them, before the
	// guard could see it: not kwarden, whatever they map.
	int fd = bpf_map__fd(find_map(obj_, "kw_guard_exec"));
	uint32_t predates = KW_GUARD_PREDATES;
	for (pid_t pid : processes_running(exe)) {
		UniqueFd pidfd(int(syscall(SYS_pidfd_open, pid, 0)));
		int key = pidfd.get();
		if (key < 0)
			continue; // it exited
		if (bpf_map_update_elem(fd, &key, &predates, BPF_ANY))
			spdlog::warn("guard: cannot mark pid {} (started before the guard) untrusted: {}", pid,
				     strerror(errno));
		else
			spdlog::info("guard: pid {} runs this executable and started before the guard: not trusted", pid);
	}
}

std::vector<Link> Guard::attach(const PinDir &pins, int &adopted)
{
	return attach_and_pin(obj_, pins, adopted, is_guard_program);
}

void Guard::protect(const std::vector<Link> &links)
{
	for (auto &l : links)
		protect(l);
}

void Guard::protect(const Link &l)
{
	if (auto id = l ? id_of<bpf_link_info>(bpf_link__fd(l.get()), bpf_link_get_info_by_fd) : std::nullopt)
		put_obj(KW_GUARD_LINK, 0, *id);
}

void Guard::forget(const Link &l)
{
	if (auto id = l ? id_of<bpf_link_info>(bpf_link__fd(l.get()), bpf_link_get_info_by_fd) : std::nullopt) {
		kw_guard_obj k{KW_GUARD_LINK, 0, *id};
		bpf_map_delete_elem(bpf_map__fd(find_map(obj_, "kw_guard_objs")), &k);
	}
}

void Guard::add_code()
{
	for (auto &f : code_files()) {
		if (std::find(code_.begin(), code_.end(), f) != code_.end())
			continue;
		put_obj(KW_GUARD_CODE, uint32_t(f.dev), f.ino);
		code_.push_back(f);
	}
}

void Guard::heartbeat()
{
	// A library the daemon loaded since (an NSS module) is its own code:
	// the daemon must stay trusted to remove its pins at stop.
	add_code();
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
	case KW_TAMPER_CGROUP: return "cgroup";
	case KW_TAMPER_RLIMIT: return "rlimit";
	case KW_TAMPER_SIGIO: return "sigio";
	case KW_TAMPER_OOM_SCORE: return "oom-score";
	}
	return "unknown";
}

const char *untrusted_name(uint32_t why)
{
	switch (why) {
	case KW_GUARD_TRUSTED: return "trusted";
	case KW_GUARD_FOREIGN_CODE: return "foreign-code";
	case KW_GUARD_TRACED: return "traced";
	case KW_GUARD_NOT_KWARDEN: return "other-executable";
	case KW_GUARD_PREDATES: return "predates-guard";
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
	case KW_TAMPER_CGROUP: return fmt::format("the daemon's {} (inode {})", name, e.target);
	case KW_TAMPER_RLIMIT: return fmt::format("the daemon (pid {}), resource limit {}", e.target, e.sig);
	case KW_TAMPER_SIGIO: return fmt::format("the daemon (pid {}), signal {} as SIGIO", e.target, e.sig);
	case KW_TAMPER_OOM_SCORE: return fmt::format("the daemon's {} (pid {})", name, e.target);
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
	// The subject runs kwarden's own executable but is not trusted: say why.
	std::string why;
	if (e.untrusted == KW_GUARD_FOREIGN_CODE)
		why = fmt::format(", running kwarden's executable with foreign code {}",
				  std::string(e.name, strnlen(e.name, sizeof(e.name))));
	else if (e.untrusted == KW_GUARD_TRACED)
		why = ", running kwarden's executable under a tracer";
	else if (e.untrusted == KW_GUARD_PREDATES)
		why = ", running kwarden's executable since before the guard was armed";
	r.message = fmt::format("{} {} on {} by {} ({}, pid {}, uid {}{})",
				refused ? "refused" : "recorded (guard in audit mode)", tamper_name(e.what), target_text(e),
				exe, comm, e.subject.pid, e.subject.uid, why);
	r.realtime_usec = realtime_usec;
	r.add("tamper", tamper_name(e.what));
	r.add("decision", refused ? "deny" : "audit");
	r.add("target", target_text(e));
	if (e.what == KW_TAMPER_SIGNAL || e.what == KW_TAMPER_SIGIO)
		r.add("signal", int64_t(e.sig));
	if (e.what == KW_TAMPER_RLIMIT)
		r.add("resource", int64_t(e.sig));
	r.add("subject_exe", exe);
	r.add("untrusted", untrusted_name(e.untrusted));
	return r;
}

} // namespace kw
