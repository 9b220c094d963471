# tests/lib/daemon.sh - run gasvoucherd for a test.  Source after db.sh.
#
#   gvt_write_conf FILE CONNSTR MAPPING CERTDIR [EXTRA_INI]
#        writes a configuration on free ports; exports GVT_PORT, GVT_OPS_PORT,
#        GVT_URL (https://127.0.0.1:PORT)
#   gvt_daemon_start CONF LOG   starts gasvoucherd, waits for /healthz;
#                               exports GVT_DAEMON_PID
#   gvt_daemon_stop             SIGTERM, waits; returns the daemon's status
#   gvt_client ARGS...          tests/lib/client.py with the URL and certificates
#   gvt_post BODYFILE [CURL_ARGS...]  POST a raw body with the valid client
#                               certificate; prints "STATUS CODE-OR-RESULT"
#   gvt_begin NAME   a test's temporary folder $dir (with certificates from
#                    certs.sh in $dir/certs), fail() counting into $failures,
#                    and clean-up on exit: daemon and servers stopped, the
#                    folder removed unless something failed
#   gvt_end MESSAGE  exits 1 when anything failed, else prints MESSAGE
#   gvt_wallet_sim_start CERTDIR STORE [ARGS...]  contrib/wallet-sim serving
#                    mutual TLS on a free port with the test certificates,
#                    its files in STORE, output in $dir/sim.out and sim.log;
#                    sets sim_port and sim_pid, stopped on exit; fails when
#                    it is not ready within 60 s
# shellcheck shell=bash

: "${top_builddir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${top_srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
GVT_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export top_builddir top_srcdir

gvt_wallet_sim_start() {
    local certs=$1 store=$2
    shift 2
    mkdir -p "$store"
    sim_port=$(gvt_free_port)
    $GVT_PYTHON "$top_srcdir/contrib/wallet-sim" serve --listen "127.0.0.1:$sim_port" \
        --cert "$certs/wallet-server.pem" --key "$certs/wallet-server.key" \
        --client-ca "$certs/provider-ca.pem" --store "$store" --verify-ca "$certs/provider-ca.pem" \
        --sign-cert "$certs/wallet-signer.pem" --sign-key "$certs/wallet-signer.key" "$@" \
        > "$dir/sim.out" 2> "$dir/sim.log" &
    sim_pid=$!
    trap 'kill $sim_pid 2> /dev/null; wait $sim_pid 2> /dev/null; _gvt_cleanup' EXIT
    # Up to 60 s: a loaded machine starts Python slowly; one that died ends the wait.
    for _ in $(seq 1 600); do
        grep -q READY "$dir/sim.out" && return 0
        kill -0 "$sim_pid" 2> /dev/null || break
        sleep 0.1
    done
    return 1
}

gvt_write_conf() {
    local file=$1 conn=$2 mapping=$3 certs=$4 extra=${5:-}
    GVT_PORT=$(gvt_free_port) && GVT_OPS_PORT=$(gvt_free_port) || return 1
    GVT_CERTS=$certs
    GVT_URL=https://127.0.0.1:$GVT_PORT
    export GVT_PORT GVT_OPS_PORT GVT_URL GVT_CERTS
    cat > "$file" <<CONF
[provider]
bin = 990340001234
name = АО «Пример Газ»

[database]
connection = $conn
mapping = $mapping
login_timeout = 2
query_timeout = 5
reconnect_min_ms = 50
reconnect_max_ms = 1000

[wallet]
listen = 127.0.0.1:$GVT_PORT
tls_cert = $certs/server.pem
tls_key = $certs/server.key
tls_client_ca = $certs/wallet-ca.pem
$(case "$extra" in *threads*) ;; *) echo "threads = 2" ;; esac)
$(case "$extra" in *rate_limit*) ;; *) echo "rate_limit = 0" ;; esac)

[ops]
listen = 127.0.0.1:$GVT_OPS_PORT

[log]
level = info
$extra
CONF
}

gvt_daemon_start() {
    local conf=$1 log=$2 i
    "$top_builddir/gasvoucherd" -c "$conf" > "$log" 2>&1 &
    GVT_DAEMON_PID=$!
    export GVT_DAEMON_PID
    for i in $(seq 1 100); do
        if curl -sf "http://127.0.0.1:$GVT_OPS_PORT/healthz" > /dev/null 2>&1; then
            return 0
        fi
        if ! kill -0 "$GVT_DAEMON_PID" 2> /dev/null; then
            echo "gasvoucherd exited at start:" >&2
            cat "$log" >&2
            return 1
        fi
        sleep 0.1
    done
    echo "gasvoucherd did not come up in 10 s" >&2
    cat "$log" >&2
    return 1
}

gvt_daemon_stop() {
    local i rc
    [ -n "${GVT_DAEMON_PID:-}" ] || return 0
    kill -TERM "$GVT_DAEMON_PID" 2> /dev/null || return 0
    for i in $(seq 1 200); do
        kill -0 "$GVT_DAEMON_PID" 2> /dev/null || break
        sleep 0.1
    done
    if kill -0 "$GVT_DAEMON_PID" 2> /dev/null; then
        echo "gasvoucherd did not stop within 20 s of SIGTERM" >&2
        kill -KILL "$GVT_DAEMON_PID"
        return 1
    fi
    wait "$GVT_DAEMON_PID"
    rc=$?
    GVT_DAEMON_PID=
    return $rc
}

gvt_client() {
    python3 "$GVT_LIB/client.py" "$1" --url "$GVT_URL" --cert "$GVT_CERTS/client.pem" \
        --key "$GVT_CERTS/client.key" --ca "$GVT_CERTS/provider-ca.pem" "${@:2}"
}

gvt_post() {
    local body=$1
    shift
    curl -sS -o "$body.out" -w '%{http_code}' --max-time 20 \
        --cacert "$GVT_CERTS/provider-ca.pem" \
        --cert "$GVT_CERTS/client.pem" --key "$GVT_CERTS/client.key" \
 \
        -H "Content-Type: ${GVT_CT:-application/xml}" "$@" \
        --data-binary @"$body" "$GVT_URL${GVT_PATH:-/v1/account-check}" > "$body.status" \
        2> "$body.err"
    printf '%s %s\n' "$(cat "$body.status")" \
        "$(sed -n -e 's:.*<\(Code\|Result\)>\([A-Z_]*\)</.*:\2:p' \
                  -e 's:.*<BatchReceipt .* status="\([A-Z]*\)".*:\1:p' "$body.out" | head -1)"
}

# A request body for account ACCOUNT in period PERIOD.
gvt_request() {
    printf '<?xml version="1.0" encoding="UTF-8"?>\n<AccountCheckRequest xmlns="urn:socialwallet:gas-voucher:v1" requestId="3f1c2a7e-9b4d-4e2a-8c61-0d5e7f9a1b23" sentAt="2025-09-07T09:15:02+05:00"><ProviderBin>%s</ProviderBin><Account>%s</Account><Period>%s</Period></AccountCheckRequest>\n' \
        "${3:-990340001234}" "$1" "${2:-2025-09}"
}

fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}

_gvt_cleanup() {
    gvt_daemon_stop || true
    gvt_stop_all "$dir" || true
    if [ "${failures:-1}" = 0 ]; then
        rm -rf "$dir"
    else
        echo "files of the failed test kept in $dir"
    fi
}

# The [intake], [signing] and [outbound] sections for CERTDIR's keys, a
# spool under SPOOL and the wallet (simulator) at URL.
gvt_intake_ini() {
    local certs=$1 spool=$2 url=${3:-https://127.0.0.1:1}
    printf '[intake]\nspool_dir = %s\n' "$spool"
    printf '[signing]\nwallet_ca = %s/wallet-sign-ca.pem\ncert = %s/provider-signer.pem\n' \
        "$certs" "$certs"
    printf 'key = %s/provider-signer.key\n' "$certs"
    printf '[outbound]\nurl = %s\ntls_ca = %s/wallet-ca.pem\n' "$url" "$certs"
    printf 'tls_cert = %s/provider-client.pem\ntls_key = %s/provider-client.key\n' \
        "$certs" "$certs"
    printf 'connect_timeout = 2\ntimeout = 5\nretry_min = 1\nretry_max = 2\n'
    printf 'outbox_interval = 1\n'
}

# Signs FILE with the wallet's signing key (FILE.p7s), or with KEYNAME.
gvt_wallet_sign() {
    local file=$1 key=${2:-wallet-signer}
    openssl cms -sign -binary -outform DER -md sha256 -nosmimecap \
        -signer "$GVT_CERTS/$key.pem" -inkey "$GVT_CERTS/$key.key" \
        -in "$file" -out "$file.p7s"
}

gvt_begin() {
    dir=$(mktemp -d "/tmp/gvt-$1.XXXXXX") || return 1
    chmod 755 "$dir"
    failures=0
    trap _gvt_cleanup EXIT
    gvt_make_certs "$dir/certs"
}

gvt_end() {
    if [ "$failures" != 0 ]; then
        echo "$failures failures"
        exit 1
    fi
    echo "$1"
}
