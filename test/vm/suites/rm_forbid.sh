#!/bin/bash
# rm-forbid in the VM (real 6.12 kernel with the bpf LSM): files in use cannot
# be deleted by any route, files not in use can, holders are named in journald.
# Run by ctest as `test/vm/run test/vm/suites/rm_forbid.sh`.
set -u
export LC_ALL=C
. /kwarden-vmtest/lib.sh 2>/dev/null || . "$(dirname "$0")/../../lib.sh"  # test/lib.sh, shipped by test/vm/run
[ "${KWARDEN_IN_VM:-0}" = 1 ] || kw_skip "runs inside the VM (test/vm/run $0)"
kw_kernel_runs rm-forbid || exit 77
# Developer runs may ship a build as a tree to overlay (KWARDEN_VM_EXTRA=DIR with DIR/root/...).
if [ -d /kwarden-extra/root ]; then cp -a /kwarden-extra/root/. /; systemctl daemon-reload; fi
RF=$(command -v rm-forbid)
[ -x "$RF" ] || { kw_fail "rm-forbid is not installed"; kw_done; }
grep -qw bpf /sys/kernel/security/lsm || { kw_fail "the VM kernel does not run the bpf LSM: $(cat /sys/kernel/security/lsm)"; kw_done; }

gone() { [ ! -e "$1" ] && [ ! -L "$1" ]; }
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	systemctl stop kwarden-rm-forbid 2>/dev/null
	[ -n "${fg:-}" ] && kill "$fg" 2>/dev/null
}
trap cleanup EXIT

# hold FILE: a sleeping process holding FILE open on fd 3; prints its pid.
hold() { (exec 3<"$1"; exec sleep 1000) </dev/null >/dev/null 2>&1 & echo $!; }
# unhold PID: the holder exits (and is reaped, so its files are released).
unhold() {
	kill "$1" 2>/dev/null; wait "$1" 2>/dev/null
	for _ in $(seq 50); do [ -n "$(ls /proc/$1/fd 2>/dev/null)" ] || return 0; sleep 0.1; done
}
sync_journal() { sleep 1; journalctl --sync 2>/dev/null || true; sleep 0.5; }

echo "# rm-forbid $("$RF" --help >/dev/null && echo ok) on $(uname -r), LSMs $(cat /sys/kernel/security/lsm)"
kw_check "--check accepts the shipped rules" "$RF" --check --rules /etc/kwarden/rm-forbid.yaml
printf 'mode: enforce\nin_use: [write, maped]\n' > /tmp/bad.yaml
out=$("$RF" --check --rules /tmp/bad.yaml 2>&1); rc=$?
kw_check "--check refuses a typo with exit 3 and file:line:column" [ "$rc" = 3 -a -n "$(echo "$out" | grep -F '/tmp/bad.yaml:2:')" ]

# ---------------------------------------------------------------- a file opened before start
mkdir -p /tmp/early && echo early > /tmp/early/f
early=$(hold /tmp/early/f)

systemctl start kwarden-rm-forbid || { kw_fail "the service did not start"; journalctl -u kwarden-rm-forbid --no-pager | tail -30; kw_done; }
kw_check "service is active" systemctl is-active -q kwarden-rm-forbid
kw_check "links are pinned" [ -e /sys/fs/bpf/kwarden/rm-forbid/link_rf_path_unlink ]

rm -f /tmp/early/f 2>/dev/null
kw_check "file opened before rm-forbid started is protected" [ -e /tmp/early/f ]
unhold "$early"
kw_check "after its holder exits it can be removed" rm /tmp/early/f

# ---------------------------------------------------------------- every way of removing a held file
d=/tmp/rf/dir; rm -rf /tmp/rf; mkdir -p $d/sub /tmp/rf/other
echo precious > $d/held; for i in 1 2 3; do echo $i > $d/o$i; echo $i > $d/sub/s$i; done
h=$(hold $d/held)

err=$(rm $d/held 2>&1)
kw_check "rm: refused" [ -e $d/held ]
kw_check "rm: error is EBUSY" grep -q "Device or resource busy" <<< "$err"
kw_check "rm -f: refused" bash -c "rm -f $d/held 2>/dev/null; [ -e $d/held ]"
kw_check "unlink(2): EBUSY" python3 -c "
import os,errno
try: os.unlink('$d/held'); raise SystemExit(1)
except OSError as e: raise SystemExit(0 if e.errno == errno.EBUSY else 2)"
kw_check "unlinkat(2) from another directory's fd: refused" bash -c "cd /tmp/rf/other && python3 -c \"
import os
fd = os.open('$d', os.O_RDONLY | os.O_DIRECTORY)
try: os.unlink('held', dir_fd=fd); raise SystemExit(1)
except OSError: pass\" && [ -e $d/held ]"
kw_check "find -delete: refused" bash -c "find $d -name held -delete 2>/dev/null; [ -e $d/held ]"
kw_check "through /proc/self/root: refused" bash -c "rm -f /proc/self/root$d/held 2>/dev/null; [ -e $d/held ]"
kw_check "through a relative path and ..: refused" bash -c "cd $d/sub && rm -f ../held 2>/dev/null; [ -e $d/held ]"
mkdir -p /mnt/rfbind && mount --bind /tmp/rf /mnt/rfbind
kw_check "through a bind mount: refused" bash -c "rm -f /mnt/rfbind/dir/held 2>/dev/null; [ -e $d/held ]"
umount /mnt/rfbind
ln -s $d/held /tmp/rf/other/sym
kw_check "rm of a symlink to it removes only the symlink" bash -c "rm /tmp/rf/other/sym && gone() { [ ! -e \$1 ] && [ ! -L \$1 ]; }; gone /tmp/rf/other/sym && [ -e $d/held ]"
echo new > /tmp/rf/other/new
kw_check "mv over it: refused" bash -c "! mv -f /tmp/rf/other/new $d/held 2>/dev/null && [ \"\$(cat $d/held)\" = precious ]"
kw_check "rename(2) over it: EBUSY" python3 -c "
import os,errno
try: os.rename('/tmp/rf/other/new', '$d/held'); raise SystemExit(1)
except OSError as e: raise SystemExit(0 if e.errno == errno.EBUSY else 2)"
kw_check "renameat2(RENAME_EXCHANGE) with it is allowed (nothing disappears)" python3 -c "
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
AT_FDCWD = -100
r = libc.renameat2(AT_FDCWD, b'/tmp/rf/other/new', AT_FDCWD, b'$d/held', 2)
r2 = libc.renameat2(AT_FDCWD, b'/tmp/rf/other/new', AT_FDCWD, b'$d/held', 2)  # and back
raise SystemExit(0 if r == 0 and r2 == 0 else 1)"
kw_check "content intact after the exchanges" [ "$(cat $d/held)" = precious ]
ln $d/held /tmp/rf/other/hard
kw_check "another hard link of it is refused too (in use is per inode)" bash -c "! rm /tmp/rf/other/hard 2>/dev/null && [ -e /tmp/rf/other/hard ]"
kw_check "renaming a hard link over a fresh name is allowed" bash -c "mv /tmp/rf/other/hard /tmp/rf/other/hard2"
kw_check "renaming it within the tree is allowed by default" bash -c "mv $d/held $d/held2 && mv $d/held2 $d/held"
rm -rf $d 2>/dev/null
kw_check "rm -rf parent: the other files go" bash -c "gone() { [ ! -e \$1 ]; }; gone $d/o1 && gone $d/o2 && gone $d/sub"
kw_check "rm -rf parent: the held file stays" [ -e $d/held ]
kw_check "rmdir of its directory fails" bash -c "! rmdir $d 2>/dev/null && [ -e $d/held ]"
sync_journal
# Matched on fields, not on a cursor: journalctl --after-cursor with a -t filter missed entries.
journalctl -q -t rm-forbid -o json PATH=$d/held > /tmp/rf/rec.json
kw_check "journald: refusals recorded with MESSAGE_ID" grep -q '"MESSAGE_ID":"3c9a7e1f52b84d0e9f6a1b2c3d4e5f01"' /tmp/rf/rec.json
kw_check "journald: first record names operation, path, subject and holder sleep($h)" python3 -c "
import json
r = json.loads(open('/tmp/rf/rec.json').readline())
print('  ', r['MESSAGE'])
assert r['OPERATION'] == 'unlink' and r['PATH'] == '$d/held' and r['SUBJECT_COMM'] == 'rm', r
assert r['ACTION'] == 'deny' and r['HOLDER_PIDS'] == '$h' and 'sleep($h) fd 3' in r['HOLDERS'], r
assert r['SUBJECT_EXE'] == '/usr/bin/rm' and 'SUBJECT_ANCESTRY' in r and r['SUBJECT_UID'] == '0', r"
kw_check "journald: rename-over recorded" grep -q '"OPERATION":"rename-over"' /tmp/rf/rec.json
unhold "$h"
kw_check "after the holder exits: rm works" rm $d/held
kw_check "and rmdir works" rmdir $d

# ---------------------------------------------------------------- inherited descriptors
echo x > /tmp/rf/inh
child=$(python3 -c "
import os, time, sys
fd = os.open('/tmp/rf/inh', os.O_RDONLY)
pid = os.fork()
if pid == 0:
    os.closerange(0, 3); time.sleep(1000); os._exit(0)
print(pid)")
kw_check "a descriptor inherited by a child (parent gone) keeps the file in use" bash -c "! rm /tmp/rf/inh 2>/dev/null && [ -e /tmp/rf/inh ]"
kill "$child"; sleep 0.3
kw_check "after the child exits: rm works" rm /tmp/rf/inh

# ---------------------------------------------------------------- own temporary files
kw_check "a process may unlink a file only it holds (open, then unlink)" python3 -c "
import os
fd = os.open('/tmp/rf/tmpself', os.O_CREAT | os.O_RDWR, 0o600)
os.unlink('/tmp/rf/tmpself'); os.write(fd, b'x')"
kw_check "but not while a child shares the descriptor" python3 -c "
import os, time, errno, signal
fd = os.open('/tmp/rf/tmpshared', os.O_CREAT | os.O_RDWR, 0o600)
pid = os.fork()
if pid == 0:
    time.sleep(30); os._exit(0)
try: os.unlink('/tmp/rf/tmpshared'); ok = False
except OSError as e: ok = e.errno == errno.EBUSY
os.kill(pid, signal.SIGKILL); os.waitpid(pid, 0)
raise SystemExit(0 if ok else 1)"
rm -f /tmp/rf/tmpshared

# ---------------------------------------------------------------- running executable
cp /bin/sleep /tmp/rf/x
/tmp/rf/x 1000 & xp=$!; pids+=($xp); sleep 0.5
kw_check "running executable: rm refused" bash -c "! rm -f /tmp/rf/x 2>/dev/null && [ -e /tmp/rf/x ]"
kw_check "running executable: mv over refused" bash -c "cp /bin/true /tmp/rf/t && ! mv /tmp/rf/t /tmp/rf/x 2>/dev/null"
sync_journal
kw_check "journald: the executable's holder is named with exe" bash -c "journalctl -q -t rm-forbid -o json PATH=/tmp/rf/x | head -1 | grep -q 'x($xp) exe'"
unhold "$xp"
kw_check "after it exits: rm works" rm /tmp/rf/x

# ---------------------------------------------------------------- mapped, descriptor closed
echo mapped-data > /tmp/rf/m
python3 -c "
import ctypes, os, time
# A real mapping with no descriptor left (Python's mmap module keeps a dup).
libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
fd = os.open('/tmp/rf/m', os.O_RDONLY)
p = libc.mmap(None, 4096, 1, 1, fd, 0)   # PROT_READ, MAP_SHARED
assert p not in (None, ctypes.c_void_p(-1).value)
os.close(fd)
print('mapped', flush=True); time.sleep(1000)" > /tmp/rf/m.out & mp=$!; pids+=($mp)
for _ in $(seq 50); do grep -q mapped /tmp/rf/m.out && break; sleep 0.1; done
kw_check "mapped file (fd closed): rm refused" bash -c "! rm /tmp/rf/m 2>/dev/null && [ -e /tmp/rf/m ]"
kw_check "no fd of the mapper refers to it" bash -c "! ls -l /proc/$mp/fd | grep -q '/tmp/rf/m\$'"
sync_journal
kw_check "journald: the mapper is named (mapped)" bash -c "journalctl -q -t rm-forbid -o json PATH=/tmp/rf/m | head -1 | grep -q 'python3($mp) mapped'"
unhold "$mp"
kw_check "after the mapper exits: rm works" rm /tmp/rf/m

# ---------------------------------------------------------------- 10,000 files not in use
mkdir -p /tmp/rf/many && (cd /tmp/rf/many && seq 10000 | xargs touch)
t0=$(date +%s.%N)
kw_check "10,000 files not in use: rm -rf removes them all" bash -c "rm -rf /tmp/rf/many && [ ! -e /tmp/rf/many ]"
echo "  (removed in $(awk -v a=$t0 -v b=$(date +%s.%N) 'BEGIN{printf "%.2f", b-a}') s)"

# ---------------------------------------------------------------- reload: audit, trees, exemptions
cp /etc/kwarden/rm-forbid.yaml /tmp/rf/orig.yaml
echo keep > /tmp/rf/h2; h2=$(hold /tmp/rf/h2)
printf 'mode: audit\n' > /etc/kwarden/rm-forbid.yaml
systemctl reload kwarden-rm-forbid; sleep 1
kw_check "reload to audit mode: deletion allowed" bash -c "rm /tmp/rf/h2 && [ ! -e /tmp/rf/h2 ]"
sync_journal
journalctl -q -t rm-forbid -o json PATH=/tmp/rf/h2 > /tmp/rf/audit.json
kw_check "audit mode: the deletion is recorded as audited" grep -q '"DECISION":"audited"' /tmp/rf/audit.json
unhold "$h2"

mkdir -p /srv/data; echo a > /srv/data/f; echo b > /tmp/rf/f
ha=$(hold /srv/data/f); hb=$(hold /tmp/rf/f)
printf 'mode: enforce\nprotect: [/srv/data]\n' > /etc/kwarden/rm-forbid.yaml
systemctl reload kwarden-rm-forbid; sleep 1
kw_check "protect /srv/data: held file there refused" bash -c "! rm /srv/data/f 2>/dev/null"
kw_check "protect /srv/data: held file elsewhere allowed" rm /tmp/rf/f
printf 'mode: enforce\nprotect: [/srv/data\n' > /etc/kwarden/rm-forbid.yaml
systemctl reload kwarden-rm-forbid; sleep 1
kw_check "an invalid reload keeps the old policy (still refused)" bash -c "! rm /srv/data/f 2>/dev/null"
kw_check "the service survives an invalid reload" systemctl is-active -q kwarden-rm-forbid
cp /bin/rm /usr/local/bin/pkgrm
printf 'exempt:\n  exe: [/usr/local/bin/pkgrm]\n' > /etc/kwarden/rm-forbid.yaml
systemctl reload kwarden-rm-forbid; sleep 1
kw_check "exempt exe: /bin/rm still refused" bash -c "! rm /srv/data/f 2>/dev/null"
ln -s /usr/local/bin/pkgrm /tmp/rf/exempt-by-name
kw_check "exempt exe (by inode): pkgrm may delete the held file" bash -c "pkgrm /srv/data/f && [ ! -e /srv/data/f ]"
unhold "$ha"; unhold "$hb"
echo c > /tmp/rf/away; hc=$(hold /tmp/rf/away)
printf 'rename_away: true\n' > /etc/kwarden/rm-forbid.yaml
systemctl reload kwarden-rm-forbid; sleep 1
kw_check "rename_away: moving a held file away is refused" bash -c "! mv /tmp/rf/away /tmp/rf/away2 2>/dev/null && [ -e /tmp/rf/away ]"
unhold "$hc"
cp /tmp/rf/orig.yaml /etc/kwarden/rm-forbid.yaml
systemctl reload kwarden-rm-forbid; sleep 1

# ---------------------------------------------------------------- kill -9, restart, stop
systemctl stop kwarden-rm-forbid
kw_check "systemctl stop removes the pins" [ ! -e /sys/fs/bpf/kwarden/rm-forbid ]
echo k > /tmp/rf/k; hk=$(hold /tmp/rf/k)
kw_check "after stop: enforcement is gone" bash -c "cp /tmp/rf/k /tmp/rf/k2 && rm /tmp/rf/k && mv /tmp/rf/k2 /tmp/rf/k"
unhold "$hk"; hk=$(hold /tmp/rf/k)
"$RF" --output json > /tmp/rf/fg.json 2>/tmp/rf/fg.err & fg=$!
for _ in $(seq 100); do grep -q "protecting" /tmp/rf/fg.err && break; sleep 0.2; done
# Here, not under the unit: the unit's guard refuses us the program descriptors.
kw_verifier_budget /sys/fs/bpf/kwarden/rm-forbid
kw_check "foreground daemon: refused" bash -c "! rm /tmp/rf/k 2>/dev/null"
kw_check "--output json: a JSON record naming the holder" bash -c "sleep 1; grep -F '\"path\":\"/tmp/rf/k\"' /tmp/rf/fg.json | python3 -c 'import json,sys; r=json.loads(sys.stdin.readline()); assert \"sleep($hk) fd 3\" in r[\"holders\"], r'"
kill -9 "$fg"; wait "$fg" 2>/dev/null; fg=
kw_check "kill -9 of the daemon: enforcement stays" bash -c "! rm /tmp/rf/k 2>/dev/null && [ -e /tmp/rf/k ]"
"$RF" --output json > /tmp/rf/fg2.json 2>/tmp/rf/fg2.err & fg=$!
for _ in $(seq 100); do grep -q "protecting" /tmp/rf/fg2.err && break; sleep 0.2; done
kw_check "a restart adopts the pinned enforcement" grep -q "adopted the pinned enforcement" /tmp/rf/fg2.err
kw_check "after the restart: still refused" bash -c "! rm /tmp/rf/k 2>/dev/null"
kill -TERM "$fg"; wait "$fg"; rc=$?; fg=
kw_check "SIGTERM: exit 0" [ "$rc" = 0 ]
kw_check "SIGTERM: enforcement removed" bash -c "rm /tmp/rf/k"
unhold "$hk"

kw_done
