// net-filter's two ring buffers: the first byte picks one (even: `events`,
// odd: `captures`), the rest is the sample, handled as net_filter.cpp does:
// a verdict named from the policy of its generation and rendered, or a
// captured packet appended to a pcap file.
#include "fuzz.h"
#include "net_filter_record.h"
#include "net_filter_rules.h"
#include "record.h"

#include <fmt/format.h>

using namespace kw::nf;

namespace {

const CompiledPolicy &policy()
{
	static const CompiledPolicy c = [] {
		Resolvers none{[](const std::string &) { return std::optional<uint32_t>(); },
			       [](const std::string &) { return std::optional<ExeId>(); },
			       [](const std::string &) { return std::optional<uint64_t>(); }};
		return compile_policy(parse_policy("rules:\n"
						   "  - {name: ssh, action: drop, direction: ingress, protocol: tcp, dport: 22}\n"
						   "  - {action: audit, direction: egress, dst: 192.0.2.0/24}\n",
						   "fuzz.yaml", none));
	}();
	return c;
}

void verdict(const kw::fuzz::Sample &s)
{
	auto *ev = s.as<nf_event>();
	if (!ev)
		return;
	const auto &c = policy();
	// As the daemon names it: from the generation's policy, "rule-N" past its end.
	std::string name = ev->gen == 1 ? c.name(ev->rule) : fmt::format("rule-{}", ev->rule + 1);
	kw::fuzz::render(net_record(*ev, name, kw::fuzz::realtime_usec(ev->boot_ns)));
}

void capture(const kw::fuzz::Sample &s)
{
	static PcapWriter pcap;
	if (!pcap.is_open())
		pcap.open("/dev/null"); // libpcap's own writing is exercised, nothing kept
	if (const nf_capture *c = capture_of(s.bytes()))
		pcap.write(*c, kw::fuzz::realtime_usec(c->boot_ns));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	kw::fuzz::Sample s(data + 1, size - 1);
	kw::fuzz::no_exception([&] { data[0] & 1 ? capture(s) : verdict(s); });
	return 0;
}
