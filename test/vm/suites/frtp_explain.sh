#!/bin/bash
# frtp explain agrees with the kernel (issue 9): random policies over random
# directory trees, random accesses by random subjects (uids, gids, executables,
# systemd units); for every access, `frtp explain` is asked what should happen
# and the access is performed for real under a running frtp. A deny must fail
# with EACCES, allow and audit must not; audit, would-deny and deny records
# (rule names) must be the ones explain names, and nothing else is logged.
#
# How: the subjects are six long-running workers (setpriv uid/gid; copies of
# python3 as distinct executables; three of them inside systemd units, two of
# those in one slice) that perform the accesses they are sent over a socket, so
# an access costs no fork+exec (reads through a copy of cat and execs do).
# Each policy gets its own random tree on a tmpfs (dirs, files, executables,
# symlinks, a hardlink, names that do not exist yet, sometimes a chain deeper
# than frtp's 64-level walk), built once per access that changes it: every
# object is named in every copy, so one load serves all of them and each
# mutating access (create, unlink, rmdir, mkdir, rename, link, and the
# two-step ones: create then open, unlink + re-create then open, rename then
# open, link then open) starts from the state the policy was loaded with.
# frtp runs with -o json and is reloaded with SIGHUP for each policy; a read of
# a sentinel file under an audit rule marks the end of each policy's records.
# First steps are explained before their policy is in force (nothing moves
# until the accesses; explain's walk of the trees for hardlinks then reads
# them as the daemon's walk at load does). A later step is not asked, and is
# counted in a NOTE, only where docs/frtp.md says explain cannot know what
# the kernel has: rules or a hardlink chain the inode kept or took through a
# move, a link or a re-creation, or a walk the policy in force refused.
# Disagreements are printed with the seed, the policy, the access, explain's
# full output, the kernel's errno and the records, grouped by kind. About 10
# minutes under TCG on a busy 2-core machine (explain's start-up dominates).
#
# Reproduce a run: KWARDEN_TEST_SEED=N test/vm/run test/vm/suites/frtp_explain.sh
# (or pass seed=N as an argument). Other knobs (environment or NAME=VALUE args):
#   KWARDEN_TEST_POLICIES   random policies per run (default 20)
#   KWARDEN_TEST_ACCESSES   accesses per policy (default 30)
#   KWARDEN_TEST_ONLY       run only these policy numbers (e.g. 7 or 3,7): each
#                           policy is generated from (seed, number) alone
#   KWARDEN_TEST_MAX_REPORT disagreements printed in full (default 12)
#   KWARDEN_TEST_BUDGET     seconds after which no new policy starts (default
#                           660; raise KWARDEN_VM_TIMEOUT with it)
set -u
for a in "$@"; do
	case $a in
	seed=*) KWARDEN_TEST_SEED=${a#seed=} ;;
	KWARDEN_TEST_*=*) export "${a?}" ;;
	*) echo "usage: $0 [seed=N] [KWARDEN_TEST_...=V]"; exit 2 ;;
	esac
done
export KWARDEN_TEST_SEED=${KWARDEN_TEST_SEED:-$(( $(od -An -N4 -tu4 /dev/urandom) % 1000000 ))}

if [ "${KWARDEN_IN_VM:-0}" != 1 ]; then echo "SKIP: run me in the VM: test/vm/run $0"; exit 77; fi
. /kwarden-vmtest/lib.sh  # test/lib.sh, shipped by test/vm/run
kw_kernel_runs frtp || exit 77
command -v frtp >/dev/null || { echo "FAIL: frtp is not installed"; exit 1; }
grep -qw bpf /sys/kernel/security/lsm || { echo "SKIP: bpf is not in the LSM list: $(cat /sys/kernel/security/lsm)"; exit 77; }

R=/run/fx
rm -rf $R; mkdir -p $R /opt/fxbin /fx
chmod 755 $R /opt/fxbin
mountpoint -q /fx || mount -t tmpfs -o mode=0777,size=512m fx-tree /fx
PY=$(readlink -f /usr/bin/python3)
# Distinct executables (subjects are matched by file identity, not by name).
cp "$PY" /opt/fxbin/pyA; cp "$PY" /opt/fxbin/pyB; cp "$(readlink -f /usr/bin/cat)" /opt/fxbin/catA
chmod 755 /opt/fxbin/*

# ---------------------------------------------------------------- the worker
# One long-running process per subject: performs the accesses it is sent and
# answers with the outcome (errno), so no fork+exec per access.
cat > $R/worker.py <<'PY'
import json, os, socket, stat, subprocess, sys
os.umask(0)
name, sock = sys.argv[1], sys.argv[2]
CAT = "/opt/fxbin/catA"
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sock)
rf, wf = s.makefile("r"), s.makefile("w")
def send(o):
    wf.write(json.dumps(o) + "\n"); wf.flush()
send({"hello": name, "pid": os.getpid(), "uid": os.getuid(), "gid": os.getgid(),
      "fsuid": os.geteuid(), "exe": os.readlink("/proc/self/exe"),
      "cgroup": open("/proc/self/cgroup").read().strip()})
def do(a, p, q):
    if a == "read": os.close(os.open(p, os.O_RDONLY))
    elif a == "rdwr": os.close(os.open(p, os.O_RDWR))
    elif a == "write": os.close(os.open(p, os.O_WRONLY))
    elif a == "otrunc": os.close(os.open(p, os.O_WRONLY | os.O_TRUNC))
    elif a == "truncate": os.truncate(p, os.stat(p).st_size)
    elif a == "cat":
        r = subprocess.run([CAT, p], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        err = r.stderr.decode(errors="replace").strip()
        if r.returncode and "Permission denied" in err:
            return {"ok": False, "errno": 13, "err": err}
        return {"ok": True, "rc": r.returncode, "err": err}
    elif a == "exec":
        r = subprocess.run([p], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if r.returncode < 0:
            return {"ok": False, "rc": r.returncode, "err": f"killed by signal {-r.returncode}"}
        if r.returncode:
            return {"ok": False, "rc": r.returncode, "err": f"exit status {r.returncode}"}
    elif a == "mknod": os.mknod(p, 0o666 | stat.S_IFREG)
    elif a == "mkfifo": os.mkfifo(p, 0o666)
    elif a == "symlink": os.symlink(q, p)
    elif a == "unlink": os.unlink(p)
    elif a == "rmdir": os.rmdir(p)
    elif a == "mkdir": os.mkdir(p, 0o777)
    elif a == "rename": os.rename(p, q)
    elif a == "link": os.link(p, q, follow_symlinks=False)
    elif a == "chmod": os.chmod(p, stat.S_IMODE(os.stat(p).st_mode))
    elif a == "chown": os.chown(p, -1, -1)
    elif a == "lchown": os.lchown(p, -1, -1)
    else: return {"ok": False, "errno": -1, "err": "unknown action " + a}
    return {"ok": True}
for line in rf:
    req = json.loads(line)
    try:
        res = do(req["a"], req["p"], req.get("q"))
    except OSError as e:
        res = {"ok": False, "errno": e.errno, "err": f"{type(e).__name__}: {e.strerror}"}
    send(res)
PY

# ---------------------------------------------------------------- the controller
cat > $R/ctl.py <<'PY'
import json, os, random, re, shutil, signal, socket, subprocess, sys, time
from concurrent.futures import ThreadPoolExecutor

R = os.environ.get("KWARDEN_TEST_FX_RUN", "/run/fx")
FX = os.environ.get("KWARDEN_TEST_FX_TREE", "/fx")   # a tmpfs of its own
SEED = int(os.environ["KWARDEN_TEST_SEED"])
NPOL = int(os.environ.get("KWARDEN_TEST_POLICIES", "20"))
NACC = int(os.environ.get("KWARDEN_TEST_ACCESSES", "30"))
ONLY = [int(x) for x in os.environ.get("KWARDEN_TEST_ONLY", "").replace(",", " ").split()]
MAX_REPORT = int(os.environ.get("KWARDEN_TEST_MAX_REPORT", "12"))
# test/vm/run kills the VM 900 s after boot start (KWARDEN_VM_TIMEOUT): start
# no new policy after this many seconds.
BUDGET = float(os.environ.get("KWARDEN_TEST_BUDGET", "660"))
PY3 = os.path.realpath("/usr/bin/python3")
EXES = {"pyA": "/opt/fxbin/pyA", "pyB": "/opt/fxbin/pyB", "py3": PY3, "catA": "/opt/fxbin/catA"}
TRUE = os.path.realpath("/usr/bin/true")
FRTP_EXE = os.path.realpath(shutil.which("frtp"))
EACCES = 13

def log(*a):
    print(*a, flush=True)

# ---- subjects: (name, uid, gid, exe, unit, slice)
WORKERS = [
    ("W0", 0, 0, "py3", None, None),
    ("W1", 1000, 1000, "pyA", None, None),
    ("W2", 1500, 100, "pyB", None, None),
    ("W3", 2000, 1000, "pyA", "fxu1.service", "fxs"),
    ("W4", 0, 0, "pyB", "fxu2.service", "fxs"),
    ("W5", 1000, 1500, "py3", "fxu3.service", None),
]
UID_VALUES = ["0", "1000", "1500", "2000", "65534", "1000-1999", "0-999", "1001-65534", "1500-2000"]
GID_VALUES = ["0", "100", "1000", "1500", "100-1000", "1001-2000"]
EXE_VALUES = ["/opt/fxbin/pyA", "/opt/fxbin/pyB", PY3, "/usr/bin/python3", "/opt/fxbin/catA", "/opt/fxbin/missing"]
UNIT_VALUES = ["fxu1.service", "fxu2.service", "fxu3.service", "fxs.slice", "fxgone.service"]

class Worker:
    def __init__(self, spec, conn, hello):
        self.name, self.uid, self.gid, self.exe, self.unit, self.slice = spec
        self.conn, self.hello = conn, hello
        self.rf, self.wf = conn.makefile("r"), conn.makefile("w")
    def do(self, a, p, q=None):
        self.wf.write(json.dumps({"a": a, "p": p, "q": q}) + "\n"); self.wf.flush()
        line = self.rf.readline()
        if not line:
            raise RuntimeError(f"worker {self.name} died")
        return json.loads(line)
    def describe(self, exe=None):
        u = f" unit={self.unit}" if self.unit else ""
        return f"{self.name} uid={self.uid} gid={self.gid} exe={EXES[exe or self.exe]}{u}"

def start_workers():
    sp = f"{R}/ctl.sock"
    if os.path.exists(sp):
        os.unlink(sp)
    ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    ls.bind(sp); os.chmod(sp, 0o777); ls.listen(16); ls.settimeout(120)
    procs = []
    for spec in WORKERS:
        name, uid, gid, exe, unit, slc = spec
        cmd = ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups", EXES[exe], f"{R}/worker.py", name, sp]
        if unit:
            run = ["systemd-run", "--quiet", f"--unit={unit}", "-p", "Type=exec", "--collect"]
            if slc:
                run.append(f"--slice={slc}")
            subprocess.run(run + ["--"] + cmd, check=True)
        else:
            procs.append(subprocess.Popen(cmd, stdin=subprocess.DEVNULL))
    workers = {}
    while len(workers) < len(WORKERS):
        c, _ = ls.accept()
        hello = json.loads(c.makefile("r").readline())
        spec = next(s for s in WORKERS if s[0] == hello["hello"])
        workers[spec[0]] = Worker(spec, c, hello)
    for w in workers.values():
        h = w.hello
        exp_exe = EXES[w.exe]
        assert h["uid"] == w.uid and h["gid"] == w.gid and h["exe"] == exp_exe, f"worker {w.name}: {h}"
        if w.unit:
            assert w.unit in h["cgroup"], f"worker {w.name} is not in {w.unit}: {h['cgroup']}"
        log(f"subject {w.describe()} pid={h['pid']} cgroup={h['cgroup'].split(':')[-1]}")
    return [workers[s[0]] for s in WORKERS], procs

# ---- frtp
class Frtp:
    def __init__(self, policy):
        self.policy = policy
        self.out = open(f"{R}/frtp.out", "w+")
        self.err = open(f"{R}/frtp.err", "w+")
        self.p = subprocess.Popen(["frtp", "--rules", policy, "-o", "json"], stdout=self.out, stderr=self.err,
                                  stdin=subprocess.DEVNULL)
        self.pos = 0
        self.wait_err(lambda t: "enforcing" in t, "frtp to start enforcing")
    def err_text(self):
        with open(f"{R}/frtp.err", errors="replace") as f:
            return f.read()
    def wait_err(self, cond, what, timeout=60):
        end = time.time() + timeout
        while time.time() < end:
            t = self.err_text()
            if cond(t):
                return
            if self.p.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError(f"timed out waiting for {what}; frtp stderr:\n{self.err_text()[-3000:]}")
    def reload(self):
        n = self.err_text().count("policy reloaded")
        r = self.err_text().count("reload refused")
        self.p.send_signal(signal.SIGHUP)
        self.wait_err(lambda t: t.count("policy reloaded") > n or t.count("reload refused") > r, "policy reloaded")
        if self.err_text().count("reload refused") > r:
            raise RuntimeError("reload refused:\n" + self.err_text()[-2000:])
    def records_until(self, sentinel_path, timeout=15):
        """Records written since the last call, up to the sentinel's record."""
        end = time.time() + timeout
        buf = []
        while time.time() < end:
            with open(f"{R}/frtp.out", "rb") as f:
                f.seek(self.pos)
                data = f.read()
            lines = data.split(b"\n")
            consumed = 0
            for ln in lines[:-1]:
                consumed += len(ln) + 1
                try:
                    rec = json.loads(ln)
                except ValueError:
                    continue
                if rec.get("path") == sentinel_path and rec.get("rule") == "zz-sentinel":
                    self.pos += consumed
                    return buf
                buf.append(rec)
            buf = []
            time.sleep(0.1)
        raise RuntimeError(f"the sentinel record for {sentinel_path} never came; frtp stderr:\n{self.err_text()[-2000:]}")
    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGINT)
            try:
                self.p.wait(30)
            except subprocess.TimeoutExpired:
                self.p.kill()

# ---- random trees
STAGE = 0

class Tree:
    """A random directory tree, described relative to a copy's root."""
    def __init__(self, rng):
        self.dirs = [""]
        self.files, self.exes, self.ghosts = [], [], []
        self.links = {}   # symlink -> target (relative to the copy)
        self.hards = {}   # extra name -> first name
        self.chain_dirs, self.chain_file = [], None
        for i in range(rng.randint(4, 7)):
            parent = rng.choice([d for d in self.dirs if d.count("/") < 3])
            self.dirs.append(self.j(parent, f"d{i}"))
        for i in range(rng.randint(4, 8)):
            self.files.append(self.j(rng.choice(self.dirs), f"f{i}"))
        for i in range(rng.randint(1, 2)):
            self.exes.append(self.j(rng.choice(self.dirs), f"x{i}"))
        for i in range(rng.randint(1, 2)):
            self.ghosts.append(self.j(rng.choice(self.dirs), f"g{i}"))
        for i in range(rng.randint(0, 2)):
            self.links[self.j(rng.choice(self.dirs), f"l{i}")] = rng.choice(self.files + self.exes + self.dirs[1:])
        if rng.random() < 0.5:
            self.hards[self.j(rng.choice(self.dirs), "h0")] = rng.choice(self.files)
        if rng.random() < 0.3:
            # A chain deep enough to cross the kernel's 64-level dentry walk
            # bound: /fx is level N, so the chain's file sits at level 62..67.
            base = rng.choice([d for d in self.dirs if d.count("/") < 1])
            total = rng.randint(62, 67)            # levels from the file up to /fx
            used = 2 + (base.count("/") + 1 if base else 0) + 1   # pN, cK, base..., the file
            d = base
            for _ in range(total - 1 - used):
                d = self.j(d, "z")
                self.chain_dirs.append(d)
            self.chain_file = self.j(d, "zf")
    @staticmethod
    def j(a, b):
        return f"{a}/{b}" if a else b
    def build(self, root):
        os.makedirs(root, 0o777)
        os.chmod(root, 0o777)
        for d in self.dirs[1:]:
            os.mkdir(f"{root}/{d}", 0o777)
        for f in self.files:
            os.mknod(f"{root}/{f}", 0o666 | 0o100000)
        if self.chain_dirs:
            self.build_chain(root)
        for x in self.exes:
            shutil.copyfile(TRUE, f"{root}/{x}")
            os.chmod(f"{root}/{x}", 0o777)
        for l, t in self.links.items():
            os.symlink(os.path.relpath(f"{root}/{t}", os.path.dirname(f"{root}/{l}")), f"{root}/{l}")
        for h, t in self.hards.items():
            os.link(f"{root}/{t}", f"{root}/{h}")
    def build_chain(self, root):
        # frtp fails closed below 64 levels whatever the policy says, so the
        # chain is built in two shallow halves and moved into place (a rename
        # checks the names it moves, not what is below them).
        global STAGE
        STAGE += 1
        a, b = f"{FX}/stage{STAGE}a", f"{FX}/stage{STAGE}b"
        n = len(self.chain_dirs)
        half = n // 2
        low = a + "/z" * (n - half)
        os.makedirs(low, 0o777)
        os.mknod(f"{low}/zf", 0o666 | 0o100000)
        up = b + "/z" * half
        os.makedirs(up, 0o777)
        os.rename(f"{a}/z", f"{up}/z")
        os.rename(f"{b}/z", f"{root}/{self.chain_dirs[0]}")
        os.rmdir(a); os.rmdir(b)
        assert os.path.exists(f"{root}/{self.chain_file}"), self.chain_file
    def resolve(self, rel):
        """Where a path leads when the last component is followed."""
        return self.links.get(rel, rel)
    def kind(self, rel):
        rel = self.resolve(rel)
        if rel in self.dirs or rel in self.chain_dirs: return "dir"
        if rel in self.exes: return "exe"
        return "file"
    def existing(self):
        return self.dirs[1:] + self.files + self.exes + list(self.links) + list(self.hards) + \
            (rng_pick_chain(self) if self.chain_dirs else [])

def rng_pick_chain(t):
    # A few names on the deep chain: its top, middle, end and file.
    c = t.chain_dirs
    return [c[0], c[len(c) // 2], c[-1], t.chain_file]

# ---- random policies
OPS = ["read", "write", "exec", "create", "unlink", "rmdir", "mkdir", "rename", "link", "chmod", "chown"]

def gen_matcher(rng):
    m = {}
    keys = rng.sample(["uid", "gid", "exe", "unit"], rng.choice([1, 1, 1, 2, 2, 3]))
    for k in keys:
        vals = {"uid": UID_VALUES, "gid": GID_VALUES, "exe": EXE_VALUES, "unit": UNIT_VALUES}[k]
        v = rng.sample(vals, rng.choice([1, 1, 2]))
        m[k] = v[0] if len(v) == 1 and rng.random() < 0.6 else v
    return m

def gen_policy(rng, t):
    pol = {"mode": rng.choice(["enforce"] * 4 + ["audit", None]),
           "default": rng.choice(["deny", "allow", None, "deny"]), "rules": []}
    pool_dirs = t.dirs + t.chain_dirs[::7] + ([t.chain_dirs[-1]] if t.chain_dirs else [])
    hot = rng.sample(t.existing(), min(3, len(t.existing())))   # objects several rules share
    nrules = rng.randint(1, 8)
    for i in range(nrules):
        objs = []
        for _ in range(rng.choice([1, 1, 2, 2, 3])):
            r = rng.random()
            if r < 0.3:
                rel = rng.choice(hot)
                objs.append(("tree" if t.kind(rel) == "dir" and rng.random() < 0.7 else "file", rel))
            elif r < 0.6:
                objs.append(("tree", rng.choice(pool_dirs)))
            elif r < 0.9:
                objs.append(("file", rng.choice(t.existing())))
            else:
                objs.append(("file", rng.choice(t.ghosts)))
        if t.chain_dirs and rng.random() < 0.15:
            # Many nested objects on one path: more than 8 fails closed.
            for d in rng.sample(t.chain_dirs, min(len(t.chain_dirs), rng.randint(3, 9))):
                objs.append(("tree", d))
        if rng.random() < 0.1:
            ops = "all"
        else:
            ops = rng.sample(OPS, rng.choice([1, 1, 2, 3, 4]))
        rule = {"name": f"r{i}", "objects": objs, "operations": ops,
                "action": rng.choice(["deny", "deny", "allow", "allow", "audit", "audit"])}
        if rng.random() < 0.2:
            rule["mode"] = rng.choice(["audit", "enforce"])
        if rng.random() < 0.5:
            rule["subjects"] = [gen_matcher(rng) for _ in range(rng.choice([1, 1, 2]))]
        if rng.random() < 0.3:
            rule["except"] = [gen_matcher(rng) for _ in range(rng.choice([1, 1, 2]))]
        pol["rules"].append(rule)
    return pol

def render(pol, rng, copies, sentinel):
    """The YAML text; each object is named in every copy of the tree."""
    L = []
    if pol["mode"]: L.append(f"mode: {pol['mode']}")
    if pol["default"]: L.append(f"default: {pol['default']}")
    L.append("rules:")
    def val(v):
        if isinstance(v, list):
            return "[" + ", ".join(str(x) for x in v) + "]"
        return str(v)
    def matchers(ms):
        if len(ms) == 1 and rng.random() < 0.5:
            return "{" + ", ".join(f"{k}: {val(v)}" for k, v in ms[0].items()) + "}"
        return "[" + ", ".join("{" + ", ".join(f"{k}: {val(v)}" for k, v in m.items()) + "}" for m in ms) + "]"
    for r in pol["rules"]:
        L.append(f"  - name: {r['name']}")
        L.append("    objects:")
        for kind, rel in r["objects"]:
            style = rng.random()
            if not MAP_OBJECTS:
                style = 0
            for c in copies:
                p = f"{c}/{rel}" if rel else c
                if kind == "tree":
                    L.append(f"      - {p}/**" if style < 0.6 else f"      - {{tree: {p}}}")
                else:
                    L.append(f"      - {p}" if style < 0.6 else f"      - {{file: {p}}}")
        ops = r["operations"]
        L.append(f"    operations: {ops if ops == 'all' else (ops[0] if len(ops) == 1 and rng.random() < 0.5 else val(ops))}")
        for k in ("subjects", "except"):
            if k in r:
                L.append(f"    {k}: {matchers(r[k])}")
        L.append(f"    action: {r['action']}")
        if "mode" in r:
            L.append(f"    mode: {r['mode']}")
    # Marks the end of a policy's records in frtp's output (see records_until).
    L += ["  - name: zz-sentinel", f"    objects: [{sentinel}]", "    operations: read", "    action: audit"]
    return "\n".join(L) + "\n"

def map_objects_accepted():
    """docs/frtp.md documents {tree: P} and {file: P} objects; use them if frtp takes them."""
    p = f"{R}/map-objects.yaml"
    with open(p, "w") as f:
        f.write("rules:\n  - name: m\n    objects:\n      - {tree: /tmp}\n      - {file: /tmp}\n"
                "    operations: read\n    action: audit\n")
    r = subprocess.run(["frtp", "--check", "--rules", p], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode:
        log("NOTE: frtp rejects the {tree: P} / {file: P} object forms docs/frtp.md documents "
            f"({r.stdout.strip()}); this run names objects as P and P/** only")
    return r.returncode == 0

MAP_OBJECTS = True

def describe_policy(pol):
    """Compact: the rules over one copy (relative paths)."""
    out = [f"mode: {pol['mode'] or '(enforce)'}, default: {pol['default'] or '(allow)'}"]
    for r in pol["rules"]:
        objs = ", ".join(f"{rel}/**" if k == "tree" else rel for k, rel in r["objects"])
        extra = "".join(f" {k}={r[k]}" for k in ("subjects", "except", "mode") if k in r)
        out.append(f"  {r['name']}: {r['action']} {r['operations']} on [{objs}]{extra}")
    return "\n".join(out)

# ---- random accesses
# An access is a list of steps; each step is one action by one subject and the
# checks (operation, path, follow-the-last-symlink) the kernel makes for it, in
# the kernel's order (the first deny stops it).
MUTATING = {"create", "unlink", "rmdir", "mkdir", "rename", "link", "replace", "create-open", "rename-open", "link-open"}
KINDS = [("read", 14), ("cat", 4), ("write", 7), ("otrunc", 2), ("truncate", 3), ("rdwr", 3), ("exec", 6),
         ("chmod", 4), ("chown", 3), ("lchown", 1), ("create", 6), ("unlink", 5), ("rmdir", 3), ("mkdir", 4),
         ("rename", 6), ("link", 4), ("create-open", 2), ("replace", 2), ("rename-open", 3), ("link-open", 1)]

OP_KINDS = {"read": ["read", "cat", "rdwr"], "write": ["write", "otrunc", "truncate", "rdwr"], "exec": ["exec"],
            "create": ["create", "create-open"], "unlink": ["unlink", "replace"], "rmdir": ["rmdir"],
            "mkdir": ["mkdir"], "rename": ["rename", "rename-open"], "link": ["link", "link-open"],
            "chmod": ["chmod"], "chown": ["chown", "lchown"]}

def gen_access(rng, t, n, pol):
    """(kind, subject index, exe override, params) with relative paths. Half
    of the accesses aim at what a rule names: one of its operations, on or
    below one of its objects."""
    kind = rng.choices([k for k, _ in KINDS], [w for _, w in KINDS])[0]
    focus = None
    if rng.random() < 0.5:
        r = rng.choice(pol["rules"])
        op = rng.choice(OPS if r["operations"] == "all" else r["operations"])
        kind = rng.choice(OP_KINDS[op])
        focus = rng.choice(r["objects"])
    def under(x):
        if focus is None:
            return True
        fk, rel = focus
        if fk == "file":
            return x == rel
        return rel == "" or x == rel or x.startswith(rel + "/")
    def pick(pool):
        pool = list(pool)
        near = [x for x in pool if under(x)]
        return rng.choice(near or pool)
    w = rng.randrange(len(WORKERS))
    ex = t.existing()
    files = t.files + list(t.hards) + ([t.chain_file] if t.chain_file else [])
    regular = files + t.exes
    dirs = t.dirs + t.chain_dirs[-1:] + t.chain_dirs[len(t.chain_dirs) // 2:][:1]
    def newname():
        if rng.random() < 0.35:
            g = [x for x in t.ghosts if under(x)]
            if g or focus is None:
                return rng.choice(g or t.ghosts)
        return Tree.j(pick(dirs), f"n{n}")
    follow_files = files + [l for l in t.links if t.kind(l) != "dir"]
    then = rng.choice(["read", "write"])
    if kind == "read": return (kind, w, None, {"p": pick(ex)})
    if kind == "cat": return (kind, w, "catA", {"p": pick(follow_files)})
    if kind in ("write", "rdwr"): return (kind, w, None, {"p": pick(follow_files + t.exes)})
    if kind == "otrunc": return (kind, w, None, {"p": pick(files)})
    if kind == "truncate": return (kind, w, None, {"p": pick(regular)})
    if kind == "exec": return (kind, w, None, {"p": pick(t.exes + [l for l in t.links if t.kind(l) == "exe"])})
    if kind in ("chmod", "chown"): return (kind, w, None, {"p": pick(ex)})
    if kind == "lchown": return (kind, w, None, {"p": pick(list(t.links) or ex)})
    if kind == "create": return (kind, w, None, {"p": newname(), "how": rng.choice(["mknod", "mknod", "mkfifo", "symlink"])})
    if kind == "unlink": return (kind, w, None, {"p": pick(files + t.exes + list(t.links))})
    if kind == "rmdir": return (kind, w, None, {"p": pick(t.dirs[1:] + (rng_pick_chain(t)[:3] if t.chain_dirs else []))})
    if kind == "mkdir": return (kind, w, None, {"p": newname()})
    if kind in ("rename", "rename-open"):
        src = pick(regular if kind == "rename-open" else regular + list(t.links) + t.dirs[1:])
        cands = [d for d in ex if d != src and not d.startswith(src + "/") and not src.startswith(d + "/")]
        dst = newname() if rng.random() < 0.5 or not cands else rng.choice(cands)
        if dst.startswith(src + "/"):
            dst = f"n{n}"   # into its own subtree: EINVAL before any LSM hook
        return (kind, w, None, {"p": src, "q": dst, "then": then})
    if kind in ("link", "link-open"):
        return (kind, w, None, {"p": pick(regular), "q": newname(), "then": then})
    if kind == "create-open":
        return (kind, w, None, {"p": newname(), "then": then})
    if kind == "replace":
        return (kind, w, None, {"p": pick(files + t.exes), "then": then})
    raise AssertionError(kind)

def first_steps(kind, P, Q, prm):
    """Steps whose checks do not depend on earlier steps: (action, p, q, checks)."""
    if kind in ("read", "cat"): return [("read" if kind == "read" else "cat", P, None, [("read", P, True)])]
    if kind in ("write", "otrunc", "truncate"): return [(kind, P, None, [("write", P, True)])]
    if kind == "rdwr": return [("rdwr", P, None, [("read", P, True), ("write", P, True)])]
    if kind == "exec": return [("exec", P, None, [("exec", P, True)])]
    if kind in ("chmod", "chown"): return [(kind, P, None, [(kind, P, True)])]
    if kind == "lchown": return [("lchown", P, None, [("chown", P, False)])]
    if kind in ("create", "create-open"):
        how = prm.get("how", "mknod")
        return [(how, P, "target", [("create", P, False)])]
    if kind in ("unlink", "replace"): return [("unlink", P, None, [("unlink", P, False)])]
    if kind == "rmdir": return [("rmdir", P, None, [("rmdir", P, False)])]
    if kind == "mkdir": return [("mkdir", P, None, [("mkdir", P, False)])]
    if kind in ("rename", "rename-open"): return [("rename", P, Q, [("rename", P, False), ("rename", Q, False)])]
    if kind in ("link", "link-open"): return [("link", P, Q, [("link", P, False), ("create", Q, False)])]
    raise AssertionError(kind)

def later_steps(kind, P, Q, prm, results):
    """Steps after the first, decided by the outcomes so far (None: done)."""
    n, then = len(results), prm.get("then", "read")
    ok = results[-1].get("ok")
    openstep = lambda p: (then if then == "read" else "write", p, None, [(then, p, True)])
    if kind == "create-open" and n == 1:
        return openstep(P) if os.path.lexists(P) else None
    if kind == "replace":
        if n == 1: return ("mknod", P, None, [("create", P, False)]) if not os.path.lexists(P) else None
        if n == 2: return openstep(P) if os.path.lexists(P) else None
    if kind == "rename-open" and n == 1:
        # The renamed inode: under its new name if the rename happened.
        p = Q if ok else P
        return openstep(p) if os.path.exists(p) and not os.path.isdir(p) else None
    if kind == "link-open" and n == 1:
        return openstep(Q) if ok and os.path.exists(Q) else None
    return None

# ---- explain
UNREADABLE = "note: the walk of the policy's trees could not read"
DEC = re.compile(r"^decision: (\S+)(?: by rule '([^']*)')?", re.M)

def explain(policy, w, exe, op, path, follow=True):
    cmd = ["frtp", "explain", "--rules", policy, "--path", path, "--op", op, "--uid", str(w.uid),
           "--gid", str(w.gid), "--exe", EXES[exe or w.exe]]
    if not follow:
        cmd.append("--no-follow")   # the check is on a final symlink itself (lchown, unlink...)
    if w.unit:
        cmd += ["--unit", w.unit]
    islink = os.path.islink(path)
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    m = DEC.search(p.stdout)
    if p.returncode or not m:
        return {"cmd": cmd, "out": p.stdout, "error": f"explain exited {p.returncode}", "decision": "?", "rule": None,
                "islink": islink}
    return {"cmd": cmd, "out": p.stdout, "decision": m.group(1), "rule": m.group(2), "islink": islink}

def shell(cmd):
    return " ".join(c if re.fullmatch(r"[\w./:=,@+-]+", c) else "'" + c + "'" for c in cmd)

# ---- objects after a move (docs/frtp.md: explain resolves the policy's paths
# as they are now; the kernel follows the inodes it was loaded with, plus the
# exact names an inode takes)
def file_id(path):
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)

def object_ids(pol, copy):
    """[(rule, kind, path, id)] for the policy's objects in one copy, resolved now."""
    out = []
    for r in pol["rules"]:
        for kind, rel in r["objects"]:
            p = f"{copy}/{rel}" if rel else copy
            out.append((r["name"], kind, p, file_id(p)))
    return out

def refs_of(ids, ident):
    return {(rule, kind) for rule, kind, _, i in ids if ident is not None and i == ident}

def name_refs(pol, copy, path):
    """The exact objects bound by this name (its directory's inode and its last component)."""
    d, leaf = file_id(os.path.dirname(path)), os.path.basename(path)
    return {(rule, kind) for rule, kind, p, _ in object_ids(pol, copy)
            if kind == "file" and d is not None and os.path.basename(p) == leaf and file_id(os.path.dirname(p)) == d}

# ---- hardlinked tree members (policy/frtp_members.cpp): a file with several
# names, one of them in a protected tree, is decided on the chain of
# protected objects above its in-tree name as well. The daemon finds that
# chain by a scan at load, the kernel records it when a link is made; explain
# runs the same scan when asked. After a link or a move, the scan now and the
# kernel's record may differ: that step is not asked (docs/frtp.md).
def object_set(pol, copy):
    """Identities of the policy's objects in one copy, and those of its trees."""
    ids = object_ids(pol, copy)
    return ({i for _, _, _, i in ids if i is not None},
            {i for _, k, _, i in ids if i is not None and k == "tree"})

def chain_of(path, objs):
    """The objects above a name, deepest first, up to its filesystem's root."""
    out, dev = [], os.lstat(path).st_dev
    d = os.path.dirname(path)
    while True:
        i = file_id(d)
        if i is None or i[0] != dev:
            break
        if i in objs:
            out.append(i)
        if d == "/":
            break
        d = os.path.dirname(d)
    return tuple(out)

def names_of(path, copy):
    """Every name of the inode at path in one copy of the tree. Not below
    the deep chain (its directories are all "z"): frtp fails closed past 64
    levels, and no hardlink is made there."""
    st = os.lstat(path)
    if st.st_nlink < 2:
        return [path]
    ident = (st.st_dev, st.st_ino)
    out = []
    for root, dirs, files in os.walk(copy):
        dirs[:] = [d for d in dirs if d != "z"]
        for n in dirs + files:
            p = os.path.join(root, n)
            if file_id_nofollow(p) == ident:
                out.append(p)
    return out

def file_id_nofollow(path):
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)

def member_chain(names, copy, pol):
    """What the load-time scan finds for a file with these names: None (not
    a member), a chain, or "conflict" (names under different chains: fails
    closed)."""
    if len(names) < 2:
        return None
    objs, trees = object_set(pol, copy)
    chains = set()
    for n in names:
        c = chain_of(n, objs)
        if any(x in trees for x in c):
            chains.add(c)
    if not chains:
        return None
    return chains.pop() if len(chains) == 1 else "conflict"

def moved_inode_step(a, results, pol, loaded):
    """For a step after a move (rename-open, link-open) or a re-creation
    (create-open, replace): None when explain and the kernel see the same
    rules on the inode opened, else why they cannot (the design limit)."""
    n = len(results)
    if a.kind == "rename-open" and n == 1 and results[0].get("ok"):
        path, old = a.Q, loaded["src"]
    elif a.kind == "link-open" and n == 1 and results[0].get("ok"):
        path, old = a.Q, loaded["src"]
    elif a.kind == "create-open" and n == 1:
        path, old = a.P, None
    elif a.kind == "replace" and n == 2:
        path, old = a.P, None
    else:
        return None
    now_id = file_id(path)
    if now_id is None:
        return None
    # The kernel: the rules the inode was loaded with (an inode that existed),
    # and those of the exact objects bound to the name it took.
    kernel = (refs_of(loaded["ids"], old) if old is not None else set()) | name_refs(pol, a.copy, path)
    # explain: the rules of every object path that leads to the inode now.
    now = refs_of(object_ids(pol, a.copy), now_id)
    if kernel != now:
        return (f"explain resolves the policy's paths as they are now: rules {sorted(now)} on {path}, "
                f"the kernel's inode has {sorted(kernel)}")
    # The member chain: the kernel's (from the load-time scan, else recorded
    # by the link: the chain of the name linked from), and the scan's now.
    if old is not None:
        kchain = loaded["member"]
        objs, trees = object_set(pol, a.copy)
        if kchain is None and a.kind == "link-open":
            c = chain_of(a.P, objs)
            kchain = c if any(x in trees for x in c) else None
        names = [x for x in loaded["names"] if a.kind != "rename-open" or x != a.P] + [a.Q]
        scan = member_chain(names, a.copy, pol)
        own = chain_of(path, objs)   # a member chain equal to the name's own adds nothing
        if (None if kchain == own else kchain) != (None if scan == own else scan):
            return (f"explain scans the trees for {path}'s other names as they are now ({scan or 'no member chain'}), "
                    f"the kernel has the chain recorded at load or at the link ({kchain or 'none'})")
    return None

# ---- comparison
def kernel_path(path, follow):
    if follow:
        return os.path.realpath(path)
    return os.path.join(os.path.realpath(os.path.dirname(path)), os.path.basename(path))

def same_path(rec_path, want):
    if rec_path == want:
        return True
    # Deep paths: the record keeps the last components ("?/z/z/.../zf").
    for pre in ("?", "..."):
        if rec_path.startswith(pre + "/"):
            return want.endswith(rec_path[len(pre):])
    return False

class Access:
    def __init__(self, idx, kind, w, exe, prm, P, Q, copy):
        self.idx, self.kind, self.w, self.exe, self.prm, self.P, self.Q, self.copy = idx, kind, w, exe, prm, P, Q, copy
        self.steps = []   # dicts: action, p, q, checks [(op, path, follow, kpath, explain)], result
    def subject(self):
        return self.w.describe(self.exe)
    def exe_path(self):
        return EXES[self.exe or self.w.exe]

def expected_outcome(step):
    """(denied?, index of the deciding check or None, records [(op, kpath, decision, rule)])."""
    recs = []
    for i, (op, path, follow, kpath, ex) in enumerate(step["checks"]):
        d = ex["decision"]
        if d in ("deny", "would-deny", "audit"):
            recs.append((op, kpath, d, ex["rule"]))
        if d == "deny":
            return True, i, recs
    return False, None, recs

def compare_step(acc, step):
    """Disagreements between explain and the kernel's errno for one step."""
    probs = []
    for c in step["checks"]:
        if "error" in c[4]:
            probs.append(("explain-failed", f"explain failed: {c[4]['error']}"))
    denied, _, _ = expected_outcome(step)
    res = step["result"]
    kden = res.get("errno") == EACCES
    if denied and not kden:
        if res.get("ok"):
            probs.append(("explain-deny/kernel-allow", "explain says deny (EACCES), the kernel allowed it"))
        else:
            probs.append(("explain-deny/kernel-other-error",
                          f"explain says deny (EACCES), the kernel failed it with something else: {res.get('err')}"))
    elif not denied and kden:
        probs.append(("explain-allow/kernel-EACCES", "explain says it is allowed, the kernel failed it with EACCES"))
    elif not denied and step["action"] == "exec" and not res.get("ok"):
        probs.append(("explain-allow/exec-did-not-run",
                      f"explain says exec is allowed, but the program did not run: {res.get('err')}"))
    return probs

def run_policy(n, workers, frtp_holder, stats, problems):
    rng = random.Random(f"{SEED}-{n}")
    t = Tree(rng)
    pol = gen_policy(rng, t)
    specs = [gen_access(rng, t, i, pol) for i in range(NACC)]
    # Copy 0 takes every access that changes nothing; each mutating access
    # gets a fresh copy of its own, so all accesses start from the same state.
    base = f"{FX}/p{n}"
    nmut = sum(1 for s in specs if s[0] in MUTATING)
    copies = [f"{base}/c{k}" for k in range(1 + nmut)]
    tm = {"start": time.time()}
    for c in copies:
        t.build(c)
    tm["build"] = time.time()
    sentinel = f"{base}/sentinel"
    open(sentinel, "w").close()
    policy = f"{R}/policy-{n}.yaml"
    with open(policy, "w") as f:
        f.write(render(pol, rng, copies, sentinel))
    accs = []
    k = 1
    for i, (kind, wi, exe, prm) in enumerate(specs):
        copy = copies[0]
        if kind in MUTATING:
            copy = copies[k]; k += 1
        P = f"{copy}/{prm['p']}"
        Q = f"{copy}/{prm['q']}" if "q" in prm else None
        accs.append(Access(i, kind, workers[wi], exe, prm, P, Q, copy))
    # Explain every first step, and note what the kernel is loaded with,
    # before this policy is in force: nothing changes until the accesses, and
    # explain's walk of the trees (for hardlinks) reads them as the daemon's
    # does, not refused by the policy it explains (the one in force names
    # other trees).
    def first(a):
        steps = []
        for action, p, q, checks in first_steps(a.kind, a.P, a.Q, a.prm):
            cs = [(op, path, fl, kernel_path(path, fl), explain(policy, a.w, a.exe, op, path, fl)) for op, path, fl in checks]
            steps.append({"action": action, "p": p, "q": q, "checks": cs})
        return steps
    with ThreadPoolExecutor(2) as ex:
        for a, steps in zip(accs, ex.map(first, accs)):
            a.steps = steps
    loaded = {}
    for a in accs:
        if a.kind in MUTATING:
            src = file_id(a.P)
            names = names_of(a.P, a.copy) if src and a.kind in ("rename-open", "link-open") else []
            loaded[a.idx] = {"ids": object_ids(pol, a.copy), "src": src, "names": names,
                             "member": member_chain(names, a.copy, pol)}
    tm["explain"] = time.time()
    live = f"{R}/policy.yaml"
    tmp = live + ".tmp"
    shutil.copyfile(policy, tmp); os.rename(tmp, live)
    if frtp_holder[0] is None:
        frtp_holder[0] = Frtp(live)
    else:
        frtp_holder[0].reload()
    fr = frtp_holder[0]
    tm["load"] = time.time()
    for a in accs:
        step = a.steps[0]
        step["result"] = a.w.do(step["action"], step["p"], step["q"])
        while True:
            results = [s["result"] for s in a.steps]
            nxt = later_steps(a.kind, a.P, a.Q, a.prm, results)
            if not nxt:
                break
            why = moved_inode_step(a, results, pol, loaded.get(a.idx))
            if why:
                # A design limit, not a disagreement: do not ask (docs/frtp.md).
                stats["moved"] += 1
                stats.setdefault("moved_eg", f"policy {n} access #{a.idx} ({a.kind}): {why}")
                break
            action, p, q, checks = nxt
            cs = [(op, path, fl, kernel_path(path, fl), explain(policy, a.w, a.exe, op, path, fl)) for op, path, fl in checks]
            if any(UNREADABLE in c[4]["out"] for c in cs):
                # explain's walk for hardlinks was refused by the policy in
                # force: documented (docs/frtp.md), not asked.
                stats["unreadable"] += 1
                stats.setdefault("unreadable_eg", f"policy {n} access #{a.idx} ({a.kind}) step {len(a.steps) + 1}")
                break
            s = {"action": action, "p": p, "q": q, "checks": cs}
            s["result"] = a.w.do(action, p, q)
            a.steps.append(s)
    # The sentinel read marks the end of this policy's records.
    open(sentinel).close()
    tm["access"] = time.time()
    # frtp explain's own walks (step 2 runs under the policy in force) are
    # no subject's access: their records are left out.
    recs = [r for r in fr.records_until(sentinel) if "rule" in r and "repeat_count" not in r
            and r.get("subject_exe") != FRTP_EXE]
    tm["records"] = time.time()
    ks = list(tm)
    stats["times"] = " ".join(f"{k} {tm[k] - tm[p]:.1f}" for p, k in zip(ks, ks[1:]))
    # Kernel errno against explain, step by step.
    bad = {}
    for a in accs:
        for si, s in enumerate(a.steps):
            for p in compare_step(a, s):
                bad.setdefault(a.idx, []).append((si,) + p)
            den, _, _ = expected_outcome(s)
            stats["checks"] += len(s["checks"])
            stats["denied" if den else "allowed"] += 1
            stats["steps"] += 1
    # Records: by (operation, path, uid, exe), the (decision, rule) explain expects.
    want = {}
    owners = {}
    for a in accs:
        for si, s in enumerate(a.steps):
            _, _, exp = expected_outcome(s)
            decided = {(op, kp) for op, kp, _, _ in exp}
            for op, path, fl, kp, exl in s["checks"]:
                key = (op, kp, a.w.uid, a.exe_path())
                owners.setdefault(key, []).append((a, si))
                want.setdefault(key, set())
            for op, kp, d, rule in exp:
                want[(op, kp, a.w.uid, a.exe_path())].add((d, rule))
    seen = set()
    for r in recs:
        # A deep path is logged by its last components only, the same in
        # every copy of the tree: any of the candidates may be the one.
        cands = [k for k in want if r.get("operation") == k[0] and r.get("subject_uid") == k[2] and
                 r.get("subject_exe") == k[3] and same_path(r.get("path", ""), k[1])]
        got = (r.get("decision"), r.get("rule"))
        fit = [k for k in cands if got in want[k]]
        key = (fit or cands or [None])[0]
        if key is None:
            # Attach it to an access of that path (that operation first).
            hit = [a for a in accs for s in a.steps for c in s["checks"]
                   if c[0] == r.get("operation") and same_path(r.get("path", ""), c[3])]
            hit += [a for a in accs for s in a.steps for c in s["checks"] if same_path(r.get("path", ""), c[3])]
            for a in hit[:1]:
                bad.setdefault(a.idx, []).append((0, "record-unexplained", f"the kernel logged a record no access explains: {r.get('decision')} "
                                                     f"by rule '{r.get('rule')}' for {r.get('operation')} {r.get('path')} "
                                                     f"by uid={r.get('subject_uid')} exe={r.get('subject_exe')}"))
            if not hit:
                problems.append({"policy": n, "pol": pol, "file": policy, "what": "a record no access explains",
                                 "record": r, "sig": ("record-unexplained", r.get("operation"))})
            continue
        for k in fit:
            seen.add((k, got))
        if not fit:
            for a, si in owners[key]:
                bad.setdefault(a.idx, []).append((si, "record-differs", f"the kernel logged {got[0]} by rule '{got[1]}' for {key[0]} {key[1]}; "
                                                      f"explain expects {sorted(want[key]) or 'no record'}"))
    def same_object(a, b):
        try:
            sa, sb = os.lstat(a), os.lstat(b)
        except OSError:
            return False
        return (sa.st_dev, sa.st_ino) == (sb.st_dev, sb.st_ino)
    def storm_repeat(key, e):
        # The kernel logs a decision once per (rule, operation, inode,
        # executable, uid, decision) and second (docs/frtp.md, storms): the
        # same decision through another name of the inode is a repeat,
        # counted in a summary, not a record of its own.
        return any(r.get("operation") == key[0] and r.get("subject_uid") == key[2] and
                   r.get("subject_exe") == key[3] and (r.get("decision"), r.get("rule")) == e and
                   same_object(r.get("path", ""), key[1]) for r in recs)
    for key, exp in want.items():
        for e in exp:
            if (key, e) not in seen and not storm_repeat(key, e):
                for a, si in owners[key]:
                    if any((c[0], c[3]) == key[:2] and c[4]["decision"] == e[0] for c in a.steps[si]["checks"]):
                        bad.setdefault(a.idx, []).append((si, "record-missing", f"no {e[0]} record by rule '{e[1]}' for {key[0]} {key[1]}"))
    for a in accs:
        if a.idx in bad:
            # One report per access, with every message about it.
            msgs = []
            for m in bad[a.idx]:
                if m not in msgs:
                    msgs.append(m)
            pr = {"policy": n, "pol": pol, "file": policy, "access": a, "msgs": msgs,
                  "records": [r for r in recs if any(same_path(r.get("path", ""), c[3])
                                                      for s in a.steps for c in s["checks"])]}
            pr["sig"] = signature(pr)
            problems.append(pr)
    stats["accesses"] += len(accs)
    stats["records"] += len(recs)
    return pol, accs, len(bad)

def signature(pr):
    """What kind of disagreement this is: the first message's category, the
    access, and the circumstances that tend to explain it."""
    a = pr["access"]
    si, cat, _ = pr["msgs"][0]
    tags = []
    rules = json.dumps(pr["pol"]["rules"])
    if a.w.slice and f"{a.w.slice}.slice" in rules:
        tags.append(f"subject in {a.w.slice}.slice, which a rule names")
    for s in a.steps:
        for op, path, fl, kp, ex in s["checks"]:
            if not fl and ex.get("islink"):
                tags.append(f"{op} of a symlink itself")
            if path.count("/") > 55:
                tags.append("deep path")
    if si > 0:
        tags.append(f"step {si + 1} of {a.kind}")
    if a.exe == "catA":
        tags.append("subject catA")
    return (cat, a.kind) + tuple(sorted(set(tags)))

def report(pr, seed):
    log("=" * 100)
    log(f"DISAGREEMENT [{' | '.join(pr['sig'])}]")
    log(f"(seed {seed}, policy {pr['policy']}; reproduce: KWARDEN_TEST_SEED={seed} "
        f"KWARDEN_TEST_ONLY={pr['policy']} test/vm/run test/vm/suites/frtp_explain.sh)")
    log("policy (one copy of the tree; relative paths):")
    log(describe_policy(pr["pol"]))
    if "access" not in pr:
        log(f"{pr['what']}: {json.dumps(pr['record'])}")
        return
    a = pr["access"]
    log(f"access #{a.idx}: {a.kind} by {a.subject()} in copy {a.copy}")
    for si, s in enumerate(a.steps):
        log(f"  step {si + 1}: {s['action']} {s['p']}" + (f" -> {s['q']}" if s['q'] and s['action'] in ('rename', 'link') else ""))
        for op, path, fl, kp, ex in s["checks"]:
            log(f"    $ {shell(ex['cmd'])}")
            for ln in ex["out"].rstrip().split("\n"):
                log(f"      | {ln}")
        log(f"    kernel: {json.dumps(s['result'])}")
    for si, cat, m in pr["msgs"]:
        log(f"  => step {si + 1}: {m}")
    if pr["records"]:
        log("  records frtp logged for these paths:")
        for r in pr["records"]:
            log(f"    {r.get('decision')} rule={r.get('rule')} op={r.get('operation')} path={r.get('path')} "
                f"uid={r.get('subject_uid')} exe={r.get('subject_exe')} pid={r.get('subject_pid')}")
    else:
        log("  frtp logged no record for these paths")
    log(f"policy file {pr['file']} (every object is named in each copy of the tree):")
    with open(pr["file"]) as f:
        txt = f.read()
    # Only the lines about this access's copy of the tree.
    keep = [l for l in txt.split("\n") if FX + "/" not in l or a.copy + "/" in l or l.rstrip().endswith(a.copy) or "sentinel" in l]
    log("\n".join(keep).rstrip() + "\n(the same objects in the other copies of the tree left out)")

def main():
    t0 = time.time()
    os.umask(0)
    log(f"frtp explain vs kernel: seed {SEED}, {NPOL} policies x {NACC} accesses "
        f"(reproduce: KWARDEN_TEST_SEED={SEED} test/vm/run test/vm/suites/frtp_explain.sh)")
    global MAP_OBJECTS
    MAP_OBJECTS = map_objects_accepted()
    workers, procs = start_workers()
    holder = [None]
    stats = {k: 0 for k in ("accesses", "steps", "checks", "denied", "allowed", "records", "moved", "unreadable")}
    stats["times"] = ""
    problems = []
    rc = 0
    try:
        for n in (ONLY or range(NPOL)):
            if time.time() - t0 > BUDGET:
                log(f"NOTE: time budget ({BUDGET:.0f} s, KWARDEN_TEST_BUDGET) spent: policies {n}..{NPOL - 1} not run")
                break
            tp = time.time()
            pol, accs, nbad = run_policy(n, workers, holder, stats, problems)
            kinds = {}
            for a in accs:
                kinds[a.kind] = kinds.get(a.kind, 0) + 1
            log(f"policy {n}: {len(pol['rules'])} rules, mode {pol['mode'] or '-'}, default {pol['default'] or '-'}; "
                f"{len(accs)} accesses: {nbad} disagree ({time.time() - tp:.1f} s: {stats['times']})")
    except Exception as e:
        import traceback
        traceback.print_exc()
        log(f"FAIL: the run stopped: {e} (seed {SEED})")
        rc = 1
    finally:
        if holder[0]:
            holder[0].stop()
        for p in procs:
            p.kill()
        subprocess.run(["systemctl", "stop"] + [w[4] for w in WORKERS if w[4]], stderr=subprocess.DEVNULL)
    # Every kind of disagreement once (its example with the fewest rules), then
    # more examples up to MAX_REPORT.
    by_sig = {}
    for pr in problems:
        by_sig.setdefault(pr["sig"], []).append(pr)
    for v in by_sig.values():
        v.sort(key=lambda pr: (len(pr["pol"]["rules"]), pr["policy"]))
    shown = [v[0] for v in by_sig.values()]
    rest = [pr for v in by_sig.values() for pr in v[1:]]
    shown += rest[:max(0, MAX_REPORT - len(shown))]
    for pr in shown:
        report(pr, SEED)
    if len(problems) > len(shown):
        log(f"... {len(problems) - len(shown)} more disagreements not shown in full (KWARDEN_TEST_MAX_REPORT)")
    if problems:
        log("disagreements by kind:")
        for sig, v in sorted(by_sig.items(), key=lambda kv: -len(kv[1])):
            log(f"  {len(v):4d}  {' | '.join(sig)}  (e.g. policy {v[0]['policy']} access #{v[0]['access'].idx if 'access' in v[0] else '-'})")
    if stats["moved"]:
        log(f"NOTE: {stats['moved']} step(s) after a move or re-creation not checked: explain resolves the "
            f"policy's paths as they are now, the kernel follows the inodes (docs/frtp.md), e.g. {stats['moved_eg']}")
    if stats["unreadable"]:
        log(f"NOTE: {stats['unreadable']} step(s) after a move not checked: explain's walk of the trees for "
            f"hardlinks was refused by the policy in force (docs/frtp.md), e.g. {stats['unreadable_eg']}")
    log(f"{stats['accesses']} accesses ({stats['steps']} steps, {stats['checks']} explained checks; "
        f"{stats['denied']} denied, {stats['allowed']} allowed), {stats['records']} records, "
        f"{time.time() - t0:.0f} s")
    if problems:
        log(f"FAIL: {len(problems)} disagreement(s) between frtp explain and the kernel (seed {SEED})")
        return 1
    if rc == 0:
        log(f"PASS: frtp explain agreed with the kernel on every access (seed {SEED})")
    return rc

sys.exit(main())
PY

kw_check "frtp explain agrees with the kernel (seed $KWARDEN_TEST_SEED)" python3 $R/ctl.py
kw_done
