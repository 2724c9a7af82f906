// User space's side of the two policy generations (kw_types.h, struct
// kw_live): which one hooks read, the flip, and clearing a retired one.
#pragma once

#include <bpf/libbpf.h>
#include <cstdint>
#include <optional>

namespace kw {

class Generations {
public:
	explicit Generations(bpf_map *live) : live_(live) {}
	// The generation hooks read, or nullopt while no policy is loaded.
	std::optional<uint32_t> live() const;
	// The one hooks do not read: where the next policy is written.
	uint32_t idle() const { return live() ? *live() ^ 1 : 0; }
	// One array write: from the next hook on, `gen` decides.
	void flip(uint32_t gen) const;

private:
	bpf_map *live_;
};

// Deletes the entries of a hash map whose key starts with the __u32 `gen`.
// Only for a generation no hook can read (after RcuBarrier::wait()).
void clear_generation(bpf_map *map, uint32_t gen);

} // namespace kw
