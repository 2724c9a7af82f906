#include "ring_buffer.h"

#include "errors.h"

#include <cerrno>
#include <chrono>
#include <thread>

namespace kw {

namespace {
// What dispatch() returns to make libbpf stop: it has already moved the
// consumer past the record just handled, so nothing is read twice.
constexpr int budget_spent = -EDQUOT;
} // namespace

RingBuffer::~RingBuffer() = default;

int RingBuffer::dispatch(void *ctx, void *data, size_t size)
{
	auto *slot = static_cast<Slot *>(ctx);
	slot->handler(std::span<const std::byte>(static_cast<std::byte *>(data), size));
	return --slot->owner->left_ > 0 ? 0 : budget_spent;
}

void RingBuffer::add(bpf_map *map, Handler handler)
{
	auto &s = slots_.emplace_back(std::make_unique<Slot>(Slot{this, std::move(handler)}));
	if (!rb_) {
		ring_buffer *rb = ring_buffer__new(bpf_map__fd(map), dispatch, s.get(), nullptr);
		if (!rb) {
			int err = errno;
			slots_.pop_back();
			throw Error(Errc::kernel, "create ring buffer", err);
		}
		rb_.reset(rb);
		return;
	}
	if (int err = ring_buffer__add(rb_.get(), bpf_map__fd(map), dispatch, s.get())) {
		slots_.pop_back(); // one slot per ring: consume() indexes rings by slot
		check_bpf(err, "add ring buffer");
	}
}

int RingBuffer::consume_ring(unsigned i, int budget)
{
	left_ = budget;
	int n = ring__consume(ring_buffer__ring(rb_.get(), i));
	if (n == budget_spent)
		return budget;
	if (n < 0 && n != -EINTR)
		throw Error(Errc::kernel, "consume ring buffer", -n);
	return budget - left_;
}

int RingBuffer::consume(int budget)
{
	// Ring by ring, each with its own budget: a flooded ring does not
	// starve the others.
	int total = 0;
	for (unsigned i = 0; rb_ && budget > 0 && i < slots_.size(); i++)
		total += consume_ring(i, budget);
	return total;
}

int RingBuffer::drain()
{
	// A record reserved but not committed yet stops the consumer, and the
	// committed records behind it with it. A hook that began before the
	// call may sit there behind one that began after it (KernelStorm: an
	// old epoch's first record behind a new epoch's), so the wait for the
	// later hook to commit is part of the drain; bounded, since a hook is
	// short unless its CPU is taken away (a loaded host under a VM).
	constexpr auto patience = std::chrono::seconds(1);
	auto deadline = std::chrono::steady_clock::now() + patience;
	int total = 0;
	for (unsigned i = 0; rb_ && i < slots_.size(); i++) {
		ring *r = ring_buffer__ring(rb_.get(), i);
		unsigned long until = ring__producer_pos(r);
		while (ring__consumer_pos(r) < until) {
			unsigned long before = ring__consumer_pos(r);
			total += consume_ring(i, default_budget);
			if (ring__consumer_pos(r) != before)
				continue;
			if (std::chrono::steady_clock::now() >= deadline)
				break;
			std::this_thread::sleep_for(std::chrono::microseconds(50));
		}
	}
	return total;
}

int RingBuffer::epoll_fd() const { return rb_ ? ring_buffer__epoll_fd(rb_.get()) : -1; }

} // namespace kw
