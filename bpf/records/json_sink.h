#pragma once

#include "json_encoder.h"
#include "sink.h"

#include <cstdio>
#include <string>

namespace kw {

// One JSON object per line (JSON Lines), fields under their vocabulary
// names. Lines gather in a buffer written out at 64 KiB and on flush()
// (every tool flushes once a tick), so a busy tracer makes few writes; on a
// terminal each line goes out at once, as someone is reading.
class JsonSink : public Sink {
public:
	JsonSink(FILE *out, std::string tool);
	JsonSink(const JsonSink &) = delete;
	JsonSink &operator=(const JsonSink &) = delete;
	~JsonSink() override { flush(); }
	void write(const Record &r) override;
	void flush() override;

private:
	FILE *out_;
	JsonEncoder encoder_;
	std::string buf_;
	bool interactive_;
};

} // namespace kw
