#!/bin/bash
# trace-exec in the VM as an operator runs it: the systemd unit, read back
# from journald.
set -u
. /kwarden-vmtest/lib.sh  # test/lib.sh, shipped by test/vm/run

M=kwvm$$
kw_check "unit starts (Type=notify reached READY)" systemctl start kwarden-trace-exec.service
kw_check "unit is active" systemctl is-active --quiet kwarden-trace-exec.service
bash -c "sh -c '/bin/true $M; :'; :"
/nonexistent-$M 2>/dev/null
kw_check "systemctl reload keeps it running" systemctl reload kwarden-trace-exec.service
sleep 1
kw_check "still active after reload" systemctl is-active --quiet kwarden-trace-exec.service
sleep 2
journalctl -t trace-exec -o json --no-pager >/tmp/te.json
python3 - /tmp/te.json "$M" <<'PY' && kw_pass "journald records carry the field vocabulary and ancestry" || kw_fail "journald records (see above)"
import json, sys
path, m = sys.argv[1], sys.argv[2]
recs = [json.loads(l) for l in open(path)]
execs = [r for r in recs if r.get("KWARDEN_EVENT") == "exec"]
true = [r for r in execs if r.get("ARGV") == f"/bin/true {m}"]
assert true, f"no journald record for /bin/true {m}; {len(execs)} exec records"
t = true[0]
assert t["MESSAGE_ID"] == "6b1d0c9e4f3a4e57a0f2c4d8e1b7a901", t["MESSAGE_ID"]
assert t["SYSLOG_IDENTIFIER"] == "trace-exec"
assert t["OBJECT_PID"] == t["SUBJECT_PID"]
assert t["EXE"] in ("/usr/bin/true", "/bin/true"), t["EXE"]
assert t["SUBJECT_ANCESTRY"].split(" > ")[-3].startswith("bash("), t["SUBJECT_ANCESTRY"]
assert t["SUBJECT_ANCESTRY"].split(" > ")[-2].startswith("sh("), t["SUBJECT_ANCESTRY"]
assert t["SUBJECT_UNIT"], "no unit for the subject"
f = [r for r in execs if r.get("FILENAME") == f"/nonexistent-{m}"]
assert f and f[0]["RESULT"] == "ENOENT" and f[0]["MESSAGE_ID"].endswith("902"), f
print("ancestry:", t["SUBJECT_ANCESTRY"], "| unit:", t["SUBJECT_UNIT"])
PY
kw_check "unit stops cleanly" systemctl stop kwarden-trace-exec.service
kw_check "stopped without failure" bash -c "! systemctl is-failed --quiet kwarden-trace-exec.service"
journalctl -u kwarden-trace-exec --no-pager | tail -5
kw_done
