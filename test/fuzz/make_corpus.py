#!/usr/bin/env python3
"""Rebuilds the YAML seeds of test/fuzz/corpus from what the project already
holds: the example rules (rules/), the YAML blocks of docs/, and the string
literals the unit tests parse. Run by `script/fuzz.sh --seeds`; the decoder
seeds come from fuzz_seed_events (seed_events.cpp). Seeds are named by their
SHA-1, as libFuzzer names corpus files, so reruns add nothing twice."""

import hashlib
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
CORPUS = ROOT / "test/fuzz/corpus"

# target -> (example rules, docs, unit tests)
SOURCES = {
    "frtp_policy": (["frtp.yaml"], ["frtp.md"], ["frtp_test.cpp", "runtime_test.cpp"]),
    "rm_forbid_policy": (["rm-forbid.yaml"], ["rm-forbid.md"], ["rm_forbid_test.cpp"]),
    "net_filter_policy": (["net-filter.yaml"], ["net-filter.md"], ["net_filter_test.cpp"]),
    "trace_file_filter": (["trace-file.yaml"], ["trace-file.md"], ["trace_file_test.cpp", "process_filter_test.cpp"]),
    "exec_filter": (["trace-exec.yaml"], ["trace-exec.md"], ["trace_exec_test.cpp", "process_filter_test.cpp"]),
}

ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "\\": "\\", '"': '"', "'": "'", "a": "\a", "b": "\b",
           "f": "\f", "v": "\v", "?": "?"}


def unescape(body):
    out, i = [], 0
    while i < len(body):
        c = body[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        n = body[i + 1]
        if n == "x":
            m = re.match(r"[0-9a-fA-F]+", body[i + 2:])
            out.append(chr(int(m.group(0), 16) & 0xFF))
            i += 2 + len(m.group(0))
        elif n in "01234567" and re.match(r"[0-7]{1,3}", body[i + 1:]).group(0) != "0":
            m = re.match(r"[0-7]{1,3}", body[i + 1:])
            out.append(chr(int(m.group(0), 8) & 0xFF))
            i += 1 + len(m.group(0))
        else:
            out.append(ESCAPES.get(n, n))
            i += 2
    return "".join(out)


# One C++ string literal: raw (R"d(...)d") or ordinary, possibly prefixed.
LITERAL = re.compile(r'(?:u8|u|U|L)?(?:R"(?P<d>[^(\s]*)\((?P<raw>.*?)\)(?P=d)"|"(?P<str>(?:[^"\\\n]|\\.)*)")', re.S)
BETWEEN = re.compile(r"(?:\s|//[^\n]*\n)*")


def literals(src):
    """Adjacent literals joined, as the compiler joins them."""
    pos, cur, end = 0, None, None
    while True:
        m = LITERAL.search(src, pos)
        if not m:
            break
        # Skip character literals and comments cheaply: a '"' inside '...' is rare in these files.
        text = m.group("raw") if m.group("raw") is not None else unescape(m.group("str"))
        if cur is not None and BETWEEN.fullmatch(src, end, m.start()):
            cur += text
        else:
            if cur is not None:
                yield cur
            cur = text
        end = pos = m.end()
    if cur is not None:
        yield cur


def looks_like_yaml(s):
    return len(s) >= 3 and ":" in s and ("\n" in s or s.lstrip().startswith("{"))


def doc_blocks(md):
    return re.findall(r"```ya?ml\n(.*?)```", md, re.S)


# YamlFile's own tests (duplicate keys, aliases, numbers, control characters)
# reach every loader.
SHARED_TESTS = ["yaml_test.cpp"]


def main():
    added = 0
    for target, (rules, docs, tests) in SOURCES.items():
        tests = tests + SHARED_TESTS
        seeds = []
        for r in rules:
            seeds.append((ROOT / "rules" / r).read_text())
        for d in docs:
            p = ROOT / "docs" / d
            if p.exists():
                seeds += doc_blocks(p.read_text())
        for t in tests:
            seeds += [s for s in literals((ROOT / "test/unit" / t).read_text()) if looks_like_yaml(s)]
        out = CORPUS / target
        out.mkdir(parents=True, exist_ok=True)
        for s in seeds:
            data = s.encode("utf-8", "surrogateescape") if isinstance(s, str) else s
            name = out / hashlib.sha1(data).hexdigest()
            if not name.exists():
                name.write_bytes(data)
                added += 1
    print(f"make_corpus: {added} new YAML seeds", file=sys.stderr)


if __name__ == "__main__":
    main()
