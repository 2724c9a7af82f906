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

	RingBuffer() = default;
	RingBuffer(RingBuffer &&) noexcept = default;
	RingBuffer &operator=(RingBuffer &&) noexcept = default;
	~RingBuffer();

	// Adds a BPF_MAP_TYPE_RINGBUF map; the first call creates the ring buffer.
	void add(bpf_map *map, Handler handler);
	// Consumes everything available without blocking; returns records handled.
	int consume();
	int epoll_fd() const;

private:
	struct Deleter {
		void operator()(ring_buffer *rb) const { ring_buffer__free(rb); }
	};
	static int dispatch(void *ctx, void *data, size_t size);
	std::unique_ptr<ring_buffer, Deleter> rb_;
	// Stable addresses: libbpf keeps a pointer to each handler.
	std::vector<std::unique_ptr<Handler>> handlers_;
};

} // namespace kw
