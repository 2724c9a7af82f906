// Where records go: --output text|json|journal.
#pragma once

#include "record.h"

#include <cstdio>
#include <memory>
#include <string>

namespace kw {

enum class Output { text, json, journal };

class Sink {
public:
	virtual ~Sink() = default;
	virtual void write(const Record &r) = 0;
	virtual void flush() {}
};

Output parse_output(const std::string &s);
std::unique_ptr<Sink> make_sink(Output kind, const std::string &tool, FILE *out = stdout);

} // namespace kw
