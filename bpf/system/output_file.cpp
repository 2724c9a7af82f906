#include "output_file.h"

#include "errors.h"

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

namespace kw {

namespace {

bool is_stdout(const std::string &path) { return path.empty() || path == "-"; }

} // namespace

OutputFile::OutputFile(std::string path) : path_(std::move(path))
{
	if (is_stdout(path_))
		return;
	struct stat st {};
	if (stat(path_.c_str(), &st) == 0) {
		if (S_ISDIR(st.st_mode))
			throw Error(Errc::usage, path_ + " is a directory: name the file to write");
		if (!S_ISREG(st.st_mode)) {
			// A device or a pipe (/dev/null, a process substitution) is
			// written in place: a rename would replace the node itself.
			fd_ = open(path_.c_str(), O_WRONLY | O_CLOEXEC);
			if (fd_ < 0)
				throw Error(Errc::io, "cannot write " + path_ + " (checked before starting)", errno);
			return;
		}
		// A symlink stays one: the file it leads to is replaced.
		char real[PATH_MAX];
		if (realpath(path_.c_str(), real))
			target_ = real;
	}
	if (target_.empty())
		target_ = path_;
	// A temporary name beside it: the rename at the end stays on one
	// filesystem, and its creation proves now that the directory is writable.
	temp_ = target_ + ".XXXXXX";
	fd_ = mkstemp(temp_.data());
	if (fd_ < 0) {
		int e = errno;
		temp_.clear();
		throw Error(Errc::io, "cannot write " + path_ + " (checked before starting, so that nothing is lost)", e);
	}
	// mkstemp makes it 0600; a policy is read by whoever reviews it.
	mode_t mask = umask(0);
	umask(mask);
	(void)fchmod(fd_, 0666 & ~mask);
}

OutputFile::OutputFile(OutputFile &&other) noexcept
	: path_(std::move(other.path_)), target_(std::move(other.target_)), temp_(std::exchange(other.temp_, {})), fd_(std::exchange(other.fd_, -1))
{
}

OutputFile::~OutputFile()
{
	if (fd_ >= 0)
		close(fd_);
	if (!temp_.empty())
		unlink(temp_.c_str());
}

void OutputFile::commit(const std::string &text)
{
	if (is_stdout(path_)) {
		if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() || std::fflush(stdout) != 0)
			throw Error(Errc::io, "write to stdout", errno);
		return;
	}
	if (fd_ < 0)
		throw Error(Errc::io, "write " + path_ + ": written once already");
	const char *p = text.data();
	size_t left = text.size();
	while (left) {
		ssize_t n = write(fd_, p, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			throw Error(Errc::io, "write " + temp_, errno);
		p += n;
		left -= size_t(n);
	}
	if (fsync(fd_) != 0 && errno != EINVAL && errno != EROFS) /* a pipe or device cannot sync */
		throw Error(Errc::io, "write " + temp_, errno);
	close(std::exchange(fd_, -1));
	if (temp_.empty())
		return; // written in place
	if (rename(temp_.c_str(), target_.c_str()) != 0)
		throw Error(Errc::io, "rename " + temp_ + " to " + target_, errno);
	temp_.clear();
}

std::string OutputFile::describe() const { return is_stdout(path_) ? "stdout" : path_; }

} // namespace kw
