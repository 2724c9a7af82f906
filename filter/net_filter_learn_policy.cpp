#include "net_filter_learn_policy.h"

#include "learn_text.h"
#include "net_filter.h"
#include "net_filter_learn.h"
#include "net_filter_learn_collapse.h"
#include "net_filter_spec.h"
#include "record.h"

#include <fmt/format.h>
#include <map>
#include <netinet/in.h>
#include <set>
#include <tuple>

namespace kw::nf {

namespace {

// Rule names hold at most NF_RULE_NAME - 1 bytes: "learn-" SLUG "-in-99999".
constexpr size_t kSlugMax = NF_RULE_NAME - 1 - 6 - 9;

std::string subject_field(const LearnSubject &s)
{
	switch (s.kind) {
	case LearnSubject::Kind::unit:
		return "    unit: " + yaml_scalar(s.name) + "\n";
	case LearnSubject::Kind::exe:
		return "    exe: " + yaml_scalar(s.name) + "\n";
	case LearnSubject::Kind::all:
		break;
	}
	return "";
}

// The protocols a rule can name; others only as `any`, which would allow
// every protocol: not written.
const char *rule_proto(uint8_t proto, uint8_t family)
{
	switch (proto) {
	case IPPROTO_TCP: return "tcp";
	case IPPROTO_UDP: return "udp";
	case IPPROTO_ICMP: return family == 4 ? "icmp" : nullptr;
	case IPPROTO_ICMPV6: return family == 6 ? "icmpv6" : nullptr;
	}
	return nullptr;
}

bool has_ports(uint8_t proto) { return proto == IPPROTO_TCP || proto == IPPROTO_UDP; }

std::string flow_what(uint8_t dir, uint8_t proto, uint16_t port)
{
	std::string p = proto_string(proto);
	if (dir == NF_DIR_EGRESS)
		return has_ports(proto) ? fmt::format("{} to port {}", p, port) : p;
	return has_ports(proto) ? fmt::format("{} to local port {}", p, port) : p + " received";
}

struct Group {
	std::vector<const LearnedFlow *> flows;
	uint64_t count = 0;
	int64_t first_us = 0, last_us = 0;
};

class SubjectWriter {
public:
	SubjectWriter(const LearnedRulesWriter::Options &o, const LearnSubject &s, std::string slug)
	    : o_(o), s_(s), slug_(std::move(slug))
	{
	}

	void write(const std::vector<const LearnedFlow *> &flows, LearnedRules &out)
	{
		// (direction, family, protocol, port): egress first, as read.
		std::map<std::tuple<int, uint8_t, uint8_t, uint16_t>, Group> groups;
		for (const auto *f : flows) {
			Group &g = groups[{f->dir == NF_DIR_EGRESS ? 0 : 1, f->family, f->proto, f->port}];
			if (!g.count || f->first_us < g.first_us)
				g.first_us = f->first_us;
			g.last_us = std::max(g.last_us, f->last_us);
			g.count += f->count;
			g.flows.push_back(f);
		}
		out.yaml += fmt::format("\n  # ---- {} ----\n", comment_text(s_.describe()));
		size_t n = 0;
		for (auto &[k, g] : groups) {
			auto [d, family, proto, port] = k;
			uint8_t dir = d == 0 ? NF_DIR_EGRESS : NF_DIR_INGRESS;
			const char *p = rule_proto(proto, family);
			if (!p) {
				std::string w = fmt::format("{}: {} connections of protocol {} (IPv{}) not written: a rule "
							    "names tcp, udp, icmp or icmpv6, or every protocol",
							    s_.describe(), g.count, proto_string(proto), family);
				out.yaml += "  # note: " + comment_text(w) + "\n";
				out.warnings.push_back(w);
				continue;
			}
			accept(dir, p, proto, port, g, ++n, out);
		}
		if (o_.drop)
			drop(out);
	}

private:
	void accept(uint8_t dir, const char *p, uint8_t proto, uint16_t port, const Group &g, size_t n,
		    LearnedRules &out)
	{
		auto nets = collapse_addresses(g.flows);
		std::string &y = out.yaml;
		y += fmt::format("  # {} connections started ({}) by {}\n", g.count, flow_what(dir, proto, port),
				 comment_text(s_.describe()));
		y += fmt::format("  # first {}, last {}\n", format_time(g.first_us), format_time(g.last_us));
		std::string nets_text;
		if (nets.any_source) {
			y += fmt::format("  # from any source: {} distinct sources seen ({} or more to one local port)\n",
					 nets.addresses, kAnySourceAt);
		}
		for (const auto &net : nets.nets) {
			std::string samples;
			for (const auto *f : net.samples)
				samples += fmt::format("{}{} ({})", samples.empty() ? "" : ", ",
						       cidr_text(host_cidr(f->family, f->addr)), f->count);
			if (net.why.empty())
				y += fmt::format("  # {} {}: {} connections\n", dir == NF_DIR_EGRESS ? "to" : "from",
						 cidr_text(net.net), net.count);
			else
				y += fmt::format("  # {} {}: {} connections, {}; e.g. {}\n",
						 dir == NF_DIR_EGRESS ? "to" : "from", cidr_text(net.net), net.count,
						 comment_text(net.why), samples);
			nets_text += (nets_text.empty() ? "" : ", ") + yaml_scalar(cidr_text(net.net));
		}
		if (dir == NF_DIR_INGRESS && s_.kind != LearnSubject::Kind::all)
			y += "  # on ingress a rule cannot name the receiving unit or program (docs/net-filter.md): it opens "
			     "the port\n";
		y += fmt::format("  - name: learn-{}{}-{}\n", slug_, dir == NF_DIR_EGRESS ? "" : "-in", n);
		y += "    action: accept\n";
		y += fmt::format("    direction: {}\n", dir == NF_DIR_EGRESS ? "egress" : "ingress");
		y += "    state: new\n";
		if (dir == NF_DIR_EGRESS)
			y += subject_field(s_);
		y += fmt::format("    protocol: {}\n", p);
		if (!nets_text.empty())
			y += fmt::format("    {}: [{}]\n", dir == NF_DIR_EGRESS ? "dst" : "src", nets_text);
		if (has_ports(proto))
			y += fmt::format("    dport: {}\n", port);
		out.accepts++;
		out.rules++;
	}

	void drop(LearnedRules &out)
	{
		std::string &y = out.yaml;
		y += fmt::format("  # every other new outbound connection of {}: {}\n", comment_text(s_.describe()),
				 o_.mode == Mode::audit ? "logged and accepted (action: audit) until enforced with "
							  "action: drop"
							: "dropped and logged");
		y += fmt::format("  - name: learn-{}-drop\n", slug_);
		y += fmt::format("    action: {}\n", o_.mode == Mode::audit ? "audit" : "drop");
		y += "    direction: egress\n";
		y += "    state: new\n";
		y += subject_field(s_);
		out.rules++;
	}

	const LearnedRulesWriter::Options &o_;
	const LearnSubject &s_;
	std::string slug_;
};

} // namespace

LearnedRules LearnedRulesWriter::write(const FlowRun &run) const
{
	LearnedRules out;
	std::vector<std::vector<const LearnedFlow *>> per(run.subjects.size());
	uint64_t total = 0;
	for (const auto &f : run.flows) {
		if (f.subject < per.size())
			per[f.subject].push_back(&f);
		total += f.count;
	}
	std::string &y = out.yaml;
	y += fmt::format("# net-filter rules learned by `net-filter learn` from {}\n",
			 comment_text(describe(run.subjects)));
	y += fmt::format("# from {} to {}: {} connections started, {} distinct.\n", format_time(run.start_us),
			 format_time(run.end_us), total, run.flows.size());
	y += fmt::format(
		"# No `mode:` or `default:`: the file is also a drop-in of a rules file (docs/drop-ins.md). The drop\n"
		"# rules are {}. Review, load, read what they log, then enforce (docs/learn.md):\n"
		"#   net-filter --check --rules FILE\n"
		"#   net-filter --rules FILE --output journal   (or: in /etc/kwarden/net-filter.d/, and reload)\n"
		"#   journalctl -t net-filter MESSAGE_ID=6179665afacf40c6b711d8b2fbe8262e\n"
		"#   sed -i 's/^    action: audit$/    action: drop/' FILE, and reload\n",
		o_.mode == Mode::audit ? "`action: audit` (log, accept)" : "`action: drop`");
	if (run.lost_flows)
		y += fmt::format("# WARNING: {} connections were not counted: the table of {} distinct flows was full: "
				 "this policy misses them (docs/learn.md, limits)\n",
				 run.lost_flows, NF_LEARN_FLOWS_MAX);
	y += "rules:\n";
	std::set<std::string> slugs;
	for (size_t i = 0; i < run.subjects.size(); i++) {
		std::string slug = run.subjects[i].slug(kSlugMax - 2);
		if (!slugs.insert(slug).second) // two subjects named alike: rule names stay unique
			slugs.insert(slug += fmt::format("-{}", i + 1));
		SubjectWriter(o_, run.subjects[i], slug).write(per[i], out);
	}
	return out;
}

} // namespace kw::nf
