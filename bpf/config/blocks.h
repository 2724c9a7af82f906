// An append-only array in 64 KB blocks, addressed by index, whose spans
// (runs appended at once) are contiguous. Blocks come from the heap and go
// back to it when freed, where what is built next takes their pages again:
// one large array would be unmapped when freed and its pages faulted in
// anew, and growing it would copy it. Elements never move.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace kw {

template <typename T> class Blocks {
	static_assert((sizeof(T) & (sizeof(T) - 1)) == 0, "a power-of-two size keeps indexing a shift");

public:
	static constexpr uint32_t kPerBlock = 65536 / sizeof(T);

	// Appends `n` elements in one span; returns the index of the first
	// (0, to be left unread, for no elements).
	uint32_t add(const T *data, size_t n)
	{
		if (!n)
			return 0;
		if (used_ + n > kPerBlock)
			open(n);
		uint32_t first = uint32_t((slots_.size() - 1) * kPerBlock + used_);
		std::copy(data, data + n, slots_.back() + used_);
		used_ += n;
		// A span longer than a block fills the slots it spans.
		while (used_ > kPerBlock) {
			slots_.push_back(slots_.back() + kPerBlock);
			used_ -= kPerBlock;
		}
		return first;
	}
	uint32_t push_back(const T &v) { return add(&v, 1); }

	// Element i, and the rest of its span after it.
	T *at(uint32_t i) { return slots_[i / kPerBlock] + i % kPerBlock; }
	const T *at(uint32_t i) const { return slots_[i / kPerBlock] + i % kPerBlock; }
	T &operator[](uint32_t i) { return *at(i); }
	const T &operator[](uint32_t i) const { return *at(i); }

private:
	// A fresh block, or whole blocks of their own for a span longer than one.
	void open(size_t n)
	{
		owned_.push_back(std::make_unique_for_overwrite<T[]>((n + kPerBlock - 1) / kPerBlock * kPerBlock));
		slots_.push_back(owned_.back().get());
		used_ = 0;
	}

	std::vector<std::unique_ptr<T[]>> owned_;
	std::vector<T *> slots_; // the start of each kPerBlock indices
	size_t used_ = kPerBlock; // in the last slot; full: none yet
};

} // namespace kw
