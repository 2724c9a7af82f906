#!/bin/bash
# frtp in the VM: one object, one decision, whatever reaches it (issue 10).
# Tried as root with a shell would: hardlinks into protected trees made
# before and after the policy loaded, file handles (open_by_handle_at) to
# disconnected dentries, descriptors opened before the service started and
# before a reload, ACLs and security.* xattrs, RENAME_EXCHANGE of an exact
# object. Each class also checks that what is allowed stays allowed.
set -u
. /kwarden-vmtest/lib.sh 2>/dev/null || . "$(dirname "$0")/../../lib.sh"  # test/lib.sh, shipped by test/vm/run

[ "${KWARDEN_IN_VM:-0}" = 1 ] || kw_skip "run me in the VM: test/vm/run $0"
command -v frtp >/dev/null || { kw_fail "frtp is not installed"; kw_done; }
grep -qw bpf /sys/kernel/security/lsm || kw_skip "bpf is not in the LSM list: $(cat /sys/kernel/security/lsm)"

cat > /tmp/frtp_id.py <<'PY'
import ctypes, mmap, os, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
def die(what, err):
    print(f"{what}: {os.strerror(err)} (errno {err})"); sys.exit(1)
def acl(entries):  # POSIX ACL xattr: version 2, then (tag, perm, id)
    return struct.pack("<I", 2) + b"".join(struct.pack("<HHI", t, p, i) for t, p, i in entries)
USER_OBJ, USER, GROUP_OBJ, MASK, OTHER = 1, 2, 4, 0x10, 0x20
GRANT = acl([(USER_OBJ, 6, 0xffffffff), (USER, 6, 1000), (GROUP_OBJ, 4, 0xffffffff), (MASK, 6, 0xffffffff), (OTHER, 4, 0xffffffff)])
cmd = sys.argv[1]
try:
    if cmd == "handle":        # handle FILE OUT: name_to_handle_at, saved for later
        buf = ctypes.create_string_buffer(8 + 128)
        struct.pack_into("I", buf, 0, 128)
        mid = ctypes.c_int()
        if libc.syscall(303, -100, sys.argv[2].encode(), buf, ctypes.byref(mid), 0) < 0:
            die("name_to_handle_at", ctypes.get_errno())
        open(sys.argv[3], "wb").write(buf.raw)
    elif cmd == "by-handle":   # by-handle MOUNTDIR SAVED: open_by_handle_at and read
        mfd = os.open(sys.argv[2], os.O_RDONLY | os.O_DIRECTORY)
        buf = ctypes.create_string_buffer(open(sys.argv[3], "rb").read())
        fd = libc.syscall(304, mfd, buf, os.O_RDONLY)
        if fd < 0: die("open_by_handle_at", ctypes.get_errno())
        print("read by handle:", os.read(fd, 64).decode().strip())
    elif cmd == "set-acl":     # set-acl FILE [default]
        name = "system.posix_acl_default" if len(sys.argv) > 3 else "system.posix_acl_access"
        os.setxattr(sys.argv[2], name, GRANT); print("ACL set")
    elif cmd == "rm-acl":
        os.removexattr(sys.argv[2], "system.posix_acl_access"); print("ACL removed")
    elif cmd == "set-xattr":   # set-xattr FILE NAME VALUE
        os.setxattr(sys.argv[2], sys.argv[3], sys.argv[4].encode()); print("xattr set")
    elif cmd == "rm-xattr":
        os.removexattr(sys.argv[2], sys.argv[3]); print("xattr removed")
    elif cmd == "exchange":    # renameat2(RENAME_EXCHANGE)
        if libc.syscall(316, -100, sys.argv[2].encode(), -100, sys.argv[3].encode(), 2) < 0:
            die("renameat2 RENAME_EXCHANGE", ctypes.get_errno())
        print("exchanged")
    elif cmd == "hold":        # hold FILE MODE READY GO RESULT: open now, use the descriptor after GO appears
        path, m, ready, go, result = sys.argv[2:7]
        fd = os.open(path, {"r": os.O_RDONLY, "w": os.O_WRONLY | os.O_APPEND}[m])
        open(ready, "w").close()
        while not os.path.exists(go):
            os.system("sleep 0.1")
        out = []
        try:
            if m == "r":
                out.append("read " + os.pread(fd, 64, 0).decode().strip())
            else:
                os.write(fd, b"x\n"); out.append("write ok")
        except OSError as e:
            out.append(f"io {os.strerror(e.errno)}")
        if m == "r":
            a = libc.mmap(None, 4096, mmap.PROT_READ, mmap.MAP_PRIVATE, fd, 0)
            out.append("mmap " + ("ok" if a not in (None, ctypes.c_void_p(-1).value) else os.strerror(ctypes.get_errno())))
            a = libc.mmap(None, 4096, mmap.PROT_READ | mmap.PROT_EXEC, mmap.MAP_PRIVATE, fd, 0)
            out.append("mmap-exec " + ("ok" if a not in (None, ctypes.c_void_p(-1).value) else os.strerror(ctypes.get_errno())))
        open(result, "w").write("; ".join(out) + "\n")
except OSError as e:
    die(cmd, e.errno)
PY
py() { python3 /tmp/frtp_id.py "$@"; }
PYEXE=$(readlink -f "$(command -v python3)")
wait_for() { for _ in $(seq 100); do [ -e "$1" ] && return 0; sleep 0.1; done; return 1; }
# hold_start NAME FILE r|w: a process opens FILE now and uses it when told.
hold_start() { rm -f /tmp/h.$1.*; py hold "$2" "$3" /tmp/h.$1.ready /tmp/h.$1.go /tmp/h.$1.out & wait_for /tmp/h.$1.ready || kw_fail "holder $1 did not open $2"; }
hold_result() { touch /tmp/h.$1.go; wait_for /tmp/h.$1.out; cat /tmp/h.$1.out; }

# ---------------------------------------------------------------- setup
S=/srv/id
rm -rf $S; mkdir -p $S/vault/sub $S/out $S/ro-local
echo pre > $S/vault/pre; echo post > $S/vault/post; echo deep > $S/vault/sub/deep
echo held > $S/vault/held; echo later > $S/vault/later
echo secret > $S/secret; echo decoy > $S/decoy
echo plain > $S/out/plain; echo ro > $S/ro-local/f
mkdir -p $S/conf/drop.d; echo spare > $S/conf/spare   # names bound by exact objects that do not exist
# Hardlinks that exist before the policy loads.
ln $S/vault/pre $S/out/pre-link
ln $S/vault/sub/deep $S/out/deep-link
ln $S/ro-local/f $S/out/ro-link
ln $S/out/plain $S/out/plain-link

# An ext4 filesystem (file handles give disconnected dentries there; ACLs).
modprobe ext4 2>/dev/null; modprobe loop 2>/dev/null
F=/mnt/idfs
mkdir -p $F
truncate -s 24M /root/idfs.img
mkfs.ext4 -q -F /root/idfs.img && mount -o loop /root/idfs.img $F || kw_fail "cannot mount an ext4 image"
mkdir -p $F/ro $F/free $F/vault
echo rofile > $F/ro/f; echo aclfile > $F/ro/acl; echo capfile > $F/ro/cap; mkdir $F/ro/dir
echo free > $F/free/f; echo freed > $F/free/g; echo vaulted > $F/vault/f
py set-acl $F/ro/acl >/dev/null || kw_fail "ext4 without POSIX ACLs: the ACL tests cannot run"
py handle $F/vault/f /tmp/fh.vault; py handle $F/free/f /tmp/fh.free; py handle $F/free/g /tmp/fh.freeg
py handle $S/out/plain /tmp/fh.tmpfs 2>/dev/null

P=/tmp/frtp-id.yaml
cat > $P <<EOF
rules:
  - name: vault
    objects: [$S/vault/**, $F/vault/**]
    operations: [read]
    action: deny
    except: {exe: [/usr/bin/cat, $PYEXE]}
  - name: ro
    objects: [$S/ro-local/**, $F/ro/**]
    operations: [write, create, unlink, rename, link, chmod, chown]
    action: deny
  - name: secret
    objects: [$S/secret]
    operations: [read]
    action: deny
    except: {exe: /usr/bin/cat}
  - name: bound
    objects: [$S/conf/ld.so.preload, $S/conf/drop.d/10-x.conf, $S/conf/masked.service]
    operations: [create, rename, link, write]
    action: deny
  - name: outdir
    objects: [$S/out]
    operations: [rmdir]
    action: deny
EOF
# The policy a reload switches to (descriptors opened before a reload).
P0=/tmp/frtp-id0.yaml
cat > $P0 <<EOF
rules:
  - name: unrelated
    objects: [/srv/nothing-here]
    operations: [read]
    action: deny
EOF
kw_succeeds "frtp --check accepts the policy" frtp --check --rules $P

# Descriptors opened before the service starts.
hold_start start-r $S/vault/held r   # python: excepted from the vault rule
hold_start start-s $S/secret r       # python: not excepted from the secret rule
hold_start start-w $S/ro-local/f w
exec 7< $S/vault/later   # this shell's own descriptor, read by head and cat later
hold_start start-free /etc/hostname r

cp $P /tmp/frtp-id-live.yaml
systemd-run --quiet --unit=frtp-id -p Type=notify -p NotifyAccess=main "$(command -v frtp)" --output journal \
	--rules /tmp/frtp-id-live.yaml || { kw_fail "frtp did not start"; journalctl -u frtp-id --no-pager | grep -v "^.*: [0-9]*: \|^.*: ;" | tail -40; kw_done; }
kw_pass "frtp started"
T0=$(date +%s)
journalctl -u frtp-id --no-pager | grep "trees walked" | tail -1

# ---------------------------------------------------------------- descriptors
r=$(hold_result start-s)
[[ $r == "io Permission denied; mmap Permission denied; mmap-exec Permission denied" ]] &&
	kw_pass "descriptor opened before the start: read, mmap, mmap PROT_EXEC denied ($r)" ||
	kw_fail "descriptor opened before the start: got '$r'"
r=$(hold_result start-r)
[[ $r == "read held; mmap ok; mmap-exec ok" ]] &&
	kw_pass "an excepted program reads through its own descriptor opened before the start ($r)" ||
	kw_fail "excepted program (python) through its own descriptor: got '$r'"
r=$(hold_result start-w)
[[ $r == "write Permission denied"* || $r == "io Permission denied"* ]] &&
	kw_pass "descriptor opened for write before the start: write denied ($r)" ||
	kw_fail "descriptor opened for write before the start: got '$r'"
r=$(hold_result start-free)
[[ $r == "read kwarden-vm"*"mmap ok"* ]] && kw_pass "an unprotected descriptor opened before the start reads ($r)" ||
	kw_fail "unprotected descriptor: got '$r'"
kw_denied "head reads a descriptor the shell opened before the start" EACCES head -c 5 <&7
kw_succeeds "cat (excepted) reads through the same descriptor" cat <&7
exec 7<&-

# Descriptors opened before a reload that adds the rule.
cp $P0 /tmp/frtp-id-live.yaml; systemctl kill -s HUP frtp-id; sleep 1.5
kw_succeeds "policy without the vault rule: head reads" head -c 3 $S/vault/held
exec 7< $S/vault/held
exec 8>> $S/ro-local/f
cp $P /tmp/frtp-id-live.yaml; systemctl kill -s HUP frtp-id; sleep 1.5
kw_denied "after the reload: head reads a descriptor opened before it" EACCES head -c 3 <&7
kw_succeeds "after the reload: cat (excepted) reads the same descriptor" cat <&7
if (echo x >&8) 2>/dev/null; then kw_fail "after the reload: write through a descriptor opened before it"
else kw_pass "after the reload: write through a descriptor opened before it is denied"; fi
exec 7<&- 8>&-
kw_succeeds "a descriptor opened under the policy keeps working (read loop)" bash -c "exec 3< /etc/hostname; for i in 1 2 3; do head -c1 /dev/stdin <&3 >/dev/null || exit 1; done"

# Descriptors allowed at open stay allowed for whoever holds them, and
# closing them frees their room. python (excepted from the vault rule) opens
# and closes 200,000 descriptors of a vault file (more than the 131,072 the
# kernel side remembers at once); opens 3,000, which take 3,000 places in
# frtp's descriptor table (bpftool), and closes them, which frees them;
# 1,500 pipes read take none, 3,000 descriptors of a file no rule reaches
# read and closed leave none; then opens 3,000 again and executes bash,
# which the rule denies: bash reads each one it inherited.
cat > /tmp/frtp_fds.py <<'PY'
import json, os, subprocess, sys
path, free_path, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
def used():  # places of frtp's descriptor table in use
    out = subprocess.run(["bpftool", "-j", "map", "dump", "name", "fds"], capture_output=True, text=True, check=True).stdout
    sets = [e.get("formatted", e)["value"] for e in json.loads(out)]
    return sum(1 for s in sets for w in s["way"] if w["file"])
for _ in range(200000):
    os.close(os.open(path, os.O_RDONLY))
u0 = used()
fds = [os.open(path, os.O_RDONLY) for _ in range(n)]
u1 = used()
for f in fds:
    os.close(f)
u2 = used()
print(f"places used: {u0} before, {u1} with {n} open, {u2} after closing", file=sys.stderr)
if u1 - u0 < n - 50 or u2 - u0 > 100:
    print(f"places: {u0} {u1} {u2}"); sys.exit(1)
# Pipes take no place (no rule can reach them); descriptors of a file no
# rule reaches take one once read, and give it back at close.
pipes = [os.pipe() for _ in range(n // 2)]
for r, w in pipes:
    os.write(w, b"x"); os.read(r, 1)
u3 = used()
free = [os.open(free_path, os.O_RDONLY) for _ in range(n)]
for f in free:
    os.read(f, 1)
for f in free:
    os.close(f)
for r, w in pipes:
    os.close(r); os.close(w)
u4 = used()
print(f"places used with {n // 2} pipes read: {u3}; after {n} unprotected descriptors read and closed: {u4}", file=sys.stderr)
if u3 - u2 > 100 or u4 - u2 > 100:
    print(f"places: pipes {u2} -> {u3}, unprotected descriptors closed {u4}"); sys.exit(1)
fds = [os.open(path, os.O_RDONLY) for _ in range(n)]
for f in fds:
    os.set_inheritable(f, True)  # python opens close-on-exec
os.execv("/bin/bash", ["bash", "-c", 'n=0; for fd in "$@"; do IFS= read -r -u "$fd" l && [ "$l" = held ] && n=$((n + 1)); done; echo "$n read"', "bash"] + [str(f) for f in fds])
PY
kw_denied "bash itself reads the vault file" EACCES bash -c "read -r l < $S/vault/held"
r=$(ulimit -n 16384; python3 /tmp/frtp_fds.py $S/vault/held /etc/hostname 3000)
[ "$r" = "3000 read" ] && kw_pass "3,000 descriptors held in frtp's table and freed at close; 3,000 more python opened, read by bash ($r)" ||
	kw_fail "descriptors passed across exec: got '$r'"

# ---------------------------------------------------------------- hardlinks
kw_denied "hardlink made before the load reads the tree file" EACCES head $S/out/pre-link
kw_denied "hardlink made before the load, from a subdirectory of the tree" EACCES head $S/out/deep-link
kw_succeeds "the excepted program reads through that hardlink" cat $S/out/pre-link
kw_denied "hardlink made before the load writes into the read-only tree" EACCES bash -c "echo x >> $S/out/ro-link"
kw_denied "chmod through that hardlink" EACCES chmod 600 $S/out/ro-link
kw_succeeds "hardlink made after the load (link not denied by the rule)" ln $S/vault/post $S/out/post-link
kw_denied "hardlink made after the load reads the tree file" EACCES head $S/out/post-link
# A third name, linked through the name outside the tree: $S/out is an
# object (its own rmdir rule), so that name's chain holds an object but no
# tree. The link is allowed, and the file keeps its tree's rules.
kw_succeeds "a tree member linked again through its name outside the tree" ln $S/out/pre-link $S/out/pre-link2
kw_denied "that third name reads the tree file" EACCES head $S/out/pre-link2
kw_succeeds "the excepted program reads through the third name" cat $S/out/pre-link2
kw_succeeds "a hardlink of an unprotected file reads" head $S/out/plain-link
kw_succeeds "an unprotected file outside the trees reads" head $S/out/plain
kw_denied "linking out of the read-only tree is denied (link)" EACCES ln $S/ro-local/f $S/out/ro-link2
# A reload while the policy in force denies reading the tree: the daemon's
# walk for hardlinks must not be refused by it (frtp_cfg.self_tgid).
systemctl kill -s HUP frtp-id; sleep 1.5
walk=$(journalctl -u frtp-id --no-pager | grep "trees walked" | tail -1)
[[ $walk == *"with several names"* && $walk != *unreadable* ]] &&
	kw_pass "reload under the same policy: the walk read every tree ($walk)" ||
	kw_fail "reload under the same policy: walk line '$walk'"
kw_denied "after that reload: the hardlink made before the load" EACCES head $S/out/pre-link
kw_denied "after that reload: the hardlink made after the first load" EACCES head $S/out/post-link

# ---------------------------------------------------------------- file handles
echo 2 > /proc/sys/vm/drop_caches   # evict the dentries: handles now give disconnected ones
kw_denied "open_by_handle_at of a tree file (disconnected dentry)" EACCES py by-handle $F /tmp/fh.vault
kw_denied "open_by_handle_at of a file outside the trees on a filesystem with a tree rule naming read" EACCES \
	py by-handle $F /tmp/fh.freeg
kw_succeeds "a connected dentry (the file was just opened by name) decides as usual" \
	bash -c "head -c1 $F/free/f >/dev/null && python3 /tmp/frtp_id.py by-handle $F /tmp/fh.free"
if [ -s /tmp/fh.tmpfs ]; then
	kw_succeeds "open_by_handle_at on tmpfs (always connected): an unprotected file" py by-handle / /tmp/fh.tmpfs
fi

# ---------------------------------------------------------------- permission changes
kw_denied "chmod in the read-only tree" EACCES chmod 600 $F/ro/f
kw_denied "chown in the read-only tree" EACCES chown 1000 $F/ro/f
kw_denied "setfacl (system.posix_acl_access)" EACCES py set-acl $F/ro/f
kw_denied "default ACL on a directory (system.posix_acl_default)" EACCES py set-acl $F/ro/dir default
kw_denied "removing an ACL" EACCES py rm-acl $F/ro/acl
kw_denied "setcap (security.capability)" EACCES setcap cap_net_raw+ep $F/ro/cap
kw_denied "another security.* attribute" EACCES py set-xattr $F/ro/f security.kwtest x
kw_succeeds "user.* attributes are not a permission change" py set-xattr $F/ro/f user.note x
kw_succeeds "setfacl outside the trees" py set-acl $F/free/f
kw_succeeds "setcap outside the trees" setcap cap_net_raw+ep $F/free/g
kw_succeeds "chmod outside the trees" chmod 640 $F/free/f

# ---------------------------------------------------------------- RENAME_EXCHANGE
kw_denied "the exact object before the exchange" EACCES head $S/secret
kw_succeeds "exchange the exact object with another file (rename not denied)" py exchange $S/secret $S/decoy
kw_denied "the object at its new name" EACCES head $S/decoy
kw_denied "the file that took the object's name" EACCES head $S/secret
rm -f $S/decoy; echo new > $S/decoy
kw_denied "a new file at the object's new name (the binding followed it)" EACCES head $S/decoy
kw_succeeds "the excepted program reads it" cat $S/decoy
kw_succeeds "exchange of two unprotected files" bash -c "echo a > $S/out/a; echo b > $S/out/b; python3 /tmp/frtp_id.py exchange $S/out/a $S/out/b"
kw_succeeds "they stay readable" head $S/out/a $S/out/b

# ---------------------------------------------------------------- creating a bound name
# An exact object that does not exist: its name is bound, and creating it is
# an operation on it (docs/guard.md: drop-ins, mask symlinks, ld.so.preload).
kw_denied "creating a file an exact rule names (open O_CREAT)" EACCES bash -c "echo x > $S/conf/ld.so.preload"
kw_denied "a drop-in an exact rule names" EACCES bash -c "echo x > $S/conf/drop.d/10-x.conf"
kw_denied "a mask symlink an exact rule names" EACCES ln -s /dev/null $S/conf/masked.service
kw_denied "mknod at the bound name" EACCES mknod $S/conf/ld.so.preload p
kw_denied "renaming a file to the bound name" EACCES mv $S/conf/spare $S/conf/ld.so.preload
kw_denied "linking a file to the bound name" EACCES ln $S/conf/spare $S/conf/ld.so.preload
[ ! -e $S/conf/ld.so.preload ] && [ ! -e $S/conf/masked.service ] && [ ! -e $S/conf/drop.d/10-x.conf ] &&
	kw_pass "none of the bound names exists" || kw_fail "a bound name was created: $(ls -la $S/conf $S/conf/drop.d)"
kw_succeeds "another name in the same directory is created" bash -c "echo x > $S/conf/other && ln -s /dev/null $S/conf/other.service"
kw_succeeds "another drop-in in the same directory is created" bash -c "echo x > $S/conf/drop.d/20-y.conf"
kw_succeeds "frtp explain agrees: creating the bound name is denied" \
	bash -c "frtp explain --rules $P --op create --path $S/conf/ld.so.preload | grep -q '^decision: deny by rule .bound.'"

# ---------------------------------------------------------------- remembered verdicts
# A file no rule can reach is remembered as such on its inode, and its next
# opens skip the walk (docs/frtp.md, "The fast path"). Every change that can
# put it under a rule must undo that: read first, then move or link it in.
mkdir -p $S/mv/d1/d2; echo moved > $S/mv/d1/d2/f; echo single > $S/mv/g; echo linked > $S/mv/h
echo swapped > $S/mv/x; mkdir -p $S/mv/xd; echo inner > $S/mv/xd/f
for _ in 1 2 3; do head -c1 $S/mv/d1/d2/f $S/mv/g $S/mv/h $S/mv/xd/f >/dev/null; done
kw_succeeds "outside the tree: head reads (the verdict is remembered)" head $S/mv/d1/d2/f
mv $S/mv/d1 $S/vault/d1
kw_denied "a directory moved into the tree: a file two levels down that was read before" EACCES head $S/vault/d1/d2/f
mv $S/mv/g $S/vault/g
kw_denied "a file moved into the tree after it was read" EACCES head $S/vault/g
ln $S/mv/h $S/vault/h
kw_denied "a file linked into the tree after it was read, through its new name" EACCES head $S/vault/h
head -c1 $S/mv/h >/dev/null
kw_denied "the same, after another read through the outside name" EACCES head $S/vault/h
mkdir -p $S/vault/xd; echo vaulted > $S/vault/xd/f
head -c1 $S/mv/xd/f >/dev/null   # remembered again after the link above
py exchange $S/mv/xd $S/vault/xd >/dev/null
kw_denied "a directory swapped into the tree (RENAME_EXCHANGE) after its file was read" EACCES head $S/vault/xd/f
kw_succeeds "the directory swapped out of the tree reads" head $S/mv/xd/f
exec 7< $S/mv/x
kw_succeeds "a descriptor on a remembered file reads" head -c1 <&7
mv $S/mv/x $S/vault/x
kw_denied "the same descriptor after its file moved into the tree" EACCES head -c1 <&7
exec 7<&-

# ---------------------------------------------------------------- remembered allows
# A quiet allow is remembered on the inode for the subject it was decided
# for (executable, uid, gid, cgroup): that subject's next opens skip the
# walk, and every other subject, operation, policy or name is decided anew.
mkdir -p $S/ac/exe $S/ac/uid $S/ac/gid $S/ac/unit $S/ac/ops $S/ac/deny $S/acx
for d in exe uid gid unit ops; do echo $d > $S/ac/$d/f; done
echo m > $S/ac/exe/m; echo l > $S/ac/exe/l; echo x > $S/acx/f
chmod 644 $S/ac/*/* $S/acx/f
ac_policy() { # ac_policy EXE: the allow-cache policy, ac-exe allowing EXE
	cat <<EOF
rules:
  - {name: ac-all, objects: [$S/ac/**], operations: [read], action: deny}
  - {name: ac-exe, objects: [$S/ac/exe/**], operations: [read], action: allow, subjects: {exe: $1}}
  - {name: ac-uid, objects: [$S/ac/uid/**], operations: [read], action: allow, subjects: {uid: 0}}
  - {name: ac-gid, objects: [$S/ac/gid/**], operations: [read], action: allow, subjects: {gid: 0}}
  - {name: ac-unit, objects: [$S/ac/unit/**], operations: [read], action: allow, subjects: {unit: frtp-ac.service}}
  - {name: ac-except, objects: [$S/acx/**], operations: [read], action: deny, except: {exe: /usr/bin/cat}}
  - {name: ac-ops, objects: [$S/ac/ops/**], operations: [read], action: allow, subjects: {uid: 0}}
  - {name: ac-ops-w, objects: [$S/ac/ops/**], operations: [write], action: deny}
EOF
}
systemd-run --quiet --unit=frtp-ac sleep 1000
ac_policy /usr/bin/cat > /tmp/frtp-id-live.yaml; systemctl kill -s HUP frtp-id; sleep 1.5
twice() { "$@" >/dev/null 2>&1; "$@"; }   # the second run finds what the first remembered
kw_succeeds "allowed exe: cat reads (twice)" twice cat $S/ac/exe/f
kw_denied "another exe on the same file: head" EACCES head $S/ac/exe/f
kw_succeeds "allowed uid: root's cat reads (twice)" twice cat $S/ac/uid/f
kw_denied "another uid, same exe: cat as uid 1000" EACCES setpriv --reuid 1000 --regid 0 --clear-groups cat $S/ac/uid/f
kw_succeeds "allowed gid: cat with gid 0 reads (twice)" twice cat $S/ac/gid/f
kw_denied "another gid, same exe and uid: cat with gid 1000" EACCES setpriv --regid 1000 --clear-groups cat $S/ac/gid/f
ac_unit() { bash -c "echo \$\$ > /sys/fs/cgroup/system.slice/frtp-ac.service/cgroup.procs && cat $S/ac/unit/f"; }
kw_succeeds "allowed unit: cat in frtp-ac.service reads (twice)" twice ac_unit
kw_denied "another cgroup, same exe, uid and gid: cat from this shell" EACCES cat $S/ac/unit/f
kw_succeeds "excepted: cat reads (twice)" twice cat $S/acx/f
kw_denied "not excepted on the same file: head" EACCES head $S/acx/f
kw_succeeds "allowed read: python reads (twice)" twice python3 -c "open('$S/ac/ops/f').read()"
kw_denied "the same python, another operation: append" EACCES python3 -c "open('$S/ac/ops/f', 'a').write('x')"
twice cat $S/ac/exe/m >/dev/null; mv $S/ac/exe/m $S/ac/deny/m
kw_denied "remembered for cat, then moved into a denied tree" EACCES cat $S/ac/deny/m
twice cat $S/ac/exe/l >/dev/null; ln $S/ac/exe/l $S/ac/deny/l
kw_denied "remembered for cat, then linked into a denied tree: through its new name" EACCES cat $S/ac/deny/l
twice cat $S/ac/exe/f >/dev/null
ac_policy /usr/bin/head > /tmp/frtp-id-live.yaml; systemctl kill -s HUP frtp-id; sleep 1.5
kw_denied "remembered for cat, then a reload that no longer allows cat" EACCES cat $S/ac/exe/f
kw_succeeds "and allows head now" head $S/ac/exe/f
systemctl stop frtp-ac

# ---------------------------------------------------------------- records
sleep 2; journalctl --sync 2>/dev/null
journalctl -t frtp -o json --no-pager --since "@$T0" > /tmp/frtp-id.json
python3 - /tmp/frtp-id.json <<'PY' && kw_pass "records: (disconnected), ACL as chmod, descriptor reads" || kw_fail "records (see above)"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
dec = [r for r in recs if r.get("RULE")]
def has(**kw):
    return [r for r in dec if all(r.get(k.upper()) == v for k, v in kw.items())]
assert has(rule="(disconnected)", operation="read", decision="deny"), "no (disconnected) deny"
assert has(rule="ro", operation="chmod", subject_comm="python3"), "no chmod deny for the ACL"
assert has(rule="vault", operation="read", subject_comm="head"), "no read deny for head"
print(f"{len(dec)} decision records; e.g. {has(rule='(disconnected)')[0]['MESSAGE']}")
PY

systemctl stop frtp-id
kw_succeeds "after stop: the hardlink reads" head $S/out/pre-link
umount $F
kw_done
