// trace-file's JSON Lines writer: the same object JsonSink::to_json builds
// (time, tool, event, message and every field), encoded directly into a
// buffer. At a million events a minute nlohmann's tree building, sorting
// and dumping were most of the reader's time, and a reader that falls
// behind loses events.
#pragma once

#include "record.h"
#include "sink.h"

#include <cstdint>
#include <cstdio>
#include <string>

namespace kw::tfile {

// Appends s as a JSON string; invalid UTF-8 becomes U+FFFD (as JsonSink does).
void json_escape(std::string &out, std::string_view s);

class FastJsonSink : public Sink {
public:
	FastJsonSink(FILE *out, std::string tool) : out_(out), tool_(std::move(tool)) {}
	// One line, newline included.
	void encode(const Record &r, std::string &line);
	void write(const Record &r) override;
	void flush() override;

private:
	const std::string &time_string(int64_t usec);
	FILE *out_;
	std::string tool_;
	std::string buf_;
	int64_t cached_sec_ = -1;
	std::string cached_prefix_, cached_tz_, time_;
};

} // namespace kw::tfile
