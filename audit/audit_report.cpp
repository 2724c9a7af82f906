#include "audit_report.h"

#include "errors.h"

#include <algorithm>
#include <ctime>
#include <fmt/format.h>

namespace kw::audit {

namespace {
const std::vector<std::string> kDimensions = {"host", "rule", "exe", "unit", "object"};
const std::vector<std::string> kKinds = {"deny",   "would-deny", "refusal", "would-refuse",  "drop",
					 "would-drop", "tamper",	"tamper-audited", "unrecorded"};

const std::string &dim_of(const AuditEvent &e, const std::string &d)
{
	if (d == "host")
		return e.host;
	if (d == "rule")
		return e.rule;
	if (d == "exe")
		return e.exe;
	if (d == "unit")
		return e.unit;
	return e.object;
}

std::string strftime_usec(int64_t usec, const char *fmt)
{
	time_t t = time_t(usec / 1000000);
	struct tm tm{};
	localtime_r(&t, &tm);
	char buf[64];
	strftime(buf, sizeof(buf), fmt, &tm);
	return buf;
}
} // namespace

std::string local_time(int64_t usec) { return usec ? strftime_usec(usec, "%Y-%m-%d %H:%M:%S") : "-"; }

std::string iso_time(int64_t usec)
{
	if (!usec)
		return "";
	std::string z = strftime_usec(usec, "%z"); // +0100 -> +01:00
	if (z.size() == 5)
		z.insert(3, ":");
	return fmt::format("{}.{:06d}{}", strftime_usec(usec, "%Y-%m-%dT%H:%M:%S"), usec % 1000000, z);
}

AuditReport::AuditReport(std::vector<std::string> by) : by_(std::move(by))
{
	for (auto &d : by_)
		if (std::find(kDimensions.begin(), kDimensions.end(), d) == kDimensions.end())
			throw Error(Errc::usage, fmt::format("--by: unknown dimension '{}': use any of host, rule, exe, "
							     "unit, object, comma-separated",
							     d));
}

void AuditReport::add(const AuditEvent &e)
{
	std::vector<std::string> key{e.tool, e.kind};
	for (auto &d : by_)
		key.push_back(dim_of(e, d));
	auto [it, fresh] = groups_.try_emplace(key);
	Group &g = it->second;
	if (fresh) {
		g.tool = e.tool;
		g.kind = e.kind;
		for (auto &d : by_)
			g.dims[d] = dim_of(e, d);
		g.first_usec = e.usec;
	}
	g.count += e.count;
	g.records++;
	g.first_usec = std::min(g.first_usec, e.usec);
	g.last_usec = std::max(g.last_usec, e.usec);
	records_++;
	if (e.summary)
		repeats_ += e.count;
}

std::vector<AuditReport::Group> AuditReport::groups() const
{
	std::vector<Group> v;
	for (auto &[k, g] : groups_)
		v.push_back(g);
	std::stable_sort(v.begin(), v.end(), [](const Group &a, const Group &b) {
		if (a.count != b.count)
			return a.count > b.count;
		return a.first_usec < b.first_usec;
	});
	return v;
}

std::map<std::string, uint64_t> AuditReport::totals() const
{
	std::map<std::string, uint64_t> t;
	for (auto &[k, g] : groups_)
		t[g.kind] += g.count;
	return t;
}

std::string AuditReport::text(int64_t since_usec, int64_t until_usec, const std::string &source) const
{
	std::string out = fmt::format("kwarden audit report: {} .. {} ({})\n",
				      since_usec ? local_time(since_usec) : "start of journal",
				      until_usec ? local_time(until_usec) : "now", source);
	auto gs = groups();
	if (gs.empty())
		return out + "no denials, would-denials, refusals, drops or tamper attempts in this window\n";
	auto t = totals();
	std::vector<std::string> parts;
	for (auto &k : kKinds)
		if (t.count(k))
			parts.push_back(fmt::format("{} {}", k, t[k]));
	out += fmt::format("totals: {} ({} records, {} of the decisions counted by storm summaries)\n\n",
			   fmt::join(parts, ", "), records_, repeats_);
	// Column widths from the values; the last column is not padded.
	std::vector<size_t> width;
	for (auto &d : by_) {
		size_t w = d.size();
		for (auto &g : gs)
			w = std::max(w, std::max<size_t>(g.dims.at(d).size(), 1));
		width.push_back(w);
	}
	auto row = [&](const std::vector<std::string> &cells) {
		std::string line;
		for (size_t i = 0; i < cells.size(); i++) {
			const std::string &v = cells[i].empty() ? std::string("-") : cells[i];
			line += "  " + (i + 1 < cells.size() ? fmt::format("{:<{}}", v, width[i]) : v);
		}
		return line + "\n";
	};
	std::vector<std::string> head;
	for (auto &d : by_) {
		std::string h = d;
		std::transform(h.begin(), h.end(), h.begin(), ::toupper);
		head.push_back(h);
	}
	out += fmt::format("{:>8}  {:<14} {:<10} {:<19}  {:<19}", "COUNT", "KIND", "TOOL", "FIRST", "LAST") + row(head);
	for (auto &g : gs) {
		std::vector<std::string> cells;
		for (auto &d : by_)
			cells.push_back(g.dims.at(d));
		out += fmt::format("{:>8}  {:<14} {:<10} {:<19}  {:<19}", g.count, g.kind, g.tool, local_time(g.first_usec),
				   local_time(g.last_usec)) +
		       row(cells);
	}
	return out;
}

nlohmann::ordered_json AuditReport::json(int64_t since_usec, int64_t until_usec, const std::string &source) const
{
	nlohmann::ordered_json j;
	j["since"] = since_usec ? nlohmann::ordered_json(iso_time(since_usec)) : nlohmann::ordered_json();
	j["until"] = until_usec ? nlohmann::ordered_json(iso_time(until_usec)) : nlohmann::ordered_json();
	j["source"] = source;
	j["group_by"] = by_;
	j["totals"] = nlohmann::ordered_json::object();
	auto t = totals();
	for (auto &k : kKinds)
		if (t.count(k))
			j["totals"][k] = t[k];
	j["records"] = records_;
	j["repeats"] = repeats_;
	j["groups"] = nlohmann::ordered_json::array();
	for (auto &g : groups()) {
		nlohmann::ordered_json x;
		x["kind"] = g.kind;
		x["tool"] = g.tool;
		for (auto &d : by_)
			x[d] = g.dims.at(d);
		x["count"] = g.count;
		x["records"] = g.records;
		x["first_seen"] = iso_time(g.first_usec);
		x["last_seen"] = iso_time(g.last_usec);
		j["groups"].push_back(x);
	}
	return j;
}

} // namespace kw::audit
