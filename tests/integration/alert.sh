#!/usr/bin/env bash
# alert.sh - alerts end to end (docs/alerts.md): a brute-force logon task
# made through nginx; `asyncreq alert fire` over it and `asyncreq alert
# deliver`: the webhook document POSTed to a loopback HTTP server started
# here, checked exactly; throttling per value; a receiver that is down
# (refusing, then answering 500) gets the delivery once it is up, retried
# with backoff, one success only; a target that stays down is given up
# after alert.max_attempts with the failure in the task log and the
# history; two delivery runs at once send once (the queue's lock); mail
# through msmtp (Debian's sendmail-compatible SMTP client,
# in a private configuration) to a loopback SMTP server started here, read
# back with Python's email module: the CSV rows and the XLSX cells of the
# attachments, and a mail whose server is down at first.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/harness.sh"

ar_init
ar_require_programs
MSMTP=${AR_MSMTP:-$(command -v msmtp || true)}
[ -n "$MSMTP" ] || ar_bail "msmtp is installed" "run scripts/deps"

SMTP_PORT=$(ar_free_port)
cat >"$T/msmtprc" <<EOF
account default
host 127.0.0.1
port $SMTP_PORT
from asyncreq@localhost
auth off
tls off
timeout 5
EOF
chmod 600 "$T/msmtprc"

ar_conf main \
    "runner.flush_ms = 20" \
    "alert.retry_base_seconds = 1" \
    "alert.retry_max_seconds = 2" \
    "alert.max_attempts = 3" \
    "alert.timeout_seconds = 5" \
    "alert.from = \"alerts@example.org\"" \
    "alert.base_url = \"https://search.example.org/\"" \
    "alert.sendmail = \"$MSMTP -C $T/msmtprc --read-envelope-from -t\""

# Security events: failed logons (4625) by user and address, some
# successes (4624) that the search leaves out.
"$AR_PYTHON" - "$T/data/security.ndjson" <<'EOF'
import json, sys
evs = []
fails = [("admin", "10.0.0.5", 6), ("bob", "10.0.0.7", 2),
         ("eve", "192.168.1.9", 4), ("admin", "10.0.0.8", 1)]
i = 0
for user, ip, n in fails:
    for _ in range(n):
        evs.append({"EventID": 4625, "TargetUserName": user,
                    "IpAddress": ip, "LogonType": 3})
for user in ("admin", "bob", "carol"):
    evs.append({"EventID": 4624, "TargetUserName": user,
                "IpAddress": "10.0.0.1", "LogonType": 2})
with open(sys.argv[1], "w") as f:
    for i, e in enumerate(evs):
        e = dict({"@timestamp": "2026-03-01T10:%02d:00.000Z" % i}, **e)
        f.write(json.dumps(e) + "\n")
EOF
ar_check "security events ingested" ar_ingest main security "$T/data/security.ndjson"
ar_check "asyncreq-runner starts" ar_start_runner main
ar_check "asyncreq-fcgi listens" ar_start_fcgi main 2
ar_check "nginx starts" ar_nginx_start "|$T/main.sock|0"
ar_check "health answers 200 through nginx" \
    ar_wait_health "$AR_BASE/_sme/async_requests/health" 15
[ "$AR_TAP_FAIL" -eq 0 ] || ar_done

ar_py "$(cat <<'PY'
import email, email.policy, http.client, http.server, io, json, os, re
import socketserver, subprocess, sys, threading, time, urllib.parse, zipfile
import xml.etree.ElementTree as ET
from api_test import say

base, T, cli, conf, smtp_port = sys.argv[1:6]
smtp_port = int(smtp_port)
u = urllib.parse.urlsplit(base)
API = "/_sme/async_requests/"

def call(m, path, body=None):
    h = {"X-Requested-With": "asyncreq"} if m != "GET" else {}
    if body is not None:
        h["Content-Type"] = "application/json"
        body = json.dumps(body)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    c.request(m, API + path, body=body, headers=h)
    r = c.getresponse()
    return r.status, json.loads(r.read() or b"null")

def alert(*args):
    p = subprocess.run([cli, "-c", conf, "alert"] + list(args),
                       capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr

def spec(name, d):
    path = os.path.join(T, name + ".json")
    with open(path, "w") as f:
        json.dump(d, f)
    return path

def history(name):
    rc, out, err = alert("history", "--name", name, "--owner", "anonymous")
    return json.loads(out) if rc == 0 else err

def free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p

# ---- A webhook receiver: every POST kept; answers from a script.
class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers["Content-Length"])
        body = self.rfile.read(n)
        srv = self.server
        status = srv.answers.pop(0) if srv.answers else 200
        srv.posts.append({"path": self.path, "headers": dict(self.headers),
                          "body": body, "status": status})
        with open(os.path.join(T, "hook-%d-%d.json" % (srv.server_port,
                  len(srv.posts))), "wb") as f:
            f.write(body)
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")
    def log_message(self, *a):
        pass

def start_hook(port, answers=()):
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), Hook)
    srv.posts, srv.answers = [], list(answers)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv

# ---- A loopback SMTP server (RFC 5321, the part msmtp uses).
class Smtp(socketserver.StreamRequestHandler):
    def do(self, line):
        self.wfile.write(line.encode() + b"\r\n")
    def handle(self):
        self.do("220 sink ESMTP")
        env = {"from": None, "to": []}
        while True:
            line = self.rfile.readline()
            if not line:
                return
            cmd = line.decode().strip()
            up = cmd.upper()
            if up.startswith("EHLO"):
                self.wfile.write(b"250-sink\r\n250 8BITMIME\r\n")
            elif up.startswith("HELO"):
                self.do("250 sink")
            elif up.startswith("MAIL FROM:"):
                env = {"from": cmd[10:].strip(), "to": []}
                self.do("250 ok")
            elif up.startswith("RCPT TO:"):
                env["to"].append(cmd[8:].strip())
                self.do("250 ok")
            elif up == "DATA":
                self.do("354 go on")
                data = []
                while True:
                    l = self.rfile.readline()
                    if l in (b".\r\n", b".\n", b""):
                        break
                    data.append(l[1:] if l.startswith(b"..") else l)
                self.server.mails.append((env, b"".join(data)))
                self.do("250 queued")
            elif up == "QUIT":
                self.do("221 bye")
                return
            else:
                self.do("250 ok")

def start_smtp(port):
    socketserver.ThreadingTCPServer.allow_reuse_address = True
    srv = socketserver.ThreadingTCPServer(("127.0.0.1", port), Smtp)
    srv.mails = []
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv

def fired_id(out):
    m = re.match(r"^fired (\d{13}-[A-Za-z0-9_-]{8}): ", out)
    return m.group(1) if m else "?"

def deliver_until(pred, secs=30):
    """Runs `alert deliver` until pred() holds; returns the outputs."""
    outs, end = [], time.time() + secs
    while True:
        outs.append(alert("deliver")[1].strip())
        if pred() or time.time() > end:
            return outs
        time.sleep(0.2)

# ---- The task: failed logons counted by user and address.
query = ("source security | search EventID=4625 | stats count by "
         "TargetUserName, IpAddress | where count >= 3 | sort -count")
st, d = call("POST", "request", {"query": query, "dtStart": "2026-03-01",
             "dtEnd": "2026-03-02"})
say(st == 201, "the brute-force search is created", st, d)
tid = d["id"]
end = time.time() + 30
while True:
    st, s = call("GET", "status/" + tid)
    if s.get("status") in ("DONE", "FAILED", "CANCELLED") or time.time() > end:
        break
    time.sleep(0.05)
say(s["status"] == "DONE" and s["resultCount"] == 2, "it is DONE with 2 rows",
    s)
st, r = call("GET", "response/" + tid)
rows = [{"TargetUserName": "admin", "IpAddress": "10.0.0.5", "count": 6},
        {"TargetUserName": "eve", "IpAddress": "192.168.1.9", "count": 4}]
say(r["events"] == rows, "the rows are admin/10.0.0.5 (6) and "
    "eve/192.168.1.9 (4)", r)

# ---- Bad input to the CLI.
rc, out, err = alert("check", spec("bad", {"condition": "always",
                     "actions": [{"type": "webhook",
                                  "url": "https://x.example/"}]}))
say(rc == 1 and err.strip().endswith("alert.actions[0].url: only http:// "
    "urls are supported (no TLS: put a relay in front for https)"),
    "alert check refuses an https url with the reason", rc, err)
rc, out, err = alert("fire", "--name", "x", "--task", tid)
say(rc == 2 and "usage:" in err, "fire without --spec is a usage error",
    rc, err)

# ---- 1. The webhook, received and checked exactly.
hp = free_port()
hook = start_hook(hp)
sp = spec("brute", {"condition": {"results": ">", "value": 0},
          "throttle": {"seconds": 3600, "field": "TargetUserName"},
          "actions": [{"type": "webhook",
                       "url": "http://127.0.0.1:%d/hooks/brute?x=1" % hp,
                       "results": 1}]})
rc, out, err = alert("fire", "--name", "brute", "--task", tid, "--spec", sp)
m = re.match(r"^fired (\d{13}-[A-Za-z0-9_-]{8}): 2 rows, 1 deliveries "
             r"queued\n$", out)
say(rc == 0 and m, "alert fire: fired on 2 rows, 1 delivery queued", rc, out,
    err)
fid = m.group(1) if m else "?"
say(hook.posts == [], "nothing is sent by fire itself", hook.posts)
rc, out, err = alert("deliver")
say(rc == 0 and out == "attempted 1, delivered 1, to retry 0, failed 0\n",
    "alert deliver: 1 delivered", rc, out, err)
say(len(hook.posts) == 1, "the receiver got one POST", hook.posts)
p = hook.posts[0] if hook.posts else {"headers": {}, "body": b"{}",
                                      "path": ""}
say(p["path"] == "/hooks/brute?x=1" and
    p["headers"].get("Content-Type") == "application/json" and
    p["headers"].get("X-Asyncreq-Delivery") == fid + "-1" and
    p["headers"].get("Host") == "127.0.0.1:%d" % hp and
    p["headers"].get("Content-Length") == str(len(p["body"])),
    "path, Content-Type, Content-Length, Host and X-Asyncreq-Delivery",
    p["path"], p["headers"])
doc = json.loads(p["body"])
fired_ms = int(fid[:13])
import datetime
iso = datetime.datetime.fromtimestamp(fired_ms / 1000,
    datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + \
    "%03dZ" % (fired_ms % 1000)
want = {"alert": "brute", "firing": fid, "delivery": fid + "-1",
        "fired_at": iso, "condition": "results > 0",
        "search": {"query": query, "owner": "anonymous"},
        "run": {"id": tid, "state": "DONE", "created": s["createdAt"],
                "finished": s["finishedAt"], "results": 2},
        "matched": 2, "results": rows[:1],
        "link": "https://search.example.org/_sme/async_requests/response/"
                + tid}
say(doc == want, "the webhook document, exactly", json.dumps(doc, indent=1),
    json.dumps(want, indent=1))
say(list(doc) == list(want), "its members in the documented order",
    list(doc))
rc, out, err = alert("deliver")
say(out == "attempted 0, delivered 0, to retry 0, failed 0\n" and
    len(hook.posts) == 1, "a second deliver sends nothing again", out,
    hook.posts)

# ---- 2. Throttling per value of TargetUserName.
rc, out, err = alert("fire", "--name", "brute", "--task", tid, "--spec", sp)
m2 = re.match(r"^throttled (\d{13}-[A-Za-z0-9_-]{8})\n$", out)
say(rc == 0 and m2, "the same rows again within the hour: throttled", out,
    err)
h = history("brute")
say(isinstance(h, list) and [x["outcome"] for x in h] ==
    ["throttled", "fired"] and h[1]["id"] == fid and
    h[1]["owner"] == "anonymous" and
    h[1]["task"] == tid and h[1]["rows"] == 2 and h[1]["at"] == iso and
    h[1]["deliveries"] == [{"id": fid + "-1", "type": "webhook",
    "target": "http://127.0.0.1:%d/hooks/brute?x=1" % hp,
    "state": "delivered", "attempts": 1, "last_error": None,
    "last_attempt": h[1]["deliveries"][0]["last_attempt"],
    "next_attempt": None,
    "delivered_at": h[1]["deliveries"][0]["last_attempt"]}] and
    h[0]["deliveries"] == [], "history: the firing, delivered, then the "
    "throttled one", json.dumps(h, indent=1))
st, lg = call("GET", "logs/" + tid)
msgs = [(l["level"], l["message"]) for l in lg["logs"]]
say(("INFO", "alert 'brute': condition results > 0 met, fired %s on 2 rows "
     "at %s: 1 deliveries queued" % (fid, iso)) in msgs and
    ("INFO", "alert 'brute': delivery %s-1 (webhook http://127.0.0.1:%d/"
     "hooks/brute?x=1) delivered at attempt 1" % (fid, hp)) in msgs and
    any(l == "INFO" and m.startswith("alert 'brute': condition results > 0 "
        "met by 2 rows, throttled (firing ") for l, m in msgs),
    "the task log has the firing, the delivery and the throttling", msgs)

# ---- 3. A receiver that is down, then answers 500, then 200.
dp = free_port()
sp = spec("down", {"condition": {"where": "count >= 5"},
          "actions": [{"type": "webhook",
                       "url": "http://127.0.0.1:%d/h" % dp}]})
rc, out, err = alert("fire", "--name", "down", "--task", tid, "--spec", sp)
m3 = re.match(r"^fired (\S+): 1 rows, 1 deliveries queued\n$", out)
say(m3, "a where condition fires on the 1 row with count >= 5", out, err)
fid3 = m3.group(1) if m3 else "?"
rc, out, err = alert("deliver")
say(out == "attempted 1, delivered 0, to retry 1, failed 0\n",
    "the receiver is not listening: to retry", out, err)
h = history("down")
dl = h[0]["deliveries"][0] if isinstance(h, list) and h else {}
say(dl.get("state") == "pending" and dl.get("attempts") == 1 and
    dl.get("last_error") == "connect: Connection refused" and
    dl.get("next_attempt") is not None,
    "history: pending after 1 attempt, with the reason", dl)
def iso_ms(t):
    d = datetime.datetime.strptime(t, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc)
    return int(d.timestamp() * 1000 + 0.5)

# Just before the next attempt is due (the clock given with --now, so a
# slow machine cannot make it due already).
due = iso_ms(dl.get("next_attempt") or "1970-01-01T00:00:00.000Z")
rc, out, err = alert("deliver", "--now", str(due - 1))
say(out == "attempted 0, delivered 0, to retry 0, failed 0\n",
    "not tried again before its backoff has passed", out, err)
say(due - iso_ms(dl.get("last_attempt") or "1970-01-01T00:00:00.000Z") ==
    1000, "the first backoff is alert.retry_base_seconds", dl)
down = start_hook(dp, answers=[500])
outs = deliver_until(lambda: history("down")[0]["deliveries"][0]["state"]
                     != "pending")
h = history("down")
dl = h[0]["deliveries"][0]
say(dl["state"] == "delivered" and dl["attempts"] == 3,
    "delivered at the third attempt (refused, 500, 200)", dl, outs)
say([x["status"] for x in down.posts] == [500, 200] and
    len({x["body"] for x in down.posts}) == 1 and
    {x["headers"]["X-Asyncreq-Delivery"] for x in down.posts} ==
    {fid3 + "-1"}, "the same document and delivery id both times, one "
    "success", [(x["status"], x["headers"].get("X-Asyncreq-Delivery"))
                for x in down.posts])
outs = [alert("deliver")[1] for _ in range(2)]
say(len(down.posts) == 2 and outs == ["attempted 0, delivered 0, to retry 0, "
    "failed 0\n"] * 2, "never sent again once delivered", outs)
d3 = json.loads(down.posts[-1]["body"]) if down.posts else {}
say(d3.get("results") == rows[:1] and d3.get("matched") == 1 and
    d3.get("condition") == "where count >= 5",
    "the document has the matching row only", d3)
st, lg = call("GET", "logs/" + tid)
msgs = [(l["level"], l["message"]) for l in lg["logs"]]
warn = [m for l, m in msgs if l == "WARN" and
        m.startswith("alert 'down': delivery %s-1 (webhook " % fid3)]
say(len(warn) == 2 and "attempt 1 failed: connect: Connection refused; "
    "next attempt at " in warn[0] and "attempt 2 failed: HTTP 500; next "
    "attempt at " in warn[1], "each failed attempt is in the task log", warn)

# ---- 4. A target that stays down: given up after alert.max_attempts.
gp = free_port()
sp = spec("gone", {"condition": "always", "actions": [{"type": "webhook",
          "url": "http://127.0.0.1:%d/" % gp, "results": 0}]})
rc, out, err = alert("fire", "--name", "gone", "--task", tid, "--spec", sp)
fid4 = fired_id(out)
outs = deliver_until(lambda: history("gone")[0]["deliveries"][0]["state"]
                     != "pending")
dl = history("gone")[0]["deliveries"][0]
say(dl["state"] == "failed" and dl["attempts"] == 3 and
    dl["last_error"] == "connect: Connection refused" and
    dl["next_attempt"] is None, "failed after 3 attempts, reason kept", dl,
    outs)
say(outs.count("attempted 1, delivered 0, to retry 1, failed 0") == 2 and
    outs.count("attempted 1, delivered 0, to retry 0, failed 1") == 1,
    "two retries, then given up", outs)
st, lg = call("GET", "logs/" + tid)
say(("ERROR", "alert 'gone': delivery %s-1 (webhook http://127.0.0.1:%d/) "
     "failed for good after 3 attempts: connect: Connection refused" %
     (fid4, gp)) in [(l["level"], l["message"]) for l in lg["logs"]],
    "the failure is in the task log", lg["logs"][-3:])

# ---- 4b. Two delivery runs at once send a delivery once: the lock.
class SlowHook(Hook):
    def do_POST(self):
        self.server.arrived.set()
        self.server.release.wait(20)
        Hook.do_POST(self)

sp_ = free_port()
slow = http.server.ThreadingHTTPServer(("127.0.0.1", sp_), SlowHook)
slow.posts, slow.answers = [], []
slow.arrived, slow.release = threading.Event(), threading.Event()
threading.Thread(target=slow.serve_forever, daemon=True).start()
sp = spec("slow", {"condition": "always", "actions": [{"type": "webhook",
          "url": "http://127.0.0.1:%d/" % sp_}]})
rc, out, err = alert("fire", "--name", "slow", "--task", tid, "--spec", sp)
procs = [subprocess.Popen([cli, "-c", conf, "alert", "deliver"],
                          stdout=subprocess.PIPE, text=True)]
got = slow.arrived.wait(20)
procs.append(subprocess.Popen([cli, "-c", conf, "alert", "deliver"],
                              stdout=subprocess.PIPE, text=True))
# The second run waits for the lock while the first one's POST is held:
# /proc/locks shows it blocked ("->") on the flock.
def blocked(pid):
    with open("/proc/locks") as f:
        return any("->" in l and (" %d " % pid) in l for l in f)
end = time.time() + 20
while not blocked(procs[1].pid) and time.time() < end:
    time.sleep(0.02)
waited = blocked(procs[1].pid)
slow.release.set()
outs = sorted(p.communicate(timeout=30)[0] for p in procs)
say(waited, "the second run waits on the queue's lock")
say(got and len(slow.posts) == 1 and outs == [
    "attempted 0, delivered 0, to retry 0, failed 0\n",
    "attempted 1, delivered 1, to retry 0, failed 0\n"],
    "two delivery runs at once: one POST, by one of them", outs, slow.posts)

# ---- 5. Mail through msmtp to the loopback SMTP server.
smtp = start_smtp(smtp_port)
sp = spec("mail", {"condition": {"results": ">=", "value": 2},
          "actions": [
            {"type": "email", "to": ["soc@example.org", "oncall@example.org"],
             "subject": "Brute force: failed logons", "attach": "csv"},
            {"type": "email", "to": ["reports@example.org"],
             "subject": "Weekly logon report \u2013 week 9",
             "attach": "xlsx"}]})
rc, out, err = alert("fire", "--name", "logons weekly", "--task", tid,
                     "--spec", sp)
fid5 = fired_id(out)
say(out.endswith(": 2 rows, 2 deliveries queued\n"), "two mails queued",
    out, err)
rc, out, err = alert("deliver")
say(out == "attempted 2, delivered 2, to retry 0, failed 0\n",
    "msmtp delivered both", out, err)
say(len(smtp.mails) == 2, "the SMTP server got two messages",
    len(smtp.mails))
mails = {}
for env, data in smtp.mails:
    msg = email.message_from_bytes(data, policy=email.policy.default)
    mails[msg["X-Asyncreq-Delivery"]] = (env, msg)
env, msg = mails.get(fid5 + "-1", ({}, None))
say(msg is not None and env["from"] == "<alerts@example.org>" and
    sorted(env["to"]) == ["<oncall@example.org>", "<soc@example.org>"] and
    msg["From"] == "alerts@example.org" and
    msg["To"] == "soc@example.org, oncall@example.org" and
    msg["Subject"] == "Brute force: failed logons" and
    msg["Message-ID"] == "<%s-1@asyncreq>" % fid5,
    "mail 1: envelope and headers", env, msg and dict(msg))
parts = list(msg.iter_parts()) if msg else []
text = parts[0].get_content() if parts else ""
say(len(parts) == 2 and ("Rows: 2\r\n" in text or "Rows: 2\n" in text) and
    "https://search.example.org/_sme/async_requests/response/" + tid in text,
    "its text names the rows and links the results", text)
att = parts[1] if len(parts) > 1 else None
say(att is not None and att.get_filename() == "logons weekly.csv" and
    att.get_content_type() == "text/csv",
    "the attachment is logons weekly.csv", att and dict(att))
csvb = att.get_payload(decode=True) if att else b""
say(csvb == b"TargetUserName,IpAddress,count\r\nadmin,10.0.0.5,6\r\n"
    b"eve,192.168.1.9,4\r\n", "the CSV rows, exactly", csvb)

env, msg = mails.get(fid5 + "-2", ({}, None))
say(msg is not None and env["to"] == ["<reports@example.org>"] and
    msg["Subject"] == "Weekly logon report \u2013 week 9",
    "mail 2: the report, its UTF-8 subject decoded", msg and dict(msg))
parts = list(msg.iter_parts()) if msg else []
att = parts[1] if len(parts) > 1 else None
say(att is not None and att.get_filename() == "logons weekly.xlsx" and
    att.get_content_type() == "application/vnd.openxmlformats-"
    "officedocument.spreadsheetml.sheet", "the attachment is an xlsx", att
    and dict(att))

def sheet_cells(data):
    z = zipfile.ZipFile(io.BytesIO(data))
    ns = {"s": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    shared = []
    if "xl/sharedStrings.xml" in z.namelist():
        for si in ET.fromstring(z.read("xl/sharedStrings.xml")).findall(
                "s:si", ns):
            shared.append("".join(t.text or "" for t in si.iter(
                "{%s}t" % ns["s"])))
    out = []
    for row in ET.fromstring(z.read("xl/worksheets/sheet1.xml")).iter(
            "{%s}row" % ns["s"]):
        cells = []
        for c in row.findall("s:c", ns):
            t, v = c.get("t"), c.find("s:v", ns)
            if t == "s":
                cells.append(shared[int(v.text)])
            elif t == "inlineStr":
                cells.append("".join(x.text or "" for x in c.iter(
                    "{%s}t" % ns["s"])))
            elif t == "str":
                cells.append(v.text)
            else:
                f = float(v.text)
                cells.append(int(f) if f.is_integer() else f)
        out.append(cells)
    return out

try:
    cells = sheet_cells(att.get_payload(decode=True))
except Exception as e:
    cells = repr(e)
say(cells == [["TargetUserName", "IpAddress", "count"],
              ["admin", "10.0.0.5", 6], ["eve", "192.168.1.9", 4]],
    "the XLSX cells: header, then the rows with numbers as numbers", cells)

# ---- 6. A mail whose SMTP server is down at first.
smtp.shutdown()
smtp.server_close()
sp = spec("mail2", {"condition": "always", "actions": [{"type": "email",
          "to": ["late@example.org"], "attach": "none"}]})
rc, out, err = alert("fire", "--name", "late", "--task", tid, "--spec", sp)
fid6 = fired_id(out)
rc, out, err = alert("deliver")
say(out == "attempted 1, delivered 0, to retry 1, failed 0\n",
    "msmtp fails while the server is down: to retry", out, err)
dl = history("late")[0]["deliveries"][0]
say(dl["state"] == "pending" and
    re.match(r"^sendmail exit status \d+$", dl["last_error"] or ""),
    "the reason is sendmail's exit status", dl)
smtp = start_smtp(smtp_port)
outs = deliver_until(lambda: history("late")[0]["deliveries"][0]["state"]
                     != "pending")
dl = history("late")[0]["deliveries"][0]
say(dl["state"] == "delivered" and len(smtp.mails) == 1 and
    email.message_from_bytes(smtp.mails[0][1])["Message-ID"] ==
    "<%s-1@asyncreq>" % fid6, "delivered once the server is up, once",
    dl, outs, len(smtp.mails))
msg = email.message_from_bytes(smtp.mails[0][1], policy=email.policy.default) \
    if smtp.mails else None
say(msg is not None and msg["Subject"] == "asyncreq alert: late" and
    len(list(msg.iter_parts())) == 1, "default subject, no attachment",
    msg and str(msg)[:600])
print("END")
PY
)" "$AR_BASE" "$T" "$AR_CLI" "$T/main.conf" "$SMTP_PORT"

ar_done
