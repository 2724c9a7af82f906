// rm-forbid: who holds a file, found in user space at report time by
// scanning /proc/<pid>/fd, /proc/<pid>/maps and /proc/<pid>/exe for its
// device and inode. Pure apart from reading the given proc root.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kw::rmf {

struct Holder {
	uint32_t pid = 0;
	std::string comm;
	std::vector<std::string> how; // "fd 3", "mapped", "exe"
	std::string describe() const; // "sleep(812) fd 3"
};

struct MapsEntry {
	uint64_t dev = 0; // kernel encoding (major << 20 | minor)
	uint64_t ino = 0;
	std::string path;
};

// One line of /proc/<pid>/maps; nullopt for anonymous mappings (inode 0).
std::optional<MapsEntry> parse_maps_line(const std::string &line);

// Every process holding {dev, ino} (dev in the kernel's encoding), at most
// max_holders, by pid. The file may be gone by the time this runs: a holder
// that let go is simply not found.
std::vector<Holder> find_holders(uint64_t dev, uint64_t ino, const std::string &proc = "/proc",
				 size_t max_holders = 16);

} // namespace kw::rmf
