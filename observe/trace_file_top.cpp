#include "trace_file_top.h"

#include "subject.h"

#include <algorithm>
#include <fmt/format.h>

namespace kw::tfile {

std::string human_bytes(uint64_t b)
{
	if (b < 10 * 1024)
		return std::to_string(b);
	if (b < 10ull * 1024 * 1024)
		return fmt::format("{}K", b / 1024);
	if (b < 10ull * 1024 * 1024 * 1024)
		return fmt::format("{}M", b / (1024 * 1024));
	return fmt::format("{}G", b / (1024ull * 1024 * 1024));
}

void FileTop::add(const FileEvent &e)
{
	events_++;
	auto key = e.path.empty() ? std::string("-") : e.path;
	auto &r = rows_[key];
	if (r.path.empty())
		r.path = key;
	bool ok = e.ret >= 0;
	switch (e.op) {
	case TF_OP_OPEN:
		r.opens++;
		break;
	case TF_OP_READ:
		r.reads++;
		if (ok)
			r.read_bytes += uint64_t(e.ret);
		break;
	case TF_OP_WRITE:
		r.writes++;
		if (ok)
			r.write_bytes += uint64_t(e.ret);
		break;
	default:
		r.others++;
	}
	if (!ok)
		r.failures++;
	r.last_pid = e.subject.pid;
	r.last_comm = comm_string(e.subject.comm);
}

std::vector<TopRow> FileTop::top(size_t n) const
{
	std::vector<TopRow> v;
	v.reserve(rows_.size());
	for (const auto &[_, r] : rows_)
		v.push_back(r);
	std::sort(v.begin(), v.end(), [](const TopRow &a, const TopRow &b) {
		if (a.ops() != b.ops())
			return a.ops() > b.ops();
		if (a.read_bytes + a.write_bytes != b.read_bytes + b.write_bytes)
			return a.read_bytes + a.write_bytes > b.read_bytes + b.write_bytes;
		return a.path < b.path;
	});
	if (v.size() > n)
		v.resize(n);
	return v;
}

std::string FileTop::render(size_t n, const std::string &title)
{
	std::string s = fmt::format("{}  {} events, {} files\n", title, events_, rows_.size());
	s += fmt::format("{:>7} {:<15} {:>7} {:>7} {:>7} {:>7} {:>7} {:>8} {:>8}  {}\n", "PID", "COMM", "OPS", "OPENS",
			 "READS", "WRITES", "OTHER", "R_BYTES", "W_BYTES", "FILE");
	for (const auto &r : top(n))
		s += fmt::format("{:>7} {:<15} {:>7} {:>7} {:>7} {:>7} {:>7} {:>8} {:>8}  {}{}\n", r.last_pid,
				 r.last_comm, r.ops(), r.opens, r.reads, r.writes, r.others, human_bytes(r.read_bytes),
				 human_bytes(r.write_bytes), r.path,
				 r.failures ? fmt::format("  ({} failed)", r.failures) : std::string());
	clear();
	return s;
}

} // namespace kw::tfile
