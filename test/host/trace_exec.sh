#!/bin/bash
# trace-exec on the host kernel: capture, argv, failures, ancestry, filters.
set -u
. "$(dirname "$0")/../lib.sh"
BIN=${KW_BIN:-$(dirname "$0")/../../build/bin}
[ "$(id -u)" -eq 0 ] || kw_skip "needs root to load BPF programs"
[ -e /sys/kernel/btf/vmlinux ] || kw_skip "kernel has no BTF"
T=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$T"' EXIT

# start_tracer NAME ARGS...: runs trace-exec in the background until ready.
start_tracer() {
	local name=$1; shift
	"$BIN/trace-exec" "$@" >"$T/$name.out" 2>"$T/$name.err" &
	echo $! >"$T/$name.pid"
	if ! kw_wait_for "$T/$name.err" "tracing execs" 30; then
		grep -q "cannot run on this kernel" "$T/$name.err" && kw_skip "$(cat "$T/$name.err")"
		kw_fail "trace-exec $name did not start"; kw_done
	fi
}
stop_tracer() { kill -INT "$(cat "$T/$1.pid")"; wait "$(cat "$T/$1.pid")"; }

M=kwmark$$
start_tracer all -o json
bash -c "sh -c '/bin/true $M; :'; :"
/nonexistent-$M arg1 2>/dev/null
( cd /tmp && ln -sf /bin/true "$T/via-link" && "$T/via-link" "$M-link" )
stop_tracer all
kw_check "trace-exec exits cleanly on SIGINT" test $? -eq 0

python3 - "$T/all.out" "$M" <<'PY' && kw_pass "json events: argv, exe, failure, ancestry chain" || kw_fail "json events (see above)"
import json, sys, re
path, m = sys.argv[1], sys.argv[2]
evs = [json.loads(l) for l in open(path)]
def find(pred):
    r = [e for e in evs if pred(e)]
    assert r, "no event matched"
    return r[0]
bash = find(lambda e: e.get("exe", "").endswith("/bash") and m in " ".join(e["argv"]))
sh = find(lambda e: e["argv"][:2] == ["sh", "-c"] and m in e["argv"][2])
true = find(lambda e: e["argv"] == ["/bin/true", m])
assert true["exe"] in ("/usr/bin/true", "/bin/true"), true["exe"]
assert true["result"] == "ok"
want = f"bash({bash['subject_pid']}) > sh({sh['subject_pid']}) > true({true['subject_pid']})"
assert true["subject_ancestry"].endswith(want), (true["subject_ancestry"], want)
assert true["subject_ppid"] == sh["subject_pid"]
fail = find(lambda e: e["filename"] == "/nonexistent-" + m)
assert fail["result"] == "ENOENT" and fail["errno"] == 2 and fail["argv"] == ["/nonexistent-" + m, "arg1"], fail
link = find(lambda e: e["argv"][-1:] == [m + "-link"])
# The kernel object executed, not the symlink string.
assert link["exe"] in ("/usr/bin/true", "/bin/true"), link["exe"]
assert link["filename"].endswith("/via-link")
assert link["cwd"] == "/tmp", link["cwd"]
print("ancestry:", true["subject_ancestry"])
PY

# --uid: only the given user's execs.
start_tracer uid -o json --uid 65534
/bin/echo "root-$M" >/dev/null
setpriv --reuid=65534 --regid=65534 --clear-groups /bin/echo "nobody-$M" >/dev/null
stop_tracer uid
kw_check "--uid keeps the user's exec" grep -q "nobody-$M" "$T/uid.out"
kw_check "--uid drops other users' execs" bash -c "! grep -q 'root-$M' '$T/uid.out'"

# --pid: a process and its descendants only.
mkfifo "$T/go"
bash -c "read x < '$T/go'; bash -c '/bin/echo inside-$M' >/dev/null" &
sub=$!
start_tracer pid -o json --pid "$sub"
/bin/echo "outside-$M" >/dev/null
echo go >"$T/go"; wait "$sub"
stop_tracer pid
kw_check "--pid keeps descendants" grep -q "inside-$M" "$T/pid.out"
kw_check "--pid drops others" bash -c "! grep -q 'outside-$M' '$T/pid.out'"

# --failed and --comm.
start_tracer failed -o json --failed
/bin/echo "ok-$M" >/dev/null; /nonexistent2-$M 2>/dev/null
stop_tracer failed
kw_check "--failed keeps failures" grep -q "nonexistent2-$M" "$T/failed.out"
kw_check "--failed drops successes" bash -c "! grep -q 'ok-$M' '$T/failed.out'"

# --tree: descendants indented under their parent.
start_tracer tree --tree
bash -c "bash -c '/bin/echo tree-$M; :' >/dev/null; :"
stop_tracer tree
kw_check "--tree indents a child under its parent" grep -qE "^ +└ echo\([0-9]+\) /bin/echo tree-$M" "$T/tree.out"

# Bad config: exit 3 with file:line:column.
printf 'uid: 10\ncommm: x\n' >"$T/bad.yaml"
"$BIN/trace-exec" --check --rules "$T/bad.yaml" 2>"$T/bad.err"; rc=$?
kw_check "--check rejects a bad config with exit 3" test $rc -eq 3
kw_check "the error names file:line:column and a fix" grep -q "bad.yaml:2:1: unknown key 'commm'.*" "$T/bad.err"
kw_check "the hint suggests the right key" grep -q "did you mean 'comm'" "$T/bad.err"
kw_done
