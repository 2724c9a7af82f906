// Writes the decoder targets' seeds: well-formed kernel events, as the BPF
// programs fill them, one file per event named by an FNV-1a hash of its
// bytes. Run by `script/fuzz.sh --seeds`:
//   fuzz_seed_events <corpus dir>
// Starting from whole events saves the fuzzer from discovering each layout's
// size byte by byte.
#include "exec_record.h"
#include "frtp_record.h"
#include "fuzz.h"
#include "net_filter_record.h"
#include "rm_forbid_record.h"
#include "trace_file_record.h"

#include <cstring>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <string_view>
#include <vector>

namespace fs = std::filesystem;

namespace {

using Bytes = std::vector<uint8_t>;

template <typename T> Bytes bytes_of(const T &v, size_t n = sizeof(T))
{
	Bytes b(n);
	std::memcpy(b.data(), &v, n);
	return b;
}

void save(const fs::path &dir, const Bytes &b)
{
	fs::create_directories(dir);
	std::string s(b.begin(), b.end());
	std::ofstream(dir / fmt::format("{:016x}", kw::fuzz::name_hash(s)), std::ios::binary) << s;
}

// "/etc/shadow" -> leaf-first components, each NUL-terminated, as the kernel walks.
void set_path(kw_path &p, std::string_view path, uint8_t flags = 0)
{
	std::string buf;
	size_t end = path.size();
	while (end > 0) {
		size_t start = path.rfind('/', end - 1);
		buf += path.substr(start + 1, end - start - 1);
		buf += '\0';
		p.depth++;
		end = start;
	}
	std::memcpy(p.buf, buf.data(), buf.size());
	p.len = uint16_t(buf.size());
	p.flags = flags;
}

kw_subject subject(uint32_t pid, uint32_t uid, const char *comm)
{
	kw_subject s{};
	s.cgroup_id = 7001;
	s.pid = s.tid = pid;
	s.ppid = 1;
	s.uid = s.gid = uid;
	s.auid = uint32_t(-1);
	std::strncpy(s.comm, comm, sizeof(s.comm) - 1);
	return s;
}

void frtp_events(const fs::path &dir)
{
	for (uint8_t decision : {FRTP_D_ALLOW, FRTP_D_DENY, FRTP_D_WOULD_DENY, FRTP_D_AUDIT}) {
		frtp_event e{};
		e.boot_ns = 123456789000;
		e.subject = subject(4242, 1000, "cat");
		e.gen = decision & 1;
		e.rule = decision == FRTP_D_AUDIT ? FRTP_RULE_DEFAULT : 0;
		e.op = FRTP_OP_READ;
		e.decision = decision;
		e.action = decision == FRTP_D_AUDIT ? FRTP_AUDIT : FRTP_DENY;
		set_path(e.path, "/etc/shadow");
		set_path(e.exe, "/usr/bin/cat", decision == FRTP_D_WOULD_DENY ? KW_PATH_DELETED : 0);
		save(dir, bytes_of(e));
	}
}

void rm_forbid_events(const fs::path &dir)
{
	for (uint32_t op : {RF_OP_UNLINK, RF_OP_RENAME_OVER, RF_OP_RENAME_AWAY}) {
		rf_event e{};
		e.boot_ns = 99000000000;
		e.subject = subject(777, 0, "rm");
		e.dev = 8u << 20 | 1;
		e.ino = 131;
		e.op = op;
		e.decision = op == RF_OP_UNLINK ? RF_DENIED : RF_AUDITED;
		e.use = RF_USE_WRITE | RF_USE_MAPPED;
		e.refs = 2;
		e.nlink = 1;
		set_path(e.path, "/srv/data/db.sqlite");
		if (op != RF_OP_UNLINK)
			set_path(e.newpath, "/srv/data/db.old");
		set_path(e.exe, "/usr/bin/rm");
		save(dir, bytes_of(e));
	}
}

void net_filter_events(const fs::path &dir)
{
	for (int family : {4, 6}) {
		nf_event e{};
		e.boot_ns = 5000000000;
		e.rule = family == 4 ? 0 : NF_NO_RULE;
		e.len = 60;
		e.dir = NF_DIR_INGRESS;
		e.action = NF_ACT_DROP;
		e.family = uint8_t(family);
		e.proto = 6;
		e.has_owner = family == 4 ? 3 : 0;
		e.dropped = 1;
		e.sport = 40000;
		e.dport = 22;
		e.gen = 1;
		e.sk_uid = 1000;
		e.src[0] = 10, e.src[3] = 1, e.dst[0] = 10, e.dst[3] = 2;
		std::strcpy(e.ifname, "eth0");
		e.owner.pid = 4242;
		std::strcpy(e.owner.comm, "sshd");
		Bytes b{0}; // even first byte: the `events` ring buffer
		auto ev = bytes_of(e);
		b.insert(b.end(), ev.begin(), ev.end());
		save(dir, b);
	}
	auto c = std::make_unique<nf_capture>();
	c->boot_ns = 5000000000;
	const uint8_t ip[] = {0x45, 0, 0, 28, 0, 0, 0, 0, 64, 1, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, 8, 0, 0, 0, 0, 1, 0, 1};
	std::memcpy(c->data, ip, sizeof(ip));
	c->caplen = c->len = sizeof(ip);
	for (size_t n : {offsetof(nf_capture, data) + sizeof(ip), sizeof(nf_capture)}) {
		Bytes b{1}; // odd: `captures`
		auto cap = bytes_of(*c, n);
		b.insert(b.end(), cap.begin(), cap.end());
		save(dir, b);
	}
}

void exec_events(const fs::path &dir)
{
	for (int32_t ret : {0, -2}) {
		te_event e{};
		e.boot_ns = 7000000000;
		e.subject = subject(5000, 1000, "bash");
		e.retval = ret;
		const char args[] = "ls\0-l\0/tmp";
		std::memcpy(e.args, args, sizeof(args));
		e.args_len = sizeof(args) - 1;
		e.argc = 3;
		std::strcpy(e.filename, "/bin/ls");
		if (ret == 0)
			set_path(e.exe, "/usr/bin/ls");
		set_path(e.cwd, "/home/alice");
		save(dir, bytes_of(e));
	}
}

// Header then sections, as trace_file.bpf.c lays them out.
class FileEvent {
public:
	FileEvent(unsigned op, unsigned sys)
	{
		h_.boot_ns = 8000000000;
		h_.latency_ns = 12000;
		h_.subject = subject(4242, 1000, "python3");
		h_.op = uint8_t(op);
		h_.syscall = uint16_t(sys);
		h_.fd = -1;
	}
	tf_event &hdr() { return h_; }
	FileEvent &path(std::string_view p, uint8_t which = TF_EV_HAS_PATH)
	{
		kw_path k{};
		set_path(k, p);
		auto b = bytes_of(k, 4 + k.len);
		data_.insert(data_.end(), b.begin(), b.end());
		h_.ev_flags |= which;
		return *this;
	}
	FileEvent &name(std::string_view s, uint8_t which = TF_EV_HAS_NAME)
	{
		uint16_t n = uint16_t(s.size());
		auto b = bytes_of(n);
		data_.insert(data_.end(), b.begin(), b.end());
		data_.insert(data_.end(), s.begin(), s.end());
		h_.ev_flags |= which;
		return *this;
	}
	Bytes bytes()
	{
		h_.data_len = uint32_t(data_.size());
		auto b = bytes_of(h_);
		b.insert(b.end(), data_.begin(), data_.end());
		return b;
	}

private:
	tf_event h_{};
	Bytes data_;
};

void trace_file_events(const fs::path &dir)
{
	FileEvent open(TF_OP_OPEN, TF_SYS_OPENAT);
	open.hdr().ret = 3;
	open.hdr().flags = 0101;
	open.hdr().mode = 0644;
	save(dir, open.path("/home/alice").name("notes.txt").path("/usr/bin/python3.11", TF_EV_HAS_EXE).bytes());
	FileEvent read(TF_OP_READ, TF_SYS_READ);
	read.hdr().ret = 512;
	read.hdr().count = 4096;
	read.hdr().fd = 3;
	save(dir, read.path("/home/alice/notes.txt").bytes());
	FileEvent rename(TF_OP_RENAME, TF_SYS_RENAMEAT2);
	rename.hdr().ret = -17;
	rename.hdr().flags = 1;
	save(dir, rename.path("/tmp").name("a/../b").path("/tmp", TF_EV_HAS_PATH2).name("c", TF_EV_HAS_NAME2).bytes());
	FileEvent symlink(TF_OP_SYMLINK, TF_SYS_SYMLINKAT);
	symlink.name("/etc/passwd").hdr().ev_flags |= TF_EV_TARGET;
	save(dir, symlink.path("/tmp", TF_EV_HAS_PATH2).name("link", TF_EV_HAS_NAME2).bytes());
	FileEvent chown(TF_OP_CHOWN, TF_SYS_FCHOWNAT);
	chown.hdr().owner = 0;
	chown.hdr().group = uint32_t(-1);
	save(dir, chown.name("relative/file").bytes());
}

} // namespace

int main(int argc, char **argv)
{
	if (argc != 2) {
		std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
		return 2;
	}
	fs::path root = argv[1];
	frtp_events(root / "frtp_record");
	rm_forbid_events(root / "rm_forbid_record");
	net_filter_events(root / "net_filter_record");
	exec_events(root / "exec_record");
	trace_file_events(root / "trace_file_record");
	return 0;
}
