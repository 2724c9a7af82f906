#!/bin/bash
# net-filter learn in the VM (docs/learn.md): a small real service (a shell
# script that connects to a TCP port and sends a UDP datagram on each run)
# learned from its first start; the rules checked, loaded as learned (the
# drop rule only logs), then enforced: the service again with no drop, then
# made to deviate (another port, another address): dropped and logged. Then
# --diff against the enforced rules, a run of 1,000,000 datagrams that must
# count every one, and more distinct flows than the table holds, said loudly.
set -u
. /kwarden-vmtest/lib.sh 2>/dev/null || . "$(dirname "$0")/../../lib.sh"  # test/lib.sh, shipped by test/vm/run

[ "${KWARDEN_IN_VM:-0}" = 1 ] || kw_skip "run me in the VM: test/vm/run $0"
kw_kernel_runs net-filter || exit 77
command -v net-filter >/dev/null || { kw_fail "net-filter is not installed"; kw_done; }

DROP_ID=973387929a2d48b19defa1e66a0acea5
AUDIT_ID=6179665afacf40c6b711d8b2fbe8262e
D=/var/lib/netapp
PORT=7070 UPORT=7071 OTHER=7072

# ---------------------------------------------------------------- the workload
kw_section "the workload: netapp.service"
mkdir -p /etc/netapp $D /run/netapp
conf() { printf 'mode=%s\n' "$1" > /etc/netapp/app.conf; }
conf normal
mkfifo /run/netapp/ctl
: > $D/runs
cat > /usr/local/bin/netapp <<'EOF'
#!/bin/bash
# netapp: one run per line on its control FIFO. Connects to its TCP port
# (a line, then closes) and sends a UDP datagram to its other port; a mode
# in its config makes it connect elsewhere.
set -u
exec 3<>/run/netapp/ctl
n=0
while read -r cmd <&3; do
	n=$((n + 1))
	mode=$(cat /etc/netapp/app.conf); mode=${mode#mode=}
	addr=127.0.0.1 port=7070
	case $mode in
	otherport) port=7072 ;;
	otheraddr) addr=127.0.0.2 ;;
	esac
	if echo "ping $n" | nc -N -w 3 $addr $port > /dev/null 2>&1; then r=ok; else r=failed; fi
	echo "datagram $n" > /dev/udp/127.0.0.1/7071 2>/dev/null || r="$r udp-failed"
	echo "done $n $r" >> /var/lib/netapp/runs
done
EOF
chmod 755 /usr/local/bin/netapp
cat > /etc/systemd/system/netapp.service <<'EOF'
[Unit]
Description=netapp, the net-filter learn test workload
[Service]
ExecStart=/usr/local/bin/netapp
EOF
systemctl daemon-reload
# Listeners for the normal run and for each deviation: without the filter,
# every connection succeeds, so a failed one is the filter's doing.
LISTENERS=()
for l in "127.0.0.1 $PORT" "127.0.0.1 $OTHER" "127.0.0.2 $PORT"; do
	nc -lk $l > /dev/null 2>&1 &
	LISTENERS+=($!)
done
sleep 1

# run_app: one run of the service; prints its result (ok, failed). Called
# in $(...), a subshell: the run's number comes from the file, not a variable.
run_app() {
	local RUNS=$(($(wc -l < $D/runs) + 1))
	echo "go $RUNS" > /run/netapp/ctl
	kw_poll 60 grep -q "^done $RUNS " $D/runs || { kw_fail "netapp run $RUNS did not finish"; tail -5 $D/runs; return 1; }
	grep "^done $RUNS " $D/runs | cut -d' ' -f3-
}
# learn_start NAME ARGS...: net-filter learn in the background, output in /tmp/NAME.*
learn_start() {
	local name=$1; shift
	net-filter learn "$@" > /tmp/$name.out 2> /tmp/$name.log &
	LEARNER=$!
	learning() { grep -q "learning from" /tmp/$name.log || ! kill -0 $LEARNER 2>/dev/null; }
	kw_poll 300 learning
	grep -q "learning from" /tmp/$name.log ||
		{ kw_fail "$name: the learner did not start"; grep -v '^[0-9]*: \|^;' /tmp/$name.log | tail -20 | cut -c1-300; kw_done; }
}
learn_stop() { # learn_stop NAME [RC]: SIGINT, then its exit code must be RC (0)
	kill -INT $LEARNER
	wait $LEARNER
	local rc=$?
	kw_expect "$1: the learner exits ${2:-0} on SIGINT" "${2:-0}" $rc
	[ $rc = "${2:-0}" ] || tail -20 /tmp/$1.log | cut -c1-300
}
# flow_count FILE DIRECTION PROTOCOL ADDRESS PORT: the count learned, from --flows
flow_count() {
	python3 - "$@" <<'PY'
import json, sys
f, d, p, a, port = sys.argv[1:]
print(sum(r["count"] for r in map(json.loads, open(f))
          if r["direction"] == d and r["protocol"] == p and r["address"] == a and r["port"] == int(port)))
PY
}

# ---------------------------------------------------------------- learn
kw_section "learn: the unit starts after the learner"
learn_start netapp --unit netapp.service -o /tmp/netapp.yaml --flows /tmp/netapp.jsonl
systemctl start netapp.service
for i in 1 2 3; do kw_expect "learning run $i connects" ok "$(run_app)"; done
learn_stop netapp
cat /tmp/netapp.log
grep -q "NOT learned" /tmp/netapp.log && kw_fail "the learner lost connections" || kw_pass "the learner lost nothing"
echo "---- the learned rules"
cat /tmp/netapp.yaml
cat /tmp/netapp.jsonl
kw_succeeds "net-filter --check accepts the learned rules" net-filter --check --rules /tmp/netapp.yaml
kw_expect "every TCP connection counted once" 3 "$(flow_count /tmp/netapp.jsonl egress tcp 127.0.0.1 $PORT)"
kw_expect "every datagram counted" 3 "$(flow_count /tmp/netapp.jsonl egress udp 127.0.0.1 $UPORT)"
kw_expect "it leaves the file's mode and default to the rules file (a drop-in)" "" "$(grep '^mode:\|^default:' /tmp/netapp.yaml)"
python3 - /tmp/netapp.yaml $PORT $UPORT <<'PY' && kw_pass "accept rules: the unit, tcp to 127.0.0.1:$PORT, udp to 127.0.0.1:$UPORT; a drop rule (audit) for the rest" || kw_fail "the learned rules are not what the unit did"
import sys
# The writer's block style (no YAML module in the VM): "  - name: X", then
# "    key: value" lines, lists in brackets.
rules = []
for l in open(sys.argv[1]):
    l = l.rstrip("\n")
    if l.startswith("  - name: "):
        rules.append({"name": l[10:]})
    elif l.startswith("    ") and rules and ": " in l:
        k, v = l.strip().split(": ", 1)
        if v.startswith("["):
            v = [x.strip() for x in v[1:-1].split(",")]
        elif v.isdigit():
            v = int(v)
        rules[-1][k] = v
want = [{"action": "accept", "direction": "egress", "state": "new", "unit": "netapp.service", "protocol": p,
         "dst": ["127.0.0.1"], "dport": int(port)} for p, port in (("tcp", sys.argv[2]), ("udp", sys.argv[3]))]
got = [{k: v for k, v in r.items() if k != "name"} for r in rules]
for w in want:
    assert w in got, (w, got)
drop = [r for r in rules if r["name"] == "learn-netapp-drop"]
assert drop == [{"name": "learn-netapp-drop", "action": "audit", "direction": "egress", "state": "new",
                 "unit": "netapp.service"}], drop
assert rules[-1]["name"] == "learn-netapp-drop", "the drop rule comes last"
assert len(rules) == 3, rules
PY
# Each accept rule with the comments right above it: name, then the lines.
provenance() {
	awk '/^  # ----/ { c = ""; next } /^  #/ { c = c "\t" $0; next }
		/^  - name: / && !/-drop$/ { print substr($0, 11) c } { c = "" }' /tmp/netapp.yaml
}
bad=0 n=0
while IFS=$'\t' read -r name c1 c2 c3; do
	n=$((n + 1))
	[[ $c1 =~ ^\ \ #\ [0-9]+\ connections\ started\ \((tcp|udp)\ to\ port\ [0-9]+\)\ by\ unit\ netapp.service$ ]] &&
		[[ $c2 =~ ^\ \ #\ first\ 20[0-9-]+T.*,\ last\ 20 ]] && [[ $c3 =~ ^\ \ #\ to\ 127.0.0.1:\ [0-9]+\ connections$ ]] ||
		{ echo "no provenance above $name: $c1 | $c2 | $c3"; bad=1; }
done < <(provenance)
[ $bad = 0 ] && [ $n = 2 ] && kw_pass "every rule carries its provenance ($n accept rules)" || kw_fail "provenance comments"

# records SINCE MESSAGE_ID: "rule dst_addr dst_port" of the records since SINCE
records() {
	journalctl --sync 2>/dev/null
	journalctl -t net-filter MESSAGE_ID=$2 --since "@$1" -o json --no-pager |
		python3 -c 'import json, sys
for l in sys.stdin:
    r = json.loads(l); print(r.get("RULE"), r.get("DST_ADDR"), r.get("DST_PORT"))' | sort -u
}
has_records() { test -n "$(records "$@")"; }
# A second apart, and whole seconds: each check reads only its own records.
now() { sleep 1.1; date +%s; }
# nf_start UNIT: net-filter with the learned rules alone, as a transient unit.
nf_start() {
	systemd-run --quiet --unit=$1 -p Type=notify -p NotifyAccess=main \
		/usr/sbin/net-filter --output journal --rules /tmp/netapp.yaml ||
		{ kw_fail "net-filter did not start with the learned rules"; journalctl -u $1 --no-pager | tail -30; kw_done; }
}

# ---------------------------------------------------------------- audit
kw_section "load it as learned: the drop rule only logs"
nf_start nf-audit
T=$(now)
conf otherport
kw_expect "a deviation still connects (audit)" ok "$(run_app)"
conf normal
kw_poll 20 has_records $T $AUDIT_ID
kw_expect "the deviation is logged by the drop rule" "learn-netapp-drop 127.0.0.1 $OTHER" "$(records $T $AUDIT_ID)"
kw_expect "and nothing is dropped" "" "$(records $T $DROP_ID)"
systemctl stop nf-audit

# ---------------------------------------------------------------- enforce
kw_section "enforce the learned rules"
sed -i 's/^    action: audit$/    action: drop/' /tmp/netapp.yaml
kw_check "the drop rule is switched to drop" grep -qx '    action: drop' /tmp/netapp.yaml
nf_start nf-enforce
kw_pass "net-filter enforces the learned rules"
T=$(now)
kw_expect "the workload again: it connects" ok "$(run_app)"
kw_expect "the workload again: it connects (2)" ok "$(run_app)"
sleep 2
kw_expect "the workload again: no drop" "" "$(records $T $DROP_ID)"
kw_expect "the workload again: nothing logged" "" "$(records $T $AUDIT_ID)"

deviate() { # deviate MODE ADDR PORT: the run of MODE fails, its connection is dropped and logged, nothing else
	local t got
	t=$(now)
	conf "$1"
	kw_expect "deviation $1: the connection fails" failed "$(run_app)"
	kw_poll 20 has_records $t $DROP_ID
	got=$(records $t $DROP_ID)
	echo "$got"
	kw_expect "deviation $1: $2:$3 dropped by the learned rule and logged, nothing else" "learn-netapp-drop $2 $3" "$got"
}
kw_section "deviations"
deviate otherport 127.0.0.1 $OTHER
deviate otheraddr 127.0.0.2 $PORT
conf normal
T=$(now)
kw_expect "back to normal: it connects" ok "$(run_app)"
sleep 2
kw_expect "back to normal: no drop" "" "$(records $T $DROP_ID)"
net-filter stats | tee /tmp/stats.txt
systemctl stop nf-enforce
# The learned file as a drop-in of the shipped rules.
install -m 644 /tmp/netapp.yaml /etc/kwarden/net-filter.d/50-netapp.yaml
kw_succeeds "the learned rules are a drop-in of the shipped ones" net-filter --check --rules /etc/kwarden/net-filter.yaml
rm /etc/kwarden/net-filter.d/50-netapp.yaml

# ---------------------------------------------------------------- --diff
kw_section "learn --diff against the enforced rules"
learn_start diff --unit netapp.service --diff /tmp/netapp.yaml -o /tmp/diff.txt
conf otherport
run_app > /dev/null
conf normal
run_app > /dev/null
learn_stop diff
cat /tmp/diff.txt
kw_expect "--diff prints only what the rules would drop" \
	"drop egress tcp to 127.0.0.1 port $OTHER by unit netapp.service: rule 'learn-netapp-drop', 1 connections" \
	"$(grep -v '^#' /tmp/diff.txt | sed 's/, first .*//')"

systemctl stop netapp.service
kill "${LISTENERS[@]}" 2>/dev/null

# ---------------------------------------------------------------- ingress
kw_section "ingress: a unit's listener, connected to from another namespace"
ip netns add nlpeer
ip link add nlv0 type veth peer name nlv1
ip link set nlv1 netns nlpeer
ip addr add 10.77.0.1/24 dev nlv0
ip link set nlv0 up
ip -n nlpeer addr add 10.77.0.2/24 dev nlv1
ip -n nlpeer link set nlv1 up
systemd-run --quiet --unit=nlsrv.service nc -lk 10.77.0.1 7080
sleep 1
learn_start ingress --unit nlsrv.service -o /tmp/ingress.yaml --flows /tmp/ingress.jsonl
for i in 1 2 3; do
	echo "hello $i" | nsenter --net=/run/netns/nlpeer nc -N -w 3 10.77.0.1 7080 > /dev/null 2>&1 || echo "client $i failed"
done
learn_stop ingress
cat /tmp/ingress.jsonl
cat /tmp/ingress.yaml
kw_expect "every inbound connection counted once" 3 "$(flow_count /tmp/ingress.jsonl ingress tcp 10.77.0.2 7080)"
kw_check "an ingress rule opens the port to the source seen" grep -qx '    src: \[10.77.0.2\]' /tmp/ingress.yaml
kw_check "for its port" grep -qx '    dport: 7080' /tmp/ingress.yaml
kw_succeeds "its rules load" net-filter --check --rules /tmp/ingress.yaml
systemctl stop nlsrv.service
ip netns del nlpeer

# ---------------------------------------------------------------- 1,000,000 datagrams
kw_section "1,000,000 datagrams learned, none lost"
N=${KWARDEN_TEST_NET_LEARN_PACKETS:-1000000}
PY=$(readlink -f /usr/bin/python3)
learn_start count --exe $PY -o /tmp/count.yaml --flows /tmp/count.jsonl
t0=$SECONDS
# To four bound ports that never read: no ICMP errors, no replies.
python3 - $N <<'PY'
import socket, sys
n = int(sys.argv[1])
sinks = []
for p in range(7100, 7104):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", p))
    sinks.append(s)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
dst = [("127.0.0.1", 7100 + i) for i in range(4)]
for i in range(n):
    u.sendto(b"x", dst[i & 3])
PY
echo "$N datagrams in $((SECONDS - t0)) s"
learn_stop count
cat /tmp/count.log
got=$(python3 -c 'import json, sys
print(sum(r["count"] for r in map(json.loads, open(sys.argv[1]))
          if r["protocol"] == "udp" and 7100 <= r["port"] < 7104))' /tmp/count.jsonl)
kw_expect "every datagram counted" "$N" "$got"
kw_expect "four flows" 4 "$(grep -c '"port":710[0-3]' /tmp/count.jsonl)"
kw_succeeds "its rules load" net-filter --check --rules /tmp/count.yaml
echo "learner: $(grep -o 'learned [0-9]* connections.*' /tmp/count.log)"

# ---------------------------------------------------------------- full table
kw_section "more distinct flows than the table holds: said loudly, memory bounded"
F=${KWARDEN_TEST_NET_LEARN_FLOWS:-70000}
learn_start many --exe $PY -o /tmp/many.yaml
t0=$SECONDS
# One datagram to each of F loopback addresses (127.0.1.0 on): F distinct flows.
python3 - $F <<'PY'
import socket, sys
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
base = (127 << 24) | (1 << 8)
for i in range(int(sys.argv[1])):
    a = base + i
    u.sendto(b"x", (socket.inet_ntoa(a.to_bytes(4, "big")), 9))
PY
echo "$F datagrams to distinct addresses in $((SECONDS - t0)) s"
echo "the learner's maps, the table full (bpftool's memlock):"
bpftool map show 2>/dev/null | grep -A1 -E " name (flows|owners|unit_cgroups|lost_flows) " | grep -v '^--'
learn_stop many
grep -v '^[0-9]*: \|^;' /tmp/many.log | cut -c1-300
kw_check "the full table is said loudly" grep -q "connections were NOT learned: the table of 65536 distinct flows" /tmp/many.log
kw_check "and at the top of the rules" grep -q "^# WARNING: [0-9]* connections were not counted" /tmp/many.yaml
lost=$(grep -o '[0-9]* connections were NOT learned' /tmp/many.log | cut -d' ' -f1)
kw_expect "exactly what did not fit is lost" "$((F - 65536))" "${lost:-none}"
kw_succeeds "the rules still load" net-filter --check --rules /tmp/many.yaml
grep -B4 -A6 "dport: 9$" /tmp/many.yaml | cut -c1-200
echo "learner with a full table: $(grep -o 'learned [0-9]* connections.*' /tmp/many.log)"
echo "bound: 65,536 distinct flows, 65,536 sockets' owners (docs/learn.md)"

kw_done
