#!/usr/bin/env bash
# SIGHUP reloads gasvoucher.conf and the mapping; an invalid new
# configuration or mapping is refused and the running one kept.  SIGTERM
# stops the daemon cleanly.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/db.sh"
. "$here/../lib/certs.sh"
. "$here/../lib/daemon.sh"

gvt_begin reload
gvt_sqlite_create "$dir/billing.db"
gvt_load_site a sqlite "$dir/billing.db"
cp "$top_srcdir/mappings/site-a.ini" "$dir/map.ini"
gvt_write_conf "$dir/gv.conf" "$GVT_SQLITE_CONN" "$dir/map.ini" "$dir/certs"
gvt_daemon_start "$dir/gv.conf" "$dir/gv.log"
gvt_request 0012345678 > "$dir/req.xml"
answer() { gvt_post "$dir/req.xml"; }
hup() { kill -HUP "$GVT_DAEMON_PID"; sleep 0.5; }

[ "$(answer)" = "200 FOUND" ] || fail "before reload: $(answer)"

# A valid change: Almaty (KZ-75) leaves the pilot.
printf '[pilot]\nregions = KZ-71 KZ-79\n' >> "$dir/gv.conf"
hup
[ "$(answer)" = "200 REGION_NOT_IN_PILOT" ] || fail "after a valid reload: $(answer)"
grep -q 'reloaded' "$dir/gv.log" || fail "the reload was not logged"

# An invalid configuration: refused, the running one kept.
cp "$dir/gv.conf" "$dir/gv.conf.good"
printf '[wallet]\nidle_timeout = soon\n' >> "$dir/gv.conf"
hup
[ "$(answer)" = "200 REGION_NOT_IN_PILOT" ] || fail "after an invalid reload: $(answer)"
grep -q 'idle_timeout: expected a whole number' "$dir/gv.log" || fail "the reason was not logged"
grep -q 'reload refused' "$dir/gv.log" || fail "the refusal was not logged"

# An invalid mapping: refused too.
cp "$dir/gv.conf.good" "$dir/gv.conf"
printf '[account]\nzero_pad = eleven\n' >> "$dir/map.ini"
hup
[ "$(answer)" = "200 REGION_NOT_IN_PILOT" ] || fail "after an invalid mapping: $(answer)"
[ "$(grep -c 'reload refused' "$dir/gv.log")" = 2 ] || fail "the mapping refusal was not logged"

# SIGTERM drains: a request whose body is still arriving when the signal
# comes is answered in full, then the daemon exits.
python3 - "$GVT_PORT" "$GVT_DAEMON_PID" "$dir/certs" "$dir/req.xml" <<'PY' || fail "SIGTERM did not drain"
import os, signal, socket, ssl, sys, time
port, pid, certs, req = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
body = open(req, "rb").read()
ctx = ssl.create_default_context(cafile=f"{certs}/provider-ca.pem")
ctx.load_cert_chain(f"{certs}/client.pem", f"{certs}/client.key")
ctx.check_hostname = False
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)))
s.sendall(b"POST /v1/account-check HTTP/1.1\r\nHost: x\r\nContent-Type: application/xml\r\n"
          b"Content-Length: %d\r\n\r\n" % len(body) + body[:40])
time.sleep(0.3)
os.kill(pid, signal.SIGTERM)
time.sleep(0.3)
s.sendall(body[40:])
s.settimeout(5)
answer = ""
while "</AccountCheckResponse>" not in answer:
    chunk = s.recv(65536)
    if not chunk:
        break
    answer += chunk.decode(errors="replace")
print("answer during drain:", answer.split("\r\n")[0])
sys.exit(0 if answer.startswith("HTTP/1.1 200") and "<Result>" in answer else 1)
PY
gvt_daemon_stop || fail "the daemon did not exit cleanly on SIGTERM"
grep -q 'stopped' "$dir/gv.log" || fail "no 'stopped' in the log"

gvt_end "reload: SIGHUP applies a valid configuration and keeps the old one on errors"
