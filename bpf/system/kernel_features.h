// Kernel feature probes. Each is computed once per process and cached; each
// failure message tells the operator what to change.
#pragma once

#include <string>
#include <vector>

namespace kw {

struct KernelVersion {
	int major = 0, minor = 0, patch = 0;
	bool at_least(int ma, int mi) const { return major > ma || (major == ma && minor >= mi); }
	std::string str() const;
};

struct Probe {
	bool ok = false;
	std::string detail; // why not, and how to fix it
};

class Features {
public:
	static const KernelVersion &kernel();
	static const Probe &btf();
	static const Probe &bpf_lsm();
	static const Probe &netfilter_link();
	// The active LSMs in order, e.g. {"lockdown","capability","landlock","bpf"}.
	static const std::vector<std::string> &lsm_list();
	// Whether this kernel has the LSM hook `name` ("inode_set_acl": its
	// bpf_lsm_inode_set_acl in the kernel's BTF); programs for hooks it
	// lacks are left out before load.
	static bool lsm_hook(const std::string &name);
	// Tracepoint programs find their ids in tracefs; systemd mounts it, a bare
	// system may not. Mounts /sys/kernel/tracing when needed.
	static const Probe &tracefs();
	// Throws Error(Errc::unsupported) with the probe's detail unless ok.
	static void require(const Probe &p, const std::string &tool);
};

// Pure helpers, exposed for unit tests.
KernelVersion parse_kernel_release(const std::string &release);
std::vector<std::string> split_lsm_list(const std::string &list);
std::string lsm_boot_parameter(const std::vector<std::string> &active);

} // namespace kw
