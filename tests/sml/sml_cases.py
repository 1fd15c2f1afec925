#!/usr/bin/env python3
"""sml_cases.py - runs the SML conformance cases of tests/sml/cases through
`asyncreq query` and prints TAP.

Each case is one file, tests/sml/cases/NNN-name.test:

    # what the case checks (comment lines start with '#')
    config: sme.core.sort_limit = 3      (optional, repeatable: extra
                                          configuration lines)
    from: 2026-01-01T00:00:00Z           (optional: --from, default below)
    to: 2026-01-02T00:00:00Z             (optional: --to, default below)
    query: source web | stats count      (one line, or "query:" alone
      followed by lines indented by two spaces, joined with newlines;
      or query-json: "..." for a query with edge white space, a JSON string)
    log: WARN: .*dropped                 (optional, repeatable: a Python
                                          regular expression that some
                                          stderr line must match)
    expect:                              (last: every following line is one
    {"count":20}                          expected NDJSON output line, exact
                                          bytes; nothing after it = no output)
or, instead of expect:
    error: unknown command 'foo' at line 1, column 14
    position: 13                         (optional: the 0-based offset)
or
    error-match: limits\\.max_groups      (a regular expression the error
                                          message must match; for run-time
                                          errors whose wording the spec leaves
                                          open, only what it names is fixed)

A query error is what `asyncreq query` prints on stderr as
"asyncreq: MESSAGE (position N)" (parse errors) or "asyncreq: MESSAGE"
(run-time errors) with a non-zero exit status.

After the cases, every example of docs/sml.md is run too: a block
"<!-- case: NNN-name -->" then a ```sml block (the query, run with the
from/to/config of that case file) then a ```ndjson block (the exact output),
or a ```text block (the error line "asyncreq: ..."; for a case with
error-match, "asyncreq: <...>" stands for any message the case accepts), or
no block (no output).

The data sets tests/sml/data/NAME.ndjson are ingested once, each into the
index NAME, in a temporary storage directory, and the tables
tests/sml/data/NAME.csv stored as lookup tables NAME of the user the cases
run as (`asyncreq query`'s default, anonymous).

Usage: sml_cases.py [--show] [--jobs N] [PATTERN...]
    PATTERN  run only cases whose file name contains one of the patterns
    --show   print each case's actual output instead of comparing (for
             writing a case or the docs; never writes a case file)
Environment: ASYNCREQ (the program, default $top_builddir/asyncreq),
KEEP_TMP=1 keeps the temporary directory.
"""

import concurrent.futures
import difflib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TOP_SRC = os.environ.get("top_srcdir") or os.path.dirname(os.path.dirname(HERE))
TOP_BUILD = os.environ.get("top_builddir") or TOP_SRC
PROG = os.environ.get("ASYNCREQ") or os.path.join(TOP_BUILD, "asyncreq")
CASES = os.path.join(HERE, "cases")
DATA = os.path.join(HERE, "data")
DEFAULT_FROM = "2026-01-01T00:00:00Z"
DEFAULT_TO = "2026-01-02T00:00:00Z"
TIMEOUT = 60


class CaseError(Exception):
    pass


def parse_case(path):
    """Returns a dict: query, from, to, config (list), logs (list), and one
    of expect (list of lines), error (str) or error_match (str)."""
    case = {"config": [], "logs": [], "from": DEFAULT_FROM,
            "to": DEFAULT_TO, "position": None}
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if line.startswith("#") or line.strip() == "":
            continue
        key, sep, val = line.partition(":")
        if not sep:
            raise CaseError("line %d: expected 'key: value'" % i)
        val = val[1:] if val.startswith(" ") else val
        if key == "query":
            if val.strip():
                case["query"] = val
            else:
                q = []
                while i < len(lines) and lines[i].startswith("  "):
                    q.append(lines[i][2:])
                    i += 1
                if not q:
                    raise CaseError("empty query block")
                case["query"] = "\n".join(q)
        elif key == "query-json":
            case["query"] = json.loads(val)
        elif key == "config":
            case["config"].append(val)
        elif key in ("from", "to"):
            case[key] = val
        elif key == "log":
            case["logs"].append(val)
        elif key == "error":
            case["error"] = val
        elif key == "error-match":
            case["error_match"] = val
        elif key == "position":
            case["position"] = int(val)
        elif key == "expect":
            if val.strip():
                raise CaseError("expect: takes no value on its line")
            rest = lines[i:]
            while rest and rest[-1] == "":
                rest.pop()
            case["expect"] = rest
            break
        else:
            raise CaseError("unknown key '%s'" % key)
    if "query" not in case:
        raise CaseError("no query")
    if sum(k in case for k in ("expect", "error", "error_match")) != 1:
        raise CaseError("exactly one of expect:, error:, error-match:")
    return case


def run_case(case, conf_dir, base_conf, name):
    conf = base_conf
    if case["config"]:
        conf = os.path.join(conf_dir, name + ".conf")
        with open(conf, "w") as f:
            with open(base_conf) as b:
                f.write(b.read())
            for c in case["config"]:
                f.write(c + "\n")
    cmd = [PROG, "-c", conf, "query", "--from", case["from"],
           "--to", case["to"], case["query"]]
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return None, b"", ("timed out after %d s" % TIMEOUT).encode()
    return p.returncode, p.stdout, p.stderr


def error_of(stderr):
    """The error message and position of an `asyncreq query` failure."""
    lines = [l for l in stderr.split("\n") if l.startswith("asyncreq: ")
             and not re.match(r"asyncreq: (DEBUG|INFO|WARN): ", l)]
    if not lines:
        return None, None
    msg = lines[-1][len("asyncreq: "):]
    m = re.match(r"(.*) \(position (\d+)\)$", msg)
    if m:
        return m.group(1), int(m.group(2))
    return msg, None


def check(case, rc, out, err):
    """Returns a list of diagnostic lines, empty when the case passed."""
    try:
        out = out.decode("utf-8")
    except UnicodeDecodeError:
        return ["output is not UTF-8: %r" % out[:200]]
    err = err.decode("utf-8", "replace")
    diag = []
    if rc is None:
        return [err]
    if "expect" in case:
        got = out.split("\n")
        if got and got[-1] == "":
            got.pop()
        if rc != 0:
            diag.append("exit status %d; stderr:" % rc)
            diag.extend(err.rstrip("\n").split("\n"))
        if got != case["expect"]:
            diag.append("output differs (--- expected, +++ got):")
            diag.extend(l.rstrip("\n") for l in difflib.unified_diff(
                case["expect"], got, "expected", "got", lineterm="", n=2))
    else:
        msg, pos = error_of(err)
        if rc == 0:
            diag.append("expected an error, but the query succeeded; output:")
            diag.extend(out.rstrip("\n").split("\n")[:20])
        elif msg is None:
            diag.append("exit status %d but no error message; stderr:" % rc)
            diag.extend(err.rstrip("\n").split("\n"))
        elif "error" in case and msg != case["error"]:
            diag.append("expected error: %s" % case["error"])
            diag.append("got error:      %s" % msg)
        elif "error_match" in case and not re.search(case["error_match"], msg):
            diag.append("expected an error matching: %s" % case["error_match"])
            diag.append("got error: %s" % msg)
        if case["position"] is not None and msg is not None and \
                pos != case["position"]:
            diag.append("expected position %d, got %s" % (case["position"], pos))
    for pat in case["logs"]:
        if not any(re.search(pat, l) for l in err.split("\n")):
            diag.append("no stderr line matches: %s" % pat)
            diag.append("stderr was:")
            diag.extend(err.rstrip("\n").split("\n"))
    return diag


def parse_docs(path):
    """Returns the examples of docs/sml.md: (line, case name, query, kind,
    lines) with kind "ndjson", "text" or "none"."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    out = []
    i = 0
    while i < len(lines):
        m = re.match(r"<!-- case: (\S+) -->$", lines[i])
        i += 1
        if not m:
            continue
        start = i
        while i < len(lines) and lines[i] != "```sml":
            i += 1
        j = i + 1
        while j < len(lines) and lines[j] != "```":
            j += 1
        query = "\n".join(lines[i + 1:j])
        i = j + 1
        kind, body = "none", []
        while i < len(lines) and not lines[i].startswith("<!-- case:") and \
                not lines[i].startswith("#"):
            if lines[i] in ("```ndjson", "```text"):
                kind = lines[i][3:]
                j = i + 1
                while j < len(lines) and lines[j] != "```":
                    j += 1
                body = lines[i + 1:j]
                i = j + 1
                break
            i += 1
        out.append((start, m.group(1), query, kind, body))
    return out


def check_doc(case, kind, body, rc, out, err):
    out = out.decode("utf-8", "replace")
    err = err.decode("utf-8", "replace")
    got = out.split("\n")
    if got and got[-1] == "":
        got.pop()
    if kind == "text":
        e = [l for l in err.split("\n") if l.startswith("asyncreq: ")
             and not re.match(r"asyncreq: (DEBUG|INFO|WARN): ", l)]
        msg, _ = error_of(err)
        if "error_match" in case and body[0].startswith("asyncreq: <"):
            ok = rc != 0 and msg is not None and re.search(case["error_match"], msg)
        else:
            ok = rc != 0 and e and e[-1] == body[0]
        if not ok:
            return ["documented error: %s" % body[0],
                    "got: exit %s, %s" % (rc, e[-1] if e else err.strip())]
        return []
    want = body if kind == "ndjson" else []
    if rc != 0 or got != want:
        d = ["exit status %s; stderr: %s" % (rc, err.strip())] if rc != 0 else []
        return d + ["documented output differs (--- documented, +++ got):"] + [
            l for l in difflib.unified_diff(want, got, "documented", "got",
                                            lineterm="", n=1)]
    return []


def setup(tmp):
    store = os.path.join(tmp, "store")
    base = os.path.join(tmp, "base.conf")
    with open(base, "w") as f:
        f.write("storage.path = %s\n" % store)
        # Small blocks, so that the cases read sealed blocks, their merge
        # with the tail and out-of-order events across blocks (the data is
        # a few KiB an index). AR_STORAGE_BLOCK_BYTES=0: the tail alone.
        f.write("storage.block_bytes = %s\n" % os.environ.get("AR_STORAGE_BLOCK_BYTES", "1KiB"))
    for fn in sorted(os.listdir(DATA)):
        if fn.endswith(".csv"):
            p = subprocess.run([PROG, "-c", base, "lookups", "put",
                                fn[:-len(".csv")], os.path.join(DATA, fn)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            if p.returncode != 0:
                raise CaseError("lookups put %s failed: %s %s" % (
                    fn, p.stdout.decode(), p.stderr.decode()))
            continue
        if not fn.endswith(".ndjson"):
            continue
        index = fn[:-len(".ndjson")]
        p = subprocess.run([PROG, "-c", base, "ingest", index,
                            os.path.join(DATA, fn)],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if p.returncode != 0:
            raise CaseError("ingest %s failed: %s %s" % (
                fn, p.stdout.decode(), p.stderr.decode()))
    return base


def main(argv):
    show = False
    jobs = os.cpu_count() or 2
    pats = []
    args = list(argv)
    while args:
        a = args.pop(0)
        if a == "--show":
            show = True
        elif a == "--jobs":
            jobs = int(args.pop(0))
        elif a.startswith("-"):
            print(__doc__, file=sys.stderr)
            return 2
        else:
            pats.append(a)
    if not os.path.isdir(CASES):
        print("1..0 # SKIP no tests/sml/cases in this tree")
        return 0
    if not os.access(PROG, os.X_OK):
        print("1..1")
        print("not ok 1 - %s is not built" % PROG)
        return 1
    files = sorted(f for f in os.listdir(CASES) if f.endswith(".test"))
    if pats:
        files = [f for f in files if any(p in f for p in pats)]
    docs = []
    docs_path = os.path.join(TOP_SRC, "docs", "sml.md")
    if os.path.exists(docs_path) and not pats and not show:
        docs = parse_docs(docs_path)
    tmp = tempfile.mkdtemp(prefix="asyncreq-sml.")
    try:
        try:
            base = setup(tmp)
        except CaseError as e:
            print("1..1")
            print("not ok 1 - ingest the data sets")
            print("# " + str(e).replace("\n", "\n# "))
            return 1
        cases = {}
        for f in files:
            try:
                cases[f] = parse_case(os.path.join(CASES, f))
            except (CaseError, ValueError) as e:
                cases[f] = e
        with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as ex:
            futs = {f: ex.submit(run_case, c, tmp, base, f[:-5])
                    for f, c in cases.items() if isinstance(c, dict)}
            dfuts = []
            for (line, name, query, kind, body) in docs:
                try:
                    c = dict(parse_case(os.path.join(CASES, name + ".test")))
                except (OSError, CaseError, ValueError) as e:
                    dfuts.append((line, name, None, e))
                    continue
                c["query"] = query
                dfuts.append((line, name, c, ex.submit(run_case, c, tmp, base,
                                                      "doc-" + name)))
            failed = 0
            if not show:
                print("1..%d" % (len(files) + len(docs)))
            for n, f in enumerate(files, 1):
                name = f[:-5]
                c = cases[f]
                if not isinstance(c, dict):
                    failed += 1
                    print("not ok %d - %s" % (n, name))
                    print("# bad case file: %s" % c)
                    continue
                rc, out, err = futs[f].result()
                if show:
                    print("== %s (exit %s)" % (name, rc))
                    sys.stdout.write(out.decode("utf-8", "replace"))
                    e = err.decode("utf-8", "replace")
                    if e:
                        sys.stdout.write("-- stderr\n" + e)
                    continue
                diag = check(c, rc, out, err)
                if diag:
                    failed += 1
                    print("not ok %d - %s" % (n, name))
                    print("#   query: %s" % c["query"].replace("\n", "\n#          "))
                    for l in diag:
                        print("#   " + l)
                else:
                    print("ok %d - %s" % (n, name))
            for k, (line, name, c, fut) in enumerate(dfuts, len(files) + 1):
                label = "docs/sml.md:%d (%s)" % (line, name)
                if c is None:
                    failed += 1
                    print("not ok %d - %s" % (k, label))
                    print("#   no case file for the example: %s" % fut)
                    continue
                kind, body = docs[k - len(files) - 1][3:]
                rc, out, err = fut.result()
                diag = check_doc(c, kind, body, rc, out, err)
                if diag:
                    failed += 1
                    print("not ok %d - %s" % (k, label))
                    print("#   query: %s" % c["query"].replace("\n", "\n#          "))
                    for l in diag:
                        print("#   " + l)
                else:
                    print("ok %d - %s" % (k, label))
            sys.stdout.flush()
        if not show and failed:
            print("# %d of %d failed" % (failed, len(files) + len(docs)))
        return 1 if failed and not show else 0
    finally:
        if os.environ.get("KEEP_TMP"):
            print("# kept %s" % tmp, file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
