#!/bin/bash
# Soak (issue 14; `make soak`, not part of `make test`): frtp, rm-forbid and
# net-filter run as their installed units for KWARDEN_TEST_SOAK_MINUTES
# (default 30) under a mixed load, all at once:
#   every second  denied and allowed reads (frtp), deletes (rm-forbid) and
#                 UDP sends (net-filter), counted by the load;
#   every 5 s     `systemctl reload` of one of the three, in turn, between two
#                 policies that both deny what the load counts as denied;
#   every 60 s    a restart of the unit the frtp policy exempts (a new cgroup
#                 for the unit refresh to follow), and a sample of each
#                 daemon's memory (VmRSS) and open descriptors.
# Then checks: no daemon restarted (same MainPID, NRestarts=0); memory and
# descriptors flat after the first 5 minutes (RSS within 8 MiB, descriptors
# equal); journald holds every denial the load counted (records + repeat
# counts), nothing reported lost. Prints the figures for docs/soak.md.
# Usage: make soak   or   KWARDEN_VM_TIMEOUT=3000 test/vm/run test/vm/soak/soak.sh
set -u
export LC_ALL=C
[ "${KWARDEN_IN_VM:-0}" = 1 ] || { echo "SKIP: runs inside the VM (test/vm/run $0)"; exit 77; }
. /kwarden-vmtest/lib.sh
grep -qw bpf /sys/kernel/security/lsm || { kw_fail "the VM kernel does not run the bpf LSM"; kw_done; }
MINUTES=${KWARDEN_TEST_SOAK_MINUTES:-30}
S=/srv/soak P=/tmp/soak
UNITS="kwarden-frtp.service kwarden-rm-forbid.service kwarden-net-filter.service"
rm -rf $S $P; mkdir -p $S/secret $S/free $S/held $S/scratch $P
cleanup() {
	systemctl stop $UNITS soak-exempt.service 2>/dev/null
	[ -s $P/holder ] && kill "$(head -1 $P/holder)" 2>/dev/null
}
trap cleanup EXIT
echo s > $S/secret/a; echo f > $S/free/a; echo h > $S/held/a
# The whole run's records must stay in the journal to be counted: the VM's
# volatile journal would otherwise rotate the first minutes away (10% of
# /run by default).
mkdir -p /etc/systemd/journald.conf.d
printf '[Journal]\nRuntimeMaxUse=300M\nRuntimeMaxFileSize=32M\n' > /etc/systemd/journald.conf.d/soak.conf
systemctl restart systemd-journald

cat > /etc/systemd/system/soak-exempt.service <<EOF
[Service]
ExecStart=/bin/sleep infinity
EOF
systemctl daemon-reload
systemctl start soak-exempt.service

for v in a b; do
	cat > $P/frtp-$v.yaml <<EOF
mode: enforce
rules:
  - name: soak-secret-$v
    objects: [{tree: $S/secret}]
    operations: [read]
    action: deny
    except:
      - unit: soak-exempt.service
EOF
	printf 'mode: enforce\nprotect: [%s/held]\nin_use: any\nrename_away: %s\n' $S "$([ $v = a ] && echo false || echo true)" > $P/rmf-$v.yaml
	cat > $P/nf-$v.yaml <<EOF
mode: enforce
rules:
  - name: soak-udp-$v
    action: drop
    direction: egress
    protocol: udp
    dst: 127.0.0.1
    dport: $([ $v = a ] && echo 7100-7199 || echo 7100-7299)
EOF
done
cp $P/frtp-a.yaml /etc/kwarden/frtp.yaml
cp $P/rmf-a.yaml /etc/kwarden/rm-forbid.yaml
cp $P/nf-a.yaml /etc/kwarden/net-filter.yaml
python3 -c '
import os, time
fd = os.open("/srv/soak/held/a", os.O_RDONLY)
print(os.getpid(), flush=True)
time.sleep(10**8)' > $P/holder &
kw_wait_for $P/holder '[0-9]' 20 >/dev/null
T0=$(date +%s)
for u in $UNITS; do kw_succeeds "$u starts" systemctl start $u; done
declare -A PID0
for u in $UNITS; do PID0[$u]=$(systemctl show -p MainPID --value $u); done

kw_section "soak: $MINUTES minutes of mixed load"
python3 - "$MINUTES" "$P" <<'PY'
import json, os, socket, subprocess, sys, time
minutes, P = float(sys.argv[1]), sys.argv[2]
units = ["kwarden-frtp.service", "kwarden-rm-forbid.service", "kwarden-net-filter.service"]
files = {"kwarden-frtp.service": ("frtp", "/etc/kwarden/frtp.yaml"),
         "kwarden-rm-forbid.service": ("rmf", "/etc/kwarden/rm-forbid.yaml"),
         "kwarden-net-filter.service": ("nf", "/etc/kwarden/net-filter.yaml")}
count = {"frtp_denied": 0, "frtp_allowed": 0, "rmf_denied": 0, "rmf_allowed": 0,
         "nf_denied": 0, "nf_allowed": 0, "reloads": 0, "unit_restarts": 0, "unexpected": 0}
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
recv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
recv.bind(("127.0.0.1", 7050))
samples = []
def sample(t):
    row = {"t": round(t)}
    for u in units:
        pid = subprocess.run(["systemctl", "show", "-p", "MainPID", "--value", u],
                             capture_output=True, text=True).stdout.strip()
        try:
            rss = next(int(l.split()[1]) for l in open(f"/proc/{pid}/status") if l.startswith("VmRSS:"))
            fds = len(os.listdir(f"/proc/{pid}/fd"))
        except (OSError, StopIteration, ValueError):
            rss, fds = -1, -1
        row[u] = {"pid": pid, "rss_kib": rss, "fds": fds}
    samples.append(row)
start = time.monotonic()
end = start + minutes * 60
tick = 0
sample(0)
while time.monotonic() < end:
    t0 = time.monotonic()
    for i in range(200):
        try:
            open("/srv/soak/secret/a").read(); count["unexpected"] += 1
        except PermissionError:
            count["frtp_denied"] += 1
        open("/srv/soak/free/a").read(); count["frtp_allowed"] += 1
        try:
            sock.sendto(b"x" * 32, ("127.0.0.1", 7100 + i % 10)); count["unexpected"] += 1
        except PermissionError:
            count["nf_denied"] += 1
        sock.sendto(b"y", ("127.0.0.1", 7050)); count["nf_allowed"] += 1
        recv.recv(16)
    for i in range(50):
        try:
            os.unlink("/srv/soak/held/a"); count["unexpected"] += 1
        except OSError:
            count["rmf_denied"] += 1
        f = f"/srv/soak/scratch/f{i}"
        open(f, "w").close(); os.unlink(f); count["rmf_allowed"] += 1
    tick += 1
    if tick % 5 == 0:
        u = units[(tick // 5) % 3]
        name, dest = files[u]
        v = "b" if (tick // 15) % 2 else "a"
        with open(f"{P}/{name}-{v}.yaml") as src, open(dest + ".tmp", "w") as dst:
            dst.write(src.read())
        os.rename(dest + ".tmp", dest)
        subprocess.run(["systemctl", "reload", u], check=False)
        count["reloads"] += 1
    if tick % 60 == 0:
        subprocess.run(["systemctl", "restart", "soak-exempt.service"], check=False)
        count["unit_restarts"] += 1
        sample(time.monotonic() - start)
        print(f"  soak: {tick} s: " + json.dumps({k: v for k, v in count.items() if v}), flush=True)
    time.sleep(max(0, 1 - (time.monotonic() - t0)))
sample(time.monotonic() - start)
json.dump({"count": count, "samples": samples}, open(f"{P}/load.json", "w"))
PY
kw_check "soak: the load ran to the end" [ -s $P/load.json ]
sleep 4; journalctl --sync
first=$(journalctl -o short-unix --no-pager | awk 'NR == 1 { print int($1) }')
kw_check "soak: the journal still holds the start of the run ($first <= $T0)" [ "${first:-0}" -le "$T0" ]

for u in $UNITS; do
	kw_expect "$u: never restarted (NRestarts)" 0 "$(systemctl show -p NRestarts --value $u)"
	kw_expect "$u: the same daemon from start to end (MainPID)" "${PID0[$u]}" "$(systemctl show -p MainPID --value $u)"
done
kw_checks_from python3 - "$P" "$T0" <<'PY'
import json, subprocess, sys
P, since = sys.argv[1], sys.argv[2]
d = json.load(open(f"{P}/load.json"))
count, samples = d["count"], d["samples"]
def check(ok, what):
    print(("KW_PASS: " if ok else "KW_FAIL: ") + what)
check(count["unexpected"] == 0, f"soak: every operation the policies deny was denied ({count['unexpected']} got through)")
want = {"kwarden-frtp.service": count["frtp_denied"], "kwarden-rm-forbid.service": count["rmf_denied"],
        "kwarden-net-filter.service": count["nf_denied"]}
print("  figures:", json.dumps(count))
for u, n in want.items():
    out = subprocess.run(["journalctl", "-u", u, "-o", "json", "--no-pager", "--since", "@" + since],
                         capture_output=True, text=True).stdout
    got = recs = lost = 0
    for l in out.splitlines():
        r = json.loads(l)
        if "lost (ring buffer full" in str(r.get("MESSAGE", "")):
            lost += 1
        if r.get("KWARDEN_EVENT") in ("deny", "drop", "unrecorded"):
            recs += 1
            got += int(r["REPEAT_COUNT"]) if "REPEAT_COUNT" in r else 1
    check(got == n, f"{u}: journald accounts for every denial ({got} of {n}, in {recs} records)")
    check(lost == 0, f"{u}: nothing reported lost ({lost} warnings)")
    steady = [s for s in samples if s["t"] >= 300] or samples[-1:]
    rss = [s[u]["rss_kib"] for s in steady]
    fds = [s[u]["fds"] for s in steady]
    print(f"  {u}: VmRSS KiB at 0 s {samples[0][u]['rss_kib']}, from 5 min on {min(rss)}..{max(rss)}; "
          f"descriptors {samples[0][u]['fds']}, from 5 min on {min(fds)}..{max(fds)}")
    check(max(rss) - min(rss) <= 8192, f"{u}: memory flat after 5 minutes (VmRSS {min(rss)}..{max(rss)} KiB)")
    check(min(fds) == max(fds), f"{u}: descriptors flat after 5 minutes ({min(fds)}..{max(fds)})")
PY
for u in $UNITS; do kw_succeeds "$u: systemctl stop" systemctl stop $u; done
kw_check "soak: a clean stop removed every pin" bash -c '[ -z "$(ls -A /sys/fs/bpf/kwarden 2>/dev/null)" ]'
kw_done
