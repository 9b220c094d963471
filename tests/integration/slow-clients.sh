#!/usr/bin/env bash
# Slow and greedy clients on both listeners, over real TLS and over plain
# loopback (tls = no): slow headers, slow bodies, bodies that keep the
# minimum rate but never end, keep-alive connections that dribble the next
# request, and more connections from one address than it may hold.  Each is
# cut within its configured limit, while a real request is still answered.
# Then the defaults against the case of issue 14: eight connections that
# send their headers and then one byte of body every 2 s, cut within 30 s.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/db.sh"
. "$here/../lib/certs.sh"
. "$here/../lib/daemon.sh"

gvt_begin slow
gvt_sqlite_create "$dir/billing.db"
gvt_load_site a sqlite "$dir/billing.db"

# The limits under test.  Connections come from distinct loopback addresses
# (127.0.0.2, ...) so that the per-address limit of one scenario does not
# refuse another's; the real requests come from 127.0.0.1.
limits='header_timeout = 2
idle_timeout = 4
body_timeout = 6
body_min_rate = 64
body_rate_window = 2
max_connections_per_ip = 8'
slack=1.8      # the sweeper looks every 0.2 s; the machine may be busy

slow() { # label port probe [--tls] scenarios...
    local label=$1 port=$2 probe=$3
    shift 3
    python3 "$GVT_LIB/slow.py" --label "$label" --port "$port" --probe "$probe" --probe-at 1 \
        --cert "$dir/certs/client.pem" --key "$dir/certs/client.key" \
        --ca "$dir/certs/provider-ca.pem" "$@"
}
upper() { python3 -c "print($1 + $slack)"; }

run_mode() { # tls|plain
    local mode=$1 tlsflag=() extra="[wallet]
$limits"
    [ "$mode" = tls ] && tlsflag=(--tls)
    [ "$mode" = plain ] && extra="$extra
tls = no"
    echo "== $mode"
    gvt_write_conf "$dir/$mode.conf" "$GVT_SQLITE_CONN" "$top_srcdir/mappings/site-a.ini" \
        "$dir/certs" "$extra"
    gvt_daemon_start "$dir/$mode.conf" "$dir/$mode.log"

    # The wallet listener.  A body of 1 byte per 0.5 s is below 64 B/s and
    # is cut at the end of its first 2 s window; 32 bytes per 0.25 s keeps
    # the rate and is cut by body_timeout.
    slow "$mode wallet" "$GVT_PORT" account-check "${tlsflag[@]}" \
        --scenario "mode=headers,count=3,every=0.5,source=127.0.0.3,min=1.8,max=$(upper 2)" \
        --scenario "mode=body,count=3,every=0.5,source=127.0.0.4,min=1.8,max=$(upper 2)" \
        --scenario "mode=body,count=2,every=0.25,chunk=32,length=10000,source=127.0.0.5,min=5.8,max=$(upper 6)" \
        --scenario "mode=keepalive,count=2,every=0.5,source=127.0.0.6,min=3.8,max=$(upper 4)" \
        --scenario "mode=ka-headers,count=2,every=0.5,source=127.0.0.7,min=1.8,max=$(upper 2)" \
        --scenario "mode=silent,count=12,refused=4,source=127.0.0.2,min=1.8,max=$(upper 2)" \
        || fail "$mode: wallet listener"

    # The operations listener (plain HTTP always; its silence limit is 10 s).
    slow "$mode ops" "$GVT_OPS_PORT" healthz \
        --scenario "mode=headers,count=2,every=0.5,path=/healthz,source=127.0.0.3,min=1.8,max=$(upper 2)" \
        --scenario "mode=body,count=2,every=0.5,length=1000,path=/healthz,source=127.0.0.4,min=1.8,max=$(upper 2)" \
        --scenario "mode=body,count=1,every=0.25,chunk=32,length=4000,path=/healthz,source=127.0.0.5,min=5.8,max=$(upper 6)" \
        --scenario "mode=ka-headers,count=1,every=0.5,path=/healthz,source=127.0.0.7,min=1.8,max=$(upper 2)" \
        --scenario "mode=silent,count=12,refused=4,source=127.0.0.2,min=1.8,max=$(upper 2)" \
        || fail "$mode: ops listener"

    # Each cut is counted by listener and reason, and logged with the address.
    curl -sf "http://127.0.0.1:$GVT_OPS_PORT/metrics" > "$dir/$mode.metrics" ||
        fail "$mode: /metrics"
    for want in 'wallet",reason="header_timeout' 'wallet",reason="body_min_rate' \
                'wallet",reason="body_timeout' 'wallet",reason="idle_timeout' \
                'ops",reason="header_timeout' 'ops",reason="body_min_rate' \
                'ops",reason="body_timeout'; do
        grep -q "listener=\"$want\"} [1-9]" "$dir/$mode.metrics" ||
            fail "$mode: no cut counted for $want"
    done
    grep -q 'wallet listener: cut a slow connection from 127.0.0.4 (body_min_rate' \
        "$dir/$mode.log" || fail "$mode: the cut of a slow body is not logged"
    # After the cuts, every address is welcome again.
    python3 "$GVT_LIB/slow.py" --port "$GVT_OPS_PORT" --probe healthz --probe-at 0 \
        --scenario "mode=silent,count=8,source=127.0.0.2,min=1.8,max=$(upper 2)" \
        > "$dir/$mode.again" || { cat "$dir/$mode.again"; fail "$mode: 127.0.0.2 not let in again"; }
    gvt_daemon_stop || fail "$mode: daemon exit status"
}

run_mode tls
run_mode plain

# The defaults: header bytes then one byte of body every 2 s, eight times over.
echo "== defaults"
gvt_write_conf "$dir/defaults.conf" "$GVT_SQLITE_CONN" "$top_srcdir/mappings/site-a.ini" \
    "$dir/certs"
gvt_daemon_start "$dir/defaults.conf" "$dir/defaults.log"
slow "defaults" "$GVT_PORT" account-check --tls --probe-at 3 \
    --scenario "mode=body,count=8,every=2,length=2000,source=127.0.0.2,min=9.5,max=30" \
    || fail "defaults: 8 slow bodies not cut within 30 s"
gvt_daemon_stop || fail "defaults: daemon exit status"

gvt_end "slow-clients: slow headers, slow bodies and greedy addresses cut within their limits on both listeners"
