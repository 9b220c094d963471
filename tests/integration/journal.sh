#!/usr/bin/env bash
# gasvoucherd under systemd: its standard error read as journald reads it
# (a "<N>" prefix per line gives the priority), and what it tells systemd
# over NOTIFY_SOCKET (Type=notify: READY, RELOADING, STOPPING, WATCHDOG).
#
# systemd names the journal stream in JOURNAL_STREAM ("device:inode");
# here standard error is a file and JOURNAL_STREAM names that file, as
# systemd would name its socket.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/db.sh"
. "$here/../lib/certs.sh"
. "$here/../lib/daemon.sh"

gvt_begin journal
notify_pid=
stop_listener() { [ -z "$notify_pid" ] || kill "$notify_pid" 2> /dev/null || true; }
trap 'stop_listener; _gvt_cleanup' EXIT

# journald's reading of a line: "<N>rest" is priority N; anything else is
# the unit's default priority, 6 (info).  Prints "PRIORITY LEVEL-WORD".
as_journald() {
    sed -n -e 's/^<\([0-7]\)>\([a-z]*\): .*/\1 \2/p' -e t -e 's/^[^<].*/6 none/p' "$1"
}
# Waits up to 10 s for a line matching PATTERN in FILE.
wait_for() {
    local i
    for i in $(seq 1 100); do
        grep -q -- "$2" "$1" 2> /dev/null && return 0
        sleep 0.1
    done
    return 1
}

gvt_sqlite_create "$dir/billing.db"
gvt_load_site a sqlite "$dir/billing.db"
# Voucher lists not configured: a warning at start.
gvt_write_conf "$dir/gv.conf" "$GVT_SQLITE_CONN" "$top_srcdir/mappings/site-a.ini" "$dir/certs"

# The notify socket: every datagram one line, its newlines as "|".
python3 - "$dir/notify.sock" "$dir/notify.log" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as log:
    while True:
        log.write(s.recv(4096).decode().replace("\n", "|") + "\n")
PY
notify_pid=$!
for i in $(seq 1 50); do [ -S "$dir/notify.sock" ] && break; sleep 0.1; done

# ---- the daemon at work -----------------------------------------------------------
: > "$dir/journal.log"
stream=$(stat -c '%d:%i' "$dir/journal.log")
JOURNAL_STREAM=$stream NOTIFY_SOCKET=$dir/notify.sock WATCHDOG_USEC=1000000 \
    "$top_builddir/gasvoucherd" -c "$dir/gv.conf" 2> "$dir/journal.log" &
GVT_DAEMON_PID=$!
wait_for "$dir/notify.log" '^READY=1' || fail "no READY=1: $(cat "$dir/notify.log")"
curl -sf "http://127.0.0.1:$GVT_OPS_PORT/healthz" > /dev/null || fail "READY=1 before /healthz answers"
wait_for "$dir/journal.log" 'voucher lists are not taken in' || fail "no warning about voucher lists"
sleep 1.2
[ "$(grep -c '^WATCHDOG=1$' "$dir/notify.log")" -ge 2 ] ||
    fail "WATCHDOG=1 not sent twice a second (WATCHDOG_USEC=1000000): $(cat "$dir/notify.log")"

# A bad configuration on SIGHUP: refused (an error), then a good one again.
cp "$dir/gv.conf" "$dir/gv.conf.good"
printf '[log]\ncolour = red\n' >> "$dir/gv.conf"
kill -HUP "$GVT_DAEMON_PID"
wait_for "$dir/journal.log" 'reload refused' || fail "the refused reload was not logged"
cp "$dir/gv.conf.good" "$dir/gv.conf"
kill -HUP "$GVT_DAEMON_PID"
wait_for "$dir/journal.log" 'reloaded' || fail "the reload was not logged"
sleep 0.2
gvt_daemon_stop || fail "gasvoucherd did not stop cleanly"
stop_listener

sequence=$(grep -v '^WATCHDOG=1$' "$dir/notify.log" | cut -d'|' -f1 | tr '\n' ' ')
[ "$sequence" = "READY=1 RELOADING=1 READY=1 RELOADING=1 READY=1 STOPPING=1 " ] ||
    fail "notifications: '$sequence'"
grep -q '^RELOADING=1|MONOTONIC_USEC=[0-9]*$' "$dir/notify.log" || fail "RELOADING=1 without MONOTONIC_USEC"

# Every line has its priority: errors 3, warnings 4, the rest 6.
as_journald "$dir/journal.log" > "$dir/priorities"
grep -v '^3 error$\|^4 warning$\|^6 info$' "$dir/priorities" > "$dir/wrong" &&
    fail "lines at the wrong priority: $(head -3 "$dir/wrong"); log: $(head -5 "$dir/journal.log")"
grep -q '^<3>error: .*colour' "$dir/journal.log" || fail "the unknown key is not an error at priority 3"
grep -q '^<3>error: reload refused' "$dir/journal.log" || fail "the refusal is not at priority 3"
grep -q '^<4>warning: voucher lists are not taken in' "$dir/journal.log" ||
    fail "the warning is not at priority 4"
grep -q '^<6>info: gasvoucherd ' "$dir/journal.log" || fail "the start is not at priority 6"
grep -q '^<[0-7]>[0-9]\{4\}-' "$dir/journal.log" && fail "journal lines carry a time stamp of their own"

# ---- a refused start, in and out of the journal --------------------------------------
printf '[provider]\nbin = 12\n' > "$dir/bad.conf"
: > "$dir/start.log"
JOURNAL_STREAM=$(stat -c '%d:%i' "$dir/start.log") "$top_builddir/gasvoucherd" -c "$dir/bad.conf" \
    2> "$dir/start.log" && fail "gasvoucherd started on a bad configuration"
grep -q '^<3>error: .*bad.conf:2: \[provider\] bin' "$dir/start.log" ||
    fail "a refused start is not at priority 3: $(cat "$dir/start.log")"
grep -vq '^<3>' "$dir/start.log" && fail "a line of the refused start is not at priority 3"
# JOURNAL_STREAM inherited, but standard error is somewhere else: plain lines.
JOURNAL_STREAM=$stream "$top_builddir/gasvoucherd" -c "$dir/bad.conf" 2> "$dir/plain.log" &&
    fail "gasvoucherd started on a bad configuration"
grep -q '^[0-9]\{4\}-[0-9][0-9]-[0-9][0-9].* error: .*bad.conf:2' "$dir/plain.log" ||
    fail "off the journal a line starts with its time: $(cat "$dir/plain.log")"
grep -q '^<' "$dir/plain.log" && fail "a priority prefix off the journal"

gvt_end "journal: errors at priority 3, warnings at 4, READY/RELOADING/STOPPING and WATCHDOG sent"
