// net-filter: kernel events rendered as records, captured packets written
// with libpcap, and the counter table `net-filter stats` prints. Pure code
// (libpcap's dump functions need no capture privileges), unit-tested.
#pragma once

#include "net_filter.h"
#include "record.h"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

typedef struct pcap pcap_t;
typedef struct pcap_dumper pcap_dumper_t;

namespace kw::nf {

inline constexpr const char *kNetDropMessageId = "973387929a2d48b19defa1e66a0acea5";
inline constexpr const char *kNetAuditMessageId = "6179665afacf40c6b711d8b2fbe8262e";
inline constexpr const char *kNetPolicyMessageId = "5e0b7c3a9d1f4e26b8a4c6d2e0f1a301";      // policy loaded / reloaded / refreshed
inline constexpr const char *kNetPolicyErrorMessageId = "5e0b7c3a9d1f4e26b8a4c6d2e0f1a302"; // reload refused

// "192.0.2.1" / "2001:db8::1" from the event's 16-byte field.
std::string format_addr(uint8_t family, const uint8_t (&a)[16]);
// rule_name "" for the default policy. Owner fields (subject_pid, subject_uid,
// subject_comm) are added when the kernel knew the local socket's owner.
Record net_record(const nf_event &e, const std::string &rule_name, int64_t realtime_usec);

// The capture in a `captures` ring-buffer sample; nullptr when the sample is
// shorter than its header or than the packet bytes its caplen claims. The
// kernel submits whole records, but the writer must never read past a sample.
const nf_capture *capture_of(std::span<const std::byte> sample);

// Captured packets (raw IP, LINKTYPE_RAW) appended to a pcap file.
class PcapWriter {
public:
	PcapWriter() = default;
	~PcapWriter();
	PcapWriter(const PcapWriter &) = delete;
	PcapWriter &operator=(const PcapWriter &) = delete;
	// Creates the file (and its directory) or appends to it. Throws Error(io).
	void open(const std::string &path);
	bool is_open() const { return dumper_ != nullptr; }
	const std::string &path() const { return path_; }
	void write(const nf_capture &c, int64_t realtime_usec);
	void flush();
	void close();
	uint64_t written() const { return written_; }

private:
	pcap_t *pcap_ = nullptr;
	pcap_dumper_t *dumper_ = nullptr;
	std::string path_;
	uint64_t written_ = 0;
};

struct StatRow {
	std::string rule; // "#3 no-telnet" or "default ingress"
	std::string action;
	uint64_t packets = 0, bytes = 0;
	// A direction no rule looks at, whose default accepts, has no hook
	// (net_filter.cpp, filters()): nothing counts its packets.
	bool counted = true;
};
std::string format_stats(const std::vector<StatRow> &rows);

} // namespace kw::nf
