#!/bin/bash
# The enforcement runtime, net-filter (issue 9): a reload storm. RELOADS reloads
# (default 1,000) alternate between two policies that both drop UDP to
# 127.0.0.1:7001, while one process keeps sending there and a bound socket
# counts what arrives; each reload waits for its record (reload_seq, sha256 of
# the file swapped in). Not one datagram may arrive, and no send may pass the
# egress hook. The policies differ elsewhere (port 7002), and the probe must
# see both.
# Usage: test/vm/run test/vm/suites/reload_storm_net_filter.sh [RELOADS [PACE]]
#   PACE: the probe sleeps 1 ms after every PACE attempts (default 0: never).
set -u
export LC_ALL=C
[ "${KWARDEN_IN_VM:-0}" = 1 ] || { echo "SKIP: runs inside the VM (test/vm/run $0)"; exit 77; }
. /kwarden-vmtest/lib.sh
kw_kernel_runs net-filter || exit 77
RELOADS=${1:-1000} PACE=${2:-0}
TOOL=net-filter
sent() { bash -c "echo kwarden >/dev/udp/127.0.0.1/$1" 2>/dev/null; }
P=/tmp/nf
rm -rf $P; mkdir -p $P

# ---------------------------------------------------------------- storm
kw_section "storm: $RELOADS reloads while sending UDP to a port both policies drop"
cat > $P/storm-a.yaml <<EOF
rules:
  - name: a-7001
    action: drop
    protocol: udp
    dst: 127.0.0.1
    dport: 7001
  - name: a-7002
    action: drop
    protocol: udp
    dport: 7002
EOF
cat > $P/storm-b.yaml <<EOF
default: {ingress: accept, egress: accept, forward: accept}
rules:
  - name: b-range
    action: drop
    direction: [egress, ingress]
    protocol: udp
    dport: [7001, 7005-7010]
EOF
cat > $P/probe.py <<'PY'
# Sends UDP datagrams to 127.0.0.1:PORT in a loop (and to DIFF every 8th time,
# and sleeps 1 ms every PACE) until SIGTERM, counting sends the kernel accepted and datagrams the bound
# receiver got. Prints "ready", then one JSON line of counts.
import errno, json, socket, signal, sys, time
port, diff_port, pace = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
rx.bind(("127.0.0.1", port))
rx.setblocking(False)
rx2 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
rx2.bind(("127.0.0.1", diff_port))
rx2.setblocking(False)
tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
def send(p):
    try:
        tx.sendto(b"kwarden", ("127.0.0.1", p))
        return 0
    except OSError as e:
        return e.errno
def drain(s):
    n = 0
    while True:
        try:
            s.recv(64)
            n += 1
        except BlockingIOError:
            return n
stop = False
def on_term(*_):
    global stop
    stop = True
signal.signal(signal.SIGTERM, on_term)
r = send(port)
if r != errno.EPERM:
    print(f"UDP to {port} at start: {errno.errorcode.get(r, 'sent')}, not EPERM", flush=True)
    sys.exit(1)
print("ready", flush=True)
n = passed = got = 0
diff = [0, 0]
other = {}
while not stop:
    r = send(port)
    n += 1
    if r == 0:
        passed += 1
    elif r != errno.EPERM:
        other[errno.errorcode.get(r, str(r))] = other.get(errno.errorcode.get(r, str(r)), 0) + 1
    if n % 8 == 0:
        diff[0 if send(diff_port) == 0 else 1] += 1
    if n % 64 == 0:
        got += drain(rx)
        drain(rx2)
    if pace and n % pace == 0:
        time.sleep(0.001)
time.sleep(0.5)
got += drain(rx)
other["sends to the port the egress hook let out"] = passed
print(json.dumps({"what": f"UDP datagrams to 127.0.0.1:{port} (counted at the receiver)", "attempts": n, "successes": got,
                  "differ": {"port 7002 (dropped by A only)": diff}, "other": other}), flush=True)
PY
kw_reload_driver storm --tool $TOOL --rules $P/storm-live.yaml --a $P/storm-a.yaml --b $P/storm-b.yaml \
	--n "$RELOADS" --probe "python3 $P/probe.py 7001 7002 $PACE" --stderr $P/storm.err --max-secs 1200
kw_check "storm: the clean stop removed the pins" [ ! -e /sys/fs/bpf/kwarden/net-filter ]
kw_check "storm: no filter after the stop" sent 7001

kw_done
