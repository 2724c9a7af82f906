#pragma once

#include "sink.h"

#include <nlohmann/json.hpp>

namespace kw {

// One JSON object per line (JSON Lines), fields under their vocabulary names.
class JsonSink : public Sink {
public:
	JsonSink(FILE *out, std::string tool) : out_(out), tool_(std::move(tool)) {}
	void write(const Record &r) override;
	void flush() override { fflush(out_); }
	static nlohmann::json to_json(const Record &r, const std::string &tool);

private:
	FILE *out_;
	std::string tool_;
};

} // namespace kw
