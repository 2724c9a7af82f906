#!/bin/bash
# The enforcement runtime, rm-forbid (issue 9; runtime_<tool>.sh and reload_storm_<tool>.sh):
#   records   every reload and refused reload of the unit leaves its journald
#             record with the policy's sha256 (and without --rules: the empty
#             string's);
#   burst     SIGHUPs every 15 ms from start-up on: no restart, no record lost,
#             the last file in force;
#   no-reload an edited rules file never changes enforcement without SIGHUP, even
#             with an exempt unit and past the 10 s refresh, which follows a
#             restarted unit from the policy in memory;
# Usage: test/vm/run test/vm/suites/runtime_rm_forbid.sh   (reload_storm_rm_forbid.sh has the storm)
set -u
export LC_ALL=C
[ "${KWARDEN_IN_VM:-0}" = 1 ] || { echo "SKIP: runs inside the VM (test/vm/run $0)"; exit 77; }
. /kwarden-vmtest/lib.sh
kw_kernel_runs rm-forbid || exit 77
TOOL=rm-forbid UNIT=kwarden-rm-forbid.service RULES=/etc/kwarden/rm-forbid.yaml
grep -qw bpf /sys/kernel/security/lsm || { kw_fail "the VM kernel does not run the bpf LSM"; kw_done; }
S=/srv/rf P=/tmp/rf
rm -rf $S $P; mkdir -p $S/a $S/b $S/c $S/final $S/nr $P
cleanup() {
	systemctl stop $UNIT kwrt-x.service 2>/dev/null
	[ -s $P/holders ] && kill $(cat $P/holders) 2>/dev/null
}
trap cleanup EXIT
# held DIR: a new file in DIR held open by a sleeping process; prints its path.
held() {
	local f=$1/h$RANDOM$RANDOM
	echo x > "$f"
	(exec 3<"$f"; exec sleep 100000) </dev/null >/dev/null 2>&1 &
	echo $! >> $P/holders
	for _ in $(seq 50); do [ -n "$(find /proc/$!/fd -lname "$f" 2>/dev/null)" ] && break; sleep 0.05; done
	echo "$f"
}
refused() { ! rm "$1" 2>/dev/null && [ -e "$1" ]; }
deletable() { rm "$1" 2>/dev/null; }
export -f held refused deletable; export P

printf 'mode: enforce\nprotect: [%s/a]\n' $S > $P/v1.yaml
printf 'mode: enforce\nprotect: [%s/b]\n' $S > $P/v2.yaml
printf 'mode: enforce\nprotect: [%s/a, %s/b]\nrename_away: true\n' $S $S > $P/v3.yaml
printf 'mode: enforce\nprotect: [%s/final]\n' $S > $P/final.yaml
printf 'mode: enforce\nprotect: [%s/a\n' $S > $P/bad1.yaml                 # YAML syntax
printf 'mode: enforce\nin_use: [write, maped]\n' > $P/bad2.yaml           # unknown value
for f in v1 v2 v3 final; do rm-forbid --check --rules $P/$f.yaml >/dev/null || kw_fail "rm-forbid --check refuses $f.yaml"; done
for f in bad1 bad2; do ! rm-forbid --check --rules $P/$f.yaml >/dev/null 2>&1 || kw_fail "rm-forbid --check accepts $f.yaml"; done

# ---------------------------------------------------------------- records
kw_section "records: without --rules, the empty string's sha256"
rm-forbid --output json > $P/norules.json 2> $P/norules.err & fg=$!
if kw_wait_for $P/norules.json '"policy_event"' 120; then
	kw_check "records: without --rules the load record hashes the empty string" python3 -c "
import json, sys
r = next(r for r in map(json.loads, open('$P/norules.json')) if r.get('event') == 'policy')
print('  ', r['message'])
assert r['policy_event'] == 'load' and r['reload_seq'] in (0, '0'), r
assert r['policy_sha256'] == 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', r"
else
	kw_fail "records: rm-forbid without --rules wrote no load record: $(tail -3 $P/norules.err)"
fi
kill -TERM $fg; wait $fg
kw_check "records: it stops with 0 on SIGTERM" [ $? = 0 ]

kw_section "records: reloads and refused reloads of $UNIT in journald"
cp $P/v1.yaml $RULES
kw_reload_driver records --tool $TOOL --unit $UNIT --rules $RULES \
	ok:$P/v2.yaml bad:$P/bad1.yaml ok:$P/v3.yaml bad:$P/bad2.yaml bad:$P/bad1.yaml ok:$P/v1.yaml ok:$P/v1.yaml
kw_check "records: the policy in force is the last valid file (v1 protects a, not b)" \
	bash -c 'refused $(held '$S'/a) && deletable $(held '$S'/b)'
kw_check "records: sha256 in force = sha256sum of v1.yaml" [ "${KW_SHA_IN_FORCE:-}" = "$(kw_sha256 $P/v1.yaml)" ]
kw_check "records: systemctl stop" systemctl stop $UNIT
kw_check "records: a clean stop removes the pins" [ ! -e /sys/fs/bpf/kwarden/rm-forbid ]

# ---------------------------------------------------------------- burst
kw_section "burst: SIGHUP every 15 ms from start-up on, ~20 s"
cp $P/v1.yaml $RULES
kw_reload_driver burst --tool $TOOL --unit $UNIT --rules $RULES \
	--valid $P/v1.yaml $P/v2.yaml $P/v3.yaml --invalid $P/bad1.yaml --final $P/final.yaml --secs 20 --interval 0.015
kw_check "burst: the last file is enforced (final protected, a and b not)" \
	bash -c 'refused $(held '$S'/final) && deletable $(held '$S'/a) && deletable $(held '$S'/b)'
systemctl stop $UNIT

# ---------------------------------------------------------------- no reload, no change
kw_section "no reload, no change: exempt unit, file edited without SIGHUP"
systemctl stop kwrt-x.service 2>/dev/null
systemd-run --quiet --unit=kwrt-x.service sleep 100000
printf 'mode: enforce\nprotect: [%s/nr]\nexempt:\n  unit: [kwrt-x.service]\n' $S > $P/nr.yaml
printf 'mode: audit\nprotect: [%s/nr]\nexempt:\n  unit: [kwrt-x.service]\n' $S > $P/nr-edited.yaml
cp $P/nr.yaml $RULES
kw_check "no-reload: $UNIT starts" systemctl start $UNIT
PID=$(systemctl show -p MainPID --value $UNIT)
kw_check "no-reload: deleting a held file outside kwrt-x is refused" refused "$(held $S/nr)"
kw_check "no-reload: inside kwrt-x.service it is allowed (exempt unit)" kw_in_unit kwrt-x.service rm "$(held $S/nr)"
recs0=$(kw_reload_driver list --tool $TOOL --pid "$PID")
cp $P/nr-edited.yaml $RULES   # audit mode: would allow every deletion; no SIGHUP
sleep 12
kw_check "no-reload: edited, not reloaded, 12 s later: still refused" refused "$(held $S/nr)"
sleep 13
kw_check "no-reload: 25 s later (two refresh periods): still refused" refused "$(held $S/nr)"
recs1=$(kw_reload_driver list --tool $TOOL --pid "$PID")
kw_check "no-reload: no new policy record ($(grep -c . <<<"$recs0") before, $(grep -c . <<<"$recs1") after)" [ "$recs0" = "$recs1" ]
systemctl stop kwrt-x.service
systemd-run --quiet --unit=kwrt-x.service sleep 100000
f=$(held $S/nr)
if kw_poll 15 kw_in_unit kwrt-x.service rm "$f" 2>/dev/null; then
	kw_pass "no-reload: the exemption follows restarted kwrt-x.service (new cgroup) after ${KW_WAITED} s"
else
	kw_fail "no-reload: the exemption does not follow restarted kwrt-x.service within 15 s"
fi
kw_check "no-reload: after the refresh, outside kwrt-x still refused (policy from memory)" refused "$(held $S/nr)"
recs2=$(kw_reload_driver list --tool $TOOL --pid "$PID")
echo "$recs2" | sed 's/^/  record: /'
kw_check "no-reload: a refresh record with the loaded policy's sha256 (not the edited file's)" \
	grep -q "^[0-9]* refresh $(kw_sha256 $P/nr.yaml) " <<<"$recs2"
kw_check "no-reload: no reload record" bash -c "! grep -q ' reload ' <<<'$recs2'"
systemctl reload $UNIT
f=$(held $S/nr)
kw_check "no-reload: systemctl reload applies the edit (audit: deletion allowed)" kw_poll 10 deletable "$f"
recs3=$(kw_reload_driver list --tool $TOOL --pid "$PID")
kw_check "no-reload: the reload record has the edited file's sha256" \
	grep -q "^1 reload $(kw_sha256 $P/nr-edited.yaml) " <<<"$recs3"
systemctl stop $UNIT kwrt-x.service

kw_section "done"
kw_done
