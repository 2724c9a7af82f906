#!/bin/sh
# make demo: enforce the example policies and show the journald audit trail.
# BPF LSM enforcement needs a kernel that runs LSM programs: on the host when
# it can, else inside the test VM (Debian's kernel, recipe in test/vm/).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
lsm_ok() {
	[ "$(id -u)" -eq 0 ] || return 1
	[ -r /sys/kernel/security/lsm ] || mount -t securityfs securityfs /sys/kernel/security 2>/dev/null || true
	grep -q bpf /sys/kernel/security/lsm 2>/dev/null || return 1
	# Listed is not enough: some kernels still refuse LSM programs.
	bpftool feature probe kernel 2>/dev/null | grep -q "eBPF program_type lsm is available"
}
if [ "${KWARDEN_DEMO_HOST:-}" = 1 ] || { [ -z "${KWARDEN_DEMO_VM:-}" ] && lsm_ok; }; then
	echo "demo: this kernel runs BPF LSM programs; running on the host (installs the toolkit with make install)"
	make -C "$root" install >/dev/null
	exec "$root/script/demo-guest.sh"
fi
echo "demo: this kernel does not run BPF LSM programs; running the demo in the test VM"
exec "$root/test/vm/run" "$root/script/demo-guest.sh"
