#include "json_sink.h"

#include <unistd.h>

namespace kw {

JsonSink::JsonSink(FILE *out, std::string tool)
    : out_(out), encoder_(std::move(tool)), interactive_(isatty(fileno(out)))
{
}

void JsonSink::write(const Record &r)
{
	encoder_.encode(r, buf_);
	if (interactive_ || buf_.size() >= 1 << 16)
		flush();
}

void JsonSink::flush()
{
	if (!buf_.empty()) {
		fwrite(buf_.data(), 1, buf_.size(), out_);
		buf_.clear();
	}
	fflush(out_);
}

} // namespace kw
