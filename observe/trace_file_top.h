// trace-file --summary: a live top of files by operations and bytes, per
// interval (like filetop). Pure code.
#pragma once

#include "trace_file_record.h"

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace kw::tfile {

struct TopRow {
	std::string path;
	uint64_t opens = 0, reads = 0, writes = 0, others = 0;
	uint64_t read_bytes = 0, write_bytes = 0;
	uint64_t failures = 0;
	uint32_t last_pid = 0;
	std::string last_comm;
	uint64_t ops() const { return opens + reads + writes + others; }
};

class FileTop {
public:
	void add(const FileEvent &e);
	// Rows of this interval, most operations first (ties: most bytes), at most n.
	std::vector<TopRow> top(size_t n) const;
	// The table for this interval; then starts a new interval.
	std::string render(size_t n, const std::string &title);
	uint64_t events() const { return events_; }
	void clear()
	{
		rows_.clear();
		events_ = 0;
	}

private:
	std::unordered_map<std::string, TopRow> rows_;
	uint64_t events_ = 0;
};

std::string human_bytes(uint64_t b);

} // namespace kw::tfile
