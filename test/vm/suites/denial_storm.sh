#!/bin/bash
# Denial storms lose nothing (issue 14). Each enforcer runs as its installed
# systemd unit while a burst of denials hits it:
#   same     100,000 denials of one operation on one object by one program;
#   spread   50,000 more, over 500 objects from 4 processes at once.
# Every denial must be in journald: as a record, or in a record's
# repeat_count (the kernel counts repeats, storm.bpf.h). Nothing may be
# reported lost, and journald's rate limit must not drop any record.
# Usage: test/vm/run test/vm/suites/denial_storm.sh
set -u
export LC_ALL=C
[ "${KWARDEN_IN_VM:-0}" = 1 ] || { echo "SKIP: runs inside the VM (test/vm/run $0)"; exit 77; }
. /kwarden-vmtest/lib.sh
grep -qw bpf /sys/kernel/security/lsm || { kw_fail "the VM kernel does not run the bpf LSM"; kw_done; }
S=/srv/storm P=/tmp/storm
rm -rf $S $P; mkdir -p $S/many $P
cleanup() {
	systemctl stop kwarden-frtp kwarden-rm-forbid kwarden-net-filter 2>/dev/null
	[ -s $P/holder ] && kill $(cat $P/holder) 2>/dev/null
}
trap cleanup EXIT
echo secret > $S/one
for i in $(seq 500); do echo x > $S/many/f$i; done

# burst KIND N FILES PROCS: N attempts of KIND (read|unlink|send) split over
# PROCS processes and FILES objects; prints how many the kernel refused.
burst() {
	python3 - "$@" <<'PY'
import os, socket, sys
kind, n, files, procs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
targets = ["/srv/storm/one"] if files == 1 else [f"/srv/storm/many/f{i}" for i in range(1, files + 1)]
def work(share, r, w):
    refused = 0
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM) if kind == "send" else None
    for i in range(share):
        t = targets[i % len(targets)]
        try:
            if kind == "read":
                os.close(os.open(t, os.O_RDONLY))
            elif kind == "unlink":
                os.unlink(t)
            else:
                s.sendto(b"x" * 64, ("127.0.0.1", 7000 + (i % files)))
        except (PermissionError, OSError):
            refused += 1
    os.write(w, f"{refused}\n".encode())
r, w = os.pipe()
kids = []
for p in range(procs):
    pid = os.fork()
    if pid == 0:
        work(n // procs, r, w)
        os._exit(0)
    kids.append(pid)
for k in kids:
    os.waitpid(k, 0)
os.close(w)
print(sum(int(x) for x in os.read(r, 1 << 16).split()))
PY
}

# accounted UNIT SINCE EXPECTED: waits (up to 60 s) until journald holds
# EXPECTED decisions of UNIT since SINCE, counting a record as 1 and a
# summary as its repeat_count; then checks nothing was reported lost.
accounted() {
	local unit=$1 since=$2 want=$3 got= i
	for i in $(seq 60); do
		journalctl --sync 2>/dev/null
		got=$(journalctl -u "$unit" -o json --no-pager --since "@$since" | python3 -c '
import json, sys
n = 0
for l in sys.stdin:
    r = json.loads(l)
    if r.get("KWARDEN_EVENT") not in ("deny", "drop", "unrecorded"):
        continue
    n += int(r["REPEAT_COUNT"]) if "REPEAT_COUNT" in r else 1
print(n)')
		[ "$got" -ge "$want" ] && break
		sleep 1
	done
	kw_expect "$unit: every denial is in journald (records + repeat counts)" "$want" "$got"
	# Each object was tried equally often: name the ones whose count is off,
	# with the records behind them, so that a miscount says where it is.
	[ "$got" = "$want" ] || journalctl -u "$unit" -o json --no-pager --since "@$since" | python3 -c '
import collections, json, re, sys
per, recs = collections.Counter(), collections.defaultdict(list)
for l in sys.stdin:
    r = json.loads(l)
    if r.get("KWARDEN_EVENT") not in ("deny", "drop", "unrecorded"):
        continue
    # One object under one name: a record by its inode when it has one, a
    # record the ring buffer could not take by the inode in its storm key
    # (rm-forbid and frtp key by device and inode).
    ident = re.search(r"identity (\S+) (\S+)", r.get("MESSAGE", ""))
    if r.get("INO"):
        what = "ino " + r["INO"]
    elif r.get("KWARDEN_EVENT") == "unrecorded" and ident and r.get("SYSLOG_IDENTIFIER") != "net-filter":
        what = "ino %d" % int(ident.group(2), 16)
    else:
        what = r.get("PATH") or r.get("DST_PORT") or r.get("STORM_RULE_INDEX") or "?"
    n = int(r.get("REPEAT_COUNT", 1))
    per[what] += n
    recs[what].append((r.get("__REALTIME_TIMESTAMP"), r.get("KWARDEN_EVENT"), n, r.get("SUBJECT_PID"), r.get("MESSAGE", "")[:160]))
usual = collections.Counter(per.values()).most_common(1)[0][0]
for what, n in sorted(per.items()):
    if n != usual:
        print(f"  {what}: {n} decisions (the others: {usual}); records: {recs[what]}")
'
	local lost
	lost=$(journalctl -u "$unit" -o cat --no-pager --since "@$since" | grep -c 'lost (ring buffer full')
	kw_expect "$unit: no event reported lost" 0 "$lost"
	local suppressed
	suppressed=$(journalctl -u systemd-journald -o cat --no-pager --since "@$since" | grep -c "Suppressed.*$unit")
	kw_expect "$unit: journald suppressed none of its messages" 0 "$suppressed"
	local recs
	recs=$(journalctl -u "$unit" -o json --no-pager --since "@$since" | grep -c '"KWARDEN_EVENT":"\(deny\|drop\|unrecorded\)"')
	echo "  $unit: $got denials in $recs journald records"
}

# storm TOOL UNIT KIND: the two bursts against the running UNIT.
storm() {
	local unit=$1 kind=$2 t n
	kw_section "$unit: 100,000 denials of one kind"
	t=$(date +%s)
	sleep 1
	n=$(burst "$kind" 100000 1 1)
	kw_expect "$unit: the kernel refused all 100,000" 100000 "$n"
	accounted "$unit" "$t" "$n"
	kw_section "$unit: 50,000 denials over 500 objects from 4 processes"
	sleep 2
	t=$(date +%s)
	sleep 1
	n=$(burst "$kind" 50000 500 4)
	kw_expect "$unit: the kernel refused all 50,000" 50000 "$n"
	accounted "$unit" "$t" "$n"
	kw_succeeds "$unit: systemctl stop" systemctl stop "$unit"
}

cat > /etc/kwarden/frtp.yaml <<EOF
mode: enforce
rules:
  - name: storm
    objects: [{tree: $S}]
    operations: [read]
    action: deny
EOF
if kw_kernel_runs frtp; then
	kw_succeeds "kwarden-frtp starts" systemctl start kwarden-frtp
	storm kwarden-frtp.service read
fi

# rm-forbid refuses to delete a file some process holds open: hold them all.
printf 'mode: enforce\nprotect: [%s]\n' $S > /etc/kwarden/rm-forbid.yaml
python3 -c '
import os, glob, time
fds = [os.open(f, os.O_RDONLY) for f in ["/srv/storm/one"] + glob.glob("/srv/storm/many/*")]
print(os.getpid(), flush=True)
time.sleep(100000)' > $P/holder &
kw_wait_for $P/holder '[0-9]' 20 >/dev/null
kw_succeeds "kwarden-rm-forbid starts" systemctl start kwarden-rm-forbid
storm kwarden-rm-forbid.service unlink

kw_kernel_runs net-filter || kw_done
cat > /etc/kwarden/net-filter.yaml <<EOF
mode: enforce
rules:
  - name: storm
    action: drop
    direction: egress
    protocol: udp
    dst: 127.0.0.1
    dport: 7000-7499
EOF
kw_succeeds "kwarden-net-filter starts" systemctl start kwarden-net-filter
storm kwarden-net-filter.service send
kw_done
