#!/bin/bash
# net-filter on the host kernel: real packets between two network namespaces
# joined by veth pairs, the filter running in namespace A. Checks drops by
# protocol, port, port range, CIDR (v4 and v6), port behind IPv4 options and
# IPv6 extension headers, direction, interface, uid,
# executable and systemd unit (a cgroup named like one); counters against the packets sent; the pcap file with tcpdump;
# reload under traffic (and a bad reload keeping the old rules); a kill -9
# leaving the filter in place and a restart adopting it; a clean stop
# detaching it; the verifier's budget of its programs. Exit 0 pass, 1 fail, 77 skip.
set -u
. "$(dirname "$0")/../lib.sh"

[ "$(id -u)" = 0 ] || kw_skip "needs root (netns, BPF)"
NF=${KW_BIN:?KW_BIN not set}/net-filter
[ -x "$NF" ] || kw_skip "$NF not built"
command -v ip >/dev/null || kw_skip "iproute2 missing"
command -v tcpdump >/dev/null || kw_skip "tcpdump missing"
PY=/usr/bin/python3
[ -x $PY ] || PY=$(command -v python3) || kw_skip "python3 missing"
case "$(uname -r)" in
[0-5].*|6.[0-3].*) kw_skip "netfilter BPF links need Linux 6.4+, this is $(uname -r)" ;;
esac

A=kwnf-a-$$ B=kwnf-b-$$ INST=hosttest-$$
T=$(mktemp -d /tmp/kwnf.XXXXXX)
chmod 755 "$T"
DPID=

cleanup() {
	[ -n "$DPID" ] && kill -TERM "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
	"$NF" detach --instance "$INST" >/dev/null 2>&1
	ip netns del $A 2>/dev/null
	ip netns del $B 2>/dev/null
	[ -n "${UNITCG:-}" ] && rmdir "$UNITCG" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

cat >"$T/p.py" <<'EOF'
import os, socket, struct, sys, time
def fam(a): return socket.AF_INET6 if ':' in a else socket.AF_INET
cmd = sys.argv[1]
def ready():  # tells the sender the socket is bound
    if len(sys.argv) > 5: open(sys.argv[5], 'w').close()
if cmd == 'udp-recv':  # ADDR PORT SECS [READYFILE] -> datagrams received
    s = socket.socket(fam(sys.argv[2]), socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((sys.argv[2], int(sys.argv[3]))); s.settimeout(0.1); ready()
    n, end = 0, time.time() + float(sys.argv[4])
    while time.time() < end:
        try: s.recv(4096); n += 1
        except socket.timeout: pass
    print(n)
elif cmd == 'udp-send-churn':  # ADDR PORT COUNT CHURN: sends after CHURN other sockets came and went
    s = socket.socket(fam(sys.argv[2]), socket.SOCK_DGRAM)
    for i in range(int(sys.argv[5])):
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM).close()
    for i in range(int(sys.argv[4])):
        try: s.sendto(b'k' * 32, (sys.argv[2], int(sys.argv[3])))
        except OSError: pass
elif cmd == 'udp-send':  # ADDR PORT COUNT [SRC] [INTERVAL]; KW_IPOPTS=1: behind IP options or extension headers
    s = socket.socket(fam(sys.argv[2]), socket.SOCK_DGRAM)
    if os.environ.get('KW_IPOPTS') and ':' in sys.argv[2]:  # hop-by-hop, then destination options (one PadN each)
        for o in (socket.IPV6_HOPOPTS, socket.IPV6_DSTOPTS):
            s.setsockopt(socket.IPPROTO_IPV6, o, bytes([0, 0, 1, 4, 0, 0, 0, 0]))
    elif os.environ.get('KW_IPOPTS'):  # four no-operation options: a 24-byte header
        s.setsockopt(socket.IPPROTO_IP, socket.IP_OPTIONS, bytes([1, 1, 1, 1]))
    if len(sys.argv) > 5 and sys.argv[5] != '-': s.bind((sys.argv[5], 0))
    gap = float(sys.argv[6]) if len(sys.argv) > 6 else 0
    for i in range(int(sys.argv[4])):
        try: s.sendto(b'k' * 32, (sys.argv[2], int(sys.argv[3])))
        except OSError: pass
        if gap: time.sleep(gap)
elif cmd == 'tcp-listen':  # ADDR PORT SECS [READYFILE]
    s = socket.socket(fam(sys.argv[2]), socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((sys.argv[2], int(sys.argv[3]))); s.listen(64); s.settimeout(0.1); ready()
    end = time.time() + float(sys.argv[4])
    while time.time() < end:
        try: s.accept()[0].close()
        except socket.timeout: pass
elif cmd == 'tcp-connect':  # ADDR PORT [SRC] -> exit 0 when connected
    s = socket.socket(fam(sys.argv[2]), socket.SOCK_STREAM)
    if len(sys.argv) > 4: s.bind((sys.argv[4], 0))
    s.settimeout(1.0)
    try: s.connect((sys.argv[2], int(sys.argv[3]))); sys.exit(0)
    except OSError: sys.exit(1)
elif cmd == 'ping':  # ADDR COUNT [SRC] -> echo replies received
    v6 = ':' in sys.argv[2]
    s = socket.socket(fam(sys.argv[2]), socket.SOCK_RAW, socket.IPPROTO_ICMPV6 if v6 else socket.IPPROTO_ICMP)
    if len(sys.argv) > 4: s.bind((sys.argv[4], 0))
    s.settimeout(0.3)
    def csum(b):
        t = sum(struct.unpack('!%dH' % (len(b) // 2), b)); t = (t >> 16) + (t & 0xffff); t += t >> 16
        return ~t & 0xffff
    got = 0
    for i in range(int(sys.argv[3])):
        h = struct.pack('!BBHHH', 128 if v6 else 8, 0, 0, 0x4b57, i) + b'kwarden-ping'
        if not v6: h = h[:2] + struct.pack('!H', csum(h)) + h[4:]
        s.sendto(h, (sys.argv[2], 0))
        end = time.time() + 0.3
        while time.time() < end:
            try: d = s.recv(2048)
            except socket.timeout: break
            off = 0 if v6 else (d[0] & 15) * 4
            if d[off] == (129 if v6 else 0) and d[off + 4:off + 6] == b'\x4b\x57': got += 1; break
    print(got)
EOF

# ---- the network: A (filtered) <-> B on two links ----
ip netns add $A && ip netns add $B || kw_skip "cannot create network namespaces"
ip link add kwnfa1 type veth peer name kwnfb1 || kw_skip "cannot create veth pairs"
ip link add kwnfa2 type veth peer name kwnfb2
ip link set kwnfa1 netns $A; ip link set kwnfa2 netns $A
ip link set kwnfb1 netns $B; ip link set kwnfb2 netns $B
ip -n $A addr add 10.77.0.1/24 dev kwnfa1
ip -n $A addr add fd77::1/64 dev kwnfa1 nodad
ip -n $A addr add fd79::1/64 dev kwnfa1 nodad
ip -n $A addr add 10.78.0.1/24 dev kwnfa2
ip -n $B addr add 10.77.0.2/24 dev kwnfb1
ip -n $B addr add 10.77.0.3/24 dev kwnfb1
ip -n $B addr add fd77::2/64 dev kwnfb1 nodad
ip -n $B addr add fd77::3/64 dev kwnfb1 nodad
ip -n $B addr add fd79::2/64 dev kwnfb1 nodad
ip -n $B addr add 10.78.0.2/24 dev kwnfb2
for ns in $A $B; do
	for d in $(ip -n $ns -o link show | awk -F': ' '{print $2}' | cut -d@ -f1); do ip -n $ns link set "$d" up; done
done
sleep 0.3

inA() { ip netns exec $A "$@"; }
wait_ready() { # the receiver has bound its socket
	for _ in $(seq 100); do [ -e "$1" ] && { rm -f "$1"; return 0; }; sleep 0.05; done
	echo "receiver did not start" >&2
}
inB() { ip netns exec $B "$@"; }
# udp_through FROM_NS TO_NS ADDR PORT COUNT [SRC] [RUNAS_UID|unit] [PYTHON]: datagrams that arrive
# (unit: the sender runs in the test unit's cgroup)
udp_through() {
	local from=$1 to=$2 addr=$3 port=$4 count=$5 src=${6:--} uid=${7:-} py=${8:-$PY} out
	out=$(ip netns exec "$to" $PY "$T/p.py" udp-recv "$addr" "$port" 1.5 "$T/ready" &
		wait_ready "$T/ready"
		if [ "$uid" = unit ]; then
			"$T/inunit" ip netns exec "$from" "$py" "$T/p.py" udp-send "$addr" "$port" "$count" "$src"
		elif [ -n "$uid" ]; then
			ip netns exec "$from" setpriv --reuid="$uid" --regid="$uid" --clear-groups "$py" "$T/p.py" udp-send "$addr" "$port" "$count" "$src"
		else
			ip netns exec "$from" "$py" "$T/p.py" udp-send "$addr" "$port" "$count" "$src"
		fi
		wait)
	echo "$out"
}
# tcp_connects ADDR PORT [SRC]: "yes" or "no" from B to A
tcp_connects() {
	inA $PY "$T/p.py" tcp-listen "$1" "$2" 2 "$T/ready" &
	local l=$!
	wait_ready "$T/ready"
	if inB $PY "$T/p.py" tcp-connect "$@"; then echo yes; else echo no; fi
	wait $l
}
counter() { # counter RULE_NAME FIELD(packets|bytes)
	"$NF" stats --instance "$INST" | awk -v r="$1" -v f="$2" '$2 == r { print (f == "packets" ? $4 : $5) }'
}

cp "$PY" "$T/pycopy" # a distinct executable for the exe rule
# A "unit": a cgroup v2 directory named like a service, at the hierarchy's top
# (where systemd would put it without system.slice). inunit runs a program in it.
CG2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
UNIT=kwtest-nf-$$.service UNITCG=
if [ -n "$CG2" ] && mkdir "$CG2/$UNIT" 2>/dev/null; then
	UNITCG=$CG2/$UNIT
	# Joins before `ip netns exec`, whose private /sys has no cgroup mounts.
	printf '#!/bin/sh\necho $$ > %s/cgroup.procs || exit 1\nexec "$@"\n' "$UNITCG" >"$T/inunit"
	chmod 755 "$T/inunit"
else
	echo "# no cgroup v2 hierarchy to make a unit's cgroup in: unit checks skipped"
fi
cat >"$T/rules.yaml" <<EOF
capture_file: $T/cap.pcap
rules:
  - name: udp-port
    action: drop
    direction: ingress
    protocol: udp
    dport: 5001
  - name: tcp-range
    action: drop
    direction: ingress
    protocol: tcp
    dport: 6000-6010
  - name: icmp-cidr4
    action: drop
    direction: ingress
    protocol: icmp
    src: 10.77.0.3/32
  - name: tcp-cidr6
    action: drop
    direction: ingress
    protocol: tcp
    src: ['fd77::3/128']
    dport: 7000
  - name: udp-egress
    action: drop
    direction: egress
    protocol: udp
    dport: 5003
  - name: udp-iface
    action: drop
    direction: ingress
    protocol: udp
    dport: 5004
    interface: kwnfa2
  - name: udp-uid
    action: drop
    direction: egress
    protocol: udp
    dport: 5005
    uid: 65534
  - name: udp-exe
    action: drop
    direction: egress
    protocol: udp
    dport: 5006
    exe: $T/pycopy
  - name: udp-unit
    action: drop
    direction: egress
    protocol: udp
    dport: 5008
    unit: [$UNIT, kwtest-nf-absent-$$.service]
  - name: audit-5007
    action: audit
    direction: ingress
    protocol: udp
    dport: 5007
  - name: cap-icmp
    action: capture
    direction: ingress
    protocol: icmp
    src: 10.77.0.2
    snaplen: 64
  - name: udp-net6
    action: drop
    direction: ingress
    protocol: udp
    dst: 'fd79::/64'
  - name: tcp-net6
    action: drop
    direction: ingress
    protocol: tcp
    src: 'fd79::/48'
    dport: 7001
  - name: udp-opts
    action: drop
    direction: ingress
    protocol: udp
    dport: 5011
EOF

"$NF" --rules "$T/rules.yaml" --check >"$T/check.out" 2>&1
kw_expect "--check accepts the rules" 0 $?
printf 'rules:\n  - action: drop\n    protocol: udp\n    dport: 70000\n' >"$T/bad.yaml"
"$NF" --rules "$T/bad.yaml" --check >"$T/bad.out" 2>&1
kw_expect "--check rejects a bad port with exit 3" 3 $?
grep -q "unit 'kwtest-nf-absent-$$.service' is not running" "$T/check.out" \
	&& kw_pass "--check warns about a unit that is not running" || kw_fail "no warning for an absent unit: $(cat "$T/check.out")"
printf 'rules:\n  - action: drop\n    direction: [egress, ingress]\n    unit: sshd.service\n' >"$T/bad.yaml"
"$NF" --rules "$T/bad.yaml" --check >"$T/bad.out" 2>&1
kw_expect "--check rejects unit on ingress with exit 3" 3 $?
grep -q "bad.yaml:4:11: .*need 'direction: egress'" "$T/bad.out" && kw_pass "unit error names file:line:column" \
	|| kw_fail "unit error: $(cat "$T/bad.out")"
grep -q "bad.yaml:4:" "$T/bad.out" && kw_pass "error names file:line" || kw_fail "error lacks file:line: $(cat "$T/bad.out")"

STARTS=0
start() { # [extra options]
	STARTS=$((STARTS + 1))
	LOG=$T/daemon.$STARTS.out
	nsenter --net=/run/netns/$A "$NF" --rules "$T/rules.yaml" --instance "$INST" "$@" >"$LOG" 2>&1 &
	DPID=$!
	for _ in $(seq 300); do # 100,000 rules take a few seconds
		grep -q "enforcing " "$LOG" 2>/dev/null && return 0
		kill -0 $DPID 2>/dev/null || break
		sleep 0.1
	done
	kw_fail "daemon did not start: $(cat "$LOG")"; kw_done
}
start

# ---- the verifier's budget: the filter's programs as loaded ----
kw_verifier_budget /sys/fs/bpf/kwarden/net-filter-$INST

# ---- protocol, port, range, CIDR, direction, interface ----
kw_expect "udp to the dropped port" 0 "$(udp_through $B $A 10.77.0.1 5001 7)"
kw_expect "udp to another port passes" 7 "$(udp_through $B $A 10.77.0.1 5002 7)"
kw_expect "tcp into the dropped range" no "$(tcp_connects 10.77.0.1 6005)"
kw_expect "tcp to the range's edge" no "$(tcp_connects 10.77.0.1 6010)"
kw_expect "tcp just past the range" yes "$(tcp_connects 10.77.0.1 6011)"
kw_expect "icmp from the dropped /32" 0 "$(inB $PY "$T/p.py" ping 10.77.0.1 3 10.77.0.3)"
kw_expect "icmp from a neighbour address" 3 "$(inB $PY "$T/p.py" ping 10.77.0.1 3 10.77.0.2)"
kw_expect "icmpv6 is not icmp" 2 "$(inB $PY "$T/p.py" ping fd77::1 2 fd77::3)"
kw_expect "tcp over IPv6 from the dropped /128" no "$(tcp_connects fd77::1 7000 fd77::3)"
kw_expect "tcp over IPv6 from another address" yes "$(tcp_connects fd77::1 7000 fd77::2)"
# IPv6 networks of 64 bits or fewer, on one side, have their own table.
kw_expect "udp over IPv6 to the dropped /64" 0 "$(udp_through $B $A fd79::1 5002 5)"
kw_expect "udp over IPv6 to an address outside it" 5 "$(udp_through $B $A fd77::1 5002 5)"
kw_expect "tcp over IPv6 to the /64 (a udp rule)" yes "$(tcp_connects fd79::1 7002 fd79::2)"
kw_expect "tcp over IPv6 from the dropped /48" no "$(tcp_connects fd77::1 7001 fd79::2)"
kw_expect "tcp over IPv6 from outside it" yes "$(tcp_connects fd77::1 7001 fd77::2)"
kw_expect "tcp over IPv6 from the /48 to another port" yes "$(tcp_connects fd77::1 7002 fd79::2)"
# The ports of a packet behind IP options or extension headers are read past them.
kw_expect "udp over IPv6 behind extension headers to the dropped port" 0 \
	"$(KW_IPOPTS=1 udp_through $B $A fd77::1 5011 5)"
kw_expect "udp over IPv6 behind extension headers to another port" 5 \
	"$(KW_IPOPTS=1 udp_through $B $A fd77::1 5012 5)"
kw_expect "udp behind IPv4 options to the dropped port" 0 "$(KW_IPOPTS=1 udp_through $B $A 10.77.0.1 5011 5)"
kw_expect "udp behind IPv4 options to another port" 5 "$(KW_IPOPTS=1 udp_through $B $A 10.77.0.1 5012 5)"
kw_expect "counter: packets behind options or extension headers" 10 "$(counter udp-opts packets)"
kw_expect "egress rule drops A's packets out" 0 "$(udp_through $A $B 10.77.0.2 5003 5)"
kw_expect "egress rule leaves packets in alone" 5 "$(udp_through $B $A 10.77.0.1 5003 5)"
kw_expect "interface rule on its interface" 0 "$(udp_through $B $A 10.78.0.1 5004 5)"
kw_expect "interface rule on another interface" 5 "$(udp_through $B $A 10.77.0.1 5004 5)"

# ---- owners: uid and executable of the local socket ----
kw_expect "uid rule drops that user's packets" 0 "$(udp_through $A $B 10.77.0.2 5005 5 - 65534)"
kw_expect "uid rule leaves root's packets" 5 "$(udp_through $A $B 10.77.0.2 5005 5)"
kw_expect "exe rule drops that program's packets" 0 "$(udp_through $A $B 10.77.0.2 5006 5 - '' "$T/pycopy")"
kw_expect "exe rule leaves other programs' packets" 5 "$(udp_through $A $B 10.77.0.2 5006 5)"
# A live socket's recorded executable outlives any number of other sockets
# (the table holds live sockets; an LRU evicted the oldest, and churning
# 65,536 sockets let a socket past its exe rule).
churn_through() { # PROGRAM: datagrams that arrive, sent after 70,000 sockets came and went
	ip netns exec $B $PY "$T/p.py" udp-recv 10.77.0.2 5006 8 "$T/ready" &
	wait_ready "$T/ready"
	ip netns exec $A "$1" "$T/p.py" udp-send-churn 10.77.0.2 5006 5 70000
	wait
}
kw_expect "exe rule drops a socket's packets after 70,000 other sockets came and went" 0 "$(churn_through "$T/pycopy")"
kw_expect "the same churn from another program: its packets pass" 5 "$(churn_through "$PY")"
if [ -n "$UNITCG" ]; then
	kw_expect "unit rule drops the packets of a sender in the unit" 0 "$(udp_through $A $B 10.77.0.2 5008 5 - unit)"
	kw_expect "unit rule leaves an identical sender outside it" 5 "$(udp_through $A $B 10.77.0.2 5008 5)"
	# The unit restarts: a new cgroup (new id). Looked up again within 10 s.
	rmdir "$UNITCG" && mkdir "$UNITCG"
	sleep 11
	grep -q "unit cgroups changed" "$LOG" && kw_pass "a restarted unit is looked up again" \
		|| kw_fail "no re-resolution of the unit: $(tail -5 "$LOG")"
	kw_expect "unit rule drops in the restarted unit" 0 "$(udp_through $A $B 10.77.0.2 5008 5 - unit)"
	kw_expect "counter: unit rule" 10 "$(counter udp-unit packets)"
fi

# ---- audit, counters, capture ----
kw_expect "audit rule accepts" 4 "$(udp_through $B $A 10.77.0.1 5007 4)"
sleep 1.2 # the storm aggregator's window
kw_expect "counter: packets of udp-port" 7 "$(counter udp-port packets)"
kw_expect "counter: bytes of udp-port (7 x 60)" 420 "$(counter udp-port bytes)"
kw_expect "counter: uid rule" 5 "$(counter udp-uid packets)"
kw_expect "counter: audit rule" 4 "$(counter audit-5007 packets)"
grep -q "dropped ingress udp 10.77.0.2:[0-9]* -> 10.77.0.1:5001 on kwnfa1 len 60 by rule #1 udp-port" "$LOG" \
	&& kw_pass "drop record names rule, addresses, ports, interface" || kw_fail "no drop record: $(head -20 "$LOG")"
grep -q "accepted (audit) ingress udp .*:5007" "$LOG" && kw_pass "audit record" || kw_fail "no audit record"
grep -q "egress udp 10.77.0.1:[0-9]* -> 10.77.0.2:5005 .* uid 65534)" "$LOG" \
	&& kw_pass "egress record carries the socket's uid" || kw_fail "no uid in egress record"
grep -q "5006 .*(pid [0-9]* pycopy uid 0)" "$LOG" \
	&& kw_pass "egress record carries the owner's pid and comm" || kw_fail "no owner in exe record"
kill -HUP $DPID; sleep 0.5 # flush nothing lost; the tick flushes the pcap every second
sleep 1
caps=$(tcpdump -nr "$T/cap.pcap" 2>/dev/null | grep -c "10.77.0.2 > 10.77.0.1: ICMP echo request")
kw_expect "capture file opens with tcpdump and holds the 3 pings" 3 "$caps"
# Only what the rule names: ICMP from 10.77.0.2 coming in (our echo requests,
# and port-unreachables B may have sent back); never A's replies going out.
others=$(tcpdump -nr "$T/cap.pcap" 2>/dev/null | grep -vc "IP 10.77.0.2 > 10.77.0.1: ICMP ")
kw_expect "capture holds nothing the rule does not match" 0 "$others"

# ---- reload under traffic ----
inA $PY "$T/p.py" udp-recv 10.77.0.1 5010 6 "$T/ready" >"$T/reload.count" &
RCV=$!
wait_ready "$T/ready"
inB $PY "$T/p.py" udp-send 10.77.0.1 5010 200 - 0.02 & # 4 s of traffic
SND=$!
sleep 1
sed -i 's/dport: 5007/dport: [5007, 5010]/' "$T/rules.yaml"
kill -HUP $DPID
sleep 0.5
printf 'rules: [\n' >"$T/rules.bad" && cp "$T/rules.yaml" "$T/rules.good" && cp "$T/rules.bad" "$T/rules.yaml"
kill -HUP $DPID # invalid: the rules just loaded stay
sleep 0.3
cp "$T/rules.good" "$T/rules.yaml"
wait $SND $RCV
grep -q "reloaded" "$LOG" && kw_pass "reload applied" || kw_fail "no reload message"
grep -q "reload failed, keeping the previous configuration" "$LOG" && kw_pass "bad reload refused" || kw_fail "bad reload not reported"
kill -0 $DPID 2>/dev/null && kw_pass "daemon alive after a bad reload" || kw_fail "daemon died on a bad reload"
audited=$(counter audit-5007 packets)
# 200 sent, all arrive (audit accepts); the rule counts those after the reload.
kw_expect "every packet arrived across both reloads" 200 "$(cat "$T/reload.count")"
[ "$audited" -ge 100 ] && [ "$audited" -lt 204 ] && kw_pass "audit rule counts packets after the reload ($audited, kept its 4 earlier)" \
	|| kw_fail "audit counter after reload: $audited"
kw_expect "counters of unchanged rules survive a reload" 7 "$(counter udp-port packets)"

# ---- kill -9 leaves the filter; a restart adopts it; a stop detaches ----
kill -9 $DPID; wait $DPID 2>/dev/null; DPID=
kw_expect "after kill -9 the filter still drops" 0 "$(udp_through $B $A 10.77.0.1 5001 3)"
start
grep -q "adopted the pinned enforcement" "$LOG" && kw_pass "restart adopted the pinned filter" || kw_fail "restart did not adopt"
kw_expect "after restart the filter drops" 0 "$(udp_through $B $A 10.77.0.1 5001 3)"
kw_expect "counters survive the restart" 13 "$(counter udp-port packets)"
kill -TERM $DPID; wait $DPID; DPID=
[ -e /sys/fs/bpf/kwarden/net-filter-$INST ] && kw_fail "pins left after a stop" || kw_pass "a stop removes the pins"
kw_expect "after a stop nothing is dropped" 3 "$(udp_through $B $A 10.77.0.1 5001 3)"

# ---- audit mode: drop rules log, nothing is dropped ----
start --mode audit -o json
kw_expect "audit mode lets a drop rule's packets through" 3 "$(udp_through $B $A 10.77.0.1 5001 3)"
sleep 1.2
grep -q '"rule":"udp-port".*"decision":"accept".*"mode":"audit"\|"mode":"audit".*"rule":"udp-port"' "$LOG" \
	&& kw_pass "audit mode logs the would-be drop as JSON" || kw_fail "no audit-mode JSON record: $(head -5 "$LOG")"
kill -TERM $DPID; wait $DPID; DPID=

# ---- the shortcuts: a direction no rule names, a port no rule names ----
# A direction with no rule is decided by its default without reading the
# packet when that default accepts; a default of drop still drops and logs.
# A shape that matches on ports is skipped for a port no rule names; rules
# without ports still match those packets.
cat >"$T/rules.yaml" <<EOF
default: {ingress: accept, egress: drop, forward: accept}
rules:
  - {name: in-5001, action: drop, direction: ingress, protocol: udp, dport: 5001}
  - {name: in-from-3, action: drop, direction: ingress, src: 10.77.0.3}
EOF
start
PINS=/sys/fs/bpf/kwarden/net-filter-$INST
pinned() { ls "$PINS" | grep -E '^link_(ipv[46]_(in|out|fwd)|sock_(create|release))$' | tr '\n' ' '; }
kw_expect "hooked: ingress (rules) and egress (a default of drop), not forward" \
	"link_ipv4_in link_ipv4_out link_ipv6_in link_ipv6_out link_sock_create link_sock_release " "$(pinned)"
kw_expect "egress default drop, no egress rule: dropped" 0 "$(udp_through $A $B 10.77.0.2 5020 4)"
sleep 1.2
grep -q "dropped egress udp 10.77.0.1:[0-9]* -> 10.77.0.2:5020 .*default" "$LOG" \
	&& kw_pass "the default's drop is recorded" || kw_fail "no record of the default drop: $(tail -5 "$LOG")"
kw_expect "a port no rule names passes" 4 "$(udp_through $B $A 10.77.0.1 5999 4)"
kw_expect "a rule without ports drops on a port no rule names" 0 "$(udp_through $B $A 10.77.0.1 5999 4 10.77.0.3)"
kw_expect "the port rule still drops" 0 "$(udp_through $B $A 10.77.0.1 5001 4)"
sed -i 's/egress: drop/egress: accept/' "$T/rules.yaml"
kill -HUP $DPID
for _ in $(seq 50); do grep -q reloaded "$LOG" && break; sleep 0.1; done
kw_expect "egress default accept, no egress rule: passes" 4 "$(udp_through $A $B 10.77.0.2 5021 4)"
# Nothing looks at egress any more: its hooks and the socket-owner programs
# are detached (they cost every packet and socket), and stats says so.
kw_expect "egress no longer filtered: its hooks and the owner programs are detached" \
	"link_ipv4_in link_ipv6_in " "$(pinned)"
grep -q "reloaded.*filtering ingress$" "$LOG" && kw_pass "the reload says what is filtered" \
	|| kw_fail "no 'filtering ingress' in: $(grep reloaded "$LOG")"
"$NF" stats --instance "$INST" >"$T/stats.out" 2>&1
grep -qE '^default egress +accept +- +-$' "$T/stats.out" && grep -q "not hooked" "$T/stats.out" \
	&& kw_pass "stats: the unhooked direction is not counted, and says why" || kw_fail "stats: $(cat "$T/stats.out")"
n=$(counter ingress packets)
[ "${n:-0}" -ge 4 ] && kw_pass "the default ingress counter counts packets decided without a rule ($n)" \
	|| kw_fail "default ingress counter: '$n' ($(cat "$T/stats.out"))"

# Links follow the policy both ways: a reload that filters egress again
# attaches its hooks and the owner programs before the new rules go live.
# A socket created after the reload is matched by its executable; egress
# was unhooked until then, and no packet of a dropped flow gets out.
echo "  - {name: out-exe, action: drop, direction: egress, protocol: udp, dport: 5022, exe: $T/pycopy}" >>"$T/rules.yaml"
kill -HUP $DPID
for _ in $(seq 50); do [ "$(grep -c "policy reloaded from" "$LOG")" -ge 2 ] && break; sleep 0.1; done
kw_expect "egress filtered again: its hooks and the owner programs are attached" \
	"link_ipv4_in link_ipv4_out link_ipv6_in link_ipv6_out link_sock_create link_sock_release " "$(pinned)"
kw_expect "exe rule added by a reload drops a new socket's packets" 0 "$(udp_through $A $B 10.77.0.2 5022 4 - '' "$T/pycopy")"
kw_expect "and leaves another program's" 4 "$(udp_through $A $B 10.77.0.2 5022 4)"
sed -i '/out-exe/d' "$T/rules.yaml"
kill -HUP $DPID
for _ in $(seq 50); do [ "$(grep -c "policy reloaded from" "$LOG")" -ge 3 ] && break; sleep 0.1; done
kw_expect "the rule removed: egress detached again" "link_ipv4_in link_ipv6_in " "$(pinned)"
kw_expect "and the program's packets pass" 4 "$(udp_through $A $B 10.77.0.2 5022 4 - '' "$T/pycopy")"
# A restart adopts what is pinned and keeps only what the policy needs.
kill -9 $DPID; wait $DPID 2>/dev/null; DPID=
start
kw_expect "a restart keeps only the links the policy needs" "link_ipv4_in link_ipv6_in " "$(pinned)"
kw_expect "after restart the ingress rule drops" 0 "$(udp_through $B $A 10.77.0.1 5001 4)"
kill -TERM $DPID; wait $DPID; DPID=

# ---- 100,000 rules: loaded, enforced down to the last, counted, reloaded ----
# Each its own source and port, as a block list is; the last one names B.
awk 'BEGIN { print "rules:"
	for (i = 1; i < 100000; i++)
		printf "  - {name: r%d, action: drop, direction: ingress, protocol: udp, src: 10.%d.%d.%d, dport: %d}\n", i, 100 + int(i / 62500), int(i / 250) % 250, i % 250 + 1, 1000 + i % 8000
	print "  - {name: last, action: drop, direction: ingress, protocol: udp, src: 10.77.0.2, dport: 5030}" }' >"$T/rules.yaml"
start
kw_expect "100,000 rules: the last one drops" 0 "$(udp_through $B $A 10.77.0.1 5030 4)"
kw_expect "100,000 rules: a port the last one does not name passes" 4 "$(udp_through $B $A 10.77.0.1 5031 4)"
sleep 1.2
kw_expect "100,000 rules: the last one's counter" 4 "$(counter last packets)"
grep -q "dropped ingress udp 10.77.0.2:[0-9]* -> 10.77.0.1:5030 .*by rule #100000 last" "$LOG" \
	&& kw_pass "100,000 rules: the record names rule #100000" || kw_fail "no record of rule #100000: $(tail -3 "$LOG")"
sed -i 's/dport: 5030}/dport: 5032}/' "$T/rules.yaml"
kill -HUP $DPID
for _ in $(seq 100); do grep -q "policy reloaded from" "$LOG" && break; sleep 0.1; done
kw_expect "100,000 rules reloaded: the changed rule drops its new port" 0 "$(udp_through $B $A 10.77.0.1 5032 4)"
kw_expect "and no longer the old one" 4 "$(udp_through $B $A 10.77.0.1 5030 4)"
kw_expect "its counter carried over the reload (same name)" 8 "$(counter last packets)"
kill -TERM $DPID; wait $DPID; DPID=

kw_done
