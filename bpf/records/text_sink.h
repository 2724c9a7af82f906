#pragma once

#include "sink.h"

namespace kw {

// One readable line per record: time, then the record's message.
class TextSink : public Sink {
public:
	explicit TextSink(FILE *out) : out_(out) {}
	void write(const Record &r) override;
	void flush() override { fflush(out_); }

private:
	FILE *out_;
};

} // namespace kw
