#!/usr/bin/env bash
# Every account-check result over real HTTPS with client certificates, on
# SQLite, PostgreSQL and MariaDB, for site-a and site-b: the fixture accounts
# (open, closed, business, out of pilot, unmetered) and 200 generated ones,
# each typed several ways.  Also: `gasvoucher mapping check` on each, and
# the handshake refusing no certificate, another CA's and an expired one.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/db.sh"
. "$here/../lib/certs.sh"
. "$here/../lib/daemon.sh"

gvt_begin ac

run_site() { # engine site conn
    local engine=$1 site=$2 conn=$3 log="$dir/$1-$2.log"
    echo "== $engine site-$site"
    gvt_write_conf "$dir/$engine-$site.conf" "$conn" "$top_srcdir/mappings/site-$site.ini" \
        "$dir/certs"
    "$top_builddir/gasvoucher" -c "$dir/$engine-$site.conf" mapping check ||
        fail "$engine site-$site: mapping check"
    gvt_daemon_start "$dir/$engine-$site.conf" "$log"
    gvt_client check --expect "$dir/expect-$site.csv" --site "$site" \
        --fixture "$top_srcdir/tests/sites/accounts.csv" || fail "$engine site-$site: results"
    # The answer for the wrong provider and for a period's closing rule.
    set -- $(gvt_request 0012345678 2025-09 111111111111 > "$dir/wrong-bin.xml";
             gvt_post "$dir/wrong-bin.xml")
    [ "$1 $2" = "403 WRONG_PROVIDER" ] || fail "$engine site-$site: wrong BIN gave $1 $2"
    gvt_daemon_stop || fail "$engine site-$site: daemon exit status"
    # Logs must not hold a full name or a street from the fixture.
    if grep -qE 'Жандосова|Касымович|Самал-2' "$log"; then
        fail "$engine site-$site: the log holds personal data"
    fi
}

for site in a b; do
    # Expectations are the same whatever the engine: one file per site.
    python3 "$top_srcdir/tests/sites/gen.py" --site "$site" --engine sqlite --random 200 \
        --seed 7 --expect "$dir/expect-$site.csv" > /dev/null
done

# SQLite, the embedded default
gvt_sqlite_create "$dir/billing.db"
for site in a b; do
    gvt_load_site "$site" sqlite "$dir/billing.db" --random 200 --seed 7
    run_site sqlite "$site" "$GVT_SQLITE_CONN"
done

# The TLS handshake refuses every caller without a valid wallet certificate.
gvt_write_conf "$dir/tls.conf" "$GVT_SQLITE_CONN" "$top_srcdir/mappings/site-a.ini" "$dir/certs"
gvt_daemon_start "$dir/tls.conf" "$dir/tls.log"
gvt_request 0012345678 > "$dir/req.xml"
set -- $(gvt_post "$dir/req.xml")
[ "$1 $2" = "200 FOUND" ] || fail "valid client certificate gave $1 $2"
for who in none other-client expired-client; do
    if [ "$who" = none ]; then
        args=()
    else
        args=(--cert "$dir/certs/$who.pem" --key "$dir/certs/$who.key")
    fi
    code=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 10 \
        --cacert "$dir/certs/provider-ca.pem" "${args[@]}" \
        -H 'Content-Type: application/xml' --data-binary @"$dir/req.xml" \
        "$GVT_URL/v1/account-check" 2> /dev/null) || true
    [ "$code" = 000 ] || fail "client certificate '$who': got HTTP $code, expected no HTTP at all"
done
# Plain HTTP to the TLS port gets no HTTP answer either.
code=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 5 \
    "http://127.0.0.1:$GVT_PORT/v1/account-check" 2> /dev/null) || true
[ "$code" = 000 ] || fail "plain HTTP to the TLS listener gave HTTP $code"
gvt_daemon_stop || fail "daemon exit status (tls)"
n=$(grep -c 'account-check client=' "$dir/tls.log" || true)
[ "$n" = 1 ] || fail "only the valid client may reach HTTP: $n requests logged"

# PostgreSQL
gvt_pg_start "$dir"
for site in a b; do
    gvt_load_site "$site" postgresql "$dir" --random 200 --seed 7
    run_site postgresql "$site" "$GVT_PG_CONN"
done
gvt_pg_stop "$dir"

# MariaDB
gvt_maria_start "$dir"
for site in a b; do
    gvt_load_site "$site" mariadb "$dir" --random 200 --seed 7
    run_site mariadb "$site" "$GVT_MARIA_CONN"
done
gvt_maria_stop "$dir"

gvt_end "account-check: all results right on sqlite, postgresql and mariadb"
