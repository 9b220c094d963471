#!/usr/bin/env bash
# The billing database stops under load: answers become 503 UNAVAILABLE with
# Retry-After, never NOT_FOUND and never a hang; /readyz says so; once the
# database is back, answers are right again without restarting the daemon.
# PostgreSQL and MariaDB, both restarted mid-load.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/db.sh"
. "$here/../lib/certs.sh"
. "$here/../lib/daemon.sh"

gvt_begin outage

outage() { # engine conn stop-fn start-fn
    local engine=$1 conn=$2 stop=$3 restart=$4
    echo "== $engine"
    gvt_write_conf "$dir/$engine.conf" "$conn" "$top_srcdir/mappings/site-a.ini" "$dir/certs"
    gvt_daemon_start "$dir/$engine.conf" "$dir/$engine.log"
    set -- $(gvt_request 0012345678 > "$dir/req.xml"; gvt_post "$dir/req.xml")
    [ "$1 $2" = "200 FOUND" ] || fail "$engine: before the outage: $1 $2"

    # Load for 6 s; the database is down from about 1 s to 4 s.
    gvt_client load --seconds 6 --threads 4 --account 0012345678 > "$dir/load.json" &
    local loader=$!
    sleep 1
    "$stop" "$dir"
    sleep 0.5
    # While it is down: 503 with Retry-After, quickly; /readyz 503.
    local t0 t1 code
    t0=$(date +%s%N)
    set -- $(gvt_post "$dir/req.xml" -D "$dir/headers")
    t1=$(date +%s%N)
    [ "$1 $2" = "503 UNAVAILABLE" ] || fail "$engine: during the outage: $1 $2"
    grep -qi '^Retry-After: [0-9]' "$dir/headers" || fail "$engine: no Retry-After header"
    [ $(( (t1 - t0) / 1000000 )) -lt 3000 ] || fail "$engine: the 503 took $(( (t1 - t0) / 1000000 )) ms"
    code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$GVT_OPS_PORT/readyz")
    [ "$code" = 503 ] || fail "$engine: /readyz during the outage gave $code"
    sleep 1.5
    "$restart" "$dir"
    wait "$loader"
    echo "answers under load: $(cat "$dir/load.json")"
    grep -q 'NOT_FOUND' "$dir/load.json" && fail "$engine: NOT_FOUND while the database was down"
    grep -q '"503 UNAVAILABLE"' "$dir/load.json" || fail "$engine: no 503 seen during the outage"
    python3 - "$dir/load.json" <<'PY' || fail "$engine: unexpected answers under load"
import json, sys
counts = json.load(open(sys.argv[1]))
bad = {k: v for k, v in counts.items() if k not in ("200 FOUND", "503 UNAVAILABLE")}
sys.exit(1 if bad else 0)
PY
    # Back without a restart of the daemon (allow the back-off to pass).
    local ok=0 i
    for i in $(seq 1 50); do
        set -- $(gvt_post "$dir/req.xml")
        if [ "$1 $2" = "200 FOUND" ]; then ok=1; break; fi
        sleep 0.2
    done
    [ "$ok" = 1 ] || fail "$engine: still $1 $2 after the database came back"
    code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$GVT_OPS_PORT/readyz")
    [ "$code" = 200 ] || fail "$engine: /readyz after the outage gave $code"
    curl -s "http://127.0.0.1:$GVT_OPS_PORT/metrics" | grep 'db_errors_total{action="reconnect"}' |
        grep -qv ' 0$' || fail "$engine: database errors not counted in /metrics"
    gvt_daemon_stop || fail "$engine: daemon exit status"
}

gvt_pg_start "$dir"
gvt_load_site a postgresql "$dir"
outage postgresql "$GVT_PG_CONN" gvt_pg_stop gvt_pg_restart
gvt_pg_stop "$dir"

gvt_maria_start "$dir"
gvt_load_site a mariadb "$dir"
outage mariadb "$GVT_MARIA_CONN" gvt_maria_stop gvt_maria_restart
gvt_maria_stop "$dir"

gvt_end "db-outage: 503 while down, never NOT_FOUND, recovered without a restart"
