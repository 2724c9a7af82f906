#include "ring_buffer.h"

#include "errors.h"

#include <cerrno>

namespace kw {

RingBuffer::~RingBuffer() = default;

int RingBuffer::dispatch(void *ctx, void *data, size_t size)
{
	(*static_cast<Handler *>(ctx))(std::span<const std::byte>(static_cast<std::byte *>(data), size));
	return 0;
}

void RingBuffer::add(bpf_map *map, Handler handler)
{
	auto &h = handlers_.emplace_back(std::make_unique<Handler>(std::move(handler)));
	if (!rb_) {
		ring_buffer *rb = ring_buffer__new(bpf_map__fd(map), dispatch, h.get(), nullptr);
		if (!rb)
			throw Error(Errc::kernel, "create ring buffer", errno);
		rb_.reset(rb);
		return;
	}
	check_bpf(ring_buffer__add(rb_.get(), bpf_map__fd(map), dispatch, h.get()), "add ring buffer");
}

int RingBuffer::consume()
{
	int n = ring_buffer__consume(rb_.get());
	if (n < 0 && n != -EINTR)
		throw Error(Errc::kernel, "consume ring buffer", -n);
	return n < 0 ? 0 : n;
}

int RingBuffer::epoll_fd() const { return ring_buffer__epoll_fd(rb_.get()); }

} // namespace kw
