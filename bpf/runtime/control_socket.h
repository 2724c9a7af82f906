// The controlled stop path (docs/guard.md). With the guard on, no signal
// but SIGHUP reaches the daemon; `<tool> stop` (the units' ExecStop) asks
// through /run/kwarden/<name>.sock instead. Only root may ask, the kernel
// says who asked (SO_PEERCRED), and the daemon records it before it stops.
#pragma once

#include "unique_fd.h"

#include <string>
#include <sys/types.h>

namespace kw {

struct StopRequest {
	pid_t pid = 0;
	uid_t uid = 0;
	std::string exe, unit;
};

class ControlSocket {
public:
	// Listens at <dir>/<name>.sock (root only); throws Error(io).
	explicit ControlSocket(const std::string &name, const std::string &dir = kDefaultDir);
	~ControlSocket();
	ControlSocket(const ControlSocket &) = delete;
	ControlSocket &operator=(const ControlSocket &) = delete;
	int fd() const { return listen_.get(); }
	// Accepts one connection. A stop request from root: true, with who
	// asked; the connection stays open until finish(). Anything else is
	// answered and closed: false.
	bool accept_stop(StopRequest &who);
	// Tells the waiting `<tool> stop` that the daemon stopped.
	void finish(const std::string &message);

	static constexpr const char *kDefaultDir = "/run/kwarden";
	static std::string path(const std::string &name, const std::string &dir = kDefaultDir);

private:
	std::string path_;
	UniqueFd listen_, client_;
};

// Whether a daemon listens on <dir>/<name>.sock (it is running, maybe hung).
bool daemon_answers(const std::string &name, const std::string &dir = ControlSocket::kDefaultDir);
// Who a peer is, from /proc: its executable, and its systemd unit or "".
std::string exe_of_pid(pid_t pid);
std::string unit_of_pid(pid_t pid);

// `<tool> stop`: asks the running daemon to stop and waits until it has.
// Returns the exit code (0 stopped, 1 no daemon or refused).
int request_stop(const std::string &tool, const std::string &name,
		 const std::string &dir = ControlSocket::kDefaultDir);

} // namespace kw
