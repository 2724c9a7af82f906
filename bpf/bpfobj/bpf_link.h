// Move-only owner of a bpf_link. Destroying it detaches the program unless
// the link was pinned, in which case the pin keeps the attachment alive.
#pragma once

#include <bpf/libbpf.h>
#include <string>
#include <utility>

namespace kw {

class Link {
public:
	Link() = default;
	explicit Link(bpf_link *l) : link_(l) {}
	Link(Link &&o) noexcept : link_(std::exchange(o.link_, nullptr)) {}
	Link &operator=(Link &&o) noexcept
	{
		if (this != &o) {
			reset();
			link_ = std::exchange(o.link_, nullptr);
		}
		return *this;
	}
	Link(const Link &) = delete;
	Link &operator=(const Link &) = delete;
	~Link() { reset(); }

	bpf_link *get() const { return link_; }
	explicit operator bool() const { return link_ != nullptr; }
	void reset()
	{
		if (link_)
			bpf_link__destroy(link_);
		link_ = nullptr;
	}
	// Attaches prog (throws Error on failure).
	static Link attach(bpf_program *prog);
	// Opens a link pinned at path; an empty Link when nothing is pinned there.
	static Link open_pinned(const std::string &path);
	void pin(const std::string &path);

private:
	bpf_link *link_ = nullptr;
};

} // namespace kw
