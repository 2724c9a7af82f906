#include "pin_reader.h"

#include <algorithm>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <unistd.h>

namespace kw::audit {

namespace fs = std::filesystem;

PinReader::PinReader(std::string root) : root_(std::move(root)) {}

std::vector<std::string> PinReader::names() const
{
	std::vector<std::string> v;
	std::error_code ec;
	for (auto &e : fs::directory_iterator(root_, ec))
		if (e.is_directory(ec))
			v.push_back(e.path().filename().string());
	std::sort(v.begin(), v.end());
	return v;
}

PinState PinReader::read(const std::string &name) const
{
	PinState s;
	s.name = name;
	std::error_code ec;
	fs::path dir = fs::path(root_) / name;
	fs::directory_iterator it(dir, ec);
	if (ec) {
		if (ec == std::errc::permission_denied) {
			s.readable = false;
			s.note = "pins not readable: run as root";
		} else if (ec != std::errc::no_such_file_or_directory) {
			s.readable = false;
			s.note = "pins not readable: " + ec.message();
		} else if (!fs::exists(root_, ec) && geteuid() != 0) {
			// /sys/fs/bpf itself is 0700: an unprivileged reader sees nothing.
			s.readable = access("/sys/fs/bpf", X_OK) == 0;
			if (!s.readable)
				s.note = "pins not readable: run as root";
		}
		return s;
	}
	s.present = true;
	for (auto &e : it) {
		std::string f = e.path().filename().string();
		if (f.starts_with("link_kw_guard_"))
			s.guarded = true;
		else if (f.starts_with("link_"))
			s.links++;
	}
	if (s.guarded) {
		s.note = "maps not read: the guard protects them (figures from the journal)";
		return s;
	}
	if (geteuid() != 0) {
		s.note = "maps not read: run as root";
		return s;
	}
	uint32_t zero = 0;
	int fd = bpf_obj_get((dir / "kw_live").c_str());
	if (fd >= 0) {
		uint32_t live[2] = {};
		if (!bpf_map_lookup_elem(fd, &zero, live))
			s.loaded = live[1] != 0;
		close(fd);
	}
	fd = bpf_obj_get((dir / "kw_lost").c_str());
	if (fd >= 0) {
		int ncpu = libbpf_num_possible_cpus();
		std::vector<uint64_t> v(ncpu > 0 ? ncpu : 1);
		if (!bpf_map_lookup_elem(fd, &zero, v.data())) {
			uint64_t sum = 0;
			for (auto n : v)
				sum += n;
			s.lost = sum;
		}
		close(fd);
	}
	return s;
}

} // namespace kw::audit
