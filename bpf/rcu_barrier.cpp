#include "rcu_barrier.h"

#include "errors.h"

#include <bpf/bpf.h>
#include <cerrno>

namespace kw {

RcuBarrier::RcuBarrier()
{
	inner_.reset(bpf_map_create(BPF_MAP_TYPE_ARRAY, "kw_rcu_inner", 4, 4, 1, nullptr));
	if (!inner_)
		throw Error(Errc::kernel, "create the RCU barrier's inner map", errno);
	LIBBPF_OPTS(bpf_map_create_opts, opts, .inner_map_fd = uint32_t(inner_.get()));
	outer_.reset(bpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, "kw_rcu_barrier", 4, 4, 1, &opts));
	if (!outer_)
		throw Error(Errc::kernel, "create the RCU barrier map", errno);
}

void RcuBarrier::wait() const
{
	uint32_t zero = 0, inner = uint32_t(inner_.get());
	check_bpf(bpf_map_update_elem(outer_.get(), &zero, &inner, BPF_ANY), "wait for an RCU grace period");
}

} // namespace kw
