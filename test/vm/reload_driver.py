#!/usr/bin/env python3
"""Drives reloads of a kwarden enforcer and checks its policy records.

Shipped into the test VM next to lib.sh (/kwarden-vmtest/reload_driver.py) by
test/vm/run; the suites call it through kw_reload_driver (test/lib.sh), which
turns its "KW_PASS: ..." / "KW_FAIL: ..." lines into kw_pass / kw_fail.

The contract checked here (every enforcer on the shared runtime):
  * start: one record event=policy, policy_event=load, reload_seq=0,
    policy_sha256 = sha256 of the rules file's bytes, rules_file = the path,
    message "policy loaded: ...";
  * each processed SIGHUP re-reads the file: policy_event=reload ("policy
    reloaded: ...", policy_sha256 = the new file's hash) or policy_event=refused
    ("reload refused ...", policy_sha256 = the policy still in force,
    refused_sha256 = the rejected file); reload_seq 1, 2, 3, ... with no gaps;
  * journald: the fields upper-cased, MESSAGE_ID per tool and kind;
  * a unit refresh that changed a cgroup id: policy_event=refresh, same hash.

Subcommands (one python process each: no fork+exec in the loops):
  storm    N reloads of a foreground daemon (--output json) alternating between
           two policies, one wait per reload for its record, while a probe
           process keeps trying an access both policies deny;
  burst    SIGHUPs every few ms at a systemd unit from the moment its daemon
           blocks signals (start-up) until SECS after it is ready, rotating the
           rules file, then checks restarts, the journal and the final policy;
  records  `systemctl reload` through valid and invalid files, one record each;
  list     the policy records a daemon (pid) wrote to the journal, one a line.
"""
import argparse
import hashlib
import json
import os
import select
import shlex
import signal
import statistics
import subprocess
import sys
import threading
import time

MESSAGE_IDS = {  # tool: (load/reload/refresh, refused)
    "frtp": ("3f6c1a2e9b7d4c58a1e0f2b3c4d5e604", "3f6c1a2e9b7d4c58a1e0f2b3c4d5e605"),
    "rm-forbid": ("3c9a7e1f52b84d0e9f6a1b2c3d4e5f03", "3c9a7e1f52b84d0e9f6a1b2c3d4e5f04"),
    "net-filter": ("5e0b7c3a9d1f4e26b8a4c6d2e0f1a301", "5e0b7c3a9d1f4e26b8a4c6d2e0f1a302"),
}
PREFIX = {"load": "policy loaded:", "reload": "policy reloaded:", "refused": "reload refused"}
EMPTY_SHA = hashlib.sha256(b"").hexdigest()


def out(line):
    print(line, flush=True)


def passed(what):
    out(f"KW_PASS: {what}")


def failed(what):
    out(f"KW_FAIL: {what}")


def check(ok, what, detail=""):
    if ok:
        passed(what)
    else:
        failed(what + (f": {detail}" if detail else ""))
    return ok


def sha_file(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def put_file(dst, src):
    """Atomically replace dst with src's bytes (the daemon never reads half a file)."""
    with open(src, "rb") as f:
        data = f.read()
    tmp = dst + ".kwtmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, dst)
    return hashlib.sha256(data).hexdigest()


def readline(proc, timeout):
    """A line from proc's stdout, or '' after timeout seconds or at EOF."""
    r, _, _ = select.select([proc.stdout], [], [], timeout)
    return proc.stdout.readline() if r else ""


def short(sha):
    return (sha or "-")[:12]


# ------------------------------------------------------------------ records

def normalize(rec, journal):
    """A policy record as a dict of lower-case fields (JSON sink or journald)."""
    if not journal:
        return rec
    r = {k.lower(): v for k, v in rec.items()}
    r["event"] = rec.get("KWARDEN_EVENT")
    return r


def is_policy(r):
    return r.get("event") == "policy" or r.get("policy_event") is not None


def seq_of(r):
    try:
        return int(r.get("reload_seq"))
    except (TypeError, ValueError):
        return None


def problems(tool, r, kind, seq, sha, refused_sha=None, rules_file=None, journal=False):
    """What is wrong with record r, expected to be `kind` number `seq`."""
    p = []
    if r.get("event") != "policy":
        p.append(f"event={r.get('event')!r}, not 'policy'")
    if r.get("policy_event") != kind:
        p.append(f"policy_event={r.get('policy_event')!r}, expected {kind!r}")
    if seq is not None and seq_of(r) != seq:
        p.append(f"reload_seq={r.get('reload_seq')!r}, expected {seq}")
    if r.get("policy_sha256") != sha:
        p.append(f"policy_sha256={short(r.get('policy_sha256'))}, expected {short(sha)}")
    if kind == "refused" and r.get("refused_sha256") != refused_sha:
        p.append(f"refused_sha256={short(r.get('refused_sha256'))}, expected {short(refused_sha)}")
    msg = r.get("message") or ""
    if kind in PREFIX and not msg.startswith(PREFIX[kind]):
        p.append(f"message {msg[:60]!r} does not start with {PREFIX[kind]!r}")
    if rules_file is not None and r.get("rules_file") != rules_file:
        p.append(f"rules_file={r.get('rules_file')!r}, expected {rules_file!r}")
    if journal:
        ids = MESSAGE_IDS[tool]
        want = ids[1] if kind == "refused" else ids[0]
        if kind != "refresh" and r.get("message_id") != want:
            p.append(f"MESSAGE_ID={r.get('message_id')}, expected {want}")
        if r.get("syslog_identifier") != tool:
            p.append(f"SYSLOG_IDENTIFIER={r.get('syslog_identifier')!r}")
    return p


class Records:
    """Policy records read by a thread from a stream of JSON lines."""

    def __init__(self, stream, journal, pid=None):
        self.journal = journal
        self.pid = pid  # journal: only this daemon's records (set later is fine)
        self.all = []  # every policy record, in arrival order
        self.lines = 0
        self.cv = threading.Condition()
        self.eof = False
        self.t = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self.t.start()

    def _read(self, stream):
        for line in stream:
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            with self.cv:
                self.lines += 1
                r = normalize(rec, self.journal)
                if is_policy(r):
                    self.all.append(r)
                    self.cv.notify_all()
        with self.cv:
            self.eof = True
            self.cv.notify_all()

    def mine(self):
        if not self.journal or self.pid is None:
            return list(self.all)
        return [r for r in self.all if str(r.get("_pid")) == str(self.pid)]

    def wait(self, pred, timeout):
        """Wait until pred(mine()) is true; returns it or None on timeout."""
        end = time.monotonic() + timeout
        with self.cv:
            while True:
                v = pred(self.mine())
                if v:
                    return v
                left = end - time.monotonic()
                if left <= 0 or self.eof:
                    return None
                self.cv.wait(min(left, 0.5))

    def wait_seq(self, seq, timeout):
        return self.wait(lambda rs: next((r for r in rs if seq_of(r) == seq), None), timeout)


def journal_follow(tool, since):
    """journalctl -f of the tool's records since a UNIX time (no readiness race)."""
    return subprocess.Popen(
        ["journalctl", "-f", "-o", "json", "--no-pager", f"--since=@{since:.0f}",
         f"SYSLOG_IDENTIFIER={tool}"],
        stdout=subprocess.PIPE, text=True, bufsize=1)


def journal_records(tool, pid):
    subprocess.run(["journalctl", "--sync"], check=False)
    p = subprocess.run(["journalctl", "-o", "json", "--no-pager", f"SYSLOG_IDENTIFIER={tool}",
                        f"_PID={pid}"], capture_output=True, text=True, check=False)
    recs = []
    for line in p.stdout.splitlines():
        try:
            r = normalize(json.loads(line), True)
        except ValueError:
            continue
        if is_policy(r):
            recs.append(r)
    return recs


def unit_show(unit):
    p = subprocess.run(["systemctl", "show", "-p", "MainPID,NRestarts,ActiveState,SubState,Result", unit],
                       capture_output=True, text=True, check=False)
    return dict(line.split("=", 1) for line in p.stdout.splitlines() if "=" in line)


# ------------------------------------------------------------------ storm

def cmd_storm(a):
    tool, rules = a.tool, a.rules
    sha = {a.a: sha_file(a.a), a.b: sha_file(a.b)}
    if sha[a.a] == sha[a.b]:
        failed("storm: the two policies must differ")
        return 1
    put_file(rules, a.a)
    err = open(a.stderr, "w")
    # The records come through a pipe (--output json, flushed after each policy
    # record) or through journald (--via journal: journalctl -f adds a few
    # hundred ms per record in the VM).
    journal = a.via == "journal"
    since = time.time() - 1
    daemon = subprocess.Popen([tool, "--rules", rules, "--output", a.via, *a.daemon_arg],
                              stdout=subprocess.DEVNULL if journal else subprocess.PIPE, stderr=err,
                              text=True, bufsize=1)
    follow = journal_follow(tool, since) if journal else daemon
    recs = Records(follow.stdout, journal=journal, pid=daemon.pid)
    probe = None

    def tail_stderr():
        try:
            with open(a.stderr) as f:
                return " | ".join(f.read().strip().splitlines()[-6:])
        except OSError:
            return ""

    def finish(rc):
        if probe and probe.poll() is None:
            probe.kill()
        if daemon.poll() is None:  # a clean stop: the suite checks the pins are gone
            daemon.send_signal(signal.SIGTERM)
            try:
                daemon.wait(60)
            except subprocess.TimeoutExpired:
                daemon.kill()
        if follow.poll() is None:
            follow.kill()
        return rc

    r0 = recs.wait_seq(0, a.start_timeout)
    if not check(r0 is not None and not problems(tool, r0, "load", 0, sha[a.a], rules_file=rules, journal=journal),
                 f"{tool} storm: start writes the load record (reload_seq 0, sha256 of {os.path.basename(a.a)}, rules_file)",
                 "; ".join(problems(tool, r0, "load", 0, sha[a.a], rules_file=rules, journal=journal)) if r0 else
                 f"no record with reload_seq=0 in {a.start_timeout} s (daemon {'exited ' + str(daemon.returncode) if daemon.poll() is not None else 'running'}; "
                 f"{len(recs.all)} policy record(s) {[r.get('message', '')[:50] for r in recs.all[:3]]}; stderr: {tail_stderr()})"):
        return finish(1)

    probe = subprocess.Popen(shlex.split(a.probe), stdout=subprocess.PIPE, text=True, bufsize=1)
    first = readline(probe, 60).strip()
    if not check(first == "ready", f"{tool} storm: the probe runs against the first policy", first or "probe exited"):
        return finish(1)

    n, lat, jlat, bad, last_progress, done = a.n, [], [], None, 0.0, 0
    t0 = time.monotonic()
    for i in range(1, n + 1):
        src = a.b if i % 2 else a.a
        put_file(rules, src)
        t, t_wall = time.monotonic(), time.time()
        os.kill(daemon.pid, signal.SIGHUP)
        r = recs.wait_seq(i, a.reload_timeout)
        lat.append(time.monotonic() - t)
        if r is not None and r.get("__realtime_timestamp"):  # journald got it: the daemon's share
            jlat.append(int(r["__realtime_timestamp"]) / 1e6 - t_wall)
        if r is None:
            bad = (f"reload {i}: no record with reload_seq={i} within {a.reload_timeout} s "
                   f"(daemon {'exited ' + str(daemon.returncode) if daemon.poll() is not None else 'running'}; "
                   f"last record: {recs.all[-1] if recs.all else None}; stderr: {tail_stderr()})")
            break
        p = problems(tool, r, "reload", i, sha[src], rules_file=rules, journal=journal)
        if p:
            bad = f"reload {i} ({os.path.basename(src)}): " + "; ".join(p)
            break
        done = i
        el = time.monotonic() - t0
        if i % a.progress == 0 or el - last_progress >= 60:
            last_progress = el
            out(f"  {tool}: {i}/{n} reloads, {i / el:.1f}/s")
        if el > a.max_secs and i < n:
            bad = (f"only {i} of {n} reloads in {el:.0f} s (--max-secs {a.max_secs:.0f}); median record latency "
                   f"{statistics.median(lat) * 1000:.0f} ms")
            break
    elapsed = time.monotonic() - t0
    seqs = [seq_of(r) for r in recs.all]
    dup = len(seqs) != len(set(seqs))
    check(bad is None and not dup,
          f"{tool} storm: {n} reloads, each with its record (reload_seq 1..{n} in order, sha256 of the file swapped in)",
          bad or f"duplicate reload_seq values: {sorted(s for s in set(seqs) if seqs.count(s) > 1)[:10]}")
    if lat:
        lat_ms = sorted(x * 1000 for x in lat)
        out(f"  {tool}: {done} reloads in {elapsed:.1f} s: {done / elapsed:.1f} reloads/s; record latency "
            f"median {statistics.median(lat_ms):.0f} ms, p99 {lat_ms[int(len(lat_ms) * 0.99) - 1 if len(lat_ms) > 1 else 0]:.0f} ms, "
            f"max {lat_ms[-1]:.0f} ms" + (f" (SIGHUP to journald: median {statistics.median(jlat) * 1000:.0f} ms)" if jlat else ""))

    probe.send_signal(signal.SIGTERM)
    try:
        res = json.loads(readline(probe, 60) or "null")
        probe.wait(30)
    except (ValueError, subprocess.TimeoutExpired) as e:
        res = None
        failed(f"{tool} storm: the probe did not report ({e})")
    if res:
        out(f"  {tool} probe: {json.dumps(res)} ({res['attempts'] / max(elapsed, 0.001):.0f} attempts/s)")
        check(res["attempts"] > 0 and res["successes"] == 0,
              f"{tool} storm: {res['successes']} of {res['attempts']} {res['what']} (both policies deny) got through during {done} reloads",
              "an access both policies deny was allowed")
        for label, (allowed, denied) in res.get("differ", {}).items():
            check(allowed > 0 and denied > 0 or done < 2,
                  f"{tool} storm: the policies' difference was seen both ways ({label}: {allowed} allowed, {denied} denied)",
                  "the reloads did not switch the policy")
        for label, count in res.get("other", {}).items():
            check(count == 0, f"{tool} storm: no unexpected outcome '{label}'", f"{count} times")

    alive = daemon.poll() is None
    daemon.send_signal(signal.SIGTERM)
    try:
        rc = daemon.wait(60)
    except subprocess.TimeoutExpired:
        rc = None
    if journal:
        time.sleep(2)
        follow.kill()
    recs.t.join(10)
    extra = [r for r in recs.mine() if (seq_of(r) or 0) > done]
    check(alive and rc == 0, f"{tool} storm: the daemon ran through the storm and exited 0 on SIGTERM",
          f"alive={alive} rc={rc} stderr: {tail_stderr()}")
    check(not extra, f"{tool} storm: no record beyond reload_seq {done}", f"{extra[:2]}")
    return finish(0)


# ------------------------------------------------------------------ burst

def daemon_pid(unit, tool):
    """The unit's main daemon (not its ExecStartPre --check), or None."""
    procs = f"/sys/fs/cgroup/system.slice/{unit}/cgroup.procs"
    try:
        pids = open(procs).read().split()
    except OSError:
        return None
    for pid in pids:
        try:
            argv = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")
        except OSError:
            continue
        if argv and os.path.basename(argv[0].decode()) == tool and b"--check" not in argv:
            return int(pid)
    return None


def hup_blocked(pid):
    """SIGHUP blocked (or ignored) in the process: a SIGHUP cannot kill it."""
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith(("SigBlk:", "SigIgn:")) and int(line.split()[1], 16) & 1:
                return True
    except OSError:
        pass
    return False


def check_sequence(tool, recs, valid, invalid, rules):
    """reload_seq 0..N contiguous, each record consistent with the one before.
    Returns (problems, final sha in force)."""
    p = []
    by_seq = {}
    for r in recs:
        s = seq_of(r)
        if r.get("policy_event") == "refresh":
            continue
        if s in by_seq:
            p.append(f"reload_seq {s} appears twice")
        by_seq[s] = r
    seqs = sorted(s for s in by_seq if s is not None)
    n = seqs[-1] if seqs else -1
    missing = sorted(set(range(0, n + 1)) - set(seqs))
    if missing:
        p.append(f"reload_seq gaps: {len(missing)} missing, e.g. {missing[:10]}")
    if None in by_seq:
        p.append("a policy record without reload_seq")
    in_force = None
    for s in seqs:
        r = by_seq[s]
        kind = r.get("policy_event")
        if s == 0:
            q = problems(tool, r, "load", 0, r.get("policy_sha256"), rules_file=rules, journal=True)
            if r.get("policy_sha256") not in valid:
                q.append(f"load hash {short(r.get('policy_sha256'))} is none of the files written")
        elif kind == "reload":
            q = problems(tool, r, "reload", s, r.get("policy_sha256"), rules_file=rules, journal=True)
            if r.get("policy_sha256") not in valid:
                q.append(f"hash {short(r.get('policy_sha256'))} is none of the valid files written")
        elif kind == "refused":
            q = problems(tool, r, "refused", s, in_force, r.get("refused_sha256"), rules_file=rules, journal=True)
            if r.get("refused_sha256") not in invalid:
                q.append(f"refused hash {short(r.get('refused_sha256'))} is none of the invalid files written")
        else:
            q = [f"policy_event={kind!r}"]
        if kind != "refused":
            in_force = r.get("policy_sha256")
        p += [f"seq {s}: {x}" for x in q]
    return p, in_force, n


def cmd_hupper(a):
    """The SIGHUP sender of a burst (its own process: no GIL shared with the
    journal reader). Waits for the unit's daemon to block SIGHUP, says so, then
    rotates the files and sends SIGHUP every INTERVAL until SIGTERM; prints
    one JSON line: the send times, and whether the daemon vanished. The
    invalid files join the rotation at SIGUSR1 (the daemon is ready): before,
    the daemon may not have read its file yet, and an invalid one would only
    make the start fail."""
    stop, ready = [], []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGUSR1, lambda *_: ready.append(1))

    def contents(files):
        r = []
        for f in files:
            with open(f, "rb") as fh:
                r.append(fh.read())
        return r
    valid, every = contents(a.files), contents(a.files + a.invalid)
    tmp = a.rules + ".kwtmp"
    out("waiting")
    t_seen = pid = None
    end = time.monotonic() + a.start_timeout
    while not stop and time.monotonic() < end:
        pid = daemon_pid(a.unit, a.tool)
        if pid and t_seen is None:
            t_seen = time.time()
        if pid and hup_blocked(pid):
            break
        time.sleep(0.002)
    else:
        out(json.dumps({"error": f"no daemon with SIGHUP blocked in {a.start_timeout} s (pid {pid})"}))
        return 1
    t_blocked = time.time()
    out(json.dumps({"pid": pid, "seen": t_seen, "blocked": t_blocked}))
    times, died, k = [], None, 0
    while not stop:
        datas = every if ready else valid
        with open(tmp, "wb") as fh:
            fh.write(datas[k % len(datas)])
        os.replace(tmp, a.rules)
        k += 1
        try:
            os.kill(pid, signal.SIGHUP)
        except ProcessLookupError:
            died = f"the daemon (pid {pid}) vanished after {len(times)} SIGHUPs"
            break
        times.append(time.time())
        time.sleep(a.interval)
    out(json.dumps({"times": times, "died": died}))
    return 0


def cmd_burst(a):
    tool, unit, rules = a.tool, a.unit, a.rules
    valid = {f: sha_file(f) for f in a.valid + [a.final]}
    invalid = {f: sha_file(f) for f in a.invalid}
    start_sha = sha_file(rules)
    if start_sha not in valid.values():
        failed(f"burst: {rules} must hold one of the valid files at start")
        return 1
    if valid[a.final] in [valid[f] for f in a.valid]:
        failed("burst: --final must differ from the rotated files")
        return 1
    subprocess.run(["systemctl", "reset-failed", unit], capture_output=True, check=False)
    hupper = subprocess.Popen([sys.executable, __file__, "hupper", "--tool", tool, "--unit", unit, "--rules", rules,
                               "--interval", str(a.interval), "--start-timeout", str(a.start_timeout),
                               "--invalid", *a.invalid, "--", *a.valid], stdout=subprocess.PIPE, text=True, bufsize=1)
    if hupper.stdout.readline().strip() != "waiting":
        failed(f"{tool} burst: the SIGHUP sender did not start")
        return 1
    follow = journal_follow(tool, time.time() - 1)
    recs = Records(follow.stdout, journal=True)
    t_start = time.time()
    subprocess.run(["systemctl", "start", "--no-block", unit], check=True)
    gate = json.loads(hupper.stdout.readline() or '{"error": "the SIGHUP sender exited"}')
    if "error" in gate:
        failed(f"{tool} burst: {gate['error']}; {unit_show(unit)}")
        follow.kill()
        return 1
    pid = gate["pid"]
    recs.pid = pid
    r0 = recs.wait_seq(0, a.start_timeout)
    if r0 is not None:
        hupper.send_signal(signal.SIGUSR1)
        time.sleep(a.secs)
    hupper.send_signal(signal.SIGTERM)
    res = json.loads(hupper.stdout.readline() or '{"times": [], "died": "the SIGHUP sender failed"}')
    hupper.wait()
    times, died = res["times"], res["died"]
    final_sha = put_file(rules, a.final)
    if not died:
        try:
            os.kill(pid, signal.SIGHUP)
            times.append(time.time())
        except ProcessLookupError:
            died = f"the daemon (pid {pid}) vanished after {len(times)} SIGHUPs"
    sent = len(times)
    t_ready = int(r0["__realtime_timestamp"]) / 1e6 if r0 else None
    before_ready = sum(1 for t in times if t_ready is None or t < t_ready)
    span = times[-1] - times[0] if len(times) > 1 else 0
    seen = gate["seen"] or gate["blocked"]
    out(f"  {tool}: daemon seen {seen - t_start:.2f} s after `systemctl start`, SIGHUP blocked "
        f"{gate['blocked'] - seen:.3f} s later, ready (load record) "
        f"{'%.2f s after that' % (t_ready - gate['blocked']) if t_ready else 'never'}; "
        f"{before_ready} SIGHUPs during start-up, {sent} in all over {span:.1f} s "
        f"(one per {span / max(sent - 1, 1) * 1000:.0f} ms); last file {os.path.basename(a.final)} ({short(final_sha)})")
    # Settle: the final file's hash in a reload record, then quiet for 3 s.
    got = recs.wait(lambda rs: any(r.get("policy_event") == "reload" and r.get("policy_sha256") == final_sha
                                   for r in rs), a.settle_timeout)
    n_seen = -1
    while True:
        n_now = len(recs.mine())
        if n_now == n_seen:
            break
        n_seen = n_now
        time.sleep(3)
    subprocess.run(["journalctl", "--sync"], check=False)
    time.sleep(1)
    follow.kill()
    st = unit_show(unit)
    check(not died and st.get("MainPID") == str(pid),
          f"{tool} burst: the daemon survived {sent} SIGHUPs (same MainPID {pid})", died or f"now {st}")
    check(st.get("NRestarts") == "0", f"{tool} burst: the unit never restarted (NRestarts=0)", f"{st}")
    check(st.get("ActiveState") == "active", f"{tool} burst: the unit is active at the end", f"{st}")
    if not check(t_ready is not None, f"{tool} burst: the daemon became ready during the burst (load record)",
                 f"no load record; {len(recs.all)} policy records"):
        return 0
    startup = t_ready - seen
    check(gate["blocked"] - seen <= a.max_unblocked * startup,
          f"{tool} burst: signals blocked from the start (within the first {a.max_unblocked:.0%} of its "
          f"{startup:.1f} s start-up: {gate['blocked'] - seen:.3f} s)",
          f"SIGHUP was still deliverable {gate['blocked'] - seen:.2f} s into a {startup:.2f} s start-up")
    check(before_ready >= 1, f"{tool} burst: SIGHUPs arrived during start-up ({before_ready})")
    mine = recs.mine()
    p, in_force, n = check_sequence(tool, mine, set(valid.values()), set(invalid.values()), rules)
    kinds = {}
    for r in mine:
        kinds[r.get("policy_event")] = kinds.get(r.get("policy_event"), 0) + 1
    out(f"  {tool}: {n} reloads processed for {sent} SIGHUPs ({kinds}); in force at the end: {short(in_force)}")
    check(not p, f"{tool} burst: journal reload_seq contiguous 0..{n}, every record with the right hashes and MESSAGE_ID",
          "; ".join(p[:8]) + (f" (+{len(p) - 8} more)" if len(p) > 8 else ""))
    first = next((r for r in mine if seq_of(r) == 1), None)
    check(first is not None and before_ready >= 1,
          f"{tool} burst: the start-up SIGHUPs were handled as a reload after start (reload_seq 1)")
    check(got is not None and in_force == final_sha,
          f"{tool} burst: the policy in force at the end is the last file written ({short(final_sha)})",
          f"in force {short(in_force)}")
    return 0


# ------------------------------------------------------------------ records

def cmd_records(a):
    tool, unit, rules = a.tool, a.unit, a.rules
    steps = []
    for s in a.steps:
        kind, _, f = s.partition(":")
        if kind not in ("ok", "bad") or not f:
            failed(f"records: step {s!r} is not ok:FILE or bad:FILE")
            return 1
        steps.append((kind, f))
    subprocess.run(["systemctl", "reset-failed", unit], capture_output=True, check=False)
    follow = journal_follow(tool, time.time() - 1)
    recs = Records(follow.stdout, journal=True)
    start_sha = sha_file(rules)
    p = subprocess.run(["systemctl", "start", unit], capture_output=True, text=True, check=False)
    if not check(p.returncode == 0, f"{tool} records: systemctl start {unit}", p.stderr.strip()):
        follow.kill()
        return 1
    pid = unit_show(unit).get("MainPID")
    recs.pid = pid
    r0 = recs.wait_seq(0, 60)
    q = problems(tool, r0, "load", 0, start_sha, rules_file=rules, journal=True) if r0 else ["no record in 60 s"]
    check(not q, f"{tool} records: load record in journald (reload_seq 0, sha256 {short(start_sha)}, MESSAGE_ID, RULES_FILE)",
          "; ".join(q))
    if r0:
        check(r0.get("_systemd_unit") == unit, f"{tool} records: journald attributes it to {unit}",
              f"_SYSTEMD_UNIT={r0.get('_systemd_unit')}")
    in_force = start_sha
    bad = []
    for i, (kind, f) in enumerate(steps, 1):
        h = put_file(rules, f)
        subprocess.run(["systemctl", "reload", unit], check=False)
        r = recs.wait_seq(i, 60)
        if r is None:
            bad.append(f"step {i} ({kind}:{os.path.basename(f)}): no record with reload_seq={i} in 60 s")
            break
        if kind == "ok":
            q = problems(tool, r, "reload", i, h, rules_file=rules, journal=True)
            in_force = h
        else:
            q = problems(tool, r, "refused", i, in_force, h, rules_file=rules, journal=True)
        out(f"  {tool} seq {i} {kind}:{os.path.basename(f)} -> {r.get('policy_event')} "
            f"{short(r.get('policy_sha256'))}{' refused ' + short(r.get('refused_sha256')) if r.get('refused_sha256') else ''}: "
            f"{(r.get('message') or '')[:90]}")
        bad += [f"step {i} ({kind}:{os.path.basename(f)}): {x}" for x in q]
    follow.kill()
    n_ok = sum(1 for k, _ in steps if k == "ok")
    check(not bad, f"{tool} records: {n_ok} reloads and {len(steps) - n_ok} refused reloads, each with its journald record "
          "(reload_seq, policy_sha256 = sha256sum of the policy in force, refused_sha256, MESSAGE_ID, message)",
          "; ".join(bad))
    again = journal_records(tool, pid)
    seqs = [seq_of(r) for r in again if r.get("policy_event") != "refresh"]
    check(seqs == list(range(len(steps) + 1)),
          f"{tool} records: journalctl -o json _PID={pid} holds exactly reload_seq 0..{len(steps)}, once each",
          f"{seqs}")
    st = unit_show(unit)
    check(st.get("ActiveState") == "active" and st.get("MainPID") == pid and st.get("NRestarts") == "0",
          f"{tool} records: the unit is still active, same MainPID, no restart", f"{st}")
    if not bad:
        out(f"KW_SET: KW_SHA_IN_FORCE={in_force}")
    return 0


# ------------------------------------------------------------------ list

def cmd_list(a):
    for r in journal_records(a.tool, a.pid):
        out(f"{r.get('reload_seq')} {r.get('policy_event')} {r.get('policy_sha256')} {r.get('refused_sha256') or '-'}")
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("storm")
    s.add_argument("--tool", required=True)
    s.add_argument("--rules", required=True, help="the live rules file the daemon reads")
    s.add_argument("--a", required=True, help="policy A (loaded first)")
    s.add_argument("--b", required=True, help="policy B")
    s.add_argument("--n", type=int, default=1000)
    s.add_argument("--probe", required=True, help="command (split as by a shell, not run by one): prints 'ready', tries the access until SIGTERM, "
                   "then prints one JSON line {what, attempts, successes, differ: {label: [allowed, denied]}, other: {}}")
    s.add_argument("--daemon-arg", action="append", default=[])
    s.add_argument("--stderr", default="/tmp/storm-daemon.err")
    s.add_argument("--start-timeout", type=float, default=180)
    s.add_argument("--reload-timeout", type=float, default=60)
    s.add_argument("--progress", type=int, default=250)
    s.add_argument("--max-secs", type=float, default=360, help="give up (fail) after this long")
    s.add_argument("--via", choices=["json", "journal"], default="json", help="how the records are read")
    b = sub.add_parser("burst")
    b.add_argument("--tool", required=True)
    b.add_argument("--unit", required=True)
    b.add_argument("--rules", required=True)
    b.add_argument("--valid", nargs="+", required=True, help="valid files rotated in")
    b.add_argument("--invalid", nargs="*", default=[], help="invalid files rotated in")
    b.add_argument("--final", required=True, help="the valid file written last (differs from the rotated ones)")
    b.add_argument("--secs", type=float, default=20, help="how long the burst goes on after the daemon is ready")
    b.add_argument("--interval", type=float, default=0.015)
    b.add_argument("--max-unblocked", type=float, default=0.25,
                   help="SIGHUP must be blocked within this fraction of the daemon's start-up")
    b.add_argument("--start-timeout", type=float, default=180)
    b.add_argument("--settle-timeout", type=float, default=120)
    h = sub.add_parser("hupper", help="(used by burst)")
    h.add_argument("--tool", required=True)
    h.add_argument("--unit", required=True)
    h.add_argument("--rules", required=True)
    h.add_argument("--interval", type=float, required=True)
    h.add_argument("--start-timeout", type=float, default=180)
    h.add_argument("--invalid", nargs="*", default=[])
    h.add_argument("files", nargs="+")
    r = sub.add_parser("records")
    r.add_argument("--tool", required=True)
    r.add_argument("--unit", required=True)
    r.add_argument("--rules", required=True)
    r.add_argument("steps", nargs="+", help="ok:FILE (valid) or bad:FILE (invalid), written then reloaded in order")
    li = sub.add_parser("list")
    li.add_argument("--tool", required=True)
    li.add_argument("--pid", required=True)
    a = ap.parse_args()
    return {"storm": cmd_storm, "burst": cmd_burst, "hupper": cmd_hupper, "records": cmd_records, "list": cmd_list}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
