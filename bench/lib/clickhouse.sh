# bench/lib/clickhouse.sh - a clickhouse-server of the benchmark's own, on
# loopback in its temporary directory, for the benchmarks that compare with
# it (bench/ingest, bench/scan). Sourced after tests/lib/harness.sh and
# ar_init (it uses $T, ar_free_port, ar_spawn and ar_wait_until).

BENCH_CH=${BENCH_CH:-/usr/sbin/clickhouse-server}

# bench_ch_start: starts clickhouse-server with its data in $T/ch; sets
# CHP (its HTTP port) and have_ch (1 when it answers, else 0, with a line
# saying why).
bench_ch_start() {
	local tcp
	have_ch=0
	if [ ! -x "$BENCH_CH" ]; then
		echo "== no $BENCH_CH (scripts/deps installs clickhouse-server); its column is skipped"
		return 0
	fi
	CHP=$(ar_free_port)
	tcp=$(ar_free_port)
	mkdir -p "$T/ch"
	cat >"$T/ch/config.xml" <<XML
<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>$T/ch/server.log</log><errorlog>$T/ch/error.log</errorlog><console>0</console></logger>
  <http_port>$CHP</http_port>
  <tcp_port>$tcp</tcp_port>
  <listen_host>127.0.0.1</listen_host>
  <path>$T/ch/data/</path>
  <tmp_path>$T/ch/tmp/</tmp_path>
  <user_files_path>$T/ch/user_files/</user_files_path>
  <users_config>users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>536870912</mark_cache_size>
</yandex>
XML
	cat >"$T/ch/users.xml" <<'XML'
<?xml version="1.0"?>
<yandex>
  <profiles><default></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></default></users>
  <quotas><default></default></quotas>
</yandex>
XML
	ar_spawn clickhouse "$BENCH_CH" --config-file="$T/ch/config.xml"
	if ar_wait_until 60 curl -sf "http://127.0.0.1:$CHP/" -o /dev/null; then
		have_ch=1
		echo "== clickhouse-server $(ch 'SELECT version()') on 127.0.0.1:$CHP"
	else
		echo "== clickhouse-server did not answer; its column is skipped"
	fi
}

# ch SQL: runs SQL over HTTP; prints the answer (fails on an error).
ch() { curl -sf "http://127.0.0.1:$CHP/" --data-binary "$1"; }

# bench_ch_columns FILE: the columns of a table for the NDJSON events of
# FILE: every top-level key, Int64 where every value is an integer, else
# String (a key with objects or mixed types is left out; inserts skip it
# with input_format_skip_unknown_fields), so ClickHouse parses and stores
# what asyncreq does.
bench_ch_columns() {
	"${AR_PYTHON:-python3}" - "$1" <<'PY'
import json, sys
kinds = {}
with open(sys.argv[1], "rb") as f:
    for line in f:
        for k, v in json.loads(line).items():
            t = "Int64" if isinstance(v, int) and not isinstance(v, bool) else \
                "String" if isinstance(v, str) else "x"
            kinds.setdefault(k, set()).add(t)
cols = ["`%s` %s" % (k.replace("`", ""), t.pop()) for k, t in kinds.items() if len(t) == 1 and "x" not in t]
print(", ".join(cols))
PY
}
