// Move-only owner of a libbpf ring_buffer with a typed C++ callback per map.
#pragma once

#include <bpf/libbpf.h>
#include <functional>
#include <memory>
#include <span>
#include <vector>

namespace kw {

class RingBuffer {
public:
	using Handler = std::function<void(std::span<const std::byte>)>;
	// Records handled per consume() call: a producer faster than the
	// consumer must not keep the event loop from signals and the watchdog.
	static constexpr int default_budget = 4096;

	RingBuffer() = default;
	RingBuffer(RingBuffer &&) noexcept = default;
	RingBuffer &operator=(RingBuffer &&) noexcept = default;
	~RingBuffer();

	// Adds a BPF_MAP_TYPE_RINGBUF map; the first call creates the ring buffer.
	void add(bpf_map *map, Handler handler);
	// Handles at most `budget` available records without blocking; returns
	// how many. More may be left: the epoll descriptor stays readable.
	int consume(int budget = default_budget);
	// Handles every record reserved before the call, however fast the
	// kernel keeps writing (waiting up to a second for one still being
	// written): what a hook emitted before a grace period is decoded before
	// its generation's policy is replaced, or its storm epoch's counts read.
	int drain();
	// -1 before the first add().
	int epoll_fd() const;

private:
	struct Slot {
		RingBuffer *owner;
		Handler handler;
	};
	struct Deleter {
		void operator()(ring_buffer *rb) const { ring_buffer__free(rb); }
	};
	static int dispatch(void *ctx, void *data, size_t size);
	int consume_ring(unsigned i, int budget);
	std::unique_ptr<ring_buffer, Deleter> rb_;
	// Stable addresses: libbpf keeps a pointer to each slot.
	std::vector<std::unique_ptr<Slot>> slots_;
	int left_ = 0;
};

} // namespace kw
