#!/bin/bash
# net-filter in the VM as an operator runs it: the systemd unit with rules in
# /etc/kwarden, a drop on loopback (a UDP send that LOCAL_OUT drops fails with
# EPERM at the sender, so no receiver is needed), counters via
# `net-filter stats`, the drop record in journald, `systemctl reload`, a kill
# -9 leaving the filter in place, `systemctl stop` removing it; a `unit:` rule
# against a transient service (systemd-run), restarted under the filter.
set -u
. /kwarden-vmtest/lib.sh  # test/lib.sh, shipped by test/vm/run
kw_kernel_runs net-filter || exit 77
# udp_send PORT: 0 when the kernel let the datagram out
udp_send() { bash -c "echo kwarden >/dev/udp/127.0.0.1/$1" 2>/dev/null; }
dropped() { ! udp_send "$1"; }
# unit_dropped PORT: a send from a process inside kwtest-nf.service was refused
# (exit 2, not 1, when the process could not join the unit's cgroup)
UNITCG=
unit_dropped() {
	bash -c "echo \$\$ >$UNITCG/cgroup.procs || exit 2; exec bash -c 'echo kwarden >/dev/udp/127.0.0.1/$1'" 2>/dev/null
	[ $? = 1 ]
}
start_unit() {
	systemd-run --quiet --unit=kwtest-nf sleep 600 || return 1
	UNITCG=/sys/fs/cgroup$(systemctl show -p ControlGroup --value kwtest-nf.service)
	[ -d "$UNITCG" ]
}
sent() { udp_send "$1"; }

RULES=/etc/kwarden/net-filter.yaml
cp $RULES /tmp/net-filter.yaml.orig
write_rules() {
	cat >$RULES <<EOF
rules:
  - name: no-udp-$1
    action: drop
    direction: egress
    protocol: udp
    dst: 127.0.0.0/8
    dport: $1
  - name: audit-udp-9997
    action: audit
    direction: egress
    protocol: udp
    dport: 9997
  - name: no-udp-unit
    action: drop
    direction: egress
    protocol: udp
    dport: 9995
    unit: kwtest-nf.service
EOF
}
write_rules 9999

kw_check "--check accepts the installed example rules" net-filter --check --rules /tmp/net-filter.yaml.orig
kw_check "a transient unit to match runs" start_unit
kw_check "unit starts (Type=notify reached READY)" systemctl start kwarden-net-filter.service
kw_check "unit is active" systemctl is-active --quiet kwarden-net-filter.service
kw_check "udp to the dropped port is refused" dropped 9999
kw_check "udp to another port goes out" sent 9998
dropped 9999; dropped 9999
kw_check "audited port goes out" sent 9997
kw_check "unit rule drops a send from inside the unit" unit_dropped 9995
kw_check "unit rule leaves the same send outside the unit" sent 9995
net-filter stats | tee /tmp/stats.txt
kw_check "counter counts the 3 dropped packets" grep -qE '^#1 no-udp-9999 +drop +3 ' /tmp/stats.txt
kw_check "counter counts the audited packet" grep -qE '^#2 audit-udp-9997 +audit +1 ' /tmp/stats.txt
kw_check "counter counts the unit's dropped packet" grep -qE '^#3 no-udp-unit +drop +1 ' /tmp/stats.txt
systemctl stop kwtest-nf.service
kw_check "the unit restarts with a new cgroup" start_unit
sleep 11 # the units are looked up again every 10 s
kw_check "unit rule follows the restarted unit" unit_dropped 9995
journalctl -u kwarden-net-filter --no-pager | grep -q "unit cgroups changed" \
	&& kw_pass "the daemon looked the restarted unit up again" || kw_fail "no re-resolution message"
sleep 2
journalctl -t net-filter -o verbose --no-pager MESSAGE_ID=973387929a2d48b19defa1e66a0acea5 >/tmp/drop.txt
kw_check "journald has the drop record" grep -q 'RULE=no-udp-9999' /tmp/drop.txt
kw_check "record names direction, protocol, port" bash -c "grep -q 'DIRECTION=egress' /tmp/drop.txt && grep -q 'PROTOCOL=udp' /tmp/drop.txt && grep -q 'DST_PORT=9999' /tmp/drop.txt"
kw_check "record names the sending process" bash -c "grep -q 'SUBJECT_COMM=bash' /tmp/drop.txt && grep -q 'SUBJECT_UID=0' /tmp/drop.txt"
kw_check "repeats are aggregated" grep -q 'REPEAT_COUNT=' /tmp/drop.txt
journalctl -t net-filter --no-pager MESSAGE_ID=6179665afacf40c6b711d8b2fbe8262e | grep -q 'audit.*9997' \
	&& kw_pass "journald has the audit record" || kw_fail "no audit record"
head -30 /tmp/drop.txt

write_rules 9996
kw_check "systemctl reload" systemctl reload kwarden-net-filter.service
sleep 1
kw_check "after reload the new port is dropped" dropped 9996
kw_check "after reload the old port goes out" sent 9999
printf 'rules: [\n' >$RULES
systemctl reload kwarden-net-filter.service
sleep 1
kw_check "a bad reload keeps the unit running" systemctl is-active --quiet kwarden-net-filter.service
kw_check "a bad reload keeps the rules in force" dropped 9996
write_rules 9996

# The unit's guard refuses signals (guard.sh tries them all); a crash is
# what a daemon killed with the guard in audit mode looks like.
pid=$(systemctl show -p MainPID --value kwarden-net-filter.service)
kw_check "the guard refuses kill -9 of the unit's daemon" bash -c "! kill -9 $pid 2>/dev/null"
mkdir -p /etc/systemd/system/kwarden-net-filter.service.d
printf '[Service]\nExecStart=\nExecStart=/usr/sbin/net-filter --guard audit --output journal --rules %s\n' $RULES \
	> /etc/systemd/system/kwarden-net-filter.service.d/audit.conf
systemctl daemon-reload
kw_check "restart with --guard audit" systemctl restart kwarden-net-filter.service
kw_check "kill -9" systemctl kill -s KILL kwarden-net-filter.service
kw_check "the filter outlives the daemon" dropped 9996
# Restart=on-failure: wait for the new instance to report READY (slow under TCG).
for _ in $(seq 60); do systemctl is-active --quiet kwarden-net-filter.service && break; sleep 0.5; done
kw_check "systemd restarted the unit" systemctl is-active --quiet kwarden-net-filter.service
journalctl -u kwarden-net-filter --no-pager | grep -q "adopted the pinned enforcement" && kw_pass "the restart adopted the pinned filter" \
	|| kw_fail "no adoption message"
kw_check "still dropping after the restart" dropped 9996
kw_check "unit stops cleanly" systemctl stop kwarden-net-filter.service
rm -rf /etc/systemd/system/kwarden-net-filter.service.d; systemctl daemon-reload
kw_check "a stop removes the filter" sent 9996
kw_check "and its pins" test ! -e /sys/fs/bpf/kwarden/net-filter
systemctl stop kwtest-nf.service 2>/dev/null
cp /tmp/net-filter.yaml.orig $RULES
journalctl -u kwarden-net-filter --no-pager | tail -8
kw_done
