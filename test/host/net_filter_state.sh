#!/bin/bash
# net-filter's `state` matcher on the host kernel (docs/net-filter.md,
# "Connection state"): the standard host policy (drop inbound by default,
# accept established and related, SSH from the admin address) in namespace H,
# with a peer P on one link and a third namespace Q on another, H routing
# between P and Q. Checks, over IPv4 and IPv6: outbound TCP transfer and UDP
# request/response through a default-drop ingress; unsolicited inbound SYN
# and datagram dropped and logged; an ICMP port unreachable delivered as
# related; an invalid TCP segment; flows open before net-filter starts;
# 100,000 short connections in a row; forwarding with forward rules; the
# nftables table that keeps conntrack on, put back after a flush, removed on
# stop. Exit 0 pass, 1 fail, 77 skip.
set -u
. "$(dirname "$0")/../lib.sh"

[ "$(id -u)" = 0 ] || kw_skip "needs root (netns, BPF)"
NF=${KW_BIN:?KW_BIN not set}/net-filter
BLAST=$KW_BIN/nf-blast
[ -x "$NF" ] && [ -x "$BLAST" ] || kw_skip "$NF or $BLAST not built"
command -v ip >/dev/null || kw_skip "iproute2 missing"
PY=/usr/bin/python3 # not a shim that starts a shell each time
[ -x $PY ] || PY=$(command -v python3) || kw_skip "python3 missing"
kw_kernel_runs "$NF" || exit 77
[ -e /proc/sys/net/netfilter/nf_conntrack_max ] || kw_skip "no conntrack in this kernel (CONFIG_NF_CONNTRACK)"
CONNS=${KW_STATE_CONNS:-100000}

H=kwst-h-$$ P=kwst-p-$$ Q=kwst-q-$$ INST=statetest-$$
TABLE=kwarden_net-filter-$INST
T=$(mktemp -d /tmp/kwst.XXXXXX)
chmod 755 "$T"
DPID=
cleanup() {
	[ -n "$DPID" ] && kill -TERM "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
	jobs -p | xargs -r kill 2>/dev/null
	"$NF" detach --instance "$INST" >/dev/null 2>&1
	for ns in $H $P $Q; do ip netns del "$ns" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT

cat >"$T/s.py" <<'EOF'
import os, socket, struct, sys, time
def fam(a): return socket.AF_INET6 if ':' in a else socket.AF_INET
def ready(path): open(path, 'w').close()
def wait_file(path, secs=20):
    end = time.time() + secs
    while not os.path.exists(path) and time.time() < end: time.sleep(0.05)
def listener(addr, port, kind=socket.SOCK_STREAM):
    s = socket.socket(fam(addr), kind)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    if kind == socket.SOCK_STREAM: s.listen(16)
    return s
cmd, a = sys.argv[1], sys.argv[2:]
if cmd == 'tcp-send':  # ADDR PORT NBYTES READY: one connection gets NBYTES
    s = listener(a[0], int(a[1])); s.settimeout(8); ready(a[3])
    try:
        c = s.accept()[0]; c.sendall(b'k' * int(a[2])); c.close()
    except OSError: pass
elif cmd == 'tcp-get':  # ADDR PORT -> bytes received
    s = socket.socket(fam(a[0]), socket.SOCK_STREAM); s.settimeout(3); n = 0
    try:
        s.connect((a[0], int(a[1])))
        while True:
            d = s.recv(65536)
            if not d: break
            n += len(d)
    except OSError: pass
    print(n)
elif cmd == 'tcp-listen':  # ADDR PORT SECS READY: accept one and close, or give up after SECS
    s = listener(a[0], int(a[1])); s.settimeout(float(a[2])); ready(a[3])
    try: s.accept()[0].close()
    except socket.timeout: pass
elif cmd == 'tcp-connect':  # ADDR PORT [SRC] -> yes/no
    s = socket.socket(fam(a[0]), socket.SOCK_STREAM)
    if len(a) > 2: s.bind((a[2], 0))
    s.settimeout(1.0)
    try: s.connect((a[0], int(a[1]))); print('yes')
    except OSError: print('no')
elif cmd == 'udp-echo':  # ADDR PORT SECS READY
    s = listener(a[0], int(a[1]), socket.SOCK_DGRAM); s.settimeout(0.1); ready(a[3])
    end = time.time() + float(a[2])
    while time.time() < end:
        try: d, peer = s.recvfrom(2048); s.sendto(b're:' + d, peer)
        except socket.timeout: pass
elif cmd == 'udp-ask':  # ADDR PORT -> reply / timeout / refused
    s = socket.socket(fam(a[0]), socket.SOCK_DGRAM); s.settimeout(1.5)
    s.connect((a[0], int(a[1])))
    try:
        s.send(b'question'); print('reply' if s.recv(2048) == b're:question' else 'garbled')
    except ConnectionRefusedError: print('refused')
    except socket.timeout: print('timeout')
elif cmd == 'udp-recv':  # ADDR PORT DONE READY -> datagrams received until 0.5 s after DONE exists
    s = listener(a[0], int(a[1]), socket.SOCK_DGRAM); s.settimeout(0.1); ready(a[3])
    n, end = 0, time.time() + 30
    while time.time() < end:
        try: s.recv(2048); n += 1
        except socket.timeout: pass
        if os.path.exists(a[2]) and end > time.time() + 0.5: end = time.time() + 0.5
    print(n)
elif cmd == 'udp-send':  # ADDR PORT COUNT DONE
    s = socket.socket(fam(a[0]), socket.SOCK_DGRAM)
    for i in range(int(a[2])): s.sendto(b'unsolicited', (a[0], int(a[1])))
    ready(a[3])
elif cmd == 'synfin':  # SRC DST PORT: a TCP segment with SYN and FIN, which conntrack calls invalid
    src, dst, port = a[0], a[1], int(a[2])
    hdr = struct.pack('!HHIIBBHHH', 40000, port, 1, 0, 5 << 4, 0x03, 1024, 0, 0)
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack('!BBH', 0, 6, len(hdr))
    b = pseudo + hdr; t = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    t = (t >> 16) + (t & 0xffff); t += t >> 16
    hdr = hdr[:16] + struct.pack('!H', ~t & 0xffff) + hdr[18:]
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP); s.bind((src, 0))
    for i in range(3): s.sendto(hdr, (dst, 0))
elif cmd == 'pre-out':  # ADDR PORT DIR: connect now; on DIR/go send 'ping', print the echo
    s = socket.socket(fam(a[0]), socket.SOCK_STREAM); s.settimeout(5)
    s.connect((a[0], int(a[1]))); ready(a[2] + '/out-connected'); wait_file(a[2] + '/go')
    s.send(b'ping')
    try: print(s.recv(100).decode() or 'closed')
    except OSError as e: print('error', e)
elif cmd == 'tcp-echo':  # ADDR PORT READY: one connection, echoed
    s = listener(a[0], int(a[1])); s.settimeout(20); ready(a[2])
    c = s.accept()[0]; c.settimeout(20)
    try:
        while True:
            d = c.recv(100)
            if not d: break
            c.send(d)
    except OSError: pass
elif cmd == 'pre-in-server':  # ADDR PORT DIR: the peer connects now; on DIR/go: did its data come before we spoke?
    s = listener(a[0], int(a[1])); s.settimeout(20); ready(a[2] + '/in-listening')
    c = s.accept()[0]; wait_file(a[2] + '/go'); wait_file(a[2] + '/in-sent')
    c.settimeout(1.0)
    try: early = c.recv(100).decode() or 'closed'
    except socket.timeout: early = 'none'
    c.send(b'x'); c.settimeout(6)
    try: late = c.recv(100).decode() or 'closed'
    except socket.timeout: late = 'none'
    print(early, late)
elif cmd == 'pre-in-client':  # ADDR PORT DIR: connect now; on DIR/go send 'hello'
    s = socket.socket(fam(a[0]), socket.SOCK_STREAM); s.settimeout(20)
    s.connect((a[0], int(a[1]))); ready(a[2] + '/in-connected'); wait_file(a[2] + '/go')
    s.send(b'hello'); ready(a[2] + '/in-sent')
    try: s.recv(100); time.sleep(8)
    except OSError: pass
EOF

# ---- the network: P (10.79/fd79) -- H -- Q (10.80/fd80); H routes ----
for ns in $H $P $Q; do ip netns add "$ns" || kw_skip "cannot create network namespaces"; done
ip link add kwsth1 type veth peer name kwstp1 || kw_skip "cannot create veth pairs"
ip link add kwsth2 type veth peer name kwstq1
ip link set kwsth1 netns $H; ip link set kwsth2 netns $H
ip link set kwstp1 netns $P; ip link set kwstq1 netns $Q
ip -n $H addr add 10.79.0.1/24 dev kwsth1; ip -n $H addr add fd79::1/64 dev kwsth1 nodad
ip -n $H addr add 10.80.0.1/24 dev kwsth2; ip -n $H addr add fd80::1/64 dev kwsth2 nodad
ip -n $P addr add 10.79.0.2/24 dev kwstp1; ip -n $P addr add 10.79.0.3/24 dev kwstp1
ip -n $P addr add fd79::2/64 dev kwstp1 nodad
ip -n $Q addr add 10.80.0.2/24 dev kwstq1; ip -n $Q addr add fd80::2/64 dev kwstq1 nodad
for ns in $H $P $Q; do
	for d in $(ip -n $ns -o link show | awk -F': ' '{print $2}' | cut -d@ -f1); do ip -n $ns link set "$d" up; done
done
ip -n $P route add default via 10.79.0.1; ip -n $P -6 route add default via fd79::1
ip -n $Q route add default via 10.80.0.1; ip -n $Q -6 route add default via fd80::1
ip netns exec $H sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
sleep 0.3

inH() { ip netns exec $H "$@"; }
inP() { ip netns exec $P "$@"; }
inQ() { ip netns exec $Q "$@"; }
wait_ready() { for _ in $(seq 100); do [ -e "$1" ] && { rm -f "$1"; return 0; }; sleep 0.05; done; echo "no $1" >&2; }
s() { "$PY" "$T/s.py" "$@"; }
counter() { "$NF" stats --instance "$INST" | awk -v r="$1" '$2 == r { print $4 }'; }
# transfer FROM_NS TO_NS ADDR PORT: bytes a client in FROM_NS gets from a server in TO_NS
transfer() {
	ip netns exec "$2" "$PY" "$T/s.py" tcp-send "$3" "$4" 1000000 "$T/ready" &
	local srv=$!
	wait_ready "$T/ready"
	ip netns exec "$1" "$PY" "$T/s.py" tcp-get "$3" "$4"
	wait $srv
}
udp_ask() { # FROM_NS TO_NS ADDR PORT
	ip netns exec "$2" "$PY" "$T/s.py" udp-echo "$3" "$4" 20 "$T/ready" &
	local srv=$!
	wait_ready "$T/ready"
	ip netns exec "$1" "$PY" "$T/s.py" udp-ask "$3" "$4"
	kill $srv 2>/dev/null; wait $srv 2>/dev/null
}
connects() { # FROM_NS TO_NS ADDR PORT [SRC]: yes/no
	ip netns exec "$2" "$PY" "$T/s.py" tcp-listen "$3" "$4" 20 "$T/ready" &
	local srv=$!
	wait_ready "$T/ready"
	ip netns exec "$1" "$PY" "$T/s.py" tcp-connect "$3" "$4" ${5:+"$5"}
	kill $srv 2>/dev/null; wait $srv 2>/dev/null
}
udp_in() { # FROM_NS TO_NS ADDR PORT COUNT: datagrams that arrive
	rm -f "$T/udp.done"
	ip netns exec "$2" "$PY" "$T/s.py" udp-recv "$3" "$4" "$T/udp.done" "$T/ready" >"$T/udp.count" &
	local srv=$!
	wait_ready "$T/ready"
	ip netns exec "$1" "$PY" "$T/s.py" udp-send "$3" "$4" "$5" "$T/udp.done"
	wait $srv
	cat "$T/udp.count"
}

cat >"$T/rules.yaml" <<EOF
default:
  ingress: drop
  egress: accept
  forward: drop
rules:
  - name: established
    action: accept
    direction: [ingress, forward]
    state: established
  - name: related
    action: accept
    direction: [ingress, forward]
    state: related
  - name: invalid
    action: drop
    direction: [ingress, forward]
    state: invalid
  - name: ipv6-nd
    action: accept
    direction: ingress
    protocol: icmpv6
    state: untracked
  - name: ssh-from-admin
    action: accept
    direction: ingress
    state: new
    protocol: tcp
    src: [10.79.0.2, "fd79::2"]
    dport: 2222
  - name: forward-web
    action: accept
    direction: forward
    state: new
    protocol: tcp
    src: [10.79.0.0/24, "fd79::/64"]
    dst: [10.80.0.2, "fd80::2"]
    dport: 8080
EOF

# ---- --check and errors ----
"$NF" --rules "$T/rules.yaml" --instance "$INST" --check >"$T/check.out" 2>&1
kw_expect "--check accepts the state rules" 0 $?
grep -q "dir=ingress,forward state=established" "$T/check.out" && grep -q "nftables table inet $TABLE" "$T/check.out" \
	&& kw_pass "--check shows the state matcher and the conntrack table" || kw_fail "--check output: $(cat "$T/check.out")"
printf 'rules:\n  - action: accept\n    state: [established, relatd]\n' >"$T/bad.yaml"
"$NF" --rules "$T/bad.yaml" --check >"$T/bad.out" 2>&1
kw_expect "--check rejects an unknown state with exit 3" 3 $?
grep -q "bad.yaml:3:26: state cannot be 'relatd'" "$T/bad.out" && grep -q "did you mean 'related'" "$T/bad.out" \
	&& kw_pass "the state error names file:line:column and the fix" || kw_fail "state error: $(cat "$T/bad.out")"

# ---- flows open before net-filter starts (conntrack is not on in H yet) ----
inP "$PY" "$T/s.py" tcp-echo 10.79.0.2 7100 "$T/echo-ready" &
wait_ready "$T/echo-ready"
inH "$PY" "$T/s.py" pre-out 10.79.0.2 7100 "$T" >"$T/pre-out" &
PRE_OUT=$!
inH "$PY" "$T/s.py" pre-in-server 10.79.0.1 7200 "$T" >"$T/pre-in" &
PRE_IN=$!
wait_ready "$T/in-listening"
inP "$PY" "$T/s.py" pre-in-client 10.79.0.1 7200 "$T" &
PRE_IN_CLIENT=$!
wait_ready "$T/out-connected"; wait_ready "$T/in-connected"
kw_expect "conntrack has no entry in H before net-filter starts" 0 "$(inH cat /proc/sys/net/netfilter/nf_conntrack_count)"

LOG=$T/daemon.out
nsenter --net=/run/netns/$H "$NF" --rules "$T/rules.yaml" --instance "$INST" >"$LOG" 2>&1 &
DPID=$!
kw_wait_for "$LOG" "enforcing " 30 || { kw_fail "daemon did not start"; kw_done; }
grep -q "connection tracking is on in this network namespace (nftables table inet $TABLE" "$LOG" \
	&& kw_pass "the daemon turns conntrack on in its namespace" || kw_fail "no conntrack message: $(head "$LOG")"
if command -v nft >/dev/null; then
	inH nft list table inet "$TABLE" >"$T/nft.out" 2>&1 && grep -q "ct state" "$T/nft.out" \
		&& kw_pass "the table holds a ct state rule in a chain without a hook" || kw_fail "nft: $(cat "$T/nft.out")"
fi
touch "$T/go"
wait $PRE_OUT $PRE_IN
kw_expect "a flow opened by H before the start: H speaks first, the echo comes back" ping "$(cat "$T/pre-out")"
kw_expect "a flow opened by P before the start: P's data is new (dropped) until H speaks, then retransmitted" \
	"none hello" "$(cat "$T/pre-in")"
kill $PRE_IN_CLIENT 2>/dev/null; wait $PRE_IN_CLIENT 2>/dev/null

# ---- outbound traffic through a default-drop ingress ----
kw_expect "outbound TCP connect and 1 MB transfer over IPv4" 1000000 "$(transfer $H $P 10.79.0.2 7001)"
kw_expect "outbound TCP connect and 1 MB transfer over IPv6" 1000000 "$(transfer $H $P fd79::2 7001)"
kw_expect "UDP request and response over IPv4" reply "$(udp_ask $H $P 10.79.0.2 5300)"
kw_expect "UDP request and response over IPv6" reply "$(udp_ask $H $P fd79::2 5300)"

# ---- unsolicited inbound traffic ----
kw_expect "an unsolicited TCP SYN over IPv4 is dropped" no "$(connects $P $H 10.79.0.1 7002)"
kw_expect "an unsolicited TCP SYN over IPv6 is dropped" no "$(connects $P $H fd79::1 7002)"
kw_expect "an unsolicited UDP datagram over IPv4 is dropped" 0 "$(udp_in $P $H 10.79.0.1 5301 3)"
kw_expect "an unsolicited UDP datagram over IPv6 is dropped" 0 "$(udp_in $P $H fd79::1 5301 3)"
kw_expect "new SSH from the admin address is accepted (IPv4)" yes "$(connects $P $H 10.79.0.1 2222 10.79.0.2)"
kw_expect "new SSH from the admin address is accepted (IPv6)" yes "$(connects $P $H fd79::1 2222 fd79::2)"
kw_expect "new SSH from another address is dropped" no "$(connects $P $H 10.79.0.1 2222 10.79.0.3)"
sleep 1.2 # the storm window
grep -q "dropped ingress tcp 10.79.0.2:[0-9]* -> 10.79.0.1:7002 on kwsth1 len [0-9]* by the default policy, state new" "$LOG" \
	&& kw_pass "the dropped SYN is logged, with its state" || kw_fail "no SYN drop record: $(grep dropped "$LOG" | head)"
grep -q "dropped ingress tcp \[fd79::2\]:[0-9]* -> \[fd79::1\]:7002 .*state new" "$LOG" \
	&& kw_pass "the dropped IPv6 SYN is logged" || kw_fail "no IPv6 SYN drop record"
grep -q "dropped ingress udp 10.79.0.2:[0-9]* -> 10.79.0.1:5301 .*by the default policy, state new" "$LOG" \
	&& kw_pass "the dropped datagram is logged" || kw_fail "no UDP drop record"
grep -q "dropped ingress udp \[fd79::2\]:[0-9]* -> \[fd79::1\]:5301 .*state new" "$LOG" \
	&& kw_pass "the dropped IPv6 datagram is logged" || kw_fail "no IPv6 UDP drop record"

# ---- related: ICMP errors about a tracked flow ----
rel0=$(counter related)
kw_expect "an ICMP port unreachable for an outbound UDP flow arrives (IPv4)" refused "$(inH "$PY" "$T/s.py" udp-ask 10.79.0.2 5399)"
kw_expect "the port unreachable was accepted as related" $((rel0 + 1)) "$(counter related)"
kw_expect "an ICMPv6 port unreachable for an outbound UDP flow arrives (IPv6)" refused "$(inH "$PY" "$T/s.py" udp-ask fd79::2 5399)"
kw_expect "the ICMPv6 port unreachable was accepted as related" $((rel0 + 2)) "$(counter related)"
nd=$(counter ipv6-nd)
[ "${nd:-0}" -gt 0 ] && kw_pass "neighbour discovery is untracked and accepted ($nd packets)" || kw_fail "ipv6-nd counter: $nd"

# ---- invalid: a segment conntrack refuses (SYN and FIN together) ----
inv0=$(counter invalid)
inP "$PY" "$T/s.py" synfin 10.79.0.2 10.79.0.1 2222
kw_expect "a SYN+FIN segment is invalid and dropped, even to the admin port" $((inv0 + 3)) "$(counter invalid)"

# ---- forward: P -> Q through H ----
kw_expect "forward: new TCP P -> Q:8080 and transfer over IPv4" 1000000 "$(transfer $P $Q 10.80.0.2 8080)"
kw_expect "forward: new TCP P -> Q:8080 and transfer over IPv6" 1000000 "$(transfer $P $Q fd80::2 8080)"
kw_expect "forward: P -> Q on another port is dropped" no "$(connects $P $Q 10.80.0.2 8081)"
kw_expect "forward: Q cannot open a connection to P" no "$(connects $Q $P 10.79.0.2 8080)"
kw_expect "forward: Q cannot open a connection to P over IPv6" no "$(connects $Q $P fd79::2 8080)"
kw_expect "forward: UDP P -> Q is dropped by the default" timeout "$(udp_ask $P $Q 10.80.0.2 5302)"
fw=$(counter forward-web)
kw_expect "forward: the forward rule counted the two SYNs" 2 "$fw"

# ---- many short connections: nothing lost, the table bounded ----
inP "$BLAST" tcp-sink 7300 120 >/dev/null &
SINK=$!
sleep 0.3
start=$(date +%s)
out=$(inH "$BLAST" tcp-count 10.79.0.2 7300 "$CONNS" 2>"$T/blast.err")
rc=$?
kw_expect "$CONNS short connections in a row all connect ($out)" 0 $rc
[ $rc = 0 ] || head -5 "$T/blast.err"
kill $SINK 2>/dev/null; wait $SINK 2>/dev/null
count=$(inH cat /proc/sys/net/netfilter/nf_conntrack_count) max=$(inH cat /proc/sys/net/netfilter/nf_conntrack_max)
[ "$count" -le "$max" ] && kw_pass "the conntrack table stays within its bound ($count of $max entries)" \
	|| kw_fail "conntrack table: $count of $max"
nsenter --net=/run/netns/$H "$NF" stats --instance "$INST" >"$T/stats.out" 2>&1
grep -q "conntrack table of this network namespace: [0-9]* entries, at most $max" "$T/stats.out" \
	&& grep -q "early_drop 0" "$T/stats.out" && grep -q "^ingress " "$T/stats.out" \
	&& kw_pass "stats shows the states, the table's size and no evictions" || kw_fail "stats: $(cat "$T/stats.out")"
est=$("$NF" stats --instance "$INST" | awk '$1 == "ingress" { print $3 }')
[ "${est:-0}" -ge "$CONNS" ] && kw_pass "every SYN-ACK was seen as established ($est ingress packets)" \
	|| kw_fail "established ingress packets: $est"

# ---- the table that keeps conntrack on is put back after a flush ----
if command -v nft >/dev/null; then
	inH nft flush ruleset
	kw_wait_for "$LOG" "was deleted (nft flush ruleset?); .*re-creating it" 15 >/dev/null \
		&& kw_pass "a flushed ruleset is noticed and the table re-created" || kw_fail "no re-creation: $(tail -3 "$LOG")"
	sleep 0.5
	inH nft list table inet "$TABLE" >/dev/null 2>&1 && kw_pass "the table is back" || kw_fail "the table is not back"
	kw_expect "outbound TCP works again after the flush" 1000000 "$(transfer $H $P 10.79.0.2 7001)"
fi

# ---- a clean stop removes the table ----
kill -TERM $DPID; wait $DPID; DPID=
if command -v nft >/dev/null; then
	inH nft list table inet "$TABLE" >/dev/null 2>&1 && kw_fail "the table outlived a clean stop" \
		|| kw_pass "a clean stop removes the table"
fi
kw_expect "after the stop, inbound SYNs pass again" yes "$(connects $P $H 10.79.0.1 7002)"
kw_expect "after the stop, inbound datagrams pass again" 3 "$(udp_in $P $H 10.79.0.1 5301 3)"
kw_done
