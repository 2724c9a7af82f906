#!/bin/bash
# The Debian package on a clean VM: dpkg -i starts nothing; man, completion
# and the journald catalog work; every unit enables and starts; a rule edit
# and reload take effect; a denial shows its catalog text in journalctl -x;
# kwarden-audit counts a generated set of records exactly (local journal,
# --directory, --file) and real denials with their storm repeats; status is
# right with a daemon killed and lists a named net-filter instance apart; a
# drop-in in /etc/kwarden/frtp.d is enforced on reload and gone once removed,
# status showing the set's hash; each unit's systemd-analyze security score
# stays within what docs/units.md records; dpkg -r leaves no BPF object of
# ours and nothing under /sys/fs/bpf/kwarden; dpkg -P removes the config.
#
# On the host: builds the package (packaging/mkdeb.sh) and boots the VM
# without `make install` (KWARDEN_VM_NO_INSTALL=1), the package in
# /kwarden-extra.
set -u
if [ "${KWARDEN_IN_VM:-0}" != 1 ]; then
	src=${KW_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
	build=${KW_BIN:+$(dirname "$KW_BIN")}; build=${build:-$src/build}
	extra=$(mktemp -d "${TMPDIR:-/tmp}/kw-operate.XXXXXX")
	trap 'rm -rf "$extra"' EXIT
	deb=$("$src/packaging/mkdeb.sh" "$build") || { echo "FAIL: make deb failed"; exit 1; }
	cp "$deb" "$extra/kwarden.deb"
	cp "$src/test/operate/bpf_ids.py" "$src/docs/units.md" "$extra/"
	KWARDEN_VM_NO_INSTALL=1 KWARDEN_VM_EXTRA=$extra "$src/test/vm/run" "$0"
	exit
fi
. /kwarden-vmtest/lib.sh
X=/kwarden-extra
ENFORCERS="frtp rm-forbid net-filter"
TOOLS="frtp rm-forbid net-filter trace-file trace-exec"
ids() { python3 $X/bpf_ids.py | sort; }
jq_py() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

kw_section "install"
# The test rootfs keeps man pages and docs out of dpkg installs; a real system does not.
rm -f /etc/dpkg/dpkg.cfg.d/99mmdebstrap
ids > /tmp/ids.before
kw_succeeds "dpkg -i kwarden.deb on a clean rootfs" dpkg -i $X/kwarden.deb
for t in $TOOLS; do
	kw_expect "kwarden-$t not enabled by the install" disabled "$(systemctl is-enabled kwarden-$t 2>&1)"
	kw_expect "kwarden-$t not started by the install" inactive "$(systemctl is-active kwarden-$t 2>&1)"
done
kw_check "nothing pinned after the install" test ! -e /sys/fs/bpf/kwarden
kw_check "binaries in /usr/sbin" test -x /usr/sbin/frtp -a -x /usr/sbin/kwarden-audit
kw_check "rules are conffiles" grep -qx /etc/kwarden/frtp.yaml /var/lib/dpkg/info/kwarden.conffiles
for t in $ENFORCERS; do
	kw_check "/etc/kwarden/$t.d ships empty" bash -c "[ -d /etc/kwarden/$t.d ] && [ -z \"\$(ls -A /etc/kwarden/$t.d)\" ]"
done
kw_check "man frtp works" bash -c 'MANPAGER=cat man frtp 2>&1 | grep -q "frtp explain"'
kw_check "man 5 kwarden-rules works" bash -c 'MANPAGER=cat man 5 kwarden-rules 2>&1 | grep -q "RM-FORBID"'
kw_check "man kwarden-audit works" bash -c 'MANPAGER=cat man kwarden-audit 2>&1 | grep -q "kwarden-audit status"'
out=$(bash -c '. /usr/share/bash-completion/completions/net-filter; COMP_WORDS=(net-filter st); COMP_CWORD=1; _kwarden_net_filter; echo "${COMPREPLY[*]}"')
kw_expect "completion of 'net-filter st'" "stats stop" "$out"
kw_check "the catalog is indexed (dpkg trigger)" bash -c 'journalctl --list-catalog | grep -q "^3f6c1a2e9b7d4c58a1e0f2b3c4d5e601"'

kw_section "kwarden-audit on a generated set of records"
gen() { # gen FIELD=VALUE...: one journal entry with these fields
	printf '%s\n' "$@" | logger --journald
}
F=3f6c1a2e9b7d4c58a1e0f2b3c4d5e60 R=3c9a7e1f52b84d0e9f6a1b2c3d4e5f0 N=973387929a2d48b19defa1e66a0acea5
gen MESSAGE_ID=${F}1 SYSLOG_IDENTIFIER=frtp MESSAGE=early RULE=gen-a SUBJECT_EXE=/gen/x PATH=/gen/p
sleep 1.2; T1=$(date +%s); sleep 1.2
for i in 1 2 3; do gen MESSAGE_ID=${F}1 SYSLOG_IDENTIFIER=frtp MESSAGE=d RULE=gen-a SUBJECT_EXE=/gen/x PATH=/gen/p; done
gen MESSAGE_ID=${F}1 SYSLOG_IDENTIFIER=frtp MESSAGE=d RULE=gen-a SUBJECT_EXE=/gen/x PATH=/gen/p REPEAT_COUNT=97
gen MESSAGE_ID=${F}1 SYSLOG_IDENTIFIER=frtp MESSAGE=d RULE=gen-a SUBJECT_EXE=/gen/y PATH=/gen/p
for i in 1 2; do gen MESSAGE_ID=${F}2 SYSLOG_IDENTIFIER=frtp MESSAGE=w RULE=gen-b SUBJECT_EXE=/gen/x PATH=/gen/q; done
gen MESSAGE_ID=${F}3 SYSLOG_IDENTIFIER=frtp MESSAGE=audit-action RULE=gen-b SUBJECT_EXE=/gen/x PATH=/gen/q
gen MESSAGE_ID=${F}4 SYSLOG_IDENTIFIER=frtp MESSAGE=policy POLICY_EVENT=load
for i in 1 2; do gen MESSAGE_ID=${R}1 SYSLOG_IDENTIFIER=rm-forbid MESSAGE=r SUBJECT_EXE=/usr/bin/rm PATH=/gen/db; done
gen MESSAGE_ID=$N SYSLOG_IDENTIFIER=net-filter MESSAGE=n RULE=gen-c DECISION=drop DIRECTION=ingress PROTOCOL=tcp DST_ADDR=10.0.0.1 DST_PORT=23
gen MESSAGE_ID=$N SYSLOG_IDENTIFIER=net-filter MESSAGE=n RULE=gen-c DECISION=drop DIRECTION=ingress PROTOCOL=tcp DST_ADDR=10.0.0.1 DST_PORT=23 REPEAT_COUNT=49
gen MESSAGE_ID=5cf61232fbce45b793226394f65ed123 SYSLOG_IDENTIFIER=frtp MESSAGE=t TAMPER=signal DECISION=deny TARGET=daemon SUBJECT_EXE=/usr/bin/kill
sleep 1.2; T2=$(date +%s); sleep 1.2
gen MESSAGE_ID=${F}1 SYSLOG_IDENTIFIER=frtp MESSAGE=late RULE=gen-a SUBJECT_EXE=/gen/x PATH=/gen/p
journalctl --sync
want='deny=101 would-deny=2 refusal=2 drop=50 tamper=1 records=12 repeats=146'
summary() {
	jq_py '" ".join("%s=%s" % kv for kv in d["totals"].items()) + " records=%d repeats=%d" % (d["records"], d["repeats"])'
}
kw_expect "report totals over the window (local journal)" "$want" \
	"$(kwarden-audit report --since @$T1 --until @$T2 -o json | summary)"
kw_expect "group gen-a /gen/x: 3 records + 97 repeats" "100 4" \
	"$(kwarden-audit report --since @$T1 --until @$T2 --rule gen-a --by rule,exe -o json |
		jq_py '["%d %d" % (g["count"], g["records"]) for g in d["groups"] if g["exe"] == "/gen/x"][0]')"
kw_expect "--tool net-filter" "drop=50 records=2 repeats=49" \
	"$(kwarden-audit report --since @$T1 --until @$T2 --tool net-filter -o json | summary)"
kw_expect "--until excludes the later record, --since the earlier" "deny=103" \
	"$(kwarden-audit report --tool frtp -o json | jq_py '"deny=%d" % d["totals"]["deny"]')"
mkdir -p /tmp/collected
cp /run/log/journal/*/*.journal /tmp/collected/
kw_expect "the same from --directory" "$want" \
	"$(kwarden-audit report --directory /tmp/collected --since @$T1 --until @$T2 -o json | summary)"
kw_expect "the same from --file" "$want" \
	"$(kwarden-audit report --file /tmp/collected/system.journal --since @$T1 --until @$T2 -o json | summary)"
kwarden-audit report --since @$T1 --until @$T2
out=$(kwarden-audit report --since yesterday-ish 2>&1); rc=$?
kw_expect "a bad --since is a usage error (exit 2)" 2 $rc
kw_check "and says what it accepts" grep -q "use YYYY-MM-DD" <<<"$out"

kw_section "enable and start every unit"
# rm-forbid is killed below; it must stay down for the status check, and its
# guard must let the kill through (audit mode records it).
mkdir -p /etc/systemd/system/kwarden-rm-forbid.service.d
printf '[Service]\nRestart=no\nEnvironment=KWARDEN_GUARD=audit\n' > /etc/systemd/system/kwarden-rm-forbid.service.d/test.conf
systemctl daemon-reload
for t in $TOOLS; do
	kw_succeeds "systemctl enable --now kwarden-$t" systemctl enable --now kwarden-$t
	kw_expect "kwarden-$t active" active "$(systemctl is-active kwarden-$t)"
	systemctl is-active --quiet kwarden-$t || journalctl -u kwarden-$t --no-pager -o cat | tail -n 15
done
ids > /tmp/ids.running
comm -13 /tmp/ids.before /tmp/ids.running > /tmp/ids.ours
kw_check "our programs, maps and links are listed ($(wc -l < /tmp/ids.ours))" grep -q '^prog' /tmp/ids.ours

kw_section "edit a rule, reload, a denial with its catalog text"
T=$(date +%s)
echo secret > /root/kwtest-secret
cat >> /etc/kwarden/frtp.yaml <<'YAML'

  - name: kwtest-secret
    objects: [/root/kwtest-secret]
    operations: [read]
    action: deny
YAML
sha=$(kw_sha256 /etc/kwarden/frtp.yaml)
systemctl reload kwarden-frtp
reloaded() { journalctl -t frtp --since @$T -o cat --output-fields=POLICY_SHA256 POLICY_EVENT=reload | grep -qx "$sha"; }
kw_check "reload record with the edited file's sha256" kw_poll 60 reloaded
for i in 1 2 3; do kw_denied "cat of the newly denied file ($i)" EACCES cat /root/kwtest-secret; done
for i in $(seq 200); do : < /root/kwtest-secret; done 2>/dev/null
sleep 4 # storm summaries close after a second
xout=$(journalctl -x -t frtp --since @$T --no-pager MESSAGE_ID=${F}1 RULE=kwtest-secret | head -40)
kw_check "journalctl -x shows the catalog text" grep -q "frtp denied a file operation (rule kwtest-secret)" <<<"$xout"
kw_check "which names frtp explain" grep -q "frtp explain --rules /etc/kwarden/frtp.yaml --op read" <<<"$xout"
grep -m12 -A12 'frtp denied' <<<"$xout" | head -14
kw_expect "kwarden-audit: cat denied 3 times" 3 \
	"$(kwarden-audit report --since @$T --rule kwtest-secret -o json | jq_py 'sum(g["count"] for g in d["groups"] if g["exe"] == "/usr/bin/cat")')"
kw_expect "kwarden-audit: bash's 200 opens, storm repeats added in" 200 \
	"$(kwarden-audit report --since @$T --rule kwtest-secret -o json | jq_py 'sum(g["count"] for g in d["groups"] if g["exe"] == "/usr/bin/bash")')"

kw_section "a drop-in in /etc/kwarden/frtp.d: added, reloaded, enforced, removed (docs/drop-ins.md)"
echo secret > /root/kwtest-dropin
cat > /etc/kwarden/frtp.d/50-kwtest.yaml <<'YAML'
rules:
  - name: kwtest-dropin
    objects: [/root/kwtest-dropin]
    operations: [read]
    action: deny
YAML
echo 'rules: [this is what dpkg left' > /etc/kwarden/frtp.d/50-kwtest.yaml.dpkg-old
dsha=$(cd /etc/kwarden && sha256sum frtp.yaml frtp.d/50-kwtest.yaml | sha256sum | cut -d' ' -f1)
kw_check "frtp --check reads the drop-in and prints the set's hash" \
	bash -c "frtp --check --rules /etc/kwarden/frtp.yaml | grep -q 'then the drop-ins frtp.d/50-kwtest.yaml, sha256 $dsha'"
kw_expect "status: the files on disk now hash as sha256sum lists them (not reloaded yet)" "$dsha" \
	"$(kwarden-audit status -o json | jq_py "[s for s in d if s['tool'] == 'frtp'][0].get('file_sha256')")"
T2=$(date +%s)
systemctl reload kwarden-frtp
dreloaded() { journalctl -t frtp --since @$T2 -o cat --output-fields=POLICY_SHA256 POLICY_EVENT=reload | grep -qx "$1"; }
kw_check "reload record with the set's sha256" kw_poll 60 dreloaded "$dsha"
kw_expect "the reload record names the drop-in" frtp.d/50-kwtest.yaml \
	"$(journalctl -t frtp --since @$T2 -o cat --output-fields=POLICY_DROPINS POLICY_EVENT=reload | tail -1)"
kw_denied "cat of the file the drop-in denies" EACCES cat /root/kwtest-dropin
kw_denied "the rules file's rule still holds" EACCES cat /root/kwtest-secret
kw_expect "status: the set's hash in force" "$dsha" \
	"$(kwarden-audit status -o json | jq_py "[s for s in d if s['tool'] == 'frtp'][0]['policy_sha256']")"
kw_check "status text names the drop-in" bash -c 'kwarden-audit status | grep -q "frtp.yaml + drop-ins frtp.d/50-kwtest.yaml sha256"'
# A second drop-in that sets mode otherwise than the rules file: refused, named.
printf 'mode: audit\n' > /etc/kwarden/frtp.d/60-kwtest-audit.yaml
out=$(frtp --check --rules /etc/kwarden/frtp.yaml 2>&1); rc=$?
kw_expect "--check of a conflicting drop-in exits 3" 3 "$rc"
kw_check "and names both places" grep -q "60-kwtest-audit.yaml:1:7: .*mode is set here and, to another value, at /etc/kwarden/frtp.yaml:" <<<"$out"
echo "$out" | head -3
T3=$(date +%s)
systemctl reload kwarden-frtp
refused() { journalctl -t frtp --since @$T3 -o cat POLICY_EVENT=refused | grep -q 60-kwtest-audit.yaml; }
kw_check "its reload is refused, naming the drop-in" kw_poll 60 refused
kw_denied "the previous policy stays" EACCES cat /root/kwtest-dropin
rm /etc/kwarden/frtp.d/60-kwtest-audit.yaml /etc/kwarden/frtp.d/50-kwtest.yaml
T4=$(date +%s)
systemctl reload kwarden-frtp
removed() { journalctl -t frtp --since @$T4 -o cat --output-fields=POLICY_SHA256 POLICY_EVENT=reload | grep -qx "$sha"; }
kw_check "drop-in removed: the reload is back to the rules file's own sha256" kw_poll 60 removed
kw_succeeds "its rule is gone: cat works" cat /root/kwtest-dropin
kw_denied "the rules file's rule still holds" EACCES cat /root/kwtest-secret
rm /etc/kwarden/frtp.d/50-kwtest.yaml.dpkg-old

kw_section "rm-forbid and net-filter records"
echo data > /root/held; sleep 60 < /root/held & holder=$!
sleep 0.5
kw_denied "rm of a file held open" EBUSY rm /root/held
# The example rules drop SMTP sent by nobody (egress; loopback ingress is accepted).
timeout 5 setpriv --reuid=65534 --regid=65534 --clear-groups nc -z -w1 127.0.0.1 25 >/dev/null 2>&1
sleep 3
kwarden-audit report --since @$T
kw_expect "kwarden-audit: one refusal of /root/held" 1 \
	"$(kwarden-audit report --since @$T --tool rm-forbid -o json | jq_py 'sum(g["count"] for g in d["groups"] if g["object"] == "/root/held")')"
# The example ships in audit mode: a would-drop; in enforce mode a drop.
drops=$(kwarden-audit report --since @$T --tool net-filter --rule nobody-no-smtp -o json |
	jq_py 'd["totals"].get("drop", 0) + d["totals"].get("would-drop", 0)')
kw_check "kwarden-audit: nobody's SMTP drops reported ($drops)" test "$drops" -ge 1

kw_section "status, with rm-forbid's daemon killed"
status_of() { kwarden-audit status -o json | jq_py "[s for s in d if s['tool'] == '$1'][0]$2"; }
for t in $ENFORCERS; do
	kw_expect "status $t" enforcing "$(status_of $t "['state']")"
done
kw_expect "status frtp: the reloaded policy's hash" "$sha" "$(status_of frtp "['policy_sha256']")"
kw_expect "status frtp: last event" reload "$(status_of frtp "['last_event']")"
kw_check "status frtp: decisions counted (>= 203)" test "$(status_of frtp "['decisions']")" -ge 203
kill -KILL "$(systemctl show -p MainPID --value kwarden-rm-forbid)"
kw_poll 20 bash -c '! systemctl is-active --quiet kwarden-rm-forbid'
kw_expect "status rm-forbid, daemon killed" "enforcing (daemon down)" "$(status_of rm-forbid "['state']")"
kw_expect "status rm-forbid: policy hash still known" "$(kw_sha256 /etc/kwarden/rm-forbid.yaml)" \
	"$(status_of rm-forbid "['policy_sha256']")"
kw_denied "the pins still refuse rm of the held file" EBUSY rm /root/held

# A second net-filter, named, in a network namespace of its own (docs/net-filter.md).
ip netns add kwtest
systemd-run --quiet --unit kwtest-nf -p NetworkNamespacePath=/run/netns/kwtest \
	/usr/sbin/net-filter --instance kwtest --rules /etc/kwarden/net-filter.yaml --output journal
instance_of() { kwarden-audit status -o json | jq_py "[s for s in d if s.get('instance') == '$1'][0]$2" 2>/dev/null; }
inst_enforcing() { [ "$(instance_of kwtest "['state']")" = enforcing ]; }
kw_check "status lists net-filter --instance kwtest, enforcing" kw_poll 60 inst_enforcing
kw_expect "its own pins" 1 "$(kwarden-audit status -o json | jq_py "len([s for s in d if s['tool'] == 'net-filter' and s.get('instance') == 'kwtest'])")"
kw_expect "its own daemon" "$(systemctl show -p MainPID --value kwtest-nf)" "$(instance_of kwtest "['pid']")"
kw_expect "the default instance apart, with its own daemon" "$(systemctl show -p MainPID --value kwarden-net-filter)" \
	"$(kwarden-audit status -o json | jq_py "[s for s in d if s['tool'] == 'net-filter' and 'instance' not in s][0]['pid']")"
kw_check "status text: a section for the instance" bash -c 'kwarden-audit status | grep -q "^net-filter --instance kwtest: enforcing"'
kw_succeeds "net-filter stop --instance kwtest" net-filter stop --instance kwtest
inst_stopped() { [ "$(instance_of kwtest "['state']")" = stopped ]; }
kw_check "status: the instance stopped, the default still enforcing" kw_poll 30 inst_stopped
kw_expect "status net-filter (default)" enforcing \
	"$(kwarden-audit status -o json | jq_py "[s for s in d if s['tool'] == 'net-filter' and 'instance' not in s][0]['state']")"
ip netns del kwtest
kwarden-audit status
kill $holder 2>/dev/null

kw_section "systemd-analyze security"
for t in $TOOLS; do
	score=$(systemd-analyze security --no-pager kwarden-$t.service 2>/dev/null | sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p')
	limit=$(sed -n "s/^| \`kwarden-$t.service\` | \([0-9.]*\) |.*/\1/p" $X/units.md)
	if [ -z "$score" ] || [ -z "$limit" ]; then
		kw_fail "kwarden-$t: no score ('$score') or no line in docs/units.md ('$limit')"
	else
		kw_check "kwarden-$t exposure $score <= $limit (docs/units.md)" awk -v s="$score" -v l="$limit" 'BEGIN { exit !(s <= l) }'
	fi
done

kw_section "fleet: systemd-journal-upload to systemd-journal-remote over localhost (docs/fleet.md)"
systemctl unmask --quiet systemd-journal-remote.socket systemd-journal-remote.service systemd-journal-upload.service
mkdir -p /etc/systemd/system/systemd-journal-remote.service.d
printf '[Service]\nExecStart=\nExecStart=/lib/systemd/systemd-journal-remote --listen-http=-3 --output=/var/log/journal/remote/\n' \
	> /etc/systemd/system/systemd-journal-remote.service.d/http.conf
printf '[Upload]\nURL=http://127.0.0.1:19532\n' > /etc/systemd/journal-upload.conf
systemctl daemon-reload
kw_succeeds "collector: systemd-journal-remote.socket" systemctl start systemd-journal-remote.socket
kw_succeeds "host: systemd-journal-upload" systemctl start systemd-journal-upload
local_n=$(kwarden-audit report --rule kwtest-secret -o json | jq_py 'sum(g["count"] for g in d["groups"])')
remote_n() { kwarden-audit report --directory /var/log/journal/remote --rule kwtest-secret -o json 2>/dev/null |
	jq_py 'sum(g["count"] for g in d["groups"])' 2>/dev/null; }
arrived() { [ "$(remote_n)" = "$local_n" ]; }
kw_check "the denials arrive at the collector: kwarden-audit --directory counts $local_n, as locally" kw_poll 120 arrived
[ "$(remote_n)" = "$local_n" ] || { echo "collector has: $(remote_n)"; ls -la /var/log/journal/remote; journalctl -u systemd-journal-upload -u systemd-journal-remote --no-pager | tail; }
kw_expect "--by host names the sending host" "$(hostname)" \
	"$(kwarden-audit report --directory /var/log/journal/remote --rule kwtest-secret --by host -o json | jq_py 'd["groups"][0]["host"]')"
kwarden-audit report --directory /var/log/journal/remote --by host,rule,exe
systemctl stop systemd-journal-upload systemd-journal-remote.socket systemd-journal-remote

kw_section "dpkg -r, dpkg -P"
kw_succeeds "dpkg -r kwarden" dpkg -r kwarden
kw_check "nothing under /sys/fs/bpf/kwarden" test ! -e /sys/fs/bpf/kwarden
[ ! -e /sys/fs/bpf/kwarden ] || ls -laR /sys/fs/bpf/kwarden
# systemd's own programs for the units' cgroups (DevicePolicy=, IPAddressDeny=:
# sd_devices, sd_fw_*) go when the kernel releases a dead cgroup, which can lag.
# Ours go when the last pin and fd do, but a link's programs are freed after an
# RCU grace period, which under TCG can take a moment: poll.
ours_left() {
	ids > /tmp/ids.after
	left=
	while read -r kind id; do
		name=$(bpftool $kind show id $id 2>/dev/null | sed -n '1s/.* name \([^ ]*\).*/\1/p')
		case $name in
		sd_*) ;;
		*) left="$left$kind $id ${name:-?}; " ;;
		esac
	done < <(comm -12 /tmp/ids.ours /tmp/ids.after)
	[ -z "$left" ]
}
kw_poll 30 ours_left || true
kw_expect "no program, map or link of ours left" "" "$left"
for k in prog map link; do
	kw_succeeds "bpftool $k show works (nothing guarded left)" bpftool $k show
done
for t in $TOOLS; do
	kw_expect "kwarden-$t gone" inactive "$(systemctl is-active kwarden-$t 2>&1)"
done
kw_check "remove keeps the rules" test -f /etc/kwarden/frtp.yaml
kw_succeeds "dpkg -P kwarden" dpkg -P kwarden
kw_check "purge removes /etc/kwarden" test ! -e /etc/kwarden
kw_check "purge removes /var/lib/kwarden" test ! -e /var/lib/kwarden
kw_check "purge removes the enablement" bash -c '! ls /etc/systemd/system/*.wants/kwarden-* 2>/dev/null'
kw_done
