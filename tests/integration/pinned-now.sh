#!/usr/bin/env bash
# A pinned "now" (GASVOUCHER_NOW for gasvoucherd, --now for gasvoucher) only
# where [time] allow_pinned_now = yes, and every use logged as a warning;
# with the default configuration both programs refuse, naming the key, and
# change nothing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/db.sh"
. "$here/../lib/certs.sh"
. "$here/../lib/daemon.sh"

gvt_begin pinned-now
GV=$top_builddir/gasvoucher
GVD=$top_builddir/gasvoucherd
PIN=2025-09-30T18:00:00+05:00
gvt_sqlite_create "$dir/billing.db"
gvt_load_site a sqlite "$dir/billing.db"
gvt_write_conf "$dir/off.conf" "$GVT_SQLITE_CONN" "$top_srcdir/mappings/site-a.ini" "$dir/certs" \
    "$(gvt_intake_ini "$dir/certs" "$dir/spool")"
cp "$dir/off.conf" "$dir/on.conf"
printf '[time]\nallow_pinned_now = yes\n' >> "$dir/on.conf"
key="\[time\] allow_pinned_now is off"

# ---- gasvoucherd ------------------------------------------------------------------
rc=0
GASVOUCHER_NOW=$PIN timeout 20 "$GVD" -c "$dir/off.conf" > "$dir/off.log" 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "gasvoucherd with GASVOUCHER_NOW and the default configuration: exit $rc"
grep -q "error: GASVOUCHER_NOW pins \"now\" at $PIN, but $key" "$dir/off.log" ||
    fail "the refusal does not name the key: $(cat "$dir/off.log")"
curl -sf "http://127.0.0.1:$GVT_OPS_PORT/healthz" > /dev/null 2>&1 && fail "something listens after the refusal"
GASVOUCHER_NOW=$PIN "$GVD" -c "$dir/off.conf" --check > "$dir/check.log" 2>&1 &&
    fail "gasvoucherd --check passed GASVOUCHER_NOW with the default configuration"
grep -q "$key" "$dir/check.log" || fail "--check does not name the key: $(cat "$dir/check.log")"
GASVOUCHER_NOW=yesterday "$GVD" -c "$dir/on.conf" > "$dir/bad.log" 2>&1 &&
    fail "gasvoucherd started with GASVOUCHER_NOW=yesterday"
grep -q "GASVOUCHER_NOW: 'yesterday' is not a date and time" "$dir/bad.log" ||
    fail "a bad GASVOUCHER_NOW is not named: $(cat "$dir/bad.log")"
# Without the variable the default configuration starts as ever.
gvt_daemon_start "$dir/off.conf" "$dir/plain.log" || fail "gasvoucherd without a pin"
gvt_daemon_stop || fail "gasvoucherd did not stop"
grep -q 'pinned' "$dir/plain.log" && fail "a pin is logged without one"

# Allowed: it starts and says so; a reload to a configuration that does not
# allow it is refused.
export GASVOUCHER_NOW=$PIN
gvt_daemon_start "$dir/on.conf" "$dir/on.log" || fail "gasvoucherd with the pin allowed"
grep -q "warning: \"now\" is pinned at $PIN by GASVOUCHER_NOW (\[time\] allow_pinned_now = yes)" \
    "$dir/on.log" || fail "the pin is not logged as a warning: $(cat "$dir/on.log")"
cp "$dir/on.conf" "$dir/on.conf.good"
cp "$dir/off.conf" "$dir/on.conf"
kill -HUP "$GVT_DAEMON_PID"
for i in $(seq 1 50); do grep -q 'reload refused' "$dir/on.log" && break; sleep 0.1; done
grep -q "$key" "$dir/on.log" || fail "the reload without the key was not refused naming it"
cp "$dir/on.conf.good" "$dir/on.conf"
kill -HUP "$GVT_DAEMON_PID"
for i in $(seq 1 50); do grep -q 'reloaded' "$dir/on.log" && break; sleep 0.1; done
[ "$(grep -c 'is pinned at' "$dir/on.log")" = 2 ] || fail "the reload did not log the pin again"
gvt_daemon_stop || fail "gasvoucherd did not stop"
unset GASVOUCHER_NOW

# ---- gasvoucher --now ---------------------------------------------------------------
rc=0
"$GV" -c "$dir/off.conf" --now "$PIN" db migrate > "$dir/migrate-off.out" 2>&1 || rc=$?
[ "$rc" != 0 ] || fail "db migrate --now ran with the default configuration"
grep -q "error: --now pins \"now\" at $PIN, but $key" "$dir/migrate-off.out" ||
    fail "the refusal does not name the key: $(cat "$dir/migrate-off.out")"
[ "$(sqlite3 "$dir/billing.db" "SELECT count(*) FROM sqlite_master WHERE name LIKE 'gv_%'")" = 0 ] ||
    fail "the refused command changed the database"
rc=0
"$GV" -c "$dir/off.conf" process --now "$PIN" > "$dir/process-off.out" 2>&1 || rc=$?
[ "$rc" != 0 ] && grep -q "$key" "$dir/process-off.out" ||
    fail "--now after the command word is not refused: $(cat "$dir/process-off.out")"
"$GV" -c "$dir/on.conf" --now "$PIN" db migrate > "$dir/migrate-on.out" 2>&1 ||
    fail "db migrate --now with the pin allowed: $(cat "$dir/migrate-on.out")"
grep -q "warning: \"now\" is pinned at $PIN by --now" "$dir/migrate-on.out" ||
    fail "--now is not logged as a warning: $(cat "$dir/migrate-on.out")"
"$GV" -c "$dir/off.conf" db migrate > "$dir/migrate-plain.out" 2>&1 ||
    fail "db migrate without --now: $(cat "$dir/migrate-plain.out")"
grep -q pinned "$dir/migrate-plain.out" && fail "a pin is logged without one"

gvt_end "pinned-now: refused without [time] allow_pinned_now, a warning with it"
