#!/bin/bash
# The enforcement runtime, frtp (issue 9; runtime_<tool>.sh and reload_storm_<tool>.sh):
#   records   every reload and refused reload of the unit leaves its journald
#             record with the policy's sha256;
#   burst     SIGHUPs every 15 ms from start-up on: no restart, no record lost,
#             the last file in force;
#   no-reload an edited rules file never changes enforcement without SIGHUP, even
#             with a unit matcher and past the 10 s refresh, which follows a
#             restarted unit from the policy in memory;
# Usage: test/vm/run test/vm/suites/runtime_frtp.sh   (reload_storm_frtp.sh has the storm)
set -u
export LC_ALL=C
[ "${KWARDEN_IN_VM:-0}" = 1 ] || { echo "SKIP: runs inside the VM (test/vm/run $0)"; exit 77; }
. /kwarden-vmtest/lib.sh
kw_kernel_runs frtp || exit 77
TOOL=frtp UNIT=kwarden-frtp.service RULES=/etc/kwarden/frtp.yaml
grep -qw bpf /sys/kernel/security/lsm || { kw_fail "the VM kernel does not run the bpf LSM"; kw_done; }
cleanup() { systemctl stop $UNIT kwrt-x.service 2>/dev/null; }
trap cleanup EXIT
# denied CMD...: CMD fails with EACCES; allowed CMD...: CMD succeeds.
denied() { local o; o=$("$@" 2>&1) && return 1; grep -qi "permission denied" <<<"$o"; }
allowed() { "$@" >/dev/null 2>&1; }

S=/srv/rt P=/tmp/rt
rm -rf $S $P; mkdir -p $S $P
for f in a b c final unitfile other; do echo "$f" > $S/$f; done
# policy FILE NAME RULE...: a policy file whose rules deny reading the listed files
policy() {
	local f=$1 name=$2; shift 2
	{ echo "mode: enforce"; echo "rules:"
	  for o in "$@"; do printf '  - name: %s-%s\n    objects: [%s/%s]\n    operations: [read]\n    action: deny\n' "$name" "$o" $S "$o"; done
	} > "$f"
}
policy $P/v1.yaml v1 a
policy $P/v2.yaml v2 a b
policy $P/v3.yaml v3 c
policy $P/final.yaml fin final
printf 'mode: enforce\nrules: [\n' > $P/bad1.yaml                                   # YAML syntax
printf 'rules:\n  - name: x\n    objects: [%s/a]\n    operations: [reed]\n    action: deny\n' $S > $P/bad2.yaml  # unknown operation
for f in v1 v2 v3 final; do frtp --check --rules $P/$f.yaml >/dev/null || kw_fail "frtp --check refuses $f.yaml"; done
for f in bad1 bad2; do ! frtp --check --rules $P/$f.yaml >/dev/null 2>&1 || kw_fail "frtp --check accepts $f.yaml"; done

# ---------------------------------------------------------------- records
kw_section "records: reloads and refused reloads of $UNIT in journald"
cp $P/v1.yaml $RULES
kw_reload_driver records --tool $TOOL --unit $UNIT --rules $RULES \
	ok:$P/v2.yaml bad:$P/bad1.yaml ok:$P/v3.yaml bad:$P/bad2.yaml bad:$P/bad1.yaml ok:$P/v1.yaml ok:$P/v1.yaml
kw_check "records: the policy in force is the last valid file (v1 denies a, not c)" \
	bash -c "$(declare -f denied allowed); denied head $S/a && allowed head $S/c"
kw_check "records: sha256 in force = sha256sum of v1.yaml" [ "${KW_SHA_IN_FORCE:-}" = "$(kw_sha256 $P/v1.yaml)" ]
kw_check "records: systemctl stop" systemctl stop $UNIT
kw_check "records: a clean stop removes the pins" [ ! -e /sys/fs/bpf/kwarden/frtp ]

# ---------------------------------------------------------------- burst
kw_section "burst: SIGHUP every 15 ms from start-up on, ~20 s"
cp $P/v1.yaml $RULES
kw_reload_driver burst --tool $TOOL --unit $UNIT --rules $RULES \
	--valid $P/v1.yaml $P/v2.yaml $P/v3.yaml --invalid $P/bad1.yaml --final $P/final.yaml --secs 20 --interval 0.015
kw_check "burst: the last file is enforced (final denied, a and c readable)" \
	bash -c "$(declare -f denied allowed); denied head $S/final && allowed head $S/a && allowed head $S/c"
systemctl stop $UNIT

# ---------------------------------------------------------------- no reload, no change
kw_section "no reload, no change: except: unit, file edited without SIGHUP"
systemctl stop kwrt-x.service 2>/dev/null
systemd-run --quiet --unit=kwrt-x.service sleep 100000
cat > $P/nr.yaml <<EOF
mode: enforce
rules:
  - name: unit-file
    objects: [$S/unitfile]
    operations: [read]
    action: deny
    except: [{unit: kwrt-x.service}]
EOF
cat > $P/nr-edited.yaml <<EOF
mode: enforce
rules:
  - name: other-file
    objects: [$S/other]
    operations: [read]
    action: deny
EOF
cp $P/nr.yaml $RULES
kw_check "no-reload: $UNIT starts" systemctl start $UNIT
PID=$(systemctl show -p MainPID --value $UNIT)
kw_check "no-reload: reading unitfile outside kwrt-x is denied" denied head $S/unitfile
kw_check "no-reload: inside kwrt-x.service it is allowed (except unit)" kw_in_unit kwrt-x.service head -c0 $S/unitfile
recs0=$(kw_reload_driver list --tool $TOOL --pid "$PID")
cp $P/nr-edited.yaml $RULES   # would allow unitfile; no SIGHUP
sleep 12
kw_check "no-reload: edited, not reloaded, 12 s later: still denied" denied head $S/unitfile
sleep 13
kw_check "no-reload: 25 s later (two refresh periods): still denied" denied head $S/unitfile
kw_check "no-reload: 25 s later: other (denied only by the edit) still readable" allowed head $S/other
recs1=$(kw_reload_driver list --tool $TOOL --pid "$PID")
kw_check "no-reload: no new policy record ($(grep -c . <<<"$recs0") before, $(grep -c . <<<"$recs1") after)" [ "$recs0" = "$recs1" ]
systemctl stop kwrt-x.service
systemd-run --quiet --unit=kwrt-x.service sleep 100000
if kw_poll 15 kw_in_unit kwrt-x.service head -c0 $S/unitfile; then
	kw_pass "no-reload: the except follows restarted kwrt-x.service (new cgroup) after ${KW_WAITED} s"
else
	kw_fail "no-reload: the except does not follow restarted kwrt-x.service within 15 s"
fi
kw_check "no-reload: after the refresh, outside kwrt-x still denied (policy from memory)" denied head $S/unitfile
kw_check "no-reload: after the refresh, other still readable" allowed head $S/other
recs2=$(kw_reload_driver list --tool $TOOL --pid "$PID")
echo "$recs2" | sed 's/^/  record: /'
kw_check "no-reload: a refresh record with the loaded policy's sha256 (not the edited file's)" \
	grep -q "^[0-9]* refresh $(kw_sha256 $P/nr.yaml) " <<<"$recs2"
kw_check "no-reload: no reload record" bash -c "! grep -q ' reload ' <<<'$recs2'"
systemctl reload $UNIT
kw_check "no-reload: systemctl reload applies the edit (unitfile readable)" kw_poll 10 allowed head $S/unitfile
kw_check "no-reload: and other denied" denied head $S/other
recs3=$(kw_reload_driver list --tool $TOOL --pid "$PID")
kw_check "no-reload: the reload record has the edited file's sha256" \
	grep -q "^1 reload $(kw_sha256 $P/nr-edited.yaml) " <<<"$recs3"
systemctl stop $UNIT kwrt-x.service

kw_section "done"
kw_done
