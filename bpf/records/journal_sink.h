#pragma once

#include "sink.h"

#include <string>
#include <vector>

namespace kw {

// journald entries with structured fields: SYSLOG_IDENTIFIER=<tool>, a
// MESSAGE_ID per event type, OBJECT_PID for the subject, FIELD=value for the
// rest (names upper-cased).
class JournalSink : public Sink {
public:
	explicit JournalSink(std::string tool) : tool_(std::move(tool)) {}
	void write(const Record &r) override;
	// The KEY=value strings sent for r; exposed for tests.
	static std::vector<std::string> entries(const Record &r, const std::string &tool);

private:
	std::string tool_;
};

} // namespace kw
