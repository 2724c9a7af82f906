// JSON text of records: the one encoder behind every tool's -o json (and
// whatever else needs a record as JSON). Written directly into a string:
// at a million trace-file events a minute, building a JSON tree per event,
// sorting and dumping it was most of the reader's time, and a reader that
// falls behind loses events.
#pragma once

#include "record.h"

#include <cstdint>
#include <string>
#include <string_view>

namespace kw {

// Appends s as a JSON string. Paths, argv and comm are arbitrary bytes:
// control characters are escaped and each byte that is not part of valid
// UTF-8 (overlong forms and surrogates included) becomes U+FFFD, so every
// line stays valid JSON.
void json_escape(std::string &out, std::string_view s);

class JsonEncoder {
public:
	explicit JsonEncoder(std::string tool) : tool_(std::move(tool)) {}
	// Appends one object and its newline: time, tool, event, message, then
	// the record's fields in their order, under their vocabulary names.
	void encode(const Record &r, std::string &out);

private:
	const std::string &time_string(int64_t usec);
	std::string tool_;
	int64_t cached_sec_ = -1;
	std::string cached_prefix_, cached_tz_, time_;
};

} // namespace kw
