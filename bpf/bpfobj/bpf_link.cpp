#include "bpf_link.h"

#include "errors.h"

#include <cerrno>

namespace kw {

Link Link::attach(bpf_program *prog)
{
	bpf_link *l = bpf_program__attach(prog);
	if (!l)
		throw Error(Errc::kernel, std::string("attach ") + bpf_program__name(prog), errno);
	return Link(l);
}

Link Link::open_pinned(const std::string &path)
{
	bpf_link *l = bpf_link__open(path.c_str());
	if (!l) {
		if (errno == ENOENT)
			return Link();
		throw Error(Errc::io, "open pinned link " + path, errno);
	}
	return Link(l);
}

void Link::pin(const std::string &path)
{
	check_bpf(bpf_link__pin(link_, path.c_str()), "pin link at " + path);
}

} // namespace kw
