#include "control_socket.h"

#include "cgroup_resolver.h"
#include "errors.h"

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace kw {

namespace {
sockaddr_un address(const std::string &path)
{
	sockaddr_un a{};
	a.sun_family = AF_UNIX;
	if (path.size() >= sizeof(a.sun_path))
		throw Error(Errc::io, "control socket path too long: " + path);
	memcpy(a.sun_path, path.c_str(), path.size() + 1);
	return a;
}

} // namespace

std::string ControlSocket::path(const std::string &name, const std::string &dir)
{
	return fmt::format("{}/{}.sock", dir, name);
}

ControlSocket::ControlSocket(const std::string &name, const std::string &dir) : path_(path(name, dir))
{
	mkdir(dir.c_str(), 0700);
	listen_.reset(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
	if (!listen_)
		throw Error(Errc::io, "control socket", errno);
	sockaddr_un a = address(path_);
	// A second daemon would take over the pins of the first, which goes on
	// running: one daemon per name. A socket nobody answers on is a
	// previous daemon's, left by a crash.
	if (daemon_answers(name, dir))
		throw Error(Errc::usage, fmt::format("a {} daemon is already running (it answers on {}); stop it first "
						     "(systemctl stop, or `stop`)",
						     name, path_));
	unlink(path_.c_str());
	mode_t old = umask(0077);
	int rc = bind(listen_.get(), reinterpret_cast<sockaddr *>(&a), sizeof(a));
	umask(old);
	if (rc || listen(listen_.get(), 4))
		throw Error(Errc::io, "listen on " + path_, errno);
}

ControlSocket::~ControlSocket()
{
	if (listen_)
		unlink(path_.c_str());
}

bool ControlSocket::accept_stop(StopRequest &who)
{
	UniqueFd c(accept4(listen_.get(), nullptr, nullptr, SOCK_CLOEXEC));
	if (!c)
		return false;
	ucred cred{};
	socklen_t len = sizeof(cred);
	if (getsockopt(c.get(), SOL_SOCKET, SO_PEERCRED, &cred, &len))
		return false;
	// The request is one short line; a client that sends nothing is not
	// waited for.
	timeval tv{1, 0};
	setsockopt(c.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	char buf[16] = {};
	ssize_t n = read(c.get(), buf, sizeof(buf) - 1);
	std::string req(buf, n > 0 ? size_t(n) : 0);
	auto answer = [&](const std::string &s) { (void)!write(c.get(), s.data(), s.size()); };
	if (req != "stop\n") {
		answer("error: unknown request (this socket takes \"stop\")\n");
		return false;
	}
	if (cred.uid != 0) {
		answer("error: only root may stop the daemon\n");
		return false;
	}
	who = {cred.pid, cred.uid, exe_of_pid(cred.pid), unit_of_pid(cred.pid)};
	client_ = std::move(c);
	return true;
}

void ControlSocket::finish(const std::string &message)
{
	if (!client_)
		return;
	std::string line = message + "\n";
	(void)!write(client_.get(), line.data(), line.size());
	client_.reset();
}

bool daemon_answers(const std::string &name, const std::string &dir)
{
	sockaddr_un a = address(ControlSocket::path(name, dir));
	UniqueFd probe(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
	return probe && connect(probe.get(), reinterpret_cast<sockaddr *>(&a), sizeof(a)) == 0;
}

std::string exe_of_pid(pid_t pid)
{
	char buf[PATH_MAX];
	ssize_t n = readlink(fmt::format("/proc/{}/exe", pid).c_str(), buf, sizeof(buf) - 1);
	return n > 0 ? std::string(buf, size_t(n)) : "?";
}

std::string unit_of_pid(pid_t pid)
{
	std::string path = cgroup_v2_path(std::to_string(pid));
	auto slash = path.rfind('/');
	return slash == std::string::npos ? "" : path.substr(slash + 1);
}

int request_stop(const std::string &tool, const std::string &name, const std::string &dir)
{
	std::string p = ControlSocket::path(name, dir);
	UniqueFd s(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
	sockaddr_un a = address(p);
	if (!s || connect(s.get(), reinterpret_cast<sockaddr *>(&a), sizeof(a))) {
		fmt::print(stderr,
			   "{}: no running daemon answers at {} ({}); enforcement a killed daemon left pinned is removed "
			   "with `{} detach`\n",
			   tool, p, strerror(errno), tool);
		return 1;
	}
	if (write(s.get(), "stop\n", 5) != 5) {
		fmt::print(stderr, "{}: cannot send the stop request: {}\n", tool, strerror(errno));
		return 1;
	}
	// The daemon answers once it has stopped: pins removed, links detached.
	std::string reply;
	char buf[256];
	ssize_t n;
	while ((n = read(s.get(), buf, sizeof(buf))) > 0)
		reply.append(buf, size_t(n));
	if (reply.starts_with("error")) {
		fmt::print(stderr, "{}: {}", tool, reply);
		return 1;
	}
	fmt::print("{}: {}", tool, reply.empty() ? "stopped\n" : reply);
	return 0;
}

} // namespace kw
