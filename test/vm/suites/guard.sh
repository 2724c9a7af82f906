#!/bin/bash
# The guard (issue 11, docs/guard.md): root with a shell and bpf(2) tries to
# switch each enforcer off while it runs as its installed unit
# (--guard enforce):
#   maps      a descriptor for a pinned map (to write zeros into the policy),
#             by pin and by id;
#   programs  a descriptor by id (freplace/fexit over ours);
#   links     by id, and BPF_LINK_DETACH / BPF_LINK_UPDATE through a pin;
#   pins      unlink, rename, chmod, rm -rf, umount of the bpffs;
#   daemon    SIGKILL, SIGTERM, SIGSTOP (kill and systemctl kill), ptrace
#             attach, /proc/PID/mem for writing; cgroup.kill,
#             cgroup.freeze and memory.max of its cgroup and of
#             system.slice; oom_score_adj, oom_adj (choom); prlimit
#             (RLIMIT_CPU); SIGKILL as SIGIO (F_SETOWN + F_SETSIG);
#   socket    unlink or rename of its control socket;
#   binary    a second daemon over the same pins, `detach` while it runs,
#             and kwarden's own executable running foreign code
#             (LD_PRELOAD, /etc/ld.so.preload, a symlinked one) or under a
#             tracer (strace): refused what kwarden itself may do.
# A daemon killed in audit mode leaves an unclean-end record at its
# restart; `detach` removes what a dead daemon left pinned, and says who.
# Each is refused, enforcement holds, and journald has a tamper record for
# each kind. systemctl reload, restart and stop still work (the stop names
# who asked), and nothing is left after the stop. In audit mode the same
# attempts succeed and are recorded.
# Usage: test/vm/run test/vm/suites/guard.sh
set -u
export LC_ALL=C
[ "${KWARDEN_IN_VM:-0}" = 1 ] || { echo "SKIP: runs inside the VM (test/vm/run $0)"; exit 77; }
. /kwarden-vmtest/lib.sh
grep -qw bpf /sys/kernel/security/lsm || { kw_fail "the VM kernel does not run the bpf LSM"; kw_done; }
S=/srv/guard P=/tmp/guard
rm -rf $S $P; mkdir -p $S $P
cleanup() {
	rm -f /etc/kwarden/kwarden.env /etc/ld.so.preload
	for u in frtp rm-forbid net-filter; do
		systemctl stop kwarden-$u 2>/dev/null
	done
	[ -s $P/holder ] && kill "$(cat $P/holder)" 2>/dev/null
}
trap cleanup EXIT
echo secret > $S/secret; echo held > $S/held

# bpfctl CMD ARGS: bpf(2) as an attacker would call it; prints "ok" or the errno name.
cat > $P/bpfctl.py <<'PY'
import ctypes, errno, os, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
NR_BPF = 321
def bpf(cmd, attr):
    buf = ctypes.create_string_buffer(attr, 128)
    r = libc.syscall(NR_BPF, cmd, buf, 128)
    if r < 0:
        raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
    return r
def obj_get(path, flags=0):
    p = ctypes.create_string_buffer(path.encode())
    return bpf(7, struct.pack("QII", ctypes.addressof(p), 0, flags))
def get_fd_by_id(cmd, id):
    return bpf(cmd, struct.pack("III", id, 0, 0))
def next_ids(cmd):
    ids, cur = [], 0
    while True:
        buf = ctypes.create_string_buffer(struct.pack("II", cur, 0), 128)
        if libc.syscall(NR_BPF, cmd, buf, 128) < 0:
            return ids
        cur = struct.unpack_from("II", buf.raw)[1]
        ids.append(cur)
def run(what, f):
    try:
        f(); print("ok")
    except OSError as e:
        print(errno.errorcode.get(e.errno, str(e.errno)))
cmd, args = sys.argv[1], sys.argv[2:]
if cmd == "map-pin":        # a writable descriptor for a pinned map, then zeros into key 0
    def f():
        fd = obj_get(args[0])
        key = ctypes.create_string_buffer(64); val = ctypes.create_string_buffer(4096)
        bpf(2, struct.pack("IIQQQ", fd, 0, ctypes.addressof(key), ctypes.addressof(val), 0))
    run(cmd, f)
elif cmd == "map-pin-ro":
    run(cmd, lambda: os.close(obj_get(args[0], 1 << 3)))  # BPF_F_RDONLY
elif cmd in ("map-ids", "prog-ids", "link-ids"):
    # every id: how many refused a descriptor, and how many gave one
    nxt, get = {"map-ids": (12, 14), "prog-ids": (11, 13), "link-ids": (31, 30)}[cmd]
    refused = given = 0
    for i in next_ids(nxt):
        try:
            os.close(get_fd_by_id(get, i)); given += 1
        except OSError as e:
            refused += e.errno == errno.EPERM
    print(f"{refused} {given}")
elif cmd == "link-detach":
    def f():
        fd = obj_get(args[0])
        bpf(34, struct.pack("I", fd))
    run(cmd, f)
elif cmd == "link-update":
    def f():
        fd = obj_get(args[0])
        bpf(29, struct.pack("III", fd, 0, 0))
    run(cmd, f)
elif cmd == "ptrace":
    PTRACE_ATTACH = 16
    r = libc.ptrace(PTRACE_ATTACH, int(args[0]), 0, 0)
    print("ok" if r == 0 else errno.errorcode.get(ctypes.get_errno(), "?"))
    if r == 0:
        libc.ptrace(17, int(args[0]), 0, 0)  # PTRACE_DETACH
elif cmd == "mem":
    run(cmd, lambda: os.close(os.open(f"/proc/{args[0]}/mem", os.O_RDWR)))
elif cmd == "sigio":        # PID SIG: a pipe owned by PID whose SIGIO is SIG, made ready
    import fcntl
    r, w = os.pipe()
    fcntl.fcntl(r, fcntl.F_SETOWN, int(args[0]))
    fcntl.fcntl(r, getattr(fcntl, "F_SETSIG", 10), int(args[1]))
    fcntl.fcntl(r, fcntl.F_SETFL, os.O_ASYNC)
    os.write(w, b"x")
    print("sent")
PY
bpfctl() { python3 $P/bpfctl.py "$@"; }
# refused: reads a command's error output; EPERM when the kernel said so, else ok.
refused() { grep -qi 'not permitted\|superuser' && echo EPERM || echo ok; }
not_enforces() { ! enforces_$1; }

# Tool by tool: its policy, and a probe that succeeds while it enforces.
setup_frtp() {
	printf 'mode: enforce\nrules:\n  - name: guard-secret\n    objects: [%s/secret]\n    operations: [read]\n    action: deny\n' $S > /etc/kwarden/frtp.yaml
}
enforces_frtp() { ! cat $S/secret >/dev/null 2>&1; }
setup_rm-forbid() {
	printf 'mode: enforce\nprotect: [%s]\n' $S > /etc/kwarden/rm-forbid.yaml
}
enforces_rm-forbid() { # a new file held open by a sleeping process cannot be removed
	local f=$S/h$RANDOM$RANDOM h r
	echo x > $f
	(exec 3<$f; exec sleep 1000) </dev/null >/dev/null 2>&1 &
	h=$!
	for _ in $(seq 50); do [ -n "$(find /proc/$h/fd -lname $f 2>/dev/null)" ] && break; sleep 0.1; done
	! rm $f 2>/dev/null && [ -e $f ]; r=$?
	kill $h; rm -f $f
	return $r
}
setup_net-filter() {
	printf 'mode: enforce\nrules:\n  - name: guard-udp\n    action: drop\n    direction: egress\n    protocol: udp\n    dst: 127.0.0.1\n    dport: 7777\n' > /etc/kwarden/net-filter.yaml
}
enforces_net-filter() {
	! python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("127.0.0.1", 7777))' 2>/dev/null
}

attempts() { # TOOL UNIT EXPECT(EPERM|ok): every kind of attempt; checks each outcome
	local tool=$1 unit=$2 want=$3 pins=/sys/fs/bpf/kwarden/$1 pid f link
	pid=$(systemctl show -p MainPID --value $unit)
	f=$pins/kw_live
	link=$(ls $pins | grep '^link_' | grep -v kw_guard | head -1)
	# In audit mode zeros in kw_live would really switch enforcement off.
	[ $want = EPERM ] && kw_expect "$tool: a writable descriptor for a pinned map ($f), to zero it" EPERM "$(bpfctl map-pin $f)"
	kw_expect "$tool: a read-only descriptor for it" $want "$(bpfctl map-pin-ro $f)"
	read -r refused given <<<"$(bpfctl map-ids)"
	if [ $want = EPERM ]; then
		kw_check "$tool: map descriptors by id: ours refused ($refused), others' given ($given)" [ "$refused" -gt 0 ]
		read -r refused given <<<"$(bpfctl prog-ids)"
		kw_check "$tool: program descriptors by id: ours refused ($refused)" [ "$refused" -gt 0 ]
		read -r refused given <<<"$(bpfctl link-ids)"
		kw_check "$tool: link descriptors by id: ours refused ($refused)" [ "$refused" -gt 0 ]
	fi
	kw_expect "$tool: BPF_LINK_UPDATE of $link" $want "$(bpfctl link-update $pins/$link | sed '/^EPERM$/!s/.*/ok/')"
	kw_expect "$tool: chmod of a pin" $want "$(chmod 600 $f 2>&1 | refused)"
	# bpffs has no rename: the kernel refuses it before any LSM hook, in
	# either mode (the guard's rename hook is there for kernels that do).
	kw_expect "$tool: rename of a pin" EPERM "$(mv $f $f.x 2>&1 | refused)"
	[ -e $f.x ] && mv $f.x $f
	kw_expect "$tool: ptrace attach to the daemon" $want "$(bpfctl ptrace $pid)"
	kw_expect "$tool: /proc/PID/exe stays readable (ps, journald)" /usr/sbin/$tool "$(readlink /proc/$pid/exe)"
	kw_expect "$tool: /proc/PID/mem for writing" $want "$(bpfctl mem $pid | sed 's/EACCES/EPERM/')"
	kw_expect "$tool: SIGSTOP to the daemon" $want "$(kill -STOP $pid 2>&1 | refused)"
	kill -CONT $pid 2>/dev/null
	kw_expect "$tool: prlimit on the daemon (core size)" $want "$(prlimit --pid $pid --core=0:0 2>&1 | refused)"
	local adj
	adj=$(cat /proc/$pid/oom_score_adj)
	kw_expect "$tool: its oom_score_adj to 1000" $want "$( (echo 1000 > /proc/$pid/oom_score_adj) 2>&1 | refused)"
	kw_expect "$tool: its oom_adj" $want "$( (echo 15 > /proc/$pid/oom_adj) 2>&1 | refused)"
	{ echo "$adj" > /proc/$pid/oom_score_adj; } 2>/dev/null
	# A harmless signal in audit mode, where it goes through.
	bpfctl sigio $pid "$([ $want = EPERM ] && echo 9 || echo 18)" >/dev/null
	if [ $want = EPERM ]; then
		kw_expect "$tool: BPF_LINK_DETACH of $link" EPERM "$(bpfctl link-detach $pins/$link)"
		kw_expect "$tool: unlink of a pin" EPERM "$(rm -f $pins/$link 2>&1 | refused)"
		kw_check "$tool: rm -rf /sys/fs/bpf/kwarden fails" bash -c '! rm -rf /sys/fs/bpf/kwarden 2>/dev/null'
		kw_expect "$tool: umount of the bpffs" EPERM "$(umount /sys/fs/bpf 2>&1 | refused)"
		kw_expect "$tool: umount -l of the bpffs" EPERM "$(umount -l /sys/fs/bpf 2>&1 | refused)"
		kw_expect "$tool: SIGKILL to the daemon" EPERM "$(kill -KILL $pid 2>&1 | refused)"
		kw_expect "$tool: SIGTERM to the daemon" EPERM "$(kill -TERM $pid 2>&1 | refused)"
		systemctl kill -s KILL $unit 2>/dev/null
		sleep 1
		kw_expect "$tool: after systemctl kill -s KILL the same daemon runs" "$pid" "$(systemctl show -p MainPID --value $unit)"
		kw_succeeds "$tool: signal 0 is allowed" kill -0 $pid
		cg=/sys/fs/cgroup/system.slice/$unit
		kw_expect "$tool: cgroup.freeze of its cgroup" EPERM "$( (echo 1 > $cg/cgroup.freeze) 2>&1 | refused)"
		kw_expect "$tool: cgroup.kill of its cgroup" EPERM "$( (echo 1 > $cg/cgroup.kill) 2>&1 | refused)"
		kw_expect "$tool: cgroup.kill of system.slice" EPERM "$( (echo 1 > /sys/fs/cgroup/system.slice/cgroup.kill) 2>&1 | refused)"
		kw_expect "$tool: memory.max of its cgroup (the memcg OOM killer)" EPERM "$( (echo 1M > $cg/memory.max) 2>&1 | refused)"
		kw_expect "$tool: memory.max of system.slice" EPERM "$( (echo 1M > /sys/fs/cgroup/system.slice/memory.max) 2>&1 | refused)"
		kw_expect "$tool: prlimit --cpu=1 (the kernel's SIGKILL at the limit)" EPERM "$(prlimit --pid $pid --cpu=1:1 2>&1 | refused)"
		kw_expect "$tool: choom -n 1000" EPERM "$(choom -p $pid -n 1000 2>&1 | refused)"
		sleep 2
		kw_expect "$tool: after them the same daemon runs" "$pid" "$(systemctl show -p MainPID --value $unit)"
		kw_expect "$tool: its CPU limit is unchanged" unlimited "$(prlimit --pid $pid --cpu --noheadings --output HARD 2>/dev/null | tr -d ' ')"
		kw_expect "$tool: its oom_score_adj is unchanged" "$adj" "$(cat /proc/$pid/oom_score_adj)"
		sock=/run/kwarden/$tool.sock
		kw_expect "$tool: unlink of its control socket" EPERM "$(rm -f $sock 2>&1 | refused)"
		kw_expect "$tool: rename of its control socket" EPERM "$(mv $sock $sock.x 2>&1 | refused)"
		[ -e $sock.x ] && mv $sock.x $sock
		kw_check "$tool: a second daemon over the same pins is refused" \
			bash -c "! timeout 20 /usr/sbin/$tool --guard off --rules /etc/kwarden/$tool.yaml >$P/second.log 2>&1"
		grep -q "already running" $P/second.log && kw_pass "$tool: the second daemon says why" \
			|| kw_fail "$tool: the second daemon did not say why: $(tail -2 $P/second.log)"
		kw_check "$tool: \`$tool detach\` is refused while the daemon runs" bash -c "! /usr/sbin/$tool detach 2>/dev/null"
		kw_check "$tool: every pin is still there" [ -e $f -a -e $pins/$link ]
		kw_check "$tool: enforcement holds after all of it" enforces_$tool
	fi
}

foreign_code() { # kwarden's own executable with foreign code or a tracer: not trusted
	local lib stats="/usr/sbin/net-filter stats"
	kw_succeeds "net-filter stats reads the pinned maps" $stats
	for lib in /usr/lib/x86_64-linux-gnu/libexpat.so.1 /usr/lib/x86_64-linux-gnu/libffi.so.8 \
		/usr/lib/x86_64-linux-gnu/libmnl.so.0; do
		[ -e $lib ] && ! ldd /usr/sbin/net-filter | grep -q "$(basename $lib)" && break
	done
	echo "  foreign library: $lib"
	kw_check "LD_PRELOAD=$lib net-filter stats is refused" bash -c "! LD_PRELOAD=$lib $stats >/dev/null 2>&1"
	kw_check "LD_LIBRARY_PATH to a copy of libc: refused" bash -c "mkdir -p $P/lib && cp /usr/lib/x86_64-linux-gnu/libc.so.6 $P/lib/ && ! LD_LIBRARY_PATH=$P/lib $stats >/dev/null 2>&1"
	echo $lib > /etc/ld.so.preload
	kw_check "with /etc/ld.so.preload, net-filter stats is refused" bash -c "! $stats >/dev/null 2>&1"
	rm -f /etc/ld.so.preload
	echo $lib > $P/preload; ln -s $P/preload /etc/ld.so.preload
	kw_check "with /etc/ld.so.preload a symlink, refused" bash -c "! $stats >/dev/null 2>&1"
	rm -f /etc/ld.so.preload
	kw_check "under strace, refused" bash -c "! strace -f -o /dev/null $stats >/dev/null 2>&1"
	kw_succeeds "without them, net-filter stats works again" $stats
}

# net-filter attaches a direction's hooks only while its policy needs them: a
# link a reload attached is guarded like the first ones, and the daemon
# itself, guarded, detaches those the policy no longer needs.
ingress_drops() { # UDP to 127.0.0.1:7778 does not arrive
	python3 - <<'PY'
import socket, sys
r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); r.bind(("127.0.0.1", 7778)); r.settimeout(0.5)
socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("127.0.0.1", 7778))
try: r.recv(16); sys.exit(1)
except socket.timeout: sys.exit(0)
PY
}
not_ingress_drops() { ! ingress_drops; }
links_follow_policy() { # UNIT PID
	local unit=$1 pid=$2 p=/sys/fs/bpf/kwarden/net-filter
	printf 'mode: enforce\nrules:\n  - {name: guard-in, action: drop, direction: ingress, protocol: udp, dport: 7778}\n' \
		> /etc/kwarden/net-filter.yaml
	kw_succeeds "net-filter: reload to an ingress-only policy" systemctl reload $unit
	sleep 1
	kw_check "net-filter: the reload attached the ingress hooks" [ -e $p/link_ipv4_in -a -e $p/link_ipv6_in ]
	kw_check "net-filter: the daemon, guarded, detached the egress hooks and owner programs" \
		[ ! -e $p/link_ipv4_out -a ! -e $p/link_ipv6_out -a ! -e $p/link_sock_create -a ! -e $p/link_sock_release ]
	kw_check "net-filter: the new ingress rule enforces" ingress_drops
	kw_expect "net-filter: BPF_LINK_DETACH of a link a reload attached" EPERM "$(bpfctl link-detach $p/link_ipv4_in)"
	kw_expect "net-filter: BPF_LINK_UPDATE of it" EPERM "$(bpfctl link-update $p/link_ipv4_in | sed '/^EPERM$/!s/.*/ok/')"
	kw_expect "net-filter: unlink of its pin" EPERM "$(rm -f $p/link_ipv4_in 2>&1 | refused)"
	kw_check "net-filter: the ingress rule still enforces" ingress_drops
	setup_net-filter
	kw_succeeds "net-filter: reload back to the egress policy" systemctl reload $unit
	sleep 1
	kw_check "net-filter: egress hooked again, ingress detached" [ -e $p/link_ipv4_out -a -e $p/link_sock_create -a ! -e $p/link_ipv4_in ]
	kw_check "net-filter: enforces the egress rule again" enforces_net-filter
	kw_check "net-filter: ingress is no longer filtered" not_ingress_drops
	kw_expect "net-filter: the same daemon after both reloads" "$pid" "$(systemctl show -p MainPID --value $unit)"
}

tamper_kinds() { # UNIT SINCE: the TAMPER values of the unit's records since SINCE
	journalctl --sync
	journalctl -u "$1" -o json --no-pager --since "@$2" | python3 -c '
import json, sys
k = set()
for l in sys.stdin:
    r = json.loads(l)
    if r.get("KWARDEN_EVENT") == "tamper":
        k.add(r["TAMPER"] + ":" + r["DECISION"])
print(" ".join(sorted(k)))'
}

for tool in frtp rm-forbid net-filter; do
	kw_kernel_runs $tool || continue
	unit=kwarden-$tool.service
	kw_section "$tool: the guard in enforce mode"
	setup_$tool
	T=$(date +%s); sleep 1
	kw_succeeds "$unit starts" systemctl start $unit
	journalctl -u $unit --no-pager | grep -q "guard: enforce" && kw_pass "$tool: says the guard is on" \
		|| kw_fail "$tool: no 'guard: enforce' in its log"
	kw_check "$tool: enforces" enforces_$tool
	attempts $tool $unit EPERM
	[ $tool = net-filter ] && foreign_code
	kw_check "$tool: enforcement holds after all of it" enforces_$tool
	sleep 3
	kinds=$(tamper_kinds $unit $T)
	echo "  records: $kinds"
	for k in map-fd prog-fd link-fd link-detach link-update pin-unlink pin-setattr umount signal ptrace cgroup \
		rlimit oom-score sigio; do
		case " $kinds " in *" $k:deny "*) kw_pass "$tool: a tamper record for $k" ;; *) kw_fail "$tool: no tamper record for $k" ;; esac
	done
	journalctl -u $unit -o json --no-pager --since "@$T" | grep -q '"MESSAGE_ID":"5cf61232fbce45b793226394f65ed123"' \
		&& kw_pass "$tool: tamper records carry their MESSAGE_ID" || kw_fail "$tool: no tamper MESSAGE_ID"
	n=$(journalctl -u $unit -o json --no-pager --since "@$T" | grep '"TAMPER":"ptrace"' | grep -c '"SUBJECT_EXE":"/usr/lib/systemd/')
	kw_expect "$tool: no ptrace records about systemd or journald reading /proc" 0 "$n"
	if [ $tool = net-filter ]; then
		for w in foreign-code traced; do
			journalctl -u $unit -o json --no-pager --since "@$T" | grep -q "\"UNTRUSTED\":\"$w\"" \
				&& kw_pass "$tool: a tamper record says the subject was untrusted: $w" || kw_fail "$tool: no UNTRUSTED=$w record"
		done
	fi

	pid=$(systemctl show -p MainPID --value $unit)
	kw_succeeds "$tool: systemctl reload" systemctl reload $unit
	sleep 1
	kw_expect "$tool: reload keeps the daemon" "$pid" "$(systemctl show -p MainPID --value $unit)"
	[ $tool = net-filter ] && links_follow_policy $unit "$pid"
	kw_succeeds "$tool: systemctl restart" systemctl restart $unit
	kw_check "$tool: restarted (new MainPID)" [ "$pid" != "$(systemctl show -p MainPID --value $unit)" ]
	kw_check "$tool: enforces after the restart" enforces_$tool
	T2=$(date +%s); sleep 1
	kw_succeeds "$tool: systemctl stop" systemctl stop $unit
	kw_check "$tool: after the stop no pins are left" [ ! -e /sys/fs/bpf/kwarden/$tool ]
	kw_check "$tool: after the stop nothing enforces" not_enforces $tool
	journalctl --sync
	journalctl -u $unit -o json --no-pager --since "@$T2" | grep -q '"POLICY_EVENT":"stop"' \
		&& kw_pass "$tool: the stop is recorded with who asked" || kw_fail "$tool: no stop record"
	journalctl -u $unit -o cat --no-pager --since "@$T2" | grep -m1 "stop requested"

	kw_section "$tool: the guard in audit mode (KWARDEN_GUARD=audit in /etc/kwarden/kwarden.env)"
	echo KWARDEN_GUARD=audit > /etc/kwarden/kwarden.env
	T=$(date +%s); sleep 1
	kw_succeeds "$tool: starts with the guard in audit mode" systemctl start $unit
	journalctl -u $unit --no-pager --since "@$T" | grep -q "guard: audit" && kw_pass "$tool: says the guard is in audit mode" \
		|| kw_fail "$tool: no 'guard: audit' in its log"
	attempts $tool $unit ok
	sleep 3
	kinds=$(tamper_kinds $unit $T)
	for k in pin-setattr rlimit oom-score sigio; do
		case " $kinds " in *" $k:audit "*) kw_pass "$tool: audit mode records the $k it lets through" ;; *) kw_fail "$tool: audit mode recorded no $k ($kinds)" ;; esac
	done
	kw_check "$tool: still enforces" enforces_$tool

	kw_section "$tool: a daemon that did not stop"
	pid=$(systemctl show -p MainPID --value $unit)
	T=$(date +%s); sleep 1
	kill -KILL $pid
	for _ in $(seq 100); do p2=$(systemctl show -p MainPID --value $unit); [ "$p2" != 0 ] && [ "$p2" != "$pid" ] && journalctl -u $unit --no-pager --since "@$T" | grep -q "enforcing" && break; sleep 0.2; done
	journalctl --sync
	journalctl -u $unit -o json --no-pager --since "@$T" | grep -q '"POLICY_EVENT":"unclean-end"' \
		&& kw_pass "$tool: the restarted daemon records that the previous one ended without a stop" \
		|| kw_fail "$tool: no unclean-end record after kill -9"
	kw_check "$tool: enforces after the kill and restart" enforces_$tool
	pid=$(systemctl show -p MainPID --value $unit)
	kill -KILL $pid; sleep 0.3; systemctl stop $unit
	kw_check "$tool: pins a killed daemon left are still there" [ -e /sys/fs/bpf/kwarden/$tool ]
	kw_check "$tool: and still enforce" enforces_$tool
	T=$(date +%s); sleep 1
	kw_succeeds "$tool: \`$tool detach\` removes them" /usr/sbin/$tool detach
	kw_check "$tool: after detach no pins are left" [ ! -e /sys/fs/bpf/kwarden/$tool ]
	# The links go once nothing holds them: the kernel may take a moment.
	for _ in $(seq 50); do not_enforces $tool && break; sleep 0.1; done
	kw_check "$tool: after detach nothing enforces" not_enforces $tool || { pgrep -a $tool; ls /sys/fs/bpf/kwarden; }
	journalctl --sync
	journalctl -o json --no-pager --since "@$T" | grep '"POLICY_EVENT":"detach"' | grep -q '"REQUESTER_EXE"' \
		&& kw_pass "$tool: the detach is recorded with who asked" || kw_fail "$tool: no detach record"
	rm -f /etc/kwarden/kwarden.env
done
kw_section "the three enforcers at once: their guards leave each other alone"
running=()
for tool in frtp rm-forbid net-filter; do kw_kernel_runs $tool >/dev/null && running+=($tool); done
T=$(date +%s); sleep 1
for tool in "${running[@]}"; do setup_$tool; kw_succeeds "$tool starts beside the others" systemctl start kwarden-$tool; done
for tool in "${running[@]}"; do kw_check "$tool enforces beside the others" enforces_$tool; done
for tool in "${running[@]}"; do
	kw_succeeds "$tool stops while the others run" systemctl stop kwarden-$tool
	kw_check "$tool: its pins are gone" [ ! -e /sys/fs/bpf/kwarden/$tool ]
done
journalctl --sync
n=$(journalctl -o json --no-pager --since "@$T" | grep '"KWARDEN_EVENT":"tamper"' | grep -cE '"SUBJECT_EXE":"/usr/s?bin/(frtp|rm-forbid|net-filter)"')
kw_expect "no enforcer's guard recorded another enforcer" 0 "$n"

kw_kernel_runs frtp || kw_done
kw_section "frtp protects kwarden's files (rules/frtp-self.yaml)"
cp /etc/kwarden/frtp-self.yaml /etc/kwarden/frtp.yaml
kw_succeeds "kwarden-frtp starts with frtp-self.yaml" systemctl start kwarden-frtp
denied() { grep -qi 'permission denied' && echo EACCES || echo ok; }
kw_expect "append to /usr/sbin/net-filter" EACCES "$( (echo x >> /usr/sbin/net-filter) 2>&1 | denied)"
kw_expect "replace /usr/sbin/rm-forbid by a rename over it" EACCES "$(cp /usr/sbin/rm-forbid $P/rmf && mv -f $P/rmf /usr/sbin/rm-forbid 2>&1 | denied)"
kw_expect "chmod of /usr/sbin/frtp" EACCES "$(chmod 777 /usr/sbin/frtp 2>&1 | denied)"
kw_expect "remove a unit file" EACCES "$(rm -f /usr/lib/systemd/system/kwarden-net-filter.service 2>&1 | denied)"
kw_expect "edit /etc/kwarden/net-filter.yaml" EACCES "$( (echo '# x' >> /etc/kwarden/net-filter.yaml) 2>&1 | denied)"
kw_expect "a new file in /etc/kwarden" EACCES "$(touch /etc/kwarden/kwarden.env 2>&1 | denied)"
kw_expect "rename /etc/kwarden/frtp.yaml" EACCES "$(mv /etc/kwarden/frtp.yaml /etc/kwarden/x.yaml 2>&1 | denied)"
kw_check "the files are unchanged" bash -c "[ ! -e /etc/kwarden/kwarden.env ] && [ -e /usr/lib/systemd/system/kwarden-net-filter.service ] && cmp -s /etc/kwarden/frtp.yaml /etc/kwarden/frtp-self.yaml && [ -x /usr/sbin/frtp ] && ! [ -k /usr/sbin/frtp ] && [ \$(stat -c %a /usr/sbin/frtp) = 755 ]"
kw_succeeds "systemctl stop kwarden-frtp" systemctl stop kwarden-frtp
kw_succeeds "after the stop, the rules can be edited" bash -c "echo '# edited' >> /etc/kwarden/net-filter.yaml"
kw_done
