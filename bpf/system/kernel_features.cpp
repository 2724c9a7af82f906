#include "kernel_features.h"

#include "errors.h"

#include <algorithm>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <cstring>
#include <fstream>
#include <sstream>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/utsname.h>

namespace kw {

std::string KernelVersion::str() const { return fmt::format("{}.{}.{}", major, minor, patch); }

KernelVersion parse_kernel_release(const std::string &release)
{
	KernelVersion v;
	if (sscanf(release.c_str(), "%d.%d.%d", &v.major, &v.minor, &v.patch) < 2)
		return KernelVersion{};
	return v;
}

std::vector<std::string> split_lsm_list(const std::string &list)
{
	std::vector<std::string> out;
	std::stringstream ss(list);
	std::string item;
	while (std::getline(ss, item, ','))
		if (!item.empty() && item != "\n")
			out.push_back(item.back() == '\n' ? item.substr(0, item.size() - 1) : item);
	return out;
}

std::string lsm_boot_parameter(const std::vector<std::string> &active)
{
	std::vector<std::string> lsms = active;
	if (std::find(lsms.begin(), lsms.end(), "bpf") == lsms.end())
		lsms.push_back("bpf");
	return fmt::format("lsm={}", fmt::join(lsms, ","));
}

const KernelVersion &Features::kernel()
{
	static const KernelVersion v = [] {
		utsname u{};
		uname(&u);
		return parse_kernel_release(u.release);
	}();
	return v;
}

const std::vector<std::string> &Features::lsm_list()
{
	static const std::vector<std::string> list = [] {
		struct stat st{};
		if (stat("/sys/kernel/security/lsm", &st) != 0)
			mount("securityfs", "/sys/kernel/security", "securityfs", 0, nullptr);
		std::ifstream f("/sys/kernel/security/lsm");
		std::string s;
		std::getline(f, s);
		return split_lsm_list(s);
	}();
	return list;
}

bool Features::lsm_hook(const std::string &name)
{
	bool found = false;
	if (struct btf *vmlinux = btf__load_vmlinux_btf()) {
		found = btf__find_by_name_kind(vmlinux, ("bpf_lsm_" + name).c_str(), BTF_KIND_FUNC) > 0;
		btf__free(vmlinux);
	}
	return found;
}

const Probe &Features::btf()
{
	static const Probe p = [] {
		struct stat st{};
		if (stat("/sys/kernel/btf/vmlinux", &st) == 0)
			return Probe{true, "kernel BTF at /sys/kernel/btf/vmlinux"};
		return Probe{false, "the kernel has no BTF (/sys/kernel/btf/vmlinux is missing): "
				    "use a kernel built with CONFIG_DEBUG_INFO_BTF=y (Debian, Ubuntu, "
				    "Fedora and RHEL kernels are)"};
	}();
	return p;
}

const Probe &Features::bpf_lsm()
{
	static const Probe p = [] {
		const auto &lsms = lsm_list();
		if (lsms.empty())
			return Probe{false, "cannot read the active LSM list (/sys/kernel/security/lsm); "
					    "mount securityfs or run as root"};
		if (std::find(lsms.begin(), lsms.end(), "bpf") == lsms.end())
			return Probe{false, fmt::format("BPF LSM is not active (active LSMs: {}); add '{}' to the "
							"kernel command line (e.g. GRUB_CMDLINE_LINUX in "
							"/etc/default/grub, then update-grub and reboot); the "
							"kernel needs CONFIG_BPF_LSM=y",
							fmt::join(lsms, ","), lsm_boot_parameter(lsms))};
		// Active in the list is not enough: some kernels still refuse LSM programs.
		if (libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_LSM, nullptr) != 1)
			return Probe{false, fmt::format("the kernel runs lsm={} but refuses to load BPF_PROG_TYPE_LSM "
							"programs, so adding a boot parameter will not help: it needs "
							"CONFIG_BPF_LSM=y and no lockdown or vendor restriction on BPF",
							fmt::join(lsms, ","))};
		return Probe{true, fmt::format("BPF LSM active ({})", fmt::join(lsms, ","))};
	}();
	return p;
}

const Probe &Features::netfilter_link()
{
	static const Probe p = [] {
		// Probed, not read from the version: distributions backport.
		if (libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_NETFILTER, nullptr) != 1)
			return Probe{false, fmt::format("the kernel ({}) cannot load BPF_PROG_TYPE_NETFILTER programs: "
							"netfilter BPF links need Linux 6.4 or later with "
							"CONFIG_NETFILTER_BPF_LINK=y",
							kernel().str())};
		return Probe{true, "netfilter BPF links available"};
	}();
	return p;
}

const Probe &Features::tracefs()
{
	static const Probe p = [] {
		struct stat st{};
		if (stat("/sys/kernel/tracing/events", &st) == 0 || stat("/sys/kernel/debug/tracing/events", &st) == 0)
			return Probe{true, "tracefs mounted"};
		if (mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, nullptr) == 0)
			return Probe{true, "tracefs mounted at /sys/kernel/tracing"};
		return Probe{false, fmt::format("tracefs is not mounted and mounting it at /sys/kernel/tracing failed ({}); "
						"mount it: mount -t tracefs tracefs /sys/kernel/tracing",
						std::strerror(errno))};
	}();
	return p;
}

void Features::require(const Probe &p, const std::string &tool)
{
	if (!p.ok)
		throw Error(Errc::unsupported, fmt::format("{} cannot run on this kernel: {}", tool, p.detail));
}

} // namespace kw
