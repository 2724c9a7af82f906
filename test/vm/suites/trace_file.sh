#!/bin/bash
# trace-file in the VM: the foreground tool (every operation with its path,
# flags, bytes and result; filters; JSON lines parse) and the systemd unit
# read back from journald (journalctl -t trace-file -o json), reload refusing
# a bad config.
set -u
. /kwarden-vmtest/lib.sh  # test/lib.sh, shipped by test/vm/run

W=/tmp/kwvm-tf
rm -rf "$W"; mkdir -p "$W/d" "$W/other"

cat > "$W/ops.py" <<'PY'
import os, sys
d = sys.argv[1]
os.chdir(d)
os.umask(0)
fd = os.open("rel.txt", os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o640)
os.write(fd, b"hello world")
os.close(fd)
with open("rel.txt", "rb") as f:
    f.read()
os.mkdir("sub", 0o750)
dfd = os.open("sub", os.O_RDONLY | os.O_DIRECTORY)
fd = os.open("at.txt", os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o600, dir_fd=dfd)
os.write(fd, b"x" * 100)
os.close(fd)
os.symlink("sub", "lnk")
with open("lnk/at.txt", "rb") as f:
    f.read()
os.chmod("rel.txt", 0o600)
os.chown("rel.txt", 0, 0)
os.truncate("rel.txt", 3)
os.link("rel.txt", "hard.txt")
os.rename("hard.txt", "moved.txt", dst_dir_fd=dfd)
os.unlink("moved.txt", dir_fd=dfd)
try:
    open("nope/missing")
except OSError:
    pass
os.unlink("lnk")
PY

# start NAME ARGS...: trace-file in the background, JSON to $W/NAME.json.
start() {
	local name=$1; shift
	trace-file -o json "$@" > "$W/$name.json" 2> "$W/$name.err" &
	eval "${name}_pid=$!"
	for _ in $(seq 600); do
		grep -q tracing "$W/$name.err" 2>/dev/null && return 0
		sleep 0.1
	done
	kw_fail "trace-file $name did not start: $(cat "$W/$name.err")"
}

start all --path "$W/d"
start failed --path "$W/d" --failed --ops open
python3 "$W/ops.py" "$W/d"
python3 -c "open('$W/other/out.txt', 'w').write('x')"
sleep 2
kill -INT "$all_pid" "$failed_pid"
wait "$all_pid" "$failed_pid"

python3 - "$W" <<'PY' && kw_pass "every operation with its path, flags, bytes and result; filters hold" || kw_fail "foreground trace (see above)"
import json, os, sys
w = sys.argv[1]
d = os.path.join(w, "d")
def load(n):
    return [json.loads(l) for l in open(os.path.join(w, n + ".json"))]  # each line must parse
ev = load("all")
bad = []
def want(op, path, **kw):
    if not any(e.get("operation") == op and e.get("path") == path and all(e.get(k) == v for k, v in kw.items()) for e in ev):
        bad.append(f"missing {op} {path} {kw}")
P = lambda *c: os.path.join(d, *c)
want("open", P("rel.txt"), flags="O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC", mode="0640", result="ok")
want("write", P("rel.txt"), bytes=11)
want("read", P("rel.txt"), bytes=11)
want("close", P("rel.txt"))
want("mkdir", P("sub"), mode="0750")
want("open", P("sub", "at.txt"), mode="0600")          # dir_fd=
want("write", P("sub", "at.txt"), bytes=100)
want("read", P("sub", "at.txt"), bytes=100)            # opened through the symlink
want("symlink", P("lnk"), target="sub")
want("chmod", P("rel.txt"), mode="0600")
want("chown", P("rel.txt"), owner=0, group=0)
want("truncate", P("rel.txt"), length=3)
want("link", P("rel.txt"), new_path=P("hard.txt"))
want("rename", P("hard.txt"), new_path=P("sub", "moved.txt"))
want("unlink", P("sub", "moved.txt"))
want("open", P("nope", "missing"), result="ENOENT")
want("unlink", P("lnk"))
if any("other" in e["path"] for e in ev):
    bad.append("--path let through a file outside the prefix")
for e in ev:
    if not (e["latency_ns"] > 0 and e["subject_pid"] > 0 and "subject_exe" in e and e["time"]):
        bad.append(f"incomplete record {e}")
        break
f = load("failed")
if not f or any(e["operation"] != "open" or e["result"] == "ok" for e in f):
    bad.append(f"--failed --ops open: {[(e['operation'], e['result']) for e in f]}")
for b in bad:
    print("  ", b)
print(f"{len(ev)} events")
sys.exit(1 if bad else 0)
PY

# --- the systemd unit, read back from journald
cp /etc/kwarden/trace-file.yaml "$W/orig.yaml"
cat > /etc/kwarden/trace-file.yaml <<EOF
paths: [$W/svc]
EOF
mkdir -p "$W/svc"
kw_check "unit starts (Type=notify)" systemctl start kwarden-trace-file.service
kw_check "unit is active" systemctl is-active --quiet kwarden-trace-file.service
M=kwvm$$
python3 -c "
import os
open('$W/svc/$M.txt', 'w').write('hello')
os.rename('$W/svc/$M.txt', '$W/svc/$M.moved')
os.unlink('$W/svc/$M.moved')"
sleep 2
echo "ops: [bogus]" > /etc/kwarden/trace-file.yaml
systemctl reload kwarden-trace-file.service
sleep 1
kw_check "a bad config on reload leaves the unit running" systemctl is-active --quiet kwarden-trace-file.service
kw_check "the reload failure is logged" bash -c "journalctl -u kwarden-trace-file --no-pager | grep -q 'reload failed'"
journalctl -t trace-file -o json --no-pager > "$W/journal.json"
python3 - "$W/journal.json" "$W/svc" "$M" <<'PY' && kw_pass "journald records carry path, operation, result and subject fields" || kw_fail "journald records (see above)"
import json, sys
path, svc, m = sys.argv[1:]
recs = [json.loads(l) for l in open(path)]
fe = [r for r in recs if r.get("KWARDEN_EVENT", r.get("EVENT")) == "file" or "OPERATION" in r]
def one(op, p):
    for r in fe:
        if r.get("OPERATION") == op and r.get("PATH") == p:
            return r
    raise SystemExit(f"no journald record for {op} {p}; {len(fe)} file records")
o = one("open", f"{svc}/{m}.txt")
assert o["MESSAGE_ID"] == "3c8f5a1e9b2d4c60a7e1f03d5b9c4a11", o["MESSAGE_ID"]
assert o["SYSLOG_IDENTIFIER"] == "trace-file"
assert o["RESULT"] == "ok" and o["SUBJECT_COMM"] == "python3", o
assert o["OBJECT_PID"] == o["SUBJECT_PID"]
r = one("rename", f"{svc}/{m}.txt")
assert r["NEW_PATH"] == f"{svc}/{m}.moved", r
one("unlink", f"{svc}/{m}.moved")
one("write", f"{svc}/{m}.txt")
print("MESSAGE:", o["MESSAGE"])
PY
kw_check "unit stops cleanly" systemctl stop kwarden-trace-file.service
kw_check "stopped without failure" bash -c "! systemctl is-failed --quiet kwarden-trace-file.service"
cp "$W/orig.yaml" /etc/kwarden/trace-file.yaml
journalctl -u kwarden-trace-file --no-pager | tail -5
kw_done
