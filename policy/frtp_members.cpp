#include "frtp_members.h"

#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <filesystem>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

namespace kw::frtp {

namespace {

struct Scanner {
	const CompiledPolicy &p;
	MemberScan &out;
	size_t unreadable = 0;
	std::set<FileId> dirs_done; // nested trees are walked once

	bool is_object(const FileId &id) const { return p.objects.count(id) != 0; }

	// chain: the objects above `dirfd`'s entries, deepest first (dirfd's own
	// directory included when it is one).
	void walk(int dirfd, uint64_t dev, std::vector<FileId> &chain)
	{
		DIR *d = fdopendir(dirfd);
		if (!d) {
			close(dirfd);
			unreadable++;
			return;
		}
		while (struct dirent *e = readdir(d)) {
			if (!std::strcmp(e->d_name, ".") || !std::strcmp(e->d_name, ".."))
				continue;
			struct stat st;
			if (fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
				continue; // gone meanwhile
			out.files++;
			FileId id{kernel_dev(st.st_dev), st.st_ino};
			if (S_ISDIR(st.st_mode)) {
				if (id.dev != dev || !dirs_done.insert(id).second)
					continue; // a mount point: another filesystem, not in the tree
				int fd = openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
				if (fd < 0) {
					unreadable++;
					continue;
				}
				bool obj = is_object(id);
				if (obj)
					chain.insert(chain.begin(), id);
				walk(fd, dev, chain);
				if (obj)
					chain.erase(chain.begin());
			} else if (st.st_nlink > 1 && id.dev == dev) {
				auto c = chain;
				if (c.size() > FRTP_HITS)
					c.resize(FRTP_HITS + 1);
				auto [it, fresh] = out.members.emplace(id, c);
				// Names under two different chains: one chain per file
				// in the kernel, so it fails closed, as a link would.
				if (!fresh && it->second != c && it->second.size() <= FRTP_HITS) {
					it->second.assign(FRTP_HITS + 1, it->second.empty() ? id : it->second.front());
					out.conflicts++;
				}
			}
		}
		closedir(d);
	}
};

} // namespace

frtp_member member_value(const std::vector<FileId> &chain)
{
	frtp_member m;
	std::memset(&m, 0, sizeof(m));
	m.n = uint32_t(chain.size());
	for (size_t i = 0; i < chain.size() && i < FRTP_HITS; i++) {
		m.dev[i] = chain[i].dev;
		m.ino[i] = chain[i].ino;
	}
	return m;
}

MemberScan scan_members(const CompiledPolicy &p, size_t *unreadable)
{
	namespace fs = std::filesystem;
	MemberScan out;
	Scanner s{p, out, 0, {}};
	for (auto &[id, path] : p.object_paths) {
		if (path.size() < 3 || path.compare(path.size() - 3, 3, "/**") != 0)
			continue;
		if (s.dirs_done.count(id))
			continue; // inside a tree walked already
		std::error_code ec;
		fs::path root = fs::canonical(path.substr(0, path.size() - 3), ec);
		if (ec)
			continue;
		// The objects above the tree on the same filesystem: the kernel's
		// walk meets them too.
		std::vector<FileId> chain;
		for (fs::path d = root;; d = d.parent_path()) {
			struct stat st;
			if (stat(d.c_str(), &st) != 0 || kernel_dev(st.st_dev) != id.dev)
				break;
			FileId a{kernel_dev(st.st_dev), st.st_ino};
			if (p.objects.count(a))
				chain.push_back(a);
			if (d == d.parent_path())
				break;
		}
		int fd = open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0) {
			s.unreadable++;
			continue;
		}
		s.dirs_done.insert(id);
		s.walk(fd, id.dev, chain);
	}
	if (unreadable)
		*unreadable = s.unreadable;
	return out;
}

} // namespace kw::frtp
