// Move-only owner of a bpftool-generated skeleton. bpftool emits static
// open/load/attach/destroy members for C++, which is all this needs.
#pragma once

#include "errors.h"

#include <bpf/libbpf.h>
#include <cerrno>
#include <string>
#include <utility>

namespace kw {

template <typename S> class Skeleton {
public:
	// Opens the embedded BPF object; rodata may be set before load().
	static Skeleton open(const std::string &tool)
	{
		S *s = S::open();
		if (!s)
			throw Error(Errc::kernel, "open BPF object of " + tool, errno);
		return Skeleton(s, tool);
	}
	Skeleton(Skeleton &&o) noexcept : s_(std::exchange(o.s_, nullptr)), tool_(std::move(o.tool_)) {}
	Skeleton &operator=(Skeleton &&o) noexcept
	{
		if (this != &o) {
			reset();
			s_ = std::exchange(o.s_, nullptr);
			tool_ = std::move(o.tool_);
		}
		return *this;
	}
	Skeleton(const Skeleton &) = delete;
	Skeleton &operator=(const Skeleton &) = delete;
	~Skeleton() { reset(); }

	void load() { check_bpf(S::load(s_), "load BPF programs of " + tool_ + " (see the verifier log above)"); }
	void attach() { check_bpf(S::attach(s_), "attach BPF programs of " + tool_); }
	// Ends what attach() started; the maps stay readable.
	void detach() { S::detach(s_); }

	S *operator->() const { return s_; }
	S *get() const { return s_; }

private:
	Skeleton(S *s, std::string tool) : s_(s), tool_(std::move(tool)) {}
	void reset()
	{
		if (s_)
			S::destroy(s_);
		s_ = nullptr;
	}
	S *s_ = nullptr;
	std::string tool_;
};

} // namespace kw
