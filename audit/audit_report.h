// kwarden-audit report: events grouped by the chosen dimensions (rule,
// subject executable, unit, path or destination, host), with counts that
// include storm repeat counts, first and last seen. Pure code, unit-tested.
#pragma once

#include "audit_event.h"

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <tuple>
#include <vector>

namespace kw::audit {

class AuditReport {
public:
	// Dimensions: any of host, rule, exe, unit, object. Tool and kind are
	// always part of a group. Throws Error(usage) for an unknown name.
	explicit AuditReport(std::vector<std::string> by = default_dimensions());
	static std::vector<std::string> default_dimensions() { return {"rule", "exe", "unit", "object"}; }

	void add(const AuditEvent &e);

	struct Group {
		std::string tool, kind;
		std::map<std::string, std::string> dims;
		uint64_t count = 0;	  // decisions: records plus repeat counts
		uint64_t records = 0;	  // journal records, summaries included
		int64_t first_usec = 0, last_usec = 0;
	};
	// Largest count first; ties in first-seen order.
	std::vector<Group> groups() const;
	// Decisions per kind.
	std::map<std::string, uint64_t> totals() const;
	uint64_t records() const { return records_; }
	uint64_t repeats() const { return repeats_; }

	std::string text(int64_t since_usec, int64_t until_usec, const std::string &source) const;
	nlohmann::ordered_json json(int64_t since_usec, int64_t until_usec, const std::string &source) const;

private:
	std::vector<std::string> by_;
	std::map<std::vector<std::string>, Group> groups_;
	uint64_t records_ = 0, repeats_ = 0;
};

// "2026-12-02 13:40:05" in local time; "-" for 0.
std::string local_time(int64_t usec);
// ISO 8601 with offset, for json; null-like "" for 0.
std::string iso_time(int64_t usec);

} // namespace kw::audit
