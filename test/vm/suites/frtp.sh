#!/bin/bash
# frtp in the VM (kernel with the bpf LSM): every operation allowed and denied,
# the bypass classes (symlink, hardlink, bind mount, .., /proc/self/fd,
# renamed parent, io_uring, ld.so, mmap/mprotect), replaced exact objects,
# audit mode, reload under load, kill -9 + restart adoption, and the systemd
# unit read back from journald.
set -u
FAILS=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
# ok WHAT CMD...: CMD must succeed.
ok() {
	local what=$1 out; shift
	if out=$("$@" 2>&1); then pass "$what"; else fail "$what: expected success, got: $out"; fi
}
# denied WHAT CMD...: CMD must fail with EACCES ("Permission denied").
denied() {
	local what=$1 out; shift
	if out=$("$@" 2>&1); then
		fail "$what: expected EACCES, but it succeeded"
	elif grep -qi "permission denied\|EACCES\|errno 13" <<<"$out"; then
		pass "$what (denied)"
	else
		fail "$what: failed, but not with EACCES: $out"
	fi
}
as() { local u=$1; shift; setpriv --reuid="$u" --regid="$u" --clear-groups "$@"; }
U=1000

if [ "${KWARDEN_IN_VM:-0}" != 1 ]; then echo "SKIP: run me in the VM: test/vm/run $0"; exit 77; fi
command -v frtp >/dev/null || { echo "FAIL: frtp is not installed"; exit 1; }
grep -qw bpf /sys/kernel/security/lsm || { echo "SKIP: bpf is not in the LSM list: $(cat /sys/kernel/security/lsm)"; exit 77; }

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
ok "frtp --check accepts the test policy" frtp --check --rules $P
frtp --check --rules $P | head -20

start_fg() { # start_fg UNIT [ARGS...]: frtp as a transient notify unit
	local unit=$1; shift
	systemd-run --quiet --unit="$unit" -p Type=notify -p NotifyAccess=main /usr/bin/frtp --output journal "$@"
}
cp $P /tmp/frtp-live.yaml
start_fg frtp-t1 --rules /tmp/frtp-live.yaml || { fail "frtp did not start"; systemctl stop frtp-t1; timeout -s INT 120 frtp --rules /tmp/frtp-live.yaml > /tmp/frtp-fail.log 2>&1; grep -v "^[0-9]*: \|^;" /tmp/frtp-fail.log | tail -c 3000; exit 1; }
pass "frtp started (READY)"
T0=$(date +%s)

# ---------------------------------------------------------------- read / write
ok "root cat (excepted exe) reads the secret" cat $S/secret
denied "root head (other exe) reads the secret" head $S/secret
denied "uid $U cat reads the secret" as $U cat $S/secret
denied "root appends to the secret (write)" bash -c "echo x >> $S/secret"
denied "root truncates the secret (truncate(2))" truncate -s 0 $S/secret
denied "root opens the secret O_TRUNC" bash -c ": > $S/secret"
ok "other files stay readable" head /etc/hostname

# ---------------------------------------------------------------- bypass classes
ln -sf $S/secret /tmp/secret-link
denied "through a symlink" head /tmp/secret-link
ln $S/secret $S/secret-hardlink
denied "through a hardlink" head $S/secret-hardlink
mkdir -p /mnt/bind; mount --bind $S /mnt/bind
denied "through a bind mount" head /mnt/bind/secret
denied "tree through a bind mount" head /mnt/bind/vault/f
umount /mnt/bind
denied "through .." head $S/tree/sub/../../secret
denied "through /proc/self/fd (O_PATH reopen)" py fd-reopen $S/secret
denied "through io_uring openat" py uring-open $S/secret
ok "io_uring openat of an unprotected file" py uring-open /etc/hostname
denied "vault tree file" head $S/vault/f
mv $S/vault $S/vault-renamed
denied "vault file after renaming its parent directory" head $S/vault-renamed/f
echo new > $S/vault-renamed/new
denied "file created later inside the renamed tree" head $S/vault-renamed/new
mv $S/vault-renamed $S/vault

# Replacing an exact object: rename over it, delete and re-create.
echo replacement > $S/replacement
mv $S/replacement $S/secret
denied "a file renamed over the protected name" head $S/secret
rm -f $S/secret $S/secret-hardlink
touch $S/secret 2>/dev/null # the create is allowed; the open for write is not: the new inode has the rules
denied "a file re-created at the protected name" head $S/secret
ok "cat (excepted) still reads the re-created file" cat $S/secret

# ---------------------------------------------------------------- tree operations as uid 1000
denied "create in tree" as $U touch $S/tree/new
ok "create outside tree" as $U touch $S/free/new
denied "mkdir in tree" as $U mkdir $S/tree/d
ok "mkdir outside tree" as $U mkdir $S/free/d
denied "unlink in tree" as $U rm -f $S/tree/g
ok "unlink outside tree" as $U rm -f $S/free/new
denied "rmdir in tree" as $U rmdir $S/tree/empty
ok "rmdir outside tree" as $U rmdir $S/free/e
denied "rename within tree (source)" as $U mv $S/tree/f $S/tree/f2
denied "rename into tree (destination)" as $U mv $S/free/outside $S/tree/outside
denied "rename out of tree (source)" as $U mv $S/tree/g $S/free/g
ok "rename outside tree" as $U mv $S/free/f $S/free/f2
denied "hardlink of a tree file" as $U ln $S/tree/f $S/free/l
denied "symlink created in tree" as $U ln -s /etc/hostname $S/tree/sl
denied "chmod in tree" as $U chmod 600 $S/tree/f
ok "chmod outside tree" as $U chmod 600 $S/free/f2
denied "chown in tree" as $U chown $U:$U $S/tree/f
ok "chown outside tree" as $U chown $U:$U $S/free/f2
denied "append in tree" as $U bash -c "echo x >> $S/tree/f"
ok "read in tree (not named)" as $U cat $S/tree/f
ok "root (subject not matched) creates in tree" touch $S/tree/root-new

# ---------------------------------------------------------------- exec
ok "exec outside the no-exec tree" $S/free/t
denied "exec in the no-exec tree" $S/bin/t
LDSO=$(ls /lib64/ld-linux-x86-64.so.2 2>/dev/null || ls /lib/x86_64-linux-gnu/ld-linux-x86-64.so.2)
out=$("$LDSO" $S/bin/t 2>&1) && fail "exec through ld.so: it ran" ||
	{ grep -q "failed to map segment" <<<"$out" && pass "exec through ld.so (executable mmap) (denied: $out)" || fail "exec through ld.so: $out"; }
ok "ld.so runs an allowed program" "$LDSO" $S/free/t
denied "mmap PROT_EXEC" py mmap-exec $S/bin/t
ok "mmap PROT_EXEC outside" py mmap-exec $S/free/t
denied "mprotect +PROT_EXEC" py mprotect-exec $S/bin/t
printf '#!/bin/sh\necho hi\n' > $S/bin/script.sh; chmod 755 $S/bin/script.sh
denied "exec of a script in the tree" $S/bin/script.sh

# ---------------------------------------------------------------- subjects: uid ranges
denied "uid 1000 in range 1000-1999" as 1000 cat $S/ranged/f
ok "uid 1500 excepted" as 1500 cat $S/ranged/f
ok "uid 2000 outside the range" as 2000 cat $S/ranged/f

# ---------------------------------------------------------------- audit action and per-rule audit mode
ok "audit rule allows" head $S/audited
ok "deny rule in audit mode allows" as $U cat $S/dry

sleep 2
journalctl --sync 2>/dev/null
journalctl -t frtp -o json --no-pager --since "@$T0" > /tmp/frtp.json
python3 - /tmp/frtp.json "$S" <<'PY' && pass "journald records: fields, decisions, MESSAGE_IDs" || fail "journald records (see above)"
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
[ ! -s /tmp/wl-allowed ] && pass "reloads under load: allowed reads never failed" || fail "allowed reads failed $(wc -l < /tmp/wl-allowed) times during reloads"
[ ! -s /tmp/wl-denied ] && pass "reloads under load: denied reads never succeeded" || fail "denied reads succeeded $(wc -l < /tmp/wl-denied) times during reloads"
systemctl is-active --quiet frtp-t1 && pass "daemon alive after reloads" || fail "daemon died during reloads"

# The live policy file, swapped by reload: a real switch between P and P2.
cp $P /tmp/frtp-live.yaml
systemctl kill -s HUP frtp-t1; sleep 1.5
denied "policy 1: head reads the secret" head $S/secret
ok "policy 1: uid $U reads dd" as $U cat $S/dd
cp $P2 /tmp/frtp-live.yaml
systemctl kill -s HUP frtp-t1; sleep 1.5
ok "policy 2 after reload: head reads the secret" head $S/secret
denied "policy 2 (default deny): uid $U reads dd" as $U cat $S/dd
ok "policy 2: root reads dd (allow rule)" cat $S/dd
echo "rules: [" > /tmp/frtp-live.yaml
systemctl kill -s HUP frtp-t1; sleep 1.5
systemctl is-active --quiet frtp-t1 && pass "invalid reload: daemon keeps running" || fail "invalid reload killed the daemon"
denied "invalid reload: the previous policy stays (default deny)" as $U cat $S/dd
journalctl -t frtp --no-pager --since "@$T0" | grep -q "reload refused" && pass "invalid reload logged" || fail "invalid reload not logged"

# ---------------------------------------------------------------- kill -9, adoption, intended stop
cp $P /tmp/frtp-live.yaml
systemctl kill -s HUP frtp-t1; sleep 1.5
denied "before kill -9" head $S/secret
systemctl kill -s KILL frtp-t1; sleep 1
systemctl is-active --quiet frtp-t1 && fail "daemon still running after kill -9" || pass "daemon killed"
denied "after kill -9: enforcement still in force" head $S/secret
ls /sys/fs/bpf/kwarden/frtp/ | grep -q link_frtp_file_open && pass "links still pinned" || fail "links not pinned"
systemctl reset-failed frtp-t1 2>/dev/null
start_fg frtp-t3 --rules /tmp/frtp-live.yaml || fail "restart failed"
denied "after restart" head $S/secret
journalctl -u frtp-t3 --no-pager | grep -q "adopted" && pass "restart adopted the pinned enforcement" || fail "restart did not say it adopted"
systemctl stop frtp-t3; sleep 0.5
ok "after an intended stop: nothing enforced" head $S/secret
[ ! -e /sys/fs/bpf/kwarden/frtp ] && pass "pins removed on stop" || fail "pins left after stop: $(ls /sys/fs/bpf/kwarden/frtp)"

# ---------------------------------------------------------------- --mode audit
start_fg frtp-t4 --rules $P --mode audit || fail "audit-mode start failed"
T1=$(date +%s)
ok "audit mode: head reads the secret" head $S/secret
ok "audit mode: exec in the no-exec tree" $S/bin/t
sleep 2; journalctl --sync 2>/dev/null
journalctl -t frtp -o json --no-pager --since "@$T1" | grep '"RULE":"secret-rw"' | grep -q '"DECISION":"would-deny"' &&
	pass "audit mode logs would-deny" || fail "audit mode did not log would-deny"
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
start_fg frtp-t5 --rules $P3 || fail "unit-policy start failed"
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
[ "$out" = EACCES ] && pass "a process in the unit's cgroup is denied" || fail "unit subject: got '$out'"
ok "a process outside the unit reads it" cat $S/free/f2
systemctl stop frtp-t5 frtp-victim

# ---------------------------------------------------------------- the installed unit
cp $P /etc/kwarden/frtp.yaml
T2=$(date +%s)
ok "systemctl start kwarden-frtp" systemctl start kwarden-frtp
denied "unit enforces" head $S/secret
ok "systemctl reload kwarden-frtp" systemctl reload kwarden-frtp
sleep 1
denied "unit still enforces after reload" head $S/secret
sleep 2; journalctl --sync 2>/dev/null
journalctl -t frtp -o json --no-pager --since "@$T2" | python3 -c '
import json, sys
recs = [json.loads(l) for l in sys.stdin]
d = [r for r in recs if r.get("RULE") == "secret-rw" and r.get("DECISION") == "deny"]
assert d, "no deny record from the unit"
assert d[0].get("_SYSTEMD_UNIT") == "kwarden-frtp.service", d[0].get("_SYSTEMD_UNIT")
print(d[0]["MESSAGE"])
' && pass "unit denials read back with journalctl -t frtp -o json" || fail "unit denials not in journald"
ok "systemctl stop kwarden-frtp" systemctl stop kwarden-frtp
ok "after stop: nothing enforced" head $S/secret
journalctl -u kwarden-frtp --no-pager | tail -5

if [ "$FAILS" -ne 0 ]; then echo "$FAILS check(s) failed"; exit 1; fi
echo "all checks passed"
