#include "journal_reader.h"

#include "errors.h"

#include <cstring>
#include <fmt/format.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

namespace kw::audit {

JournalReader::JournalReader(const std::string &directory, const std::vector<std::string> &files)
{
	int r;
	if (!directory.empty()) {
		if (access(directory.c_str(), R_OK | X_OK))
			throw Error(Errc::io, fmt::format("--directory {}: cannot read it", directory), errno);
		r = sd_journal_open_directory(&j_, directory.c_str(), 0);
		source_ = "directory " + directory;
	} else if (!files.empty()) {
		std::vector<const char *> paths;
		for (auto &f : files) {
			if (access(f.c_str(), R_OK))
				throw Error(Errc::io, fmt::format("--file {}: cannot read it", f), errno);
			paths.push_back(f.c_str());
		}
		paths.push_back(nullptr);
		r = sd_journal_open_files(&j_, paths.data(), 0);
		source_ = files.size() == 1 ? "file " + files[0] : fmt::format("{} files", files.size());
	} else {
		r = sd_journal_open(&j_, SD_JOURNAL_LOCAL_ONLY);
		source_ = "local journal";
	}
	if (r < 0)
		throw Error(Errc::io, fmt::format("cannot open the {}: {}", source_, strerror(-r)), -r);
	sd_journal_set_data_threshold(j_, 0);
}

JournalReader::~JournalReader()
{
	if (j_)
		sd_journal_close(j_);
}

void JournalReader::match(const std::string &field, const std::string &value)
{
	std::string m = field + "=" + value;
	int r = sd_journal_add_match(j_, m.data(), m.size());
	if (r < 0)
		throw Error(Errc::usage, fmt::format("journal match {}: {}", m, strerror(-r)));
}

void JournalReader::clear_matches() { sd_journal_flush_matches(j_); }

void JournalReader::seek(int64_t usec)
{
	int r = usec > 0 ? sd_journal_seek_realtime_usec(j_, uint64_t(usec)) : sd_journal_seek_head(j_);
	if (r < 0)
		throw Error(Errc::io, fmt::format("seeking in the {}: {}", source_, strerror(-r)), -r);
}

void JournalReader::seek_tail()
{
	int r = sd_journal_seek_tail(j_);
	if (r < 0)
		throw Error(Errc::io, fmt::format("seeking in the {}: {}", source_, strerror(-r)), -r);
}

bool JournalReader::next()
{
	int r = sd_journal_next(j_);
	if (r < 0)
		throw Error(Errc::io, fmt::format("reading the {}: {}", source_, strerror(-r)), -r);
	return r > 0;
}

bool JournalReader::previous()
{
	int r = sd_journal_previous(j_);
	if (r < 0)
		throw Error(Errc::io, fmt::format("reading the {}: {}", source_, strerror(-r)), -r);
	return r > 0;
}

int64_t JournalReader::realtime_usec() const
{
	uint64_t u = 0;
	sd_journal_get_realtime_usec(j_, &u);
	return int64_t(u);
}

std::string JournalReader::field(const std::string &name) const
{
	const void *data;
	size_t len;
	if (sd_journal_get_data(j_, name.c_str(), &data, &len) < 0)
		return "";
	size_t skip = name.size() + 1;
	if (len < skip)
		return "";
	return std::string(static_cast<const char *>(data) + skip, len - skip);
}

} // namespace kw::audit
