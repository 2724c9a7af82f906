// A sink that adds one field to every record: a named instance's records
// (net-filter --instance) carry PIN_NAME, so its decisions and policy events
// can be told from the default instance's under the same SYSLOG_IDENTIFIER.
#pragma once

#include "sink.h"

#include <memory>
#include <string>

namespace kw {

class TaggedSink : public Sink {
public:
	TaggedSink(std::unique_ptr<Sink> inner, std::string name, std::string value)
	    : inner_(std::move(inner)), name_(std::move(name)), value_(std::move(value))
	{
	}
	void write(const Record &r) override;
	void flush() override { inner_->flush(); }

private:
	std::unique_ptr<Sink> inner_;
	std::string name_, value_;
};

} // namespace kw
