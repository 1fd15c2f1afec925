#!/usr/bin/env bash
# lookups.sh - the lookup tables API behind nginx (docs/api.md, "Lookups"):
# upload, list, download byte for byte, delete; one user's tables hidden
# from another; shared tables written by an admin only and found after the
# user's own; a hostile name, a table over limits.max_lookup_bytes and
# invalid CSV refused with the error envelope; the CSRF checks of a PUT;
# and tasks using lookup, inputlookup and outputlookup end to end.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/harness.sh"

ar_init
ar_require_programs
ar_conf main 'auth.admin_users = "carol"' 'limits.max_lookup_bytes = 2KiB'
ar_htpasswd
ar_check "asyncreq-runner starts" ar_start_runner main
ar_check "asyncreq-fcgi listens" ar_start_fcgi main 2
ar_check "nginx starts" ar_nginx_start "|$T/main.sock|0" "/auth|$T/main.sock|1"
ar_check "health answers 200 through nginx" \
    ar_wait_health "$AR_BASE/_sme/async_requests/health" 15
[ "$AR_TAP_FAIL" -eq 0 ] || ar_done

ar_py "$(cat <<'PY'
import base64, http.client, json, sys, time, urllib.parse
from api_test import say
base = sys.argv[1]
u = urllib.parse.urlsplit(base)

def call(m, path, user, body=None, ctype="text/csv", xrw=True):
    h = {"Authorization": "Basic " + base64.b64encode(
        ("%s:pw-%s" % (user, user)).encode()).decode()}
    if body is not None:
        h["Content-Type"] = ctype
    if xrw and m != "GET":
        h["X-Requested-With"] = "asyncreq"
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    c.request(m, "/auth/_sme/" + path, body=body, headers=h)
    r = c.getresponse()
    return r.status, r.read(), r.getheader("Content-Type")

def err(data):
    try:
        d = json.loads(data)
        return d["status"], d["error"]["type"], d["error"]["reason"]
    except Exception as e:
        return repr(data)

hosts = b'host,dc,role\nweb-1,fra,frontend\nweb-2,"b, os",frontend\n'
st, data, _ = call("PUT", "lookups/hosts", "alice", hosts)
say(st == 200 and json.loads(data) == {"name": "hosts", "shared": False,
    "bytes": len(hosts), "rows": 2}, "PUT stores alice's table", st, data)
st, data, ct = call("GET", "lookups/hosts", "alice")
say(st == 200 and data == hosts and ct.startswith("text/csv"),
    "GET gives it back byte for byte, as text/csv", st, data, ct)
st, data, _ = call("GET", "lookups", "alice")
l = json.loads(data)["lookups"] if st == 200 else None
say(l is not None and len(l) == 1 and l[0]["name"] == "hosts" and
    l[0]["owner"] == "alice" and l[0]["shared"] is False and
    l[0]["bytes"] == len(hosts) and l[0]["rows"] == 2 and
    l[0]["modified"].endswith("Z"), "GET lookups lists it", st, data)
st, data, _ = call("GET", "lookups/hosts", "bob")
say(st == 404 and err(data)[1] == "resource_not_found_exception",
    "bob does not see alice's table", st, data)
st, data, _ = call("GET", "lookups", "bob")
say(st == 200 and json.loads(data) == {"lookups": []}, "nor in his list",
    st, data)

shared = b'host,dc\nweb-1,shared-dc\ndb-1,par\n'
st, data, _ = call("PUT", "lookups/hosts?shared=true", "bob", shared)
say(st == 403 and err(data)[1] == "security_exception",
    "a user who is not an admin cannot write a shared table", st, data)
st, data, _ = call("PUT", "lookups/hosts?shared=true", "carol", shared)
say(st == 200 and json.loads(data)["shared"] is True,
    "an admin writes a shared table", st, data)
st, data, _ = call("GET", "lookups/hosts", "bob")
say(st == 200 and data == shared, "bob now gets the shared one", st, data)
st, data, _ = call("GET", "lookups/hosts", "alice")
say(st == 200 and data == hosts, "alice still gets her own first", st, data)
st, data, _ = call("GET", "lookups", "alice")
l = json.loads(data)["lookups"]
say([(x["name"], x["owner"], x["shared"]) for x in l] ==
    [("hosts", "alice", False), ("hosts", None, True)],
    "alice's list: her table, then the shared one", data)

st, data, _ = call("PUT", "lookups/..%2Fx", "alice", hosts)
say(st == 400 and "invalid lookup name" in err(data)[2],
    "a hostile name (../x) is refused", st, data)
st, data, _ = call("PUT", "lookups/.hidden", "alice", hosts)
say(st == 400 and "invalid lookup name" in err(data)[2],
    "a name starting with '.' is refused", st, data)
big = b"a,b\n" + b"x,y\n" * 600
st, data, _ = call("PUT", "lookups/big", "alice", big)
say(st == 413 and "limits.max_lookup_bytes" in err(data)[2],
    "a table over limits.max_lookup_bytes is a 413", st, data)
st, data, _ = call("PUT", "lookups/bad", "alice", b'a,b\n1,2,3\n')
say(st == 400 and err(data)[2] == "invalid CSV: line 2: 3 fields, the "
    "header has 2", "invalid CSV is a 400 naming the line", st, data)
st, data, _ = call("PUT", "lookups/bad", "alice", b'a,b\n"1,2\n')
say(st == 400 and "not closed" in err(data)[2],
    "an unclosed quote too", st, data)
st, data, _ = call("PUT", "lookups/t2", "alice", hosts, ctype="application/json")
say(st == 415, "a PUT not typed text/csv is a 415", st, data)
st, data, _ = call("PUT", "lookups/t2", "alice", hosts, xrw=False)
say(st == 403, "a PUT without X-Requested-With is a 403", st, data)
st, data, _ = call("POST", "lookups/t2", "alice", hosts)
say(st == 405, "POST is not a method of a table", st, data)

def task(user, query):
    st, data, _ = call("POST", "async_requests/request", user,
        json.dumps({"query": query}).encode(), ctype="application/json")
    if st not in (200, 201, 202):
        return None, data
    tid = json.loads(data)["id"]
    for _ in range(200):
        st, data, _ = call("GET", "async_requests/status/" + tid, user)
        s = json.loads(data)
        if s["status"] in ("DONE", "FAILED", "CANCELLED"):
            break
        time.sleep(0.05)
    st, data, _ = call("GET", "async_requests/response/" + tid, user)
    return s, json.loads(data).get("events")

s, ev = task("alice", '| makeresults count=3 shownumbers=true | eval host = '
    'case(number == 1, "web-1", number == 2, "web-2", true, "db-1") | '
    'lookup hosts host OUTPUT dc | table number, host, dc')
say(s and s["status"] == "DONE" and ev == [
    {"number": 1, "host": "web-1", "dc": "fra"},
    {"number": 2, "host": "web-2", "dc": "b, os"},
    {"number": 3, "host": "db-1", "dc": None}],
    "a task of alice's looks up her table", s, ev)
s, ev = task("bob", '| makeresults | eval host = "db-1" | lookup hosts host '
    '| table host, dc')
say(s and s["status"] == "DONE" and ev == [{"host": "db-1", "dc": "par"}],
    "a task of bob's finds the shared one", s, ev)
s, ev = task("bob", '| inputlookup nosuch')
say(s and s["status"] == "FAILED" and
    "no lookup table named 'nosuch'" in (s.get("error") or json.dumps(s)),
    "a missing table fails the task, saying so", s)
s, ev = task("alice", '| inputlookup hosts | eval n = 1 | outputlookup copy')
say(s and s["status"] == "DONE" and len(ev) == 2,
    "outputlookup passes the rows on", s, ev)
st, data, _ = call("GET", "lookups/copy", "alice")
say(st == 200 and data == b'host,dc,role,n\nweb-1,fra,frontend,1\n'
    b'web-2,"b, os",frontend,1\n', "and wrote them as alice's table", st, data)

st, data, _ = call("DELETE", "lookups/hosts", "bob")
say(st == 404, "bob cannot delete alice's table (his own: none)", st, data)
st, data, _ = call("DELETE", "lookups/hosts", "alice")
say(st == 200 and json.loads(data)["deleted"] is True, "alice deletes hers",
    st, data)
st, data, _ = call("GET", "lookups/hosts", "alice")
say(st == 200 and data == shared, "then she gets the shared one", st, data)
st, data, _ = call("DELETE", "lookups/hosts?shared=true", "carol")
say(st == 200, "the admin deletes the shared one", st, data)
st, data, _ = call("GET", "lookups/hosts", "alice")
say(st == 404, "then there is none", st, data)
print("END")
PY
)" "$AR_BASE"

ar_is "the CLI lists alice's table" \
    "$("$AR_CLI" -c "$T/main.conf" lookups list --user alice | awk 'NR > 1 {print $1, $2, $3, $5}')" \
    "copy alice no 2"
ar_is "the CLI gives it back" \
    "$("$AR_CLI" -c "$T/main.conf" lookups get copy --user alice | head -1)" "host,dc,role,n"
ar_done
