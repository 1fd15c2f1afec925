#!/bin/bash
# download.sh - file_download through nginx: every file_type x compress_results
# x (download_all_results | a size), read back with Python's json, csv and
# zipfile modules, unzip -t and openpyxl, cell by cell against the response
# endpoint's events (Unicode, quotes, line breaks, numbers, nested objects,
# arrays, missing fields, formula-like text); hostile file names; body
# validation; 404 and 409; a client that leaves; and 1,100,000 results to
# XLSX (two sheets).

: "${AR_TIMEOUT:=900}"
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/harness.sh"

ar_init
ar_require_programs

# openpyxl comes from Debian (python3-openpyxl): use the interpreter that
# has it when the first python3 on PATH does not.
if ! "$AR_PYTHON" -c 'import openpyxl' 2>/dev/null; then
	if /usr/bin/python3 -c 'import openpyxl' 2>/dev/null; then
		AR_PYTHON=/usr/bin/python3
	else
		ar_bail "python3-openpyxl is installed" "run scripts/deps"
	fi
fi
command -v unzip >/dev/null 2>&1 || ar_bail "unzip is installed" "run scripts/deps"

BIG=${DOWNLOAD_BIG_ROWS:-1100000}

ar_conf main \
    "http.max_body_bytes = 65536" \
    "runner.flush_ms = 20" \
    "runner.max_concurrent = 1"
ar_htpasswd

# The crafted events: every kind of value an export must carry.
"$AR_PYTHON" - "$T/data/crafted.ndjson" <<'EOF'
import json, sys
LONG = "\u0416" * 20000 + "x" * 20000          # 40,000 characters
evs = [
    {"msg": "plain", "n": 1, "f": 0.1, "b": True,
     "user": {"name": "alice", "id": 7, "geo": {"city": "Z\u00fcrich"}},
     "tags": ["a", "b"]},
    {"msg": "say \"hi\", then go", "n": -42, "f": -1.5e3, "b": False,
     "user": {"name": "\u041f\u0451\u0442\u0440"}, "tags": []},
    {"msg": "line1\nline2\r\nline3", "n": 9007199254740993,
     "big_ok": 9007199254740992, "neg_big": -9007199254740993, "note": None},
    {"msg": "=1+2", "formula2": "+SUM(A1)", "formula3": "-3",
     "formula4": "@cmd", "formula5": "\tTAB", "formula6": "\rCR", "n": 1e300},
    {"msg": "emoji \U0001F680 and \u5c71\u7530\u592a\u90ce",
     "nested_arr": [[1, 2], {"k": "v"}], "empty_obj": {}, "ctrl": "a\u0001b",
     "literal": "lit _x0041_ end"},
    {"msg": LONG, "n": 0, "f": 100.5},
    {"msg": "", "comma": "a,b,c", "quote": "\"", "backslash": "C:\\Windows\\System32",
     "user": {"name": "o'brien", "id": -1}},
    {"only_here": "x", "n": 3.25e-5, "esc": "\u00e9\u00e8", "ls": "a\u2028b"},
]
with open(sys.argv[1], "w", encoding="utf-8") as f:
    for i, e in enumerate(evs):
        e = dict({"@timestamp": "2026-03-01T00:00:%02d.000Z" % i}, **e)
        # Half the lines keep non-ASCII as \u escapes, half as UTF-8.
        f.write(json.dumps(e, ensure_ascii=(i % 2 == 0)) + "\n")
EOF
"$AR_PYTHON" "$AR_GEN" --count 300 --seed 5 --start 2026-03-02T00:00:00Z \
    --end 2026-03-03T00:00:00Z --ascii-every 3 >>"$T/data/crafted.ndjson"
ar_check "crafted events ingested" ar_ingest main crafted "$T/data/crafted.ndjson"
# Values that timechart ... by f makes into column names.
printf '%s\n' '{"@timestamp":"2026-03-01T00:00:00Z","f":"=HYPERLINK(\"http://x\",\"y\")"}' \
    '{"@timestamp":"2026-03-01T01:00:00Z","f":"plain"}' >"$T/data/risky.ndjson"
ar_check "risky events ingested" ar_ingest main risky "$T/data/risky.ndjson"
"$AR_PYTHON" - "$BIG" >"$T/data/big.ndjson" <<'EOF'
import sys
w = sys.stdout.write
for i in range(int(sys.argv[1])):
    w('{"@timestamp":%d,"i":%d,"s":"row %d"}\n' % (1767225600000 + i * 10, i, i))
EOF
ar_check "$BIG small events ingested" ar_ingest main big "$T/data/big.ndjson"
rm -f "$T/data/big.ndjson"

ar_check "asyncreq-runner starts" ar_start_runner main
ar_check "asyncreq-fcgi (2 workers) listens" ar_start_fcgi main 2
ar_check "nginx starts" ar_nginx_start "|$T/main.sock|0" "/auth|$T/main.sock|1"
ar_check "health answers 200 through nginx" \
    ar_wait_health "$AR_BASE/_sme/async_requests/health" 15
[ "$AR_TAP_FAIL" -eq 0 ] || ar_done

ar_py "$(cat <<'EOF'
import base64, csv, http.client, io, json, os, re, signal, subprocess, sys
import shutil, time, urllib.parse, zipfile
import openpyxl
from api_test import say
from openpyxl.utils.escape import unescape as xl_unescape

base, tdir, runner_pid, big_n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
U = urllib.parse.urlsplit(base)
API = "/_sme/async_requests/"
RANGE = {"dtStart": "2026-01-01T00:00:00Z", "dtEnd": "2027-01-01T00:00:00Z"}
MISSING = object()
MARK = "...[truncated]"
TYPES = {"json": "application/json", "csv": "text/csv; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


class R:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def h(self, name):
        v = [b for a, b in self.headers if a.lower() == name.lower()]
        return v[0] if v else None

    def hs(self, name):
        return [b for a, b in self.headers if a.lower() == name.lower()]

    def json(self):
        try:
            return json.loads(self.body)
        except Exception:
            return None

    def __repr__(self):
        return "HTTP %s %r %r" % (self.status, self.headers, self.body[:600])


def call(method, path, body=None, user=None, raw=None, timeout=300):
    h = {}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
    if raw is not None:
        data = raw if isinstance(raw, bytes) else raw.encode()
    if data is not None:
        h["Content-Type"] = "application/json"
    if method not in ("GET", "HEAD"):
        h["X-Requested-With"] = "asyncreq"	# docs/api.md, "Request headers"
    if user:
        h["Authorization"] = "Basic " + base64.b64encode(
            ("%s:pw-%s" % (user, user)).encode()).decode()
        path = "/auth" + path
    c = http.client.HTTPConnection(U.hostname, U.port, timeout=timeout)
    try:
        c.request(method, path, body=data, headers=h)
        r = c.getresponse()
        return R(r.status, r.getheaders(), r.read())
    finally:
        c.close()


def create(query, user=None):
    r = call("POST", API + "request", dict(RANGE, query=query), user=user)
    if r.status != 201:
        raise RuntimeError("create %r: %r" % (query, r))
    return r.json()["id"]


def status(tid, user=None):
    return call("GET", API + "status/" + tid, user=user).json()


def wait_done(tid, user=None, secs=300):
    end = time.time() + secs
    while time.time() < end:
        s = status(tid, user)
        if s and s["status"] in ("DONE", "FAILED", "CANCELLED"):
            return s
        time.sleep(0.05)
    raise RuntimeError("task %s not final after %d s" % (tid, secs))


def events_of(tid, user=None):
    r = call("GET", API + "response/" + tid, user=user)
    return r.json()["events"]


def download(tid, user=None, **body):
    return call("POST", API + "file_download/" + tid, body, user=user)


def flatten(ev, prefix="", out=None):
    out = {} if out is None else out
    for k, v in ev.items():
        if isinstance(v, dict) and v:
            flatten(v, prefix + k + ".", out)
        else:
            out[prefix + k] = v
    return out


def columns(evs):
    cols = {}
    for e in evs:
        for k in flatten(e):
            cols.setdefault(k, None)
    return list(cols)


def guard(s):
    return "'" + s if s[:1] in ("=", "+", "-", "@", "\t", "\r") else s


def csv_cell_ok(cell, v):
    if v is MISSING or v is None:
        return cell == ""
    if isinstance(v, bool):
        return cell == ("true" if v else "false")
    if isinstance(v, int):
        return re.fullmatch(r"-?[0-9]+", cell) is not None and int(cell) == v
    if isinstance(v, float):
        try:
            return float(cell) == v
        except ValueError:
            return False
    if isinstance(v, str):
        return cell == guard(v)
    try:
        return json.loads(cell) == v
    except ValueError:
        return False


def u16len(s):
    return sum(2 if ord(c) > 0xFFFF else 1 for c in s)


def xlsx_cell_ok(cell, v):
    if isinstance(cell, str):
        cell = xl_unescape(cell)        # _xHHHH_, as Excel reads it
    if v is MISSING or v is None or v == "":
        return cell is None
    if isinstance(v, bool):
        return cell == ("true" if v else "false")
    if isinstance(v, int):
        if abs(v) > 2 ** 53:
            return cell == str(v)
        return type(cell) in (int, float) and cell == v
    if isinstance(v, float):
        return type(cell) in (int, float) and abs(cell - v) <= 1e-15 * abs(v)
    if isinstance(v, str):
        if u16len(v) > 32767:
            return (isinstance(cell, str) and cell.endswith(MARK) and
                    u16len(cell) <= 32767 and u16len(cell) > 32000 and
                    v.startswith(cell[:-len(MARK)]))
        return cell == v
    try:
        return json.loads(cell) == v
    except (TypeError, ValueError):
        return False


def compare_rows(rows, evs, cols, cell_ok, what, head=None):
    """rows: header + data rows (lists of cells); head: the header wanted
    (cols when None)."""
    head = cols if head is None else head
    if rows[0] != head:
        return say(False, what + ": header is the task's column list",
                   "got:  %r" % (rows[0],), "want: %r" % (head,))
    if len(rows) - 1 != len(evs):
        return say(False, what + ": one row per event",
                   "got %d rows, want %d" % (len(rows) - 1, len(evs)))
    for i, (row, ev) in enumerate(zip(rows[1:], evs)):
        flat = flatten(ev)
        row = list(row) + [None] * (len(cols) - len(row))
        for j, c in enumerate(cols):
            v = flat.get(c, MISSING)
            if not cell_ok(row[j], v):
                return say(False, what + ": every cell equals the event's value",
                           "row %d column %r: got %r, want %r" % (i + 1, c, row[j], v))
    return say(True, what + ": header and %d rows equal the events cell by cell" % len(evs))


def unpack(r, name, ext, what):
    """Checks the zip answer r; returns its one entry's bytes."""
    path = os.path.join(tdir, "dl.zip")
    with open(path, "wb") as f:
        f.write(r.body)
    t = subprocess.run(["unzip", "-tqq", path], capture_output=True, text=True)
    say(t.returncode == 0, what + ": unzip -t finds no error", t.stdout, t.stderr)
    try:
        z = zipfile.ZipFile(io.BytesIO(r.body))
        bad = z.testzip()
        names = z.namelist()
        ok = bad is None and names == [name + "." + ext]
        say(ok, what + ": zipfile opens it, one entry %s.%s" % (name, ext),
            "names %r, bad %r" % (names, bad))
        return z.read(names[0])
    except Exception as e:
        say(False, what + ": zipfile opens it", repr(e))
        return None


def check_file(data, ft, evs, cols, what):
    if ft == "json":
        try:
            got = json.loads(data.decode("utf-8"))
        except Exception as e:
            return say(False, what + ": parses as JSON", repr(e), data[:300])
        say(got == evs, what + ": JSON array equals the events",
            "got %d events, want %d" % (len(got), len(evs)))
        lines = data.decode("utf-8").split("\n")
        if not evs:
            return say(lines == ["[]"], what + ": the empty array []", lines)
        say(lines[0] == "[" and lines[-1] == "]" and len(lines) == len(evs) + 2
            and all(json.loads(l.rstrip(",")) == e
                    for l, e in zip(lines[1:-1], evs)),
            what + ": one event per line", lines[:3])
    elif ft == "csv":
        if not evs:
            return say(data == b"", what + ": no rows is an empty file", data[:200])
        text = data.decode("utf-8")
        rows = list(csv.reader(io.StringIO(text, newline="")))
        head = data.split(b"\n", 1)[0]
        say(head.endswith(b"\r") and data.endswith(b"\r\n")
            and data.count(b"\r\n") >= len(evs) + 1
            and re.search(rb"[^\r]\n", re.sub(rb'"[^"]*"', b"", data)) is None,
            what + ": CRLF line ends", data[:200])
        # Names get the values' formula guard: '@timestamp.
        compare_rows(rows, evs, cols, csv_cell_ok, what,
                     [guard(c) for c in cols])
    else:
        try:
            wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
        except Exception as e:
            return say(False, what + ": openpyxl opens it", repr(e))
        ws = wb.worksheets
        rows = [list(r) for r in ws[0].iter_rows(values_only=True)]
        if not evs:
            return say(len(ws) == 1 and rows == [], what + ": one empty sheet",
                       "%d sheets, rows %r" % (len(ws), rows[:3]))
        say(len(ws) == 1, what + ": one sheet")
        compare_rows([[xl_unescape(c) if isinstance(c, str) else c
                       for c in rows[0]]] + rows[1:], evs, cols,
                     xlsx_cell_ok, what)


# ------------------------------------------------------------ the matrix

tid = create("source crafted")
st = wait_done(tid)
say(st["status"] == "DONE" and st["resultCount"] == 308,
    "crafted task is DONE with 308 results", st)
evs = events_of(tid)
cols = columns(evs)
print("# %d events, %d columns" % (len(evs), len(cols)))

for ft in ("json", "csv", "xlsx"):
    for comp in (False, True):
        for mode in ("all", 5, "default"):
            body = {"file_name": "export_" + ft, "file_type": ft,
                    "compress_results": comp}
            if mode == "all":
                body["download_all_results"] = True
                want = evs
            elif mode == "default":
                want = evs      # 10,000 by default: more than there are
            else:
                body["download_results_size"] = mode
                want = evs[:mode]
            what = "%s%s %s" % (ft, " zipped" if comp else "",
                                "all" if mode == "all" else
                                "default size" if mode == "default" else
                                "size %d" % mode)
            r = download(tid, **body)
            ext = "zip" if comp else ft
            if not say(r.status == 200, what + ": 200", r):
                continue
            say(r.h("content-type") == ("application/zip" if comp else TYPES[ft]),
                what + ": Content-Type", r.h("content-type"))
            say(r.h("content-disposition") ==
                'attachment; filename="export_%s.%s"' % (ft, ext),
                what + ": Content-Disposition", r.h("content-disposition"))
            data = unpack(r, "export_" + ft, ft, what) if comp else r.body
            if data is not None:
                check_file(data, ft, want, cols, what)

# A task without results: valid empty files.
tid0 = create("source no_such_index")
wait_done(tid0)
for ft in ("json", "csv", "xlsx"):
    r = download(tid0, file_name="empty", file_type=ft)
    if say(r.status == 200, "no results, %s: 200" % ft, r):
        check_file(r.body, ft, [], [], "no results, " + ft)
r = download(tid0, file_name="empty", file_type="csv", compress_results=True)
if say(r.status == 200, "no results, csv zipped: 200", r):
    d = unpack(r, "empty", "csv", "no results, csv zipped")
    say(d == b"", "no results, csv zipped: the entry is empty", d)

# Column names made of event values: guarded in csv as values are, text
# cells (never formulas) in xlsx.
tr = create("source risky | timechart span=1d count by f")
st = wait_done(tr)
say(st["status"] == "DONE", "timechart by a field whose value starts with '=': DONE", st)
r = download(tr, file_name="tc", file_type="csv", download_results_size=1)
say(r.status == 200 and r.body.split(b"\r\n")[0] ==
    b'_time,"\'=HYPERLINK(""http://x"",""y"")",plain',
    "timechart by f, csv: the column named =HYPERLINK(...) is guarded", r)
r = download(tr, file_name="tc", file_type="xlsx", download_results_size=1)
try:
    sheet = zipfile.ZipFile(io.BytesIO(r.body)).read("xl/worksheets/sheet1.xml")
    head = next(openpyxl.load_workbook(io.BytesIO(r.body), read_only=True)
                .worksheets[0].iter_rows(values_only=True))
    say(r.status == 200 and b"<f>" not in sheet and
        head == ("_time", '=HYPERLINK("http://x","y")', "plain"),
        "timechart by f, xlsx: the name is a text cell, no formula", head)
except Exception as e:
    say(False, "timechart by f, xlsx: the name is a text cell, no formula", repr(e), r)

# ------------------------------------------------------------ file names

def disp_name(r):
    """The file name a browser takes: filename* first, else filename."""
    d = r.h("content-disposition") or ""
    m = re.search(r"filename\*=UTF-8''([^;]+)", d)
    if m:
        return urllib.parse.unquote(m.group(1), errors="strict")
    m = re.search(r'filename="([^"]*)"', d)
    return m.group(1) if m else None


def safe_header(d):
    return (d is not None and re.fullmatch(r'attachment; filename="[ -~]*"'
            r"(; filename\*=UTF-8''[A-Za-z0-9!#$&+\-.^_`|~%]+)?", d) is not None
            and not re.search(r'filename="[^"]*[\\/][^"]*"', d))


HOSTILE = [
    ("../../etc/passwd", "etcpasswd"),
    ('a"b\r\nSet-Cookie: x', "abSet-Cookie: x"),
    ("x" * 2000, "x" * 200),
    ("\u0436" * 2000, "\u0436" * 100),
    ("", "results"),
    ("\u043e\u0442\u0447\u0451\u0442 \u65e5\u672c \U0001F680", "\u043e\u0442\u0447\u0451\u0442 \u65e5\u672c \U0001F680"),
    ("..\\..\\windows\\win.ini", "windowswin.ini"),
    ("...", "results"),
    ("evil\u202egpj.exe", "evilgpj.exe"),
]
for given, want in HOSTILE:
    label = json.dumps(given[:40], ensure_ascii=True) + ("... (%d chars)" % len(given) if len(given) > 40 else "")
    r = download(tid, file_name=given, file_type="csv", download_results_size=1)
    d = r.h("content-disposition")
    name = disp_name(r)
    say(r.status == 200 and safe_header(d) and name == want + ".csv"
        and not r.hs("set-cookie") and len(name.encode()) <= 204,
        "file name %s: safe header, file %s" % (label, json.dumps((want + ".csv")[:40])),
        r.status, d, name)
r = download(tid, file_name="../../etc/passwd", file_type="json",
             compress_results=True, download_results_size=1)
if say(r.status == 200 and disp_name(r) == "etcpasswd.zip",
       "hostile name zipped: etcpasswd.zip", r.h("content-disposition")):
    unpack(r, "etcpasswd", "json", "hostile name zipped")
r = download(tid, file_name="\u043e\u0442\u0447\u0451\u0442", file_type="csv",
             compress_results=True, download_results_size=1)
if say(r.status == 200, "non-ASCII name zipped: 200"):
    z = zipfile.ZipFile(io.BytesIO(r.body))
    say(z.namelist() == ["\u043e\u0442\u0447\u0451\u0442.csv"] and
        z.infolist()[0].flag_bits & 0x800,
        "non-ASCII name zipped: the entry name is flagged UTF-8",
        z.namelist())

# ------------------------------------------------------------ errors

def err(r, st, etype, has, name):
    j = r.json() or {}
    e = j.get("error") or {}
    return say(r.status == st and e.get("type") == etype and has in e.get("reason", ""),
               name, r)


err(download(tid, file_type="csv"), 400, "illegal_argument_exception",
    "file_name", "no file_name: 400 naming it")
err(download(tid, file_name="x"), 400, "illegal_argument_exception",
    "file_type", "no file_type: 400 naming it")
err(download(tid, file_name="x", file_type="pdf"), 400,
    "illegal_argument_exception", "file_type", "file_type pdf: 400")
err(download(tid, file_name=7, file_type="csv"), 400,
    "illegal_argument_exception", "file_name", "file_name a number: 400")
err(download(tid, file_name="x", file_type="csv", compress_results="yes"), 400,
    "illegal_argument_exception", "compress_results", "compress_results a string: 400")
err(download(tid, file_name="x", file_type="csv", download_all_results=1), 400,
    "illegal_argument_exception", "download_all_results",
    "download_all_results a number: 400")
err(download(tid, file_name="x", file_type="csv", download_results_size=0), 400,
    "illegal_argument_exception", "download_results_size",
    "download_results_size 0: 400")
err(download(tid, file_name="x", file_type="csv", download_results_size=2.5), 400,
    "illegal_argument_exception", "download_results_size",
    "download_results_size 2.5: 400")
err(download(tid, file_name="x", file_type="csv", download_results_size="5"), 400,
    "illegal_argument_exception", "download_results_size",
    "download_results_size a string: 400")
err(download(tid, file_name="x", file_type="csv", fileName="y"), 400,
    "illegal_argument_exception", "fileName", "unknown field: 400 naming it")
err(call("POST", API + "file_download/" + tid, raw='{"file_name": "x",'), 400,
    "parse_exception", "", "malformed JSON: 400 parse_exception")
err(call("POST", API + "file_download/" + tid, raw='["x"]'), 400,
    "parse_exception", "", "an array body: 400 parse_exception")
err(call("POST", API + "file_download/" + tid,
         raw=json.dumps({"file_name": "x" * 70000, "file_type": "csv"})), 413,
    "request_entity_too_large", "", "body over http.max_body_bytes: 413")
err(download("A" * 22, file_name="x", file_type="csv"), 404,
    "resource_not_found_exception", "", "unknown id: 404")
r = call("GET", API + "file_download/" + tid)
say(r.status == 405, "GET file_download: 405", r)
ta = create("source crafted qsize=3", user="alice")
wait_done(ta, user="alice")
r = download(ta, user="alice", file_name="mine", file_type="json")
say(r.status == 200 and len(json.loads(r.body)) == 3, "alice downloads her task", r)
err(download(ta, user="bob", file_name="x", file_type="json"), 404,
    "resource_not_found_exception", "", "bob gets 404 for alice's task")

# ------------------------------------------------------------ 409, big XLSX

def children(pid):
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


tb = create("source big")
end = time.time() + 60
while time.time() < end and status(tb)["status"] == "QUEUED":
    time.sleep(0.005)
# runner.max_concurrent = 1: this one waits in the queue behind it.
tq = create("source crafted")
# Stopping the executor keeps the task RUNNING for as long as the checks
# take; they only read (a stopped writer does not block LMDB readers).
kids = children(runner_pid)
for p in kids:
    os.kill(p, signal.SIGSTOP)
try:
    s = status(tb)
    if s["status"] == "RUNNING":
        err(download(tb, file_name="x", file_type="csv"), 409, "status_exception",
            "RUNNING", "running task: 409 status_exception")
    else:
        say(False, "running task: 409 status_exception", "task was %s" % s["status"])
    err(download(tq, file_name="x", file_type="xlsx"), 409, "status_exception",
        "QUEUED", "queued task: 409 status_exception")
finally:
    for p in kids:
        os.kill(p, signal.SIGCONT)
s = wait_done(tb, secs=600)
say(s["status"] == "DONE" and s["resultCount"] == big_n,
    "big task is DONE with %d results" % big_n, s)
wait_done(tq)

tmp = os.path.join(tdir, "store-main", "tmp")

# A client that leaves early: the responder stays well, no file is left.
for ft in ("csv", "xlsx"):
    c = http.client.HTTPConnection(U.hostname, U.port, timeout=300)
    c.request("POST", API + "file_download/" + tb, body=json.dumps(
        {"file_name": "gone", "file_type": ft, "download_all_results": True}),
        headers={"Content-Type": "application/json"})
    rr = c.getresponse()
    rr.read(1000)
    try:
        c.sock.shutdown(2)
    except (AttributeError, OSError):
        pass
    c.close()
    # The worker notices the client left at its next write, then removes
    # its temporary file: wait for that (a deadline, not a fixed sleep).
    end = time.time() + 15
    while True:
        left = os.listdir(tmp) if os.path.isdir(tmp) else []
        if left == [] or time.time() > end:
            break
        time.sleep(0.05)
    r = call("GET", API + "health")
    say(rr.status == 200 and r.status == 200 and left == [],
        "%s: a client that leaves mid-download; service fine, no temp file" % ft,
        rr.status, r, left)

# A temporary directory that cannot be used: the xlsx download fails before
# its first byte, with a JSON error (STORAGE/tmp replaced by a file).
shutil.rmtree(tmp, ignore_errors=True)
with open(tmp, "w") as f:
    f.write("not a directory")
r = download(tq, file_name="x", file_type="xlsx", download_results_size=5)
say(r.status == 500 and (r.json() or {}).get("error", {}).get("type") == "internal_error"
    and r.h("content-disposition") is None,
    "xlsx with an unusable STORAGE/tmp: 500 internal_error before any byte", r)
r = download(tq, file_name="x", file_type="csv", download_results_size=5)
say(r.status == 200, "and csv downloads, which need no temporary file, still work", r)
os.unlink(tmp)

t0 = time.time()
r = download(tb, file_name="big", file_type="xlsx", download_all_results=True)
secs = time.time() - t0
print("# %d rows to xlsx in %.1f s (%d bytes)" % (big_n, secs, len(r.body)))
left = os.listdir(tmp) if os.path.isdir(tmp) else []
say(r.status == 200 and left == [], "big xlsx: 200, temp file removed",
    r.status, left)
say(r.h("content-length") is None, "big xlsx: streamed as it is made (no Content-Length)",
    r.h("content-length"))
try:
    wb = openpyxl.load_workbook(io.BytesIO(r.body), read_only=True)
    sheets = wb.worksheets
    per = 1048575
    want = [min(per, big_n - k * per) for k in range((big_n + per - 1) // per)]
    say(len(sheets) == len(want), "big xlsx: %d sheets" % len(want),
        wb.sheetnames)
    i = big_n - 1           # newest first
    for k, ws in enumerate(sheets):
        n = 0
        bad = None
        it = ws.iter_rows(values_only=True)
        head = next(it, None)
        for row in it:
            j = i - n
            if bad is None and row != (1767225600000 + j * 10, j, "row %d" % j):
                bad = (n, row)
            n += 1
        i -= n
        say(head == ("@timestamp", "i", "s") and n == (want[k] if k < len(want) else -1)
            and bad is None,
            "big xlsx: sheet %d has the header and %d rows in order" % (k + 1, n),
            head, bad, want)
except Exception as e:
    say(False, "big xlsx: openpyxl reads it", repr(e))
print("END")
EOF
)" "$AR_BASE" "$T" "${AR_PID[runner-main]}" "$BIG"

ar_done
