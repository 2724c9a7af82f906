#!/bin/bash
# frtp in the VM (kernel with the bpf LSM): every operation allowed and denied,
# the bypass classes (symlink, hardlink, bind mount, .., /proc/self/fd,
# renamed parent, io_uring, ld.so, mmap/mprotect), replaced exact objects,
# audit mode, reload under load, kill -9 + restart adoption, and the systemd
# unit read back from journald.
set -u
. /kwarden-vmtest/lib.sh 2>/dev/null || . "$(dirname "$0")/../../lib.sh"  # test/lib.sh, shipped by test/vm/run
as() { local u=$1; shift; setpriv --reuid="$u" --regid="$u" --clear-groups "$@"; }
U=1000

[ "${KWARDEN_IN_VM:-0}" = 1 ] || kw_skip "run me in the VM: test/vm/run $0"
kw_kernel_runs frtp || exit 77
command -v frtp >/dev/null || { kw_fail "frtp is not installed"; kw_done; }
grep -qw bpf /sys/kernel/security/lsm || kw_skip "bpf is not in the LSM list: $(cat /sys/kernel/security/lsm)"

# Python: io_uring openat, executable mmap and mprotect, /proc/self/fd reopen.
cat > /tmp/frtp_py.py <<'PY'
import ctypes, mmap, os, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
def die(what, err):
    print(f"{what}: {os.strerror(err)} (errno {err})"); sys.exit(1)
cmd, path = sys.argv[1], sys.argv[2]
if cmd == "uring-open":
    params = ctypes.create_string_buffer(120)
    fd = libc.syscall(425, 4, params)  # io_uring_setup
    if fd < 0: die("io_uring_setup", ctypes.get_errno())
    sq_entries, cq_entries = struct.unpack_from("II", params, 0)
    sq_off = struct.unpack_from("IIIIIII", params, 40)  # head tail mask entries flags dropped array
    cq_off = struct.unpack_from("IIIIII", params, 80)   # head tail mask entries overflow cqes
    sq = mmap.mmap(fd, sq_off[6] + sq_entries * 4, offset=0)
    cq = mmap.mmap(fd, cq_off[5] + cq_entries * 16, offset=0x8000000)
    sqes = mmap.mmap(fd, sq_entries * 64, offset=0x10000000)
    pbuf = ctypes.create_string_buffer(path.encode())
    tail = struct.unpack_from("I", sq, sq_off[1])[0]
    idx = tail & struct.unpack_from("I", sq, sq_off[2])[0]
    sqe = bytearray(64)
    struct.pack_into("BBHi", sqe, 0, 18, 0, 0, -100)          # IORING_OP_OPENAT, fd=AT_FDCWD
    struct.pack_into("QQII", sqe, 8, 0, ctypes.addressof(pbuf), 0, os.O_RDONLY)  # off, addr, len, open_flags
    sqes[idx * 64:(idx + 1) * 64] = bytes(sqe)
    struct.pack_into("I", sq, sq_off[6] + idx * 4, idx)
    struct.pack_into("I", sq, sq_off[1], tail + 1)
    if libc.syscall(426, fd, 1, 1, 1, None, 0) < 0: die("io_uring_enter", ctypes.get_errno())
    head = struct.unpack_from("I", cq, cq_off[0])[0]
    res = struct.unpack_from("Qii", cq, cq_off[5] + (head & struct.unpack_from("I", cq, cq_off[2])[0]) * 16)[1]
    if res < 0: die("io_uring openat", -res)
    print("io_uring openat: ok")
elif cmd == "mmap-exec":
    fd = os.open(path, os.O_RDONLY)
    a = libc.mmap(None, 4096, mmap.PROT_READ | mmap.PROT_EXEC, mmap.MAP_PRIVATE, fd, 0)
    if a in (None, ctypes.c_void_p(-1).value): die("mmap PROT_EXEC", ctypes.get_errno())
    print("mmap PROT_EXEC: ok")
elif cmd == "mprotect-exec":
    fd = os.open(path, os.O_RDONLY)
    a = libc.mmap(None, 4096, mmap.PROT_READ, mmap.MAP_PRIVATE, fd, 0)
    if a in (None, ctypes.c_void_p(-1).value): die("mmap PROT_READ", ctypes.get_errno())
    if libc.mprotect(a, 4096, mmap.PROT_READ | mmap.PROT_EXEC): die("mprotect PROT_EXEC", ctypes.get_errno())
    print("mprotect PROT_EXEC: ok")
elif cmd == "fd-reopen":
    fd = os.open(path, os.O_PATH)   # O_PATH: no read, so no check here
    try:
        open(f"/proc/self/fd/{fd}").read()
    except PermissionError as e:
        die("reopen via /proc/self/fd", e.errno)
    print("reopen via /proc/self/fd: ok")
PY
py() { python3 /tmp/frtp_py.py "$@"; }

# ---------------------------------------------------------------- setup
S=/srv/frtp
rm -rf $S; mkdir -p $S/tree/sub $S/tree/empty $S/free $S/bin $S/vault $S/ranged
echo secret > $S/secret
echo audited > $S/audited
echo dry > $S/dry
echo ranged > $S/ranged/f
echo vault > $S/vault/f
echo t > $S/tree/f; echo t > $S/tree/g; echo t > $S/tree/sub/h
echo o > $S/free/outside
echo fr > $S/free/f; mkdir $S/free/e
cp /usr/bin/true $S/bin/t; cp /usr/bin/true $S/free/t
chown -R $U:$U $S/tree $S/free
chmod 755 $S $S/bin; chmod 644 $S/secret $S/vault/f $S/ranged/f
mkdir -p /etc/kwarden
P=/tmp/frtp-policy.yaml
cat > $P <<EOF
mode: enforce
rules:
  - name: secret-rw
    objects: [$S/secret]
    operations: [read, write]
    action: deny
    except: {uid: 0, exe: /usr/bin/cat}
  - name: tree-guard
    objects: [$S/tree/**]
    operations: [write, create, unlink, rmdir, mkdir, rename, link, chmod, chown]
    action: deny
    subjects: {uid: 1000-1999}
  - name: vault
    objects: [$S/vault/**]
    operations: read
    action: deny
  - name: no-exec-bin
    objects: [$S/bin/**]
    operations: exec
    action: deny
  - name: audited-read
    objects: [$S/audited]
    operations: read
    action: audit
  - name: dry-run
    objects: [$S/dry]
    operations: read
    action: deny
    mode: audit
  - name: ranged
    objects: [$S/ranged/**]
    operations: read
    action: deny
    subjects: {uid: 1000-1999}
    except: {uid: 1500}
EOF
kw_succeeds "frtp --check accepts the test policy" frtp --check --rules $P
frtp --check --rules $P | head -20

start_fg() { # start_fg UNIT [ARGS...]: frtp as a transient notify unit
	local unit=$1; shift
	systemd-run --quiet --unit="$unit" -p Type=notify -p NotifyAccess=main /usr/sbin/frtp --output journal "$@"
}
cp $P /tmp/frtp-live.yaml
start_fg frtp-t1 --rules /tmp/frtp-live.yaml || { kw_fail "frtp did not start"; systemctl stop frtp-t1; timeout -s INT 120 frtp --rules /tmp/frtp-live.yaml > /tmp/frtp-fail.log 2>&1; grep -v "^[0-9]*: \|^;" /tmp/frtp-fail.log | tail -c 3000; kw_done; }
kw_pass "frtp started (READY)"
# A run without the guard: an armed one refuses us the program descriptors.
kw_verifier_budget /sys/fs/bpf/kwarden/frtp
T0=$(date +%s)

# ---------------------------------------------------------------- read / write
kw_succeeds "root cat (excepted exe) reads the secret" cat $S/secret
kw_denied "root head (other exe) reads the secret" EACCES head $S/secret
kw_denied "uid $U cat reads the secret" EACCES as $U cat $S/secret
kw_denied "root appends to the secret (write)" EACCES bash -c "echo x >> $S/secret"
kw_denied "root truncates the secret (truncate(2))" EACCES truncate -s 0 $S/secret
kw_denied "root opens the secret O_TRUNC" EACCES bash -c ": > $S/secret"
kw_succeeds "other files stay readable" head /etc/hostname

# ---------------------------------------------------------------- bypass classes
ln -sf $S/secret /tmp/secret-link
kw_denied "through a symlink" EACCES head /tmp/secret-link
ln $S/secret $S/secret-hardlink
kw_denied "through a hardlink" EACCES head $S/secret-hardlink
mkdir -p /mnt/bind; mount --bind $S /mnt/bind
kw_denied "through a bind mount" EACCES head /mnt/bind/secret
kw_denied "tree through a bind mount" EACCES head /mnt/bind/vault/f
umount /mnt/bind
kw_denied "through .." EACCES head $S/tree/sub/../../secret
kw_denied "through /proc/self/fd (O_PATH reopen)" EACCES py fd-reopen $S/secret
kw_denied "through io_uring openat" EACCES py uring-open $S/secret
kw_succeeds "io_uring openat of an unprotected file" py uring-open /etc/hostname
kw_denied "vault tree file" EACCES head $S/vault/f
mv $S/vault $S/vault-renamed
kw_denied "vault file after renaming its parent directory" EACCES head $S/vault-renamed/f
echo new > $S/vault-renamed/new
kw_denied "file created later inside the renamed tree" EACCES head $S/vault-renamed/new
mv $S/vault-renamed $S/vault

# Replacing an exact object: rename over it, delete and re-create.
echo replacement > $S/replacement
mv $S/replacement $S/secret
kw_denied "a file renamed over the protected name" EACCES head $S/secret
rm -f $S/secret $S/secret-hardlink
touch $S/secret 2>/dev/null # the create is allowed; the open for write is not: the new inode has the rules
kw_denied "a file re-created at the protected name" EACCES head $S/secret
kw_succeeds "cat (excepted) still reads the re-created file" cat $S/secret

# ---------------------------------------------------------------- tree operations as uid 1000
kw_denied "create in tree" EACCES as $U touch $S/tree/new
kw_succeeds "create outside tree" as $U touch $S/free/new
kw_denied "mkdir in tree" EACCES as $U mkdir $S/tree/d
kw_succeeds "mkdir outside tree" as $U mkdir $S/free/d
kw_denied "unlink in tree" EACCES as $U rm -f $S/tree/g
kw_succeeds "unlink outside tree" as $U rm -f $S/free/new
kw_denied "rmdir in tree" EACCES as $U rmdir $S/tree/empty
kw_succeeds "rmdir outside tree" as $U rmdir $S/free/e
kw_denied "rename within tree (source)" EACCES as $U mv $S/tree/f $S/tree/f2
kw_denied "rename into tree (destination)" EACCES as $U mv $S/free/outside $S/tree/outside
kw_denied "rename out of tree (source)" EACCES as $U mv $S/tree/g $S/free/g
kw_succeeds "rename outside tree" as $U mv $S/free/f $S/free/f2
kw_denied "hardlink of a tree file" EACCES as $U ln $S/tree/f $S/free/l
kw_denied "symlink created in tree" EACCES as $U ln -s /etc/hostname $S/tree/sl
kw_denied "chmod in tree" EACCES as $U chmod 600 $S/tree/f
kw_succeeds "chmod outside tree" as $U chmod 600 $S/free/f2
kw_denied "chown in tree" EACCES as $U chown $U:$U $S/tree/f
kw_succeeds "chown outside tree" as $U chown $U:$U $S/free/f2
kw_denied "append in tree" EACCES as $U bash -c "echo x >> $S/tree/f"
kw_succeeds "read in tree (not named)" as $U cat $S/tree/f
kw_succeeds "root (subject not matched) creates in tree" touch $S/tree/root-new

# ---------------------------------------------------------------- exec
kw_succeeds "exec outside the no-exec tree" $S/free/t
kw_denied "exec in the no-exec tree" EACCES $S/bin/t
LDSO=$(ls /lib64/ld-linux-x86-64.so.2 2>/dev/null || ls /lib/x86_64-linux-gnu/ld-linux-x86-64.so.2)
out=$("$LDSO" $S/bin/t 2>&1) && kw_fail "exec through ld.so: it ran" ||
	{ grep -q "failed to map segment" <<<"$out" && kw_pass "exec through ld.so (executable mmap) (denied: $out)" || kw_fail "exec through ld.so: $out"; }
kw_succeeds "ld.so runs an allowed program" "$LDSO" $S/free/t
kw_denied "mmap PROT_EXEC" EACCES py mmap-exec $S/bin/t
kw_succeeds "mmap PROT_EXEC outside" py mmap-exec $S/free/t
kw_denied "mprotect +PROT_EXEC" EACCES py mprotect-exec $S/bin/t
printf '#!/bin/sh\necho hi\n' > $S/bin/script.sh; chmod 755 $S/bin/script.sh
kw_denied "exec of a script in the tree" EACCES $S/bin/script.sh

# ---------------------------------------------------------------- subjects: uid ranges
kw_denied "uid 1000 in range 1000-1999" EACCES as 1000 cat $S/ranged/f
kw_succeeds "uid 1500 excepted" as 1500 cat $S/ranged/f
kw_succeeds "uid 2000 outside the range" as 2000 cat $S/ranged/f

# ---------------------------------------------------------------- audit action and per-rule audit mode
kw_succeeds "audit rule allows" head $S/audited
kw_succeeds "deny rule in audit mode allows" as $U cat $S/dry

sleep 2
journalctl --sync 2>/dev/null
journalctl -t frtp -o json --no-pager --since "@$T0" > /tmp/frtp.json
python3 - /tmp/frtp.json "$S" <<'PY' && kw_pass "journald records: fields, decisions, MESSAGE_IDs" || kw_fail "journald records (see above)"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
S = sys.argv[2]
dec = [r for r in recs if r.get("RULE")]
def find(**kw):
    return [r for r in dec if all(r.get(k.upper()) == v for k, v in kw.items())]
d = find(rule="secret-rw", operation="read", decision="deny", subject_comm="head")
assert d, f"no deny record for head on the secret; {len(dec)} decision records"
r = d[0]
for f in ("SUBJECT_PID", "SUBJECT_PPID", "SUBJECT_UID", "SUBJECT_EXE", "SUBJECT_ANCESTRY", "PATH", "MODE", "MESSAGE"):
    assert r.get(f), f"missing {f}: {r}"
assert r["MESSAGE_ID"] == "3f6c1a2e9b7d4c58a1e0f2b3c4d5e601", r["MESSAGE_ID"]
assert r["PATH"] == f"{S}/secret", r["PATH"]
assert r["SUBJECT_EXE"].endswith("/head"), r["SUBJECT_EXE"]
assert r["MODE"] == "enforce"
a = find(rule="audited-read", decision="audit")
assert a and a[0]["MESSAGE_ID"].endswith("603"), "no audit record"
w = find(rule="dry-run", decision="would-deny")
assert w and w[0]["MESSAGE_ID"].endswith("602") and w[0]["MODE"] == "audit", "no would-deny record"
l = find(rule="secret-rw", path=f"{S}/secret", subject_comm="head")
u = find(rule="no-exec-bin", operation="exec")
assert u, "no exec deny record"
print(f"{len(dec)} decision records; e.g. {r['MESSAGE']}")
PY

# ---------------------------------------------------------------- reload under load
P2=/tmp/frtp-policy2.yaml
cat > $P2 <<EOF
default: deny
rules:
  - name: both-deny
    objects: [$S/vault/**]
    operations: read
    action: deny
  - name: dd-allow-root
    objects: [$S/dd]
    operations: read
    action: allow
    subjects: {uid: 0}
EOF
echo dd > $S/dd
# Workload: one reader of a file allowed by both policies, one of a file
# denied by both; each counts wrong outcomes.
rm -f /tmp/wl-allowed /tmp/wl-denied
( end=$((SECONDS + 12)); while [ $SECONDS -lt $end ]; do head -c1 /etc/hostname >/dev/null 2>&1 || echo x >> /tmp/wl-allowed; done ) &
w1=$!
( end=$((SECONDS + 12)); while [ $SECONDS -lt $end ]; do head -c1 $S/vault/f >/dev/null 2>&1 && echo x >> /tmp/wl-denied; done ) &
w2=$!
for i in 1 2 3 4 5; do
	cp $P2 /tmp/frtp-live.yaml 2>/dev/null
	systemctl kill -s HUP frtp-t1 2>/dev/null
	sleep 1
	cp $P /tmp/frtp-live.yaml
	systemctl kill -s HUP frtp-t1
	sleep 1
done
wait $w1 $w2
[ ! -s /tmp/wl-allowed ] && kw_pass "reloads under load: allowed reads never failed" || kw_fail "allowed reads failed $(wc -l < /tmp/wl-allowed) times during reloads"
[ ! -s /tmp/wl-denied ] && kw_pass "reloads under load: denied reads never succeeded" || kw_fail "denied reads succeeded $(wc -l < /tmp/wl-denied) times during reloads"
systemctl is-active --quiet frtp-t1 && kw_pass "daemon alive after reloads" || kw_fail "daemon died during reloads"

# The live policy file, swapped by reload: a real switch between P and P2.
cp $P /tmp/frtp-live.yaml
systemctl kill -s HUP frtp-t1; sleep 1.5
kw_denied "policy 1: head reads the secret" EACCES head $S/secret
kw_succeeds "policy 1: uid $U reads dd" as $U cat $S/dd
cp $P2 /tmp/frtp-live.yaml
systemctl kill -s HUP frtp-t1; sleep 1.5
kw_succeeds "policy 2 after reload: head reads the secret" head $S/secret
kw_denied "policy 2 (default deny): uid $U reads dd" EACCES as $U cat $S/dd
kw_succeeds "policy 2: root reads dd (allow rule)" cat $S/dd
echo "rules: [" > /tmp/frtp-live.yaml
systemctl kill -s HUP frtp-t1; sleep 1.5
systemctl is-active --quiet frtp-t1 && kw_pass "invalid reload: daemon keeps running" || kw_fail "invalid reload killed the daemon"
kw_denied "invalid reload: the previous policy stays (default deny)" EACCES as $U cat $S/dd
journalctl -t frtp --no-pager --since "@$T0" | grep -q "reload refused" && kw_pass "invalid reload logged" || kw_fail "invalid reload not logged"

# ---------------------------------------------------------------- kill -9, adoption, intended stop
cp $P /tmp/frtp-live.yaml
systemctl kill -s HUP frtp-t1; sleep 1.5
kw_denied "before kill -9" EACCES head $S/secret
systemctl kill -s KILL frtp-t1; sleep 1
systemctl is-active --quiet frtp-t1 && kw_fail "daemon still running after kill -9" || kw_pass "daemon killed"
kw_denied "after kill -9: enforcement still in force" EACCES head $S/secret
ls /sys/fs/bpf/kwarden/frtp/ | grep -q link_frtp_file_open && kw_pass "links still pinned" || kw_fail "links not pinned"
systemctl reset-failed frtp-t1 2>/dev/null
start_fg frtp-t3 --rules /tmp/frtp-live.yaml || kw_fail "restart failed"
kw_denied "after restart" EACCES head $S/secret
journalctl -u frtp-t3 --no-pager | grep -q "adopted" && kw_pass "restart adopted the pinned enforcement" || kw_fail "restart did not say it adopted"
systemctl stop frtp-t3; sleep 0.5
kw_succeeds "after an intended stop: nothing enforced" head $S/secret
[ ! -e /sys/fs/bpf/kwarden/frtp ] && kw_pass "pins removed on stop" || kw_fail "pins left after stop: $(ls /sys/fs/bpf/kwarden/frtp)"

# ---------------------------------------------------------------- --mode audit
start_fg frtp-t4 --rules $P --mode audit || kw_fail "audit-mode start failed"
T1=$(date +%s)
kw_succeeds "audit mode: head reads the secret" head $S/secret
kw_succeeds "audit mode: exec in the no-exec tree" $S/bin/t
sleep 2; journalctl --sync 2>/dev/null
journalctl -t frtp -o json --no-pager --since "@$T1" | grep '"RULE":"secret-rw"' | grep -q '"DECISION":"would-deny"' &&
	kw_pass "audit mode logs would-deny" || kw_fail "audit mode did not log would-deny"
systemctl stop frtp-t4

# ---------------------------------------------------------------- systemd unit matcher
P3=/tmp/frtp-policy3.yaml
cat > $P3 <<EOF
rules:
  - name: unit-deny
    objects: [$S/free/f2]
    operations: read
    action: deny
    subjects: {unit: frtp-victim.service}
EOF
systemd-run --quiet --unit=frtp-victim --property=Type=simple sleep 60
start_fg frtp-t5 --rules $P3 || kw_fail "unit-policy start failed"
VPID=$(systemctl show -p MainPID --value frtp-victim)
out=$(python3 - "$VPID" "$S/free/f2" <<'PY'
import os, sys
pid, path = sys.argv[1], sys.argv[2]
# Join the unit's cgroup, then try to read.
with open("/sys/fs/cgroup/system.slice/frtp-victim.service/cgroup.procs", "w") as f:
    f.write(str(os.getpid()))
try:
    open(path).read(); print("read ok")
except PermissionError:
    print("EACCES")
PY
)
[ "$out" = EACCES ] && kw_pass "a process in the unit's cgroup is denied" || kw_fail "unit subject: got '$out'"
kw_succeeds "a process outside the unit reads it" cat $S/free/f2
systemctl stop frtp-t5 frtp-victim

# ---------------------------------------------------------------- the installed unit
cp $P /etc/kwarden/frtp.yaml
T2=$(date +%s)
kw_succeeds "systemctl start kwarden-frtp" systemctl start kwarden-frtp
kw_denied "unit enforces" EACCES head $S/secret
kw_succeeds "systemctl reload kwarden-frtp" systemctl reload kwarden-frtp
sleep 1
kw_denied "unit still enforces after reload" EACCES head $S/secret
sleep 2; journalctl --sync 2>/dev/null
journalctl -t frtp -o json --no-pager --since "@$T2" | python3 -c '
import json, sys
recs = [json.loads(l) for l in sys.stdin]
d = [r for r in recs if r.get("RULE") == "secret-rw" and r.get("DECISION") == "deny"]
assert d, "no deny record from the unit"
assert d[0].get("_SYSTEMD_UNIT") == "kwarden-frtp.service", d[0].get("_SYSTEMD_UNIT")
print(d[0]["MESSAGE"])
' && kw_pass "unit denials read back with journalctl -t frtp -o json" || kw_fail "unit denials not in journald"
kw_succeeds "systemctl stop kwarden-frtp" systemctl stop kwarden-frtp
kw_succeeds "after stop: nothing enforced" head $S/secret
journalctl -u kwarden-frtp --no-pager | tail -5
kw_done
