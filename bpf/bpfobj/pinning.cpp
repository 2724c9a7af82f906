#include "pinning.h"

#include "errors.h"
#include "kernel_features.h"

#include <bpf/bpf.h>
#include <cstring>
#include <fmt/format.h>
#include <unistd.h>

namespace kw {

void require_bpf_lsm(const std::string &tool)
{
	const auto &p = Features::bpf_lsm();
	if (p.ok)
		return;
	// The probe's detail already names the lsm= parameter when bpf is missing
	// from the list; when it is listed but refused, a boot parameter won't help.
	throw Error(Errc::unsupported,
		    fmt::format("{} needs BPF LSM: {}; enforcement can be tried in the test VM: make demo", tool,
				p.detail));
}

void pin_maps(const PinDir &pins, const std::vector<bpf_map *> &maps)
{
	for (bpf_map *m : maps)
		check_bpf(bpf_map__set_pin_path(m, (pins / bpf_map__name(m)).c_str()),
			  std::string("set pin path of ") + bpf_map__name(m));
}

std::vector<Link> attach_and_pin(bpf_object *obj, const PinDir &pins, int &adopted,
				 const std::function<bool(const bpf_program *)> &which)
{
	std::vector<Link> links, old;
	bpf_program *prog;
	bpf_object__for_each_program(prog, obj)
	{
		if (!bpf_program__autoload(prog) || (which && !which(prog)))
			continue;
		std::string path = pins / (std::string("link_") + bpf_program__name(prog));
		Link l = Link::attach(prog);
		// Checked first: libbpf warns on every missing pin, and a first start has none.
		Link prev = access(path.c_str(), F_OK) == 0 ? Link::open_pinned(path) : Link();
		if (prev) {
			adopted++;
			unlink(path.c_str());
			old.push_back(std::move(prev));
		}
		l.pin(path);
		links.push_back(std::move(l));
	}
	return links; // `old` closes here: the previous programs detach, the new ones already run
}

} // namespace kw
