// kwarden-audit: reading journal entries with libsystemd's sd_journal, from
// the local journal, a directory of collected journals (systemd-journal-remote's
// output) or journal files.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

typedef struct sd_journal sd_journal;

namespace kw::audit {

class JournalReader {
public:
	// Exactly one of: neither (the local system journal), a directory, files.
	JournalReader(const std::string &directory, const std::vector<std::string> &files);
	~JournalReader();
	JournalReader(const JournalReader &) = delete;
	JournalReader &operator=(const JournalReader &) = delete;

	// FIELD=value; matches on one field OR together, different fields AND.
	void match(const std::string &field, const std::string &value);
	void clear_matches();
	// Positions before the first entry at or after `usec` (0: the start).
	void seek(int64_t usec);
	// Positions after the last entry; previous() then walks backwards.
	void seek_tail();
	bool next();
	bool previous();
	int64_t realtime_usec() const;
	// The current entry's field ("" when absent).
	std::string field(const std::string &name) const;
	// "local journal", "directory D", "N files".
	const std::string &source() const { return source_; }

private:
	sd_journal *j_ = nullptr;
	std::string source_;
};

} // namespace kw::audit
