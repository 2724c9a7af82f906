// trace-file's pure parts: event decoding, path joining, flags, records,
// filter config, prefix encoding and the --summary table.
#include "errors.h"
#include "json_encoder.h"
#include "trace_file_filter.h"
#include "trace_file_record.h"
#include "trace_file_top.h"

#include <cstdint>
#include <cstring>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <vector>

using namespace kw;
using namespace kw::tfile;

namespace {

// Builds an event the way the kernel does: header, then sections.
class EventBuilder {
public:
	EventBuilder(unsigned op, unsigned sys)
	{
		h_.op = uint8_t(op);
		h_.syscall = uint16_t(sys);
		h_.subject.pid = 4242;
		h_.subject.tid = 4242;
		h_.subject.uid = 1000;
		h_.subject.auid = uint32_t(-1);
		std::strcpy(h_.subject.comm, "python3");
		h_.fd = -1;
	}
	tf_event &hdr() { return h_; }
	EventBuilder &path(std::string_view leaf_first, uint8_t flags = 0, uint8_t which = TF_EV_HAS_PATH)
	{
		uint16_t len = uint16_t(leaf_first.size());
		append(&len, 2);
		uint8_t depth = 0;
		append(&depth, 1);
		append(&flags, 1);
		append(leaf_first.data(), leaf_first.size());
		h_.ev_flags |= which;
		return *this;
	}
	EventBuilder &name(std::string_view s, uint8_t which = TF_EV_HAS_NAME)
	{
		uint16_t len = uint16_t(s.size());
		append(&len, 2);
		append(s.data(), s.size());
		h_.ev_flags |= which;
		return *this;
	}
	std::vector<std::byte> bytes()
	{
		h_.data_len = uint32_t(data_.size());
		std::vector<std::byte> out(sizeof(h_));
		std::memcpy(out.data(), &h_, sizeof(h_));
		out.insert(out.end(), data_.begin(), data_.end());
		return out;
	}
	FileEvent decode()
	{
		auto b = bytes();
		auto e = decode_file_event(b);
		EXPECT_TRUE(e.has_value());
		return e.value_or(FileEvent{});
	}

private:
	void append(const void *p, size_t n)
	{
		auto *b = static_cast<const std::byte *>(p);
		data_.insert(data_.end(), b, b + n);
	}
	tf_event h_{};
	std::vector<std::byte> data_;
};

template <typename T> T field(const Record &r, const std::string &name)
{
	auto *v = r.get(name);
	EXPECT_NE(v, nullptr) << name;
	return v ? std::get<T>(*v) : T{};
}

} // namespace

TEST(TraceFile, DecodesOpenFromTheFile)
{
	EventBuilder b(TF_OP_OPEN, TF_SYS_OPENAT);
	b.hdr().ret = 3;
	b.hdr().fd = 3;
	b.hdr().flags = 01 | 0100 | 01000 | 02000000; // O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC
	b.hdr().mode = 0644;
	b.hdr().latency_ns = 12500;
	b.path(std::string_view("f.txt\0alice\0home\0", 17));
	b.path(std::string_view("python3.11\0bin\0usr\0", 19), 0, TF_EV_HAS_EXE);
	auto e = b.decode();
	EXPECT_EQ(e.path, "/home/alice/f.txt");
	EXPECT_EQ(e.source, PathSource::file);
	ASSERT_TRUE(e.exe.has_value());
	EXPECT_EQ(*e.exe, "/usr/bin/python3.11");
	EXPECT_EQ(flags_string(e), "O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC");
	EXPECT_EQ(mode_string(e), "0644");

	auto r = file_record(e, 1700000000000000, *e.exe, "user@1000.service");
	EXPECT_EQ(r.message_id, kFileOpMessageId);
	EXPECT_EQ(field<std::string>(r, "operation"), "open");
	EXPECT_EQ(field<std::string>(r, "syscall"), "openat");
	EXPECT_EQ(field<std::string>(r, "path"), "/home/alice/f.txt");
	EXPECT_EQ(field<std::string>(r, "result"), "ok");
	EXPECT_EQ(field<int64_t>(r, "fd"), 3);
	EXPECT_EQ(field<int64_t>(r, "latency_ns"), 12500);
	EXPECT_EQ(field<std::string>(r, "subject_exe"), "/usr/bin/python3.11");
	EXPECT_EQ(field<std::string>(r, "mode"), "0644");
	EXPECT_NE(r.message.find("fd=3"), std::string::npos);
	EXPECT_NE(r.message.find("12.5"), std::string::npos);
	EXPECT_NE(r.message.find("/home/alice/f.txt"), std::string::npos);
	// JSON lines carry the same fields.
	std::string line;
	JsonEncoder("trace-file").encode(r, line);
	auto j = nlohmann::json::parse(line);
	EXPECT_EQ(j["path"], "/home/alice/f.txt");
	EXPECT_EQ(j["flags"], "O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC");
}

TEST(TraceFile, FailedOpenJoinsBaseDirAndString)
{
	EventBuilder b(TF_OP_OPEN, TF_SYS_OPENAT);
	b.hdr().ret = -2;
	b.path(std::string_view("work\0tmp\0", 9)).name("missing");
	auto e = b.decode();
	EXPECT_EQ(e.path, "/tmp/work/missing");
	EXPECT_EQ(e.source, PathSource::dir);
	auto r = file_record(e, 0, "", "");
	EXPECT_EQ(r.message_id, kFileOpFailedMessageId);
	EXPECT_EQ(field<std::string>(r, "result"), "ENOENT");
	EXPECT_EQ(field<int64_t>(r, "errno"), 2);
	EXPECT_EQ(field<std::string>(r, "flags"), "O_RDONLY");
}

// Found by fuzzing: a return value that is no errno was negated (INT64_MIN: undefined).
TEST(TraceFile, AReturnValueThatIsNoErrnoIsShownAsANumber)
{
	EventBuilder b(TF_OP_OPEN, TF_SYS_OPENAT);
	b.hdr().ret = INT64_MIN;
	auto e = b.path(std::string_view("tmp\0", 4)).decode();
	auto r = file_record(e, 0, "", "");
	EXPECT_EQ(r.message_id, kFileOpFailedMessageId);
	EXPECT_EQ(field<std::string>(r, "result"), "-9223372036854775808");
	EXPECT_EQ(r.get("errno"), nullptr);
}

TEST(TraceFile, JoinMarksUnresolvedStrings)
{
	PathSource s;
	EXPECT_EQ(join_path("/tmp/d", "x", s), "/tmp/d/x");
	EXPECT_EQ(s, PathSource::dir);
	EXPECT_EQ(join_path("/tmp/d", "./x", s), "/tmp/d/x");
	EXPECT_EQ(s, PathSource::dir);
	EXPECT_EQ(join_path("/tmp/d", "sub//x", s), "/tmp/d/sub/x");
	EXPECT_EQ(s, PathSource::string);
	EXPECT_EQ(join_path("/tmp/d", "../x", s), "/tmp/x");
	EXPECT_EQ(s, PathSource::string);
	EXPECT_EQ(join_path("/", "/etc/passwd", s), "/etc/passwd");
	EXPECT_EQ(s, PathSource::string);
	EXPECT_EQ(join_path("/", "/x", s), "/x");
	EXPECT_EQ(s, PathSource::dir);
	EXPECT_EQ(join_path("/", "/..", s), "/");
}

TEST(TraceFile, RenameCarriesBothPaths)
{
	EventBuilder b(TF_OP_RENAME, TF_SYS_RENAMEAT2);
	b.hdr().flags = 1;
	b.path(std::string_view("d\0tmp\0", 6)).name("a");
	b.path(std::string_view("e\0tmp\0", 6), 0, TF_EV_HAS_PATH2).name("sub/b", TF_EV_HAS_NAME2);
	auto e = b.decode();
	EXPECT_EQ(e.path, "/tmp/d/a");
	EXPECT_EQ(e.path2, "/tmp/e/sub/b");
	EXPECT_EQ(e.source2, PathSource::string);
	EXPECT_EQ(flags_string(e), "RENAME_NOREPLACE");
	auto r = file_record(e, 0, "", "");
	EXPECT_EQ(field<std::string>(r, "new_path"), "/tmp/e/sub/b");
	EXPECT_EQ(field<std::string>(r, "new_path_source"), "string");
	EXPECT_NE(r.message.find("/tmp/d/a -> /tmp/e/sub/b (unresolved)"), std::string::npos);
}

TEST(TraceFile, SymlinkPathIsTheLinkTargetIsTheString)
{
	EventBuilder b(TF_OP_SYMLINK, TF_SYS_SYMLINKAT);
	b.hdr().ev_flags |= TF_EV_TARGET;
	b.name("../target");
	b.path(std::string_view("d\0tmp\0", 6), 0, TF_EV_HAS_PATH2).name("lnk", TF_EV_HAS_NAME2);
	auto e = b.decode();
	EXPECT_EQ(e.path, "/tmp/d/lnk");
	EXPECT_EQ(e.target, "../target");
	EXPECT_EQ(field<std::string>(file_record(e, 0, "", ""), "target"), "../target");
}

TEST(TraceFile, ReadCarriesBytesAndEmptyPathMeansAtEmptyPath)
{
	EventBuilder b(TF_OP_READ, TF_SYS_READ);
	b.hdr().ret = 100;
	b.hdr().count = 4096;
	b.hdr().fd = 5;
	b.path(std::string_view("log\0var\0", 8));
	auto e = b.decode();
	auto r = file_record(e, 0, "", "");
	EXPECT_EQ(field<int64_t>(r, "bytes"), 100);
	EXPECT_EQ(field<int64_t>(r, "bytes_requested"), 4096);
	EXPECT_NE(r.message.find(" 100 "), std::string::npos);

	EventBuilder c(TF_OP_CHOWN, TF_SYS_FCHOWNAT);
	c.hdr().flags = 0x1000;
	c.hdr().owner = 0;
	c.hdr().group = uint32_t(-1);
	c.path(std::string_view("f\0tmp\0", 6)).name("");
	auto ce = c.decode();
	EXPECT_EQ(ce.path, "/tmp/f");
	EXPECT_EQ(ce.source, PathSource::file);
	EXPECT_EQ(flags_string(ce), "AT_EMPTY_PATH");
	EXPECT_EQ(field<int64_t>(file_record(ce, 0, "", ""), "group"), -1);
}

TEST(TraceFile, RejectsMalformedEvents)
{
	EventBuilder b(TF_OP_OPEN, TF_SYS_OPEN);
	b.path(std::string_view("x\0", 2));
	auto bytes = b.bytes();
	bytes.resize(bytes.size() - 1); // data_len claims more than there is
	EXPECT_FALSE(decode_file_event(bytes).has_value());
	EXPECT_FALSE(decode_file_event(std::span<const std::byte>(bytes.data(), 10)).has_value());
	EventBuilder bad(TF_OP_COUNT, TF_SYS_OPEN);
	EXPECT_FALSE(decode_file_event(bad.bytes()).has_value());
}

TEST(TraceFile, SyscallTableMatchesOps)
{
	EXPECT_EQ(syscall_op("openat2"), TF_OP_OPEN);
	EXPECT_EQ(syscall_op("unlinkat"), TF_OP_UNLINK);
	EXPECT_EQ(syscall_op("fchmodat2"), TF_OP_CHMOD);
	EXPECT_EQ(syscall_op("pwritev"), TF_OP_WRITE);
	EXPECT_FALSE(syscall_op("execve").has_value());
	for (unsigned i = 0; i < TF_SYS_COUNT; i++)
		EXPECT_TRUE(syscall_op(syscall_name(i)).has_value()) << i;
	EXPECT_STREQ(syscall_name(TF_SYS_SYMLINKAT), "symlinkat");
	EXPECT_STREQ(syscall_name(TF_SYS_FTRUNCATE), "ftruncate");
}

TEST(TraceFile, OpsParsing)
{
	EXPECT_EQ(parse_ops("open,read"), (1u << TF_OP_OPEN) | (1u << TF_OP_READ));
	EXPECT_EQ(parse_ops("all"), (1u << TF_OP_COUNT) - 1);
	EXPECT_EQ(ops_string(parse_ops("unlink,rename")), "unlink,rename");
	EXPECT_THROW(parse_ops("open,frobnicate"), Error);
	EXPECT_THROW(parse_ops(""), Error);
}

TEST(TraceFile, PrefixEncoding)
{
	EXPECT_EQ(normalize_prefix("/home//alice/"), "/home/alice");
	std::string why;
	EXPECT_EQ(normalize_prefix("home", &why), "");
	EXPECT_NE(why.find("absolute"), std::string::npos);
	EXPECT_EQ(normalize_prefix("/a/../b"), "");
	EXPECT_EQ(normalize_prefix("/"), "");
	auto t = encode_prefix("/home/alice");
	EXPECT_EQ(t.len, 11);
	EXPECT_EQ(std::string(t.root_first, t.len), "/home/alice");
	EXPECT_EQ(std::string(t.leaf_first, t.len), std::string("alice\0home\0", 11));
	auto one = encode_prefix("/etc");
	EXPECT_EQ(std::string(one.leaf_first, one.len), std::string("etc\0", 4));
}

TEST(TraceFile, FilterConfig)
{
	auto f = parse_file_filter("uid: 1000\ncomm: nginx\npaths: [/etc, /var//www/]\nops: [open, unlink]\n"
				   "failed: true\n",
				   "tf.yaml");
	EXPECT_EQ(f.process.uid, 1000u);
	EXPECT_EQ(f.process.comm, "nginx");
	ASSERT_EQ(f.paths.size(), 2u);
	EXPECT_EQ(f.paths[1], "/var/www");
	EXPECT_EQ(f.ops, (1u << TF_OP_OPEN) | (1u << TF_OP_UNLINK));
	EXPECT_TRUE(f.process.failed_only);
	EXPECT_EQ(f.describe(), "ops=open,unlink uid=1000 comm=nginx failed-only path=/etc path=/var/www");
	EXPECT_EQ(parse_file_filter("{}\n", "empty.yaml").describe(), "every file operation");
}

TEST(TraceFile, FilterConfigErrorsPointAtTheProblem)
{
	try {
		parse_file_filter("ops: [open, unlnk]\n", "tf.yaml");
		FAIL() << "accepted a bad op";
	} catch (const ConfigError &e) {
		EXPECT_EQ(e.line(), 1);
		EXPECT_NE(std::string(e.what()).find("unlnk"), std::string::npos);
		EXPECT_NE(e.hint().find("unlink"), std::string::npos);
	}
	EXPECT_THROW(parse_file_filter("paths: [relative/dir]\n", "tf.yaml"), ConfigError);
	EXPECT_THROW(parse_file_filter("path: /etc\n", "tf.yaml"), ConfigError); // typo'd key
	EXPECT_THROW(parse_file_filter("comm: averyveryverylongname\n", "tf.yaml"), ConfigError);
}

TEST(TraceFile, FilterConfigRefusesInvalidInputWhereItIs)
{
	auto error = [](const std::string &text) {
		try {
			parse_file_filter(text, "tf.yaml");
		} catch (const ConfigError &e) {
			return std::string(e.what());
		}
		return std::string("no error");
	};
	// A NUL would end the prefix early for the kernel: /etc\0x would trace /etc.
	EXPECT_EQ(error("paths: [\"/etc\\0x\"]\n").rfind("tf.yaml:1:9: a path prefix '/etc\\x00x' holds a control character", 0),
		  0u)
		<< error("paths: [\"/etc\\0x\"]\n");
	EXPECT_EQ(error("ops: [open]\npaths: /etc\nops: [unlink]\n").rfind("tf.yaml:3:1: key 'ops' is repeated: line 1", 0), 0u);
	EXPECT_EQ(error("pid: 0x10\n").rfind("tf.yaml:1:6: pid must be a decimal number", 0), 0u);
	EXPECT_EQ(error("uid: 0777\n").rfind("tf.yaml:1:6: uid must be written without a leading zero", 0), 0u);
	EXPECT_NE(error("paths: /" + std::string(300, 'p') + "\n").find("shorter than 256 bytes"), std::string::npos);
}

TEST(TraceFile, TopTableRanksByOpsThenBytes)
{
	FileTop top;
	auto ev = [](unsigned op, const char *path, int64_t ret) {
		FileEvent e;
		e.op = op;
		e.path = path;
		e.ret = ret;
		e.subject.pid = 7;
		std::strcpy(e.subject.comm, "dd");
		return e;
	};
	for (int i = 0; i < 3; i++)
		top.add(ev(TF_OP_WRITE, "/big", 1 << 20));
	top.add(ev(TF_OP_READ, "/small", 10));
	top.add(ev(TF_OP_OPEN, "/small", 3));
	top.add(ev(TF_OP_OPEN, "/gone", -2));
	auto rows = top.top(10);
	ASSERT_EQ(rows.size(), 3u);
	EXPECT_EQ(rows[0].path, "/big");
	EXPECT_EQ(rows[0].write_bytes, 3u << 20);
	EXPECT_EQ(rows[1].path, "/small");
	EXPECT_EQ(rows[2].failures, 1u);
	std::string table = top.render(2, "12:00:00");
	EXPECT_NE(table.find("6 events, 3 files"), std::string::npos);
	EXPECT_NE(table.find("3072K"), std::string::npos);
	EXPECT_EQ(table.find("/gone"), std::string::npos); // cut at 2 rows
	EXPECT_EQ(top.events(), 0u);                       // a new interval
}
