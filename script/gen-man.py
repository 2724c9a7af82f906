#!/usr/bin/env python3
"""Man pages and bash completion for every kwarden binary, from one source.

The options, subcommands, examples and exit codes come from each built
binary's own --help (and `<binary> <subcommand> --help`); the descriptive text
comes from docs/. Both are read at build time, so the pages and the completion
cannot drift from --help or from docs/ (test/operate/man_check.sh checks it).

  gen-man.py --bin DIR --docs DIR --version V --man OUT --completion OUT
"""
import argparse
import os
import re
import subprocess
import sys

# binary -> (man section, docs page, rules file in /etc/kwarden, unit)
TOOLS = {
    "frtp": ("frtp.md", True, True),
    "rm-forbid": ("rm-forbid.md", True, True),
    "net-filter": ("net-filter.md", True, True),
    "trace-file": ("trace-file.md", True, True),
    "trace-exec": ("trace-exec.md", True, True),
    "kwarden-audit": ("audit.md", False, False),
}
# The tools whose --rules file takes drop-ins (docs/drop-ins.md).
ENFORCERS = ("frtp", "rm-forbid", "net-filter")
# kwarden-rules(5): the rules file formats, one section per tool.
RULES_SECTIONS = [
    ("frtp", "frtp.md", "Policy reference"),
    ("rm-forbid", "rm-forbid.md", "Policy (YAML)"),
    ("net-filter", "net-filter.md", "Rules file"),
    ("trace-file", "trace-file.md", "YAML config"),
    ("trace-exec", "trace-exec.md", "YAML config"),
]


def fail(msg):
    sys.stderr.write("gen-man: " + msg + "\n")
    sys.exit(1)


# A cross build runs the binaries through CMAKE_CROSSCOMPILING_EMULATOR (--emulator).
EMULATOR = []


def run_help(binary, args):
    try:
        p = subprocess.run(EMULATOR + [binary] + args + ["--help"], capture_output=True, text=True, timeout=30)
    except OSError as e:
        fail(f"cannot run {binary}: {e}")
    if p.returncode != 0:
        fail(f"`{' '.join([binary] + args)} --help` exited {p.returncode}: {p.stderr.strip()}")
    return p.stdout


class Help:
    """CLI11's --help: description, Usage line, OPTIONS, SUBCOMMANDS, footer."""

    def __init__(self, text):
        self.description = ""
        self.usage = ""
        self.options = []       # (names list, value hint, text)
        self.subcommands = []   # (name, text)
        self.footer = []
        lines = text.rstrip("\n").split("\n")
        section = "head"
        for line in lines:
            s = line.strip()
            if section == "head":
                if s.startswith("Usage:"):
                    u = s[len("Usage:"):].split()
                    self.usage = " ".join([os.path.basename(u[0])] + u[1:]) if u else ""
                    section = "afterusage"
                elif s:
                    self.description += (" " if self.description else "") + s
                continue
            if s in ("OPTIONS:", "Options:", "POSITIONALS:", "Positionals:"):
                section = "options"
                continue
            if s in ("SUBCOMMANDS:", "Subcommands:"):
                section = "subcommands"
                continue
            if section == "options":
                if not s:
                    section = "footer"
                    continue
                indent = len(line) - len(line.lstrip())
                if indent <= 6 and s.startswith("-"):
                    # CLI11 starts the text in column 30, or on the next line
                    # when the names and value hint are longer.
                    if len(line) > 30 and line[29] == " " and line[:30].strip():
                        spec, text = line[:30], line[30:]
                    else:
                        spec, text = line, ""
                    self.options.append(self._option(spec, text))
                elif self.options:
                    n, v, t = self.options[-1]
                    self.options[-1] = (n, v, (t + " " + s).strip())
                continue
            if section == "subcommands":
                if not s:
                    section = "footer"
                    continue
                m = re.match(r"^\s+(\S+)\s{2,}(.*)$", line)
                if m:
                    self.subcommands.append((m.group(1), m.group(2).strip()))
                elif self.subcommands:
                    n, t = self.subcommands[-1]
                    self.subcommands[-1] = (n, (t + " " + s).strip())
                continue
            if section in ("footer", "afterusage"):
                if s or self.footer:
                    self.footer.append(line.rstrip())
        while self.footer and not self.footer[-1].strip():
            self.footer.pop()

    @staticmethod
    def _option(spec, text):
        # "-o,--output TEXT:{text,json,journal}=text" -> names, hint
        w = spec.strip().split(None, 1)
        names = [n for n in w[0].split(",") if n]
        hint = w[1] if len(w) > 1 else ""
        return names, hint, text.strip()

    def choices(self, hint):
        m = re.search(r":\{([^}]*)\}", hint)
        return m.group(1).split(",") if m else []


def esc(s):
    """Plain text to roff: backslashes, hyphens, line-leading dots and quotes."""
    s = s.replace("\\", "\\e").replace("-", "\\-")
    # Non-ASCII as groff's Unicode escapes: the page renders without preconv.
    return "".join(c if ord(c) < 128 else "\\[u%04X]" % ord(c) for c in s)


def inline(s):
    """Markdown inline markup to roff."""
    out = []
    pos = 0
    for m in re.finditer(r"`([^`]*)`|\*\*([^*]+)\*\*|\[([^\]]+)\]\(([^)]+)\)", s):
        out.append(esc(s[pos:m.start()]))
        if m.group(1) is not None:
            out.append("\\fB" + esc(m.group(1)) + "\\fR")
        elif m.group(2) is not None:
            out.append("\\fB" + esc(m.group(2)) + "\\fR")
        else:
            out.append(esc(m.group(3)))
        pos = m.end()
    out.append(esc(s[pos:]))
    return "".join(out)


def line_out(s):
    """A text line that roff must not read as a request."""
    if s.startswith(".") or s.startswith("'"):
        return "\\&" + s
    return s


def markdown(md, heading_base=2):
    """The markdown subset docs/ uses (headings, paragraphs, lists, code blocks,
    tables) as man(7) requests. Level `heading_base` headings become .SH."""
    out = []
    lines = md.split("\n")
    i = 0
    para = []

    def flush():
        if para:
            out.append(".PP")
            for p in para:
                out.append(line_out(inline(p)))
            para.clear()

    while i < len(lines):
        l = lines[i]
        s = l.strip()
        if s.startswith("```"):
            flush()
            out.append(".PP")
            out.append(".RS 4")
            out.append(".nf")
            i += 1
            while i < len(lines) and not lines[i].strip().startswith("```"):
                out.append(line_out(esc(lines[i])))
                i += 1
            out.append(".fi")
            out.append(".RE")
            i += 1
            continue
        m = re.match(r"^(#+)\s+(.*)$", l)
        if m:
            flush()
            level = len(m.group(1))
            title = re.sub(r"`", "", m.group(2))
            if level <= heading_base:
                out.append(".SH " + esc(title.upper()).replace('"', ""))
            else:
                out.append(".SS " + esc(title).replace('"', ""))
            i += 1
            continue
        if s.startswith("|"):
            flush()
            rows = []
            while i < len(lines) and lines[i].strip().startswith("|"):
                cells = [c.strip() for c in lines[i].strip().strip("|").split("|")]
                if not all(re.match(r"^:?-+:?$", c) for c in cells if c):
                    rows.append(cells)
                i += 1
            header, body = rows[0], rows[1:]
            for r in body:
                out.append(".TP")
                out.append(line_out(inline(r[0])))
                rest = [f"{header[k]}: {r[k]}" if len(header) > 2 else r[k]
                        for k in range(1, len(r)) if r[k]]
                out.append(line_out(inline("; ".join(rest))))
            continue
        m = re.match(r"^(\s*)([*-]|\d+\.)\s+(.*)$", l)
        if m:
            flush()
            item = [m.group(3)]
            i += 1
            while i < len(lines) and lines[i].startswith("  ") and lines[i].strip() \
                    and not re.match(r"^\s*([*-]|\d+\.)\s+", lines[i]):
                item.append(lines[i].strip())
                i += 1
            out.append(".IP \\(bu 2")
            for p in item:
                out.append(line_out(inline(p)))
            continue
        if not s:
            flush()
        else:
            para.append(s)
        i += 1
    flush()
    return out


def split_doc(path):
    """A docs/ page as (title line, intro, [(heading, level, body)])."""
    text = open(path, encoding="utf-8").read()
    lines = text.split("\n")
    title = lines[0].lstrip("# ").strip() if lines and lines[0].startswith("# ") else ""
    body = "\n".join(lines[1:] if title else lines)
    parts = re.split(r"^(##+ .*)$", body, flags=re.M)
    intro = parts[0]
    sections = []
    for k in range(1, len(parts), 2):
        h = parts[k]
        level = len(h) - len(h.lstrip("#"))
        sections.append((h.lstrip("# ").strip(), level, parts[k + 1]))
    return title, intro, sections


def options_roff(opts):
    out = []
    for names, hint, text in opts:
        shown = ", ".join("\\fB" + esc(n) + "\\fR" for n in names)
        if hint:
            shown += " \\fI" + esc(hint) + "\\fR"
        out.append(".TP")
        out.append(shown)
        out.append(line_out(esc(text)) if text else "")
    return out


def verbatim(lines):
    out = [".PP", ".nf"]
    for l in lines:
        out.append(line_out(esc(l)))
    out.append(".fi")
    return out


def man_page(tool, main, subs, docs, version):
    doc, has_rules, has_unit = TOOLS[tool]
    name_desc = main.description
    if name_desc.startswith(tool + ":"):
        name_desc = name_desc[len(tool) + 1:].strip()
    out = [f'.TH {esc(tool.upper())} 8 "" "kwarden {version}" "kwarden"',
           ".\\\" Generated by script/gen-man.py from `" + tool + " --help` and docs/" + doc + "; do not edit.",
           ".SH NAME", f"{esc(tool)} \\- {esc(name_desc)}",
           ".SH SYNOPSIS"]
    out.append(".B " + esc(tool))
    out.append(esc(main.usage.split(None, 1)[1] if " " in main.usage else ""))
    for sname, sh in subs:
        out.append(".br")
        out.append(".B " + esc(tool + " " + sname))
        out.append(esc(" ".join(sh.usage.split()[2:])) if sh.usage else "")
    path = os.path.join(docs, doc)
    title, intro, sections = split_doc(path) if os.path.exists(path) else ("", "", [])
    out.append(".SH DESCRIPTION")
    out += markdown(intro)
    if main.options:
        out.append(".SH OPTIONS")
        out += options_roff(main.options)
    if subs:
        out.append(".SH COMMANDS")
        for sname, sh in subs:
            out.append(".SS " + esc(tool + " " + sname))
            out.append(".PP")
            out.append(line_out(esc(sh.description)))
            out += options_roff([o for o in sh.options if o[0] != ["-h", "--help"]])
    if main.footer:
        out.append(".SH EXAMPLES AND EXIT STATUS")
        out += verbatim(main.footer)
    for h, level, body in sections:
        out += markdown("#" * level + " " + h + "\n" + body)
    out.append(".SH FILES")
    files = []
    if has_rules:
        files.append((f"/etc/kwarden/{tool}.yaml", "the rules file the unit loads (kwarden-rules(5))"))
    if has_unit:
        files.append((f"/usr/lib/systemd/system/kwarden-{tool}.service", "the systemd unit"))
        files.append((f"/sys/fs/bpf/kwarden/", "pinned maps and links of the running tools"))
    if has_rules and tool in ENFORCERS:
        files.append((f"/etc/kwarden/{tool}.d/", "drop-ins merged into the rules file, *.yaml in byte order "
                      "of their names (kwarden-rules(5), DROP-IN DIRECTORIES)"))
    files.append(("/usr/share/doc/kwarden/", "the reference documentation this page is built from"))
    for f, t in files:
        out += [".TP", "\\fI" + esc(f) + "\\fR", esc(t)]
    out.append(".SH SEE ALSO")
    see = ["kwarden-rules(5)", "kwarden-audit(8)", "journalctl(1)", "systemctl(1)"]
    see += [f"{t}(8)" for t in TOOLS if t not in (tool, "kwarden-audit")]
    if tool == "kwarden-audit":
        see = [s for s in see if s != "kwarden-audit(8)"] + ["systemd-journal-remote(8)"]
    out.append(", ".join("\\fB" + esc(s.split("(")[0]) + "\\fR(" + s.split("(")[1] for s in see))
    return "\n".join(out) + "\n"


def rules_page(docs, version):
    out = [f'.TH KWARDEN-RULES 5 "" "kwarden {version}" "kwarden"',
           ".\\\" Generated by script/gen-man.py from docs/; do not edit.",
           ".SH NAME", "kwarden-rules \\- rules and configuration files of the kwarden tools",
           ".SH SYNOPSIS",
           ".nf"] + [f"/etc/kwarden/{t}.yaml" for t, _, _ in RULES_SECTIONS] + \
          [f"/etc/kwarden/{t}.d/*.yaml" for t in ENFORCERS] + [".fi",
           ".SH DESCRIPTION", ".PP",
           "Each kwarden tool reads one YAML file given with \\fB\\-\\-rules\\fR; the units load "
           "\\fI/etc/kwarden/<tool>.yaml\\fR. \\fB<tool> \\-\\-check \\-\\-rules FILE\\fR validates a file and "
           "prints what it compiles to; errors name \\fIfile:line:column\\fR and exit 3. "
           "\\fBsystemctl reload kwarden\\-<tool>\\fR applies an edited file atomically; "
           "an invalid one is refused and the previous policy stays. "
           "frtp, rm\\-forbid and net\\-filter also read the drop\\-ins beside the file "
           "(\\fI/etc/kwarden/<tool>.d/*.yaml\\fR): see DROP\\-IN DIRECTORIES."]
    for tool, doc, heading in RULES_SECTIONS:
        title, intro, sections = split_doc(os.path.join(docs, doc))
        found = [s for s in sections if s[0].startswith(heading)]
        if not found:
            fail(f"docs/{doc} has no '## {heading}' section for kwarden-rules(5)")
        h, level, body = found[0]
        out.append(".SH " + esc(tool.upper()) + " (/etc/kwarden/" + esc(tool) + ".yaml)")
        out += markdown(body, heading_base=1)
        # Sub-sections that belong to the same reference.
        idx = sections.index(found[0])
        for h2, level2, body2 in sections[idx + 1:]:
            if level2 <= level:
                break
            out += markdown("#" * (level2 - 1) + " " + h2 + "\n" + body2, heading_base=1)
    dropins = os.path.join(docs, "drop-ins.md")
    if not os.path.exists(dropins):
        fail("docs/drop-ins.md is missing: kwarden-rules(5) has a DROP-IN DIRECTORIES section from it")
    title, intro, sections = split_doc(dropins)
    out.append(".SH DROP-IN DIRECTORIES")
    out += markdown(intro)
    for h, level, body in sections:
        out += markdown("#" * (level + 1) + " " + h + "\n" + body)
    limits = os.path.join(docs, "policy-limits.md")
    if os.path.exists(limits):
        title, intro, sections = split_doc(limits)
        out.append(".SH LIMITS")
        out += markdown(intro)
        for h, level, body in sections:
            out += markdown("#" * (level + 1) + " " + h + "\n" + body)
    out += [".SH SEE ALSO",
            ", ".join(f"\\fB{esc(t)}\\fR(8)" for t, _, _ in RULES_SECTIONS) + ", \\fBkwarden\\-audit\\fR(8)"]
    return "\n".join(out) + "\n"


def completion(tool, main, subs):
    """A bash completion function: subcommands, options, option values."""
    fn = "_kwarden_" + re.sub(r"[^A-Za-z0-9]", "_", tool)

    def table(h):
        words, cases = [], []
        for names, hint, _ in h.options:
            words += names
            ch = h.choices(hint)
            pat = "|".join(names)
            if ch:
                cases.append(f"\t\t{pat}) COMPREPLY=($(compgen -W '{' '.join(ch)}' -- \"$cur\")); return ;;")
            elif re.search(r"\b(FILE|DIR|PATH)\b|:FILE|:DIR", hint) or \
                    any(n in ("--rules", "--file", "--capture-file", "--exe", "--path") for n in names):
                if "DIR" in hint or "--directory" in names:
                    cases.append(f"\t\t{pat}) COMPREPLY=($(compgen -d -- \"$cur\")); return ;;")
                else:
                    cases.append(f"\t\t{pat}) COMPREPLY=($(compgen -f -- \"$cur\")); return ;;")
            elif hint:
                cases.append(f"\t\t{pat}) return ;;")
        return words, cases

    out = [f"# bash completion for {tool}; generated by script/gen-man.py from `{tool} --help`.",
           f"{fn}()", "{", "\tlocal cur prev sub i", "\tcur=${COMP_WORDS[COMP_CWORD]}",
           "\tprev=${COMP_WORDS[COMP_CWORD-1]}", "\tsub="]
    if subs:
        names = " ".join(s for s, _ in subs)
        out += ["\tfor ((i = 1; i < COMP_CWORD; i++)); do",
                "\t\tcase ${COMP_WORDS[i]} in " + "|".join(s for s, _ in subs) + ") sub=${COMP_WORDS[i]}; break ;; esac",
                "\tdone"]
    out.append("\tcase $sub in")
    for sname, sh in subs:
        words, cases = table(sh)
        out.append(f"\t{sname})")
        out.append("\t\tcase $prev in")
        out += ["\t" + c for c in cases]
        out.append("\t\tesac")
        out.append(f"\t\tCOMPREPLY=($(compgen -W '{' '.join(words)}' -- \"$cur\")) ;;")
    words, cases = table(main)
    out.append("\t*)")
    out.append("\t\tcase $prev in")
    out += ["\t" + c for c in cases]
    out.append("\t\tesac")
    allw = words + [s for s, _ in subs]
    out.append(f"\t\tCOMPREPLY=($(compgen -W '{' '.join(allw)}' -- \"$cur\")) ;;")
    out.append("\tesac")
    out.append("}")
    out.append(f"complete -F {fn} {tool}")
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", required=True, help="directory with the built binaries")
    ap.add_argument("--docs", required=True, help="the docs/ directory")
    ap.add_argument("--version", required=True)
    ap.add_argument("--man", required=True, help="output directory for man8/ and man5/")
    ap.add_argument("--completion", required=True, help="output directory for bash completion files")
    ap.add_argument("--emulator", default="", help="run the binaries through this (a cross build's qemu-user)")
    ap.add_argument("tools", nargs="+", help="the binaries: " + ", ".join(TOOLS))
    a = ap.parse_args()
    EMULATOR.extend(a.emulator.split(";") if a.emulator else [])
    for t in a.tools:
        if t not in TOOLS:
            fail(f"unknown binary '{t}': gen-man.py knows {', '.join(TOOLS)} (add it to TOOLS)")
    os.makedirs(os.path.join(a.man, "man8"), exist_ok=True)
    os.makedirs(os.path.join(a.man, "man5"), exist_ok=True)
    os.makedirs(a.completion, exist_ok=True)
    for tool in a.tools:
        binary = os.path.join(a.bin, tool)
        if not os.access(binary, os.X_OK):
            fail(f"{binary} is missing: build it first")
        main_help = Help(run_help(binary, []))
        subs = [(s, Help(run_help(binary, [s]))) for s, _ in main_help.subcommands]
        write(os.path.join(a.man, "man8", tool + ".8"), man_page(tool, main_help, subs, a.docs, a.version))
        write(os.path.join(a.completion, tool), completion(tool, main_help, subs))
    write(os.path.join(a.man, "man5", "kwarden-rules.5"), rules_page(a.docs, a.version))


def write(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


if __name__ == "__main__":
    main()
