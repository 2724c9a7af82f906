#include "policy_links.h"

#include "errors.h"

#include <cerrno>
#include <cstring>
#include <spdlog/spdlog.h>

namespace kw {

int PolicyLinks::adopt(const PinDir &pins)
{
	int n = 0;
	for (auto &s : specs_) {
		if (held_.count(s.pin) || !pins.exists(s.pin))
			continue;
		if (Link l = Link::open_pinned(pins / s.pin)) {
			held_.emplace(s.pin, std::move(l));
			n++;
		}
	}
	return n;
}

void PolicyLinks::attach_for(const LoadedPolicy &p, const PinDir &pins,
			     const std::function<void(const Link &)> &added)
{
	for (auto &s : specs_) {
		if (held_.count(s.pin) || !s.needed(p))
			continue;
		// A pin without a daemon holding it: a previous daemon's, adopted
		// after adopt() ran (a restart racing a stop); keep it.
		Link l = pins.exists(s.pin) ? Link::open_pinned(pins / s.pin) : Link();
		if (!l) {
			bpf_link *raw = s.attach();
			if (!raw)
				throw Error(Errc::kernel, "attach " + s.pin + ", which the new policy needs", errno);
			l = Link(raw);
			l.pin(pins / s.pin);
		}
		if (added)
			added(l);
		spdlog::debug("attached {}: the policy needs it", s.pin);
		held_.emplace(s.pin, std::move(l));
	}
}

void PolicyLinks::release_for(const LoadedPolicy &p, const std::function<void(const Link &)> &removing)
{
	for (auto &s : specs_) {
		auto it = held_.find(s.pin);
		if (it == held_.end() || s.needed(p))
			continue;
		if (removing)
			removing(it->second);
		// Unpinned, then closed: the kernel detaches a link when its last
		// reference goes.
		if (int err = bpf_link__unpin(it->second.get()); err && err != -ENOENT)
			spdlog::warn("unpin {}: {}", s.pin, strerror(-err));
		held_.erase(it);
		spdlog::debug("detached {}: the policy in force does not need it", s.pin);
	}
}

std::vector<std::string> PolicyLinks::attached() const
{
	std::vector<std::string> v;
	for (auto &[pin, l] : held_)
		v.push_back(pin);
	return v;
}

} // namespace kw
