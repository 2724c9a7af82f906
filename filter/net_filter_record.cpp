#include "net_filter_record.h"

#include "errors.h"
#include "net_filter_rules.h"

#include <arpa/inet.h>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>
#include <pcap/pcap.h>
#include <syslog.h>

namespace kw::nf {

std::string format_addr(uint8_t family, const uint8_t (&a)[16])
{
	char buf[INET6_ADDRSTRLEN] = "";
	inet_ntop(family == 4 ? AF_INET : AF_INET6, a, buf, sizeof(buf));
	return buf;
}

static bool has_ports(uint8_t proto) { return proto == IPPROTO_TCP || proto == IPPROTO_UDP; }

Record net_record(const nf_event &e, const std::string &rule_name, int64_t realtime_usec)
{
	bool drop = e.action == NF_ACT_DROP;
	Record r(drop ? "drop" : "audit", drop ? kNetDropMessageId : kNetAuditMessageId, drop ? LOG_WARNING : LOG_NOTICE);
	r.realtime_usec = realtime_usec;
	std::string proto = proto_string(e.proto);
	std::string src = format_addr(e.family, e.src), dst = format_addr(e.family, e.dst);
	auto ep = [&](const std::string &a, uint16_t port) {
		if (!has_ports(e.proto))
			return a;
		return e.family == 6 ? fmt::format("[{}]:{}", a, port) : fmt::format("{}:{}", a, port);
	};
	std::string iface(e.ifname, strnlen(e.ifname, sizeof(e.ifname)));
	std::string rule = e.rule == NF_NO_RULE ? "default" : rule_name;
	std::string decision = drop ? (e.dropped ? "dropped" : "would drop (audit mode)") : "accepted (audit)";
	r.message = fmt::format("{} {} {} {} -> {} on {} len {} by {}", decision, direction_name(e.dir), proto,
				ep(src, e.sport), ep(dst, e.dport), iface.empty() ? "-" : iface, e.len,
				e.rule == NF_NO_RULE ? "the default policy" : fmt::format("rule #{} {}", e.rule + 1, rule));
	r.add("action", drop ? "drop" : "audit");
	r.add("decision", e.dropped ? "drop" : "accept");
	r.add("mode", drop && !e.dropped ? "audit" : "enforce");
	r.add("rule", rule);
	if (e.rule != NF_NO_RULE)
		r.add("rule_number", int64_t(e.rule) + 1);
	r.add("direction", direction_name(e.dir));
	r.add("protocol", proto);
	r.add("src_addr", src).add("dst_addr", dst);
	if (has_ports(e.proto))
		r.add("src_port", e.sport).add("dst_port", e.dport);
	if (!iface.empty())
		r.add("interface", iface);
	r.add("length", e.len);
	if (e.ct_state) {
		r.message += fmt::format(", state {}", state_name(uint8_t(e.ct_state - 1)));
		r.add("ct_state", state_name(uint8_t(e.ct_state - 1)));
	}
	if (e.has_owner & 1) {
		r.message += fmt::format(" (pid {} {} uid {})", e.owner.pid,
					 std::string(e.owner.comm, strnlen(e.owner.comm, KW_COMM_LEN)), e.sk_uid);
		r.object_pid = int(e.owner.pid);
		r.add("subject_pid", e.owner.pid);
		r.add("subject_comm", std::string(e.owner.comm, strnlen(e.owner.comm, KW_COMM_LEN)));
	} else if (e.has_owner & 2) {
		r.message += fmt::format(" (uid {})", e.sk_uid);
	}
	if (e.has_owner & 2)
		r.add("subject_uid", e.sk_uid);
	return r;
}

const nf_capture *capture_of(std::span<const std::byte> sample)
{
	constexpr size_t header = offsetof(nf_capture, data);
	if (sample.size() < header)
		return nullptr;
	uint32_t caplen;
	std::memcpy(&caplen, sample.data() + offsetof(nf_capture, caplen), sizeof(caplen));
	// What PcapWriter::write reads: caplen, capped as it caps it.
	if (sample.size() - header < std::min<uint32_t>(caplen, NF_CAPTURE_MAX))
		return nullptr;
	return reinterpret_cast<const nf_capture *>(sample.data());
}

PcapWriter::~PcapWriter() { close(); }

void PcapWriter::open(const std::string &path)
{
	close();
	std::error_code ec;
	auto dir = std::filesystem::path(path).parent_path();
	if (!dir.empty())
		std::filesystem::create_directories(dir, ec);
	pcap_ = pcap_open_dead(DLT_RAW, NF_CAPTURE_MAX);
	if (!pcap_)
		throw Error(Errc::io, "pcap_open_dead");
	dumper_ = pcap_dump_open_append(pcap_, path.c_str());
	if (!dumper_) {
		std::string err = pcap_geterr(pcap_);
		pcap_close(pcap_);
		pcap_ = nullptr;
		throw Error(Errc::io, "open capture file " + path + ": " + err);
	}
	path_ = path;
}

// c comes from capture_of(): its data holds caplen bytes (capped), no more.
void PcapWriter::write(const nf_capture &c, int64_t realtime_usec)
{
	if (!dumper_)
		return;
	struct pcap_pkthdr h{};
	h.ts.tv_sec = realtime_usec / 1000000;
	h.ts.tv_usec = realtime_usec % 1000000;
	h.caplen = std::min<uint32_t>(c.caplen, NF_CAPTURE_MAX);
	h.len = std::max(c.len, h.caplen);
	pcap_dump(reinterpret_cast<u_char *>(dumper_), &h, c.data);
	written_++;
}

void PcapWriter::flush()
{
	if (dumper_)
		pcap_dump_flush(dumper_);
}

void PcapWriter::close()
{
	if (dumper_)
		pcap_dump_close(dumper_);
	if (pcap_)
		pcap_close(pcap_);
	dumper_ = nullptr;
	pcap_ = nullptr;
}

std::string format_stats(const std::vector<StatRow> &rows)
{
	size_t w = 4;
	for (auto &r : rows)
		w = std::max(w, r.rule.size());
	std::string out = fmt::format("{:<{}}  {:<7}  {:>12}  {:>14}\n", "rule", w, "action", "packets", "bytes");
	bool uncounted = false;
	for (auto &r : rows) {
		if (r.counted) {
			out += fmt::format("{:<{}}  {:<7}  {:>12}  {:>14}\n", r.rule, w, r.action, r.packets, r.bytes);
			continue;
		}
		out += fmt::format("{:<{}}  {:<7}  {:>12}  {:>14}\n", r.rule, w, r.action, "-", "-");
		uncounted = true;
	}
	if (uncounted)
		out += "-: no rule looks at this direction and its default accepts: it is not hooked, and its packets are "
		       "neither read nor counted\n";
	return out;
}

} // namespace kw::nf
