#!/bin/bash
# trace-file on the host kernel: every operation appears with the right path
# (relative, dirfd-relative, through a symlink), flags, bytes and result; the
# filters (--path, --pid, --comm, --ops, --failed, --uid) exclude what they
# should; JSON lines parse. Needs root. Exit 0 pass, 1 fail, 77 skip.
set -u
. "$(dirname "$0")/../lib.sh"
bin=${KW_BIN:-$(dirname "$0")/../../build/bin}/trace-file
src=${KW_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
[ "$(id -u)" = 0 ] || kw_skip "needs root (BPF)"
[ -x "$bin" ] || kw_skip "$bin not built"
command -v python3 >/dev/null || kw_skip "needs python3"

export KW_TF_WORK=$(mktemp -d /tmp/kw-trace-file.XXXXXX)
work=$KW_TF_WORK
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/d" "$work/other"

# start NAME ARGS...: runs trace-file in the background, waits until it traces.
start() {
	local name=$1; shift
	"$bin" -o json "$@" > "$work/$name.json" 2> "$work/$name.err" &
	pids+=($!)
	eval "${name}_pid=$!"
	for _ in $(seq 300); do
		grep -q "tracing" "$work/$name.err" 2>/dev/null && return 0
		kill -0 "$!" 2>/dev/null || break
		sleep 0.1
	done
	kw_fail "trace-file $name did not start: $(cat "$work/$name.err")"; kw_done
}
stop_all() {
	for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" || { kw_fail "trace-file exited $?"; kw_done; }; done
	pids=()
}

# A parent whose descendants --pid must see: it waits for "go", then runs the workload.
mkfifo "$work/go"
(read -r _ < "$work/go"; exec python3 "$src/test/host/trace_file_ops.py" "$work/d") &
tree=$!

start all --path "$work/d"
start filt --path "$work/d" --ops open,unlink --failed --comm python3
start tree --pid "$tree" --path "$work"
start nobody --path "$work/d" --uid 4242

echo go > "$work/go"
wait "$tree" || { kw_fail "workload failed"; kw_done; }
# Outside the --pid tree and outside --path "$work/d".
python3 - "$work/other" <<'EOF'
import os, sys
with open(os.path.join(sys.argv[1], "outside.txt"), "w") as f:
    f.write("x")
try:
    open(os.path.join(sys.argv[1], "missing"))
except OSError:
    pass
EOF
sleep 1.5
stop_all

python3 - "$work" <<'EOF'
import json, os, sys
work = sys.argv[1]
d = os.path.join(work, "d")
fail = []

def load(name):
    out = []
    with open(os.path.join(work, name + ".json")) as f:
        for n, line in enumerate(f, 1):
            try:
                out.append(json.loads(line))
            except ValueError as e:
                fail.append(f"{name}.json line {n} is not JSON: {e}: {line[:100]!r}")
    return out

allev = load("all")
def find(op, path, **kw):
    for e in allev:
        if e.get("operation") == op and e.get("path") == path and all(e.get(k) == v for k, v in kw.items()):
            return e
    fail.append(f"missing: {op} {path} {kw}")
    return None

P = lambda *c: os.path.join(d, *c)
e = find("open", P("rel.txt"), flags="O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC", mode="0640", path_source="file")
if e and not (e["fd"] >= 0 and e["result"] == "ok" and e["latency_ns"] > 0 and e["subject_comm"] == "python3"
              and e["subject_exe"].split("/")[-1].startswith("python3") and e["subject_pid"] > 0
              and "subject_ppid" in e and "subject_uid" in e):
    fail.append(f"open record incomplete: {e}")
find("write", P("rel.txt"), bytes=11, bytes_requested=11)
find("read", P("rel.txt"), bytes=11)
find("close", P("rel.txt"), result="ok")
find("mkdir", P("sub"), mode="0750")
# dirfd-relative (python dir_fd=): the real directory + the name.
find("open", P("sub", "at.txt"), flags="O_WRONLY|O_CREAT|O_CLOEXEC", mode="0600")
find("pwrite" if False else "write", P("sub", "at.txt"), bytes=100, syscall="pwrite64")
find("write", P("sub", "at.txt"), bytes=6, syscall="writev")
# through a symlink: open resolves to the real file.
find("open", P("sub", "at.txt"), flags="O_RDONLY|O_CLOEXEC")
find("read", P("sub", "at.txt"), bytes=106)
find("symlink", P("lnk"), target="sub")
find("chmod", P("rel.txt"), mode="0600")
find("chown", P("rel.txt"), owner=0, group=0)
find("truncate", P("rel.txt"), length=3)
find("truncate", P("sub", "at.txt"), length=1, syscall="ftruncate")
find("link", P("rel.txt"), new_path=P("hard.txt"))
find("rename", P("hard.txt"), new_path=P("sub", "moved.txt"), syscall="renameat")
find("unlink", P("sub", "moved.txt"), syscall="unlinkat", path_source="dir")
find("open", P("nope", "missing"), result="ENOENT", errno=2, path_source="string")
find("unlink", P("nofile"), result="ENOENT")
find("rmdir", P("sub", "empty"), syscall="unlinkat", flags="AT_REMOVEDIR")
find("rmdir", P("sub", "empty2"), syscall="rmdir")
find("unlink", P("lnk"))
find("mkdir", P("sub"), result="EEXIST")
if any(e.get("path", "").startswith(os.path.join(work, "other")) for e in allev):
    fail.append("--path leaked an event from outside the prefix")
if any(not (e.get("path", "") + "/").startswith(d + "/") and not e.get("new_path", "").startswith(d) for e in allev):
    fail.append("--path: an event outside " + d + ": " + str([e["path"] for e in allev if not e.get("path", "").startswith(d)][:3]))

filt = load("filt")
if not filt:
    fail.append("--failed --ops open,unlink --comm python3 saw nothing")
for e in filt:
    if e["operation"] not in ("open", "unlink") or e["result"] == "ok" or e["subject_comm"] != "python3":
        fail.append(f"filters let through: {e['operation']} {e['result']} {e['subject_comm']}")
paths = {(e["operation"], e["path"]) for e in filt}
for want in [("open", P("nope", "missing")), ("unlink", P("nofile"))]:
    if want not in paths:
        fail.append(f"--failed missed {want}")

tree = load("tree")
if not any(e["path"] == P("rel.txt") for e in tree):
    fail.append("--pid missed the descendant's operations")
if any("other" in e["path"] for e in tree):
    fail.append("--pid let through a process outside the tree")

if load("nobody"):
    fail.append("--uid 4242 let events through")

for f in fail:
    print("FAIL:", f)
print(f"{len(allev)} events checked, {len(fail)} failures")
sys.exit(1 if fail else 0)
EOF
kw_check "every operation, path, flag and filter as expected (the checks above)" test $? = 0
for n in all filt tree nobody; do
	if grep -q "lost" "$work/$n.err" && ! grep -q ", 0 lost" "$work/$n.err"; then
		kw_fail "$n lost events: $(cat "$work/$n.err")"
	else
		kw_pass "$n lost no events"
	fi
done
kw_done
