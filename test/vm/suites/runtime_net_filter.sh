#!/bin/bash
# The enforcement runtime, net-filter (issue 9; runtime_<tool>.sh and reload_storm_<tool>.sh):
#   records   every reload and refused reload of the unit leaves its journald
#             record with the policy's sha256;
#   burst     SIGHUPs every 15 ms from start-up on: no restart, no record lost,
#             the last file in force;
#   no-reload an edited rules file never changes enforcement without SIGHUP, even
#             with a unit: rule and past the 10 s refresh, which follows a
#             restarted unit from the policy in memory;
# Usage: test/vm/run test/vm/suites/runtime_net_filter.sh   (reload_storm_net_filter.sh has the storm)
set -u
export LC_ALL=C
[ "${KWARDEN_IN_VM:-0}" = 1 ] || { echo "SKIP: runs inside the VM (test/vm/run $0)"; exit 77; }
. /kwarden-vmtest/lib.sh
kw_kernel_runs net-filter || exit 77
TOOL=net-filter UNIT=kwarden-net-filter.service RULES=/etc/kwarden/net-filter.yaml
P=/tmp/nf
rm -rf $P; mkdir -p $P
cleanup() { systemctl stop $UNIT kwrt-x.service 2>/dev/null; }
trap cleanup EXIT
# sent PORT: a UDP datagram to 127.0.0.1:PORT left (a LOCAL_OUT drop is EPERM)
sent() { bash -c "echo kwarden >/dev/udp/127.0.0.1/$1" 2>/dev/null; }
dropped() { ! sent "$1"; }
# unit_dropped PORT: the same send from a process inside kwrt-x.service was dropped
unit_dropped() { kw_in_unit kwrt-x.service bash -c "echo kwarden >/dev/udp/127.0.0.1/$1" 2>/dev/null; [ $? = 1 ]; }
unit_sent() { kw_in_unit kwrt-x.service bash -c "echo kwarden >/dev/udp/127.0.0.1/$1" 2>/dev/null; }
export -f sent dropped

# policy FILE NAME PORTS: drop UDP to 127.0.0.0/8 at PORTS (a YAML scalar or list)
policy() { printf 'rules:\n  - name: %s\n    action: drop\n    protocol: udp\n    dst: 127.0.0.0/8\n    dport: %s\n' "$2" "$3" > "$1"; }
policy $P/v1.yaml v1 7201
policy $P/v2.yaml v2 7202
policy $P/v3.yaml v3 "[7201, 7203]"
policy $P/final.yaml final 7209
printf 'rules: [\n' > $P/bad1.yaml                                 # YAML syntax
printf 'rules:\n  - name: x\n    action: dorp\n' > $P/bad2.yaml    # unknown action
for f in v1 v2 v3 final; do net-filter --check --rules $P/$f.yaml >/dev/null || kw_fail "net-filter --check refuses $f.yaml"; done
for f in bad1 bad2; do ! net-filter --check --rules $P/$f.yaml >/dev/null 2>&1 || kw_fail "net-filter --check accepts $f.yaml"; done

# ---------------------------------------------------------------- records
kw_section "records: reloads and refused reloads of $UNIT in journald"
cp $P/v1.yaml $RULES
kw_reload_driver records --tool $TOOL --unit $UNIT --rules $RULES \
	ok:$P/v2.yaml bad:$P/bad1.yaml ok:$P/v3.yaml bad:$P/bad2.yaml bad:$P/bad1.yaml ok:$P/v1.yaml ok:$P/v1.yaml
kw_check "records: the policy in force is the last valid file (v1 drops 7201, not 7203)" bash -c "dropped 7201 && sent 7203"
kw_check "records: sha256 in force = sha256sum of v1.yaml" [ "${KW_SHA_IN_FORCE:-}" = "$(kw_sha256 $P/v1.yaml)" ]
kw_check "records: systemctl stop" systemctl stop $UNIT
kw_check "records: a clean stop removes the pins" [ ! -e /sys/fs/bpf/kwarden/net-filter ]

# ---------------------------------------------------------------- burst
kw_section "burst: SIGHUP every 15 ms from start-up on, ~20 s"
cp $P/v1.yaml $RULES
kw_reload_driver burst --tool $TOOL --unit $UNIT --rules $RULES \
	--valid $P/v1.yaml $P/v2.yaml $P/v3.yaml --invalid $P/bad1.yaml --final $P/final.yaml --secs 20 --interval 0.015
kw_check "burst: the last file is enforced (7209 dropped, 7201-7203 not)" \
	bash -c "dropped 7209 && sent 7201 && sent 7202 && sent 7203"
systemctl stop $UNIT

# ---------------------------------------------------------------- no reload, no change
kw_section "no reload, no change: unit: rule, file edited without SIGHUP"
systemctl stop kwrt-x.service 2>/dev/null
systemd-run --quiet --unit=kwrt-x.service sleep 100000
cat > $P/nr.yaml <<EOF
rules:
  - name: unit-udp
    action: drop
    direction: egress
    protocol: udp
    dport: 7100
    unit: kwrt-x.service
EOF
cat > $P/nr-edited.yaml <<EOF
rules:
  - name: other-udp
    action: drop
    direction: egress
    protocol: udp
    dport: 7101
EOF
cp $P/nr.yaml $RULES
kw_check "no-reload: $UNIT starts" systemctl start $UNIT
PID=$(systemctl show -p MainPID --value $UNIT)
kw_check "no-reload: UDP to 7100 from inside kwrt-x.service is dropped (unit rule)" unit_dropped 7100
kw_check "no-reload: the same send outside kwrt-x goes out" sent 7100
recs0=$(kw_reload_driver list --tool $TOOL --pid "$PID")
cp $P/nr-edited.yaml $RULES   # would let kwrt-x send to 7100; no SIGHUP
sleep 12
kw_check "no-reload: edited, not reloaded, 12 s later: still dropped" unit_dropped 7100
sleep 13
kw_check "no-reload: 25 s later (two refresh periods): still dropped" unit_dropped 7100
kw_check "no-reload: 25 s later: 7101 (dropped only by the edit) still goes out" sent 7101
recs1=$(kw_reload_driver list --tool $TOOL --pid "$PID")
kw_check "no-reload: no new policy record ($(grep -c . <<<"$recs0") before, $(grep -c . <<<"$recs1") after)" [ "$recs0" = "$recs1" ]
systemctl stop kwrt-x.service
systemd-run --quiet --unit=kwrt-x.service sleep 100000
if kw_poll 15 unit_dropped 7100; then
	kw_pass "no-reload: the unit rule follows restarted kwrt-x.service (new cgroup) after ${KW_WAITED} s"
else
	kw_fail "no-reload: the unit rule does not follow restarted kwrt-x.service within 15 s"
fi
kw_check "no-reload: after the refresh, 7101 still goes out (policy from memory)" sent 7101
recs2=$(kw_reload_driver list --tool $TOOL --pid "$PID")
echo "$recs2" | sed 's/^/  record: /'
kw_check "no-reload: a refresh record with the loaded policy's sha256 (not the edited file's)" \
	grep -q "^[0-9]* refresh $(kw_sha256 $P/nr.yaml) " <<<"$recs2"
kw_check "no-reload: no reload record" bash -c "! grep -q ' reload ' <<<'$recs2'"
systemctl reload $UNIT
kw_check "no-reload: systemctl reload applies the edit (7101 dropped)" kw_poll 10 dropped 7101
kw_check "no-reload: and kwrt-x sends to 7100 again" unit_sent 7100
recs3=$(kw_reload_driver list --tool $TOOL --pid "$PID")
kw_check "no-reload: the reload record has the edited file's sha256" \
	grep -q "^1 reload $(kw_sha256 $P/nr-edited.yaml) " <<<"$recs3"
systemctl stop $UNIT kwrt-x.service

kw_section "done"
kw_done
