#!/usr/bin/env bash
# The wallet listener's TLS: only TLS 1.2 and 1.3 with AEAD ciphers by
# default ([wallet] tls_priorities), and, with [wallet] tls_client_allow,
# only the client certificates named there even among those the wallet CA
# issued, refused at the handshake.  Real OpenSSL clients (openssl s_client,
# curl) against the real daemon.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/db.sh"
. "$here/../lib/certs.sh"
. "$here/../lib/daemon.sh"

gvt_begin tls
c=$dir/certs
gvt_sqlite_create "$dir/billing.db"
gvt_load_site a sqlite "$dir/billing.db"

# A handshake with OpenSSL's client; prints the protocol and cipher agreed,
# or "refused".  SECLEVEL=0 lets the client offer what the server refuses.
handshake() {
    local out
    if out=$(openssl s_client -connect "127.0.0.1:$GVT_PORT" -CAfile "$c/provider-ca.pem" \
            -cert "${CLIENT:-$c/client}.pem" -key "${CLIENT:-$c/client}.key" "$@" < /dev/null 2>&1) &&
        grep -q '^New, TLSv[0-9.]*, Cipher is [A-Z]' <<< "$out"; then
        # "New, V, Cipher is C" gives the cipher's own version; the session's
        # "Protocol :" (absent in TLS 1.3 before a ticket) the one agreed.
        local proto cipher
        proto=$(sed -n 's/^ *Protocol *: *//p' <<< "$out" | head -1)
        cipher=$(sed -n 's/^New, \(TLSv[0-9.]*\), Cipher is \(.*\)/\1 \2/p' <<< "$out" | head -1)
        echo "${proto:-${cipher%% *}} ${cipher#* }"
    else
        echo refused
    fi
}
request() { : > "$dir/req.xml.out"; gvt_post "$dir/req.xml" "$@"; }
gvt_request 0012345678 > "$dir/req.xml"

# ---- versions and ciphers ---------------------------------------------------------
gvt_write_conf "$dir/gv.conf" "$GVT_SQLITE_CONN" "$top_srcdir/mappings/site-a.ini" "$c"
gvt_daemon_start "$dir/gv.conf" "$dir/gv.log"
got=$(handshake -tls1_1 -cipher 'DEFAULT@SECLEVEL=0')
[ "$got" = refused ] || fail "a client offering only TLS 1.1 got in: $got"
got=$(handshake -tls1_2 -cipher 'ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES256-SHA384:ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA')
[ "$got" = refused ] || fail "a client offering only CBC ciphers got in: $got"
got=$(handshake -tls1_2 -cipher 'ECDHE-ECDSA-AES128-GCM-SHA256')
[ "$got" = "TLSv1.2 ECDHE-ECDSA-AES128-GCM-SHA256" ] || fail "TLS 1.2 with AES-GCM: $got"
got=$(handshake -tls1_2 -cipher 'ECDHE-ECDSA-CHACHA20-POLY1305')
[ "$got" = "TLSv1.2 ECDHE-ECDSA-CHACHA20-POLY1305" ] || fail "TLS 1.2 with ChaCha20-Poly1305: $got"
got=$(handshake -tls1_3)
case $got in "TLSv1.3 TLS_"*) ;; *) fail "TLS 1.3: $got" ;; esac
[ "$(request)" = "200 FOUND" ] || fail "an account check over the default TLS: $(request)"
gvt_daemon_stop || fail "the daemon did not stop cleanly"

# The string is the site's to set: the same clients get in when it allows them.
gvt_write_conf "$dir/old.conf" "$GVT_SQLITE_CONN" "$top_srcdir/mappings/site-a.ini" "$c" \
    "$(printf '[wallet]\ntls_priorities = NORMAL:+VERS-TLS1.1:+AES-128-CBC:+SHA1:+SHA256\n')"
gvt_daemon_start "$dir/old.conf" "$dir/old.log"
got=$(handshake -tls1_1 -cipher 'DEFAULT@SECLEVEL=0')
[ "${got%% *}" = TLSv1.1 ] || fail "with TLS 1.1 allowed, the TLS 1.1 client: $got"
got=$(handshake -tls1_2 -cipher 'ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES128-SHA')
case $got in "TLSv1.2 ECDHE-ECDSA-AES128-SHA"*) ;; *) fail "with CBC allowed, the CBC client: $got" ;; esac
gvt_daemon_stop || fail "the daemon did not stop cleanly"

# A string GnuTLS does not understand is a configuration error.
sed 's/^tls_priorities = .*/tls_priorities = SECURE128:+NO-SUCH-THING/' "$dir/old.conf" > "$dir/bad.conf"
out=$("$top_builddir/gasvoucher" -c "$dir/bad.conf" config check 2>&1) && fail "a bad priority string passed"
grep -q "\[wallet\] tls_priorities: not a GnuTLS priority string (stopped at '+NO-SUCH-THING')" <<< "$out" ||
    fail "the bad priority string is not named: $out"

# ---- the allow-list ------------------------------------------------------------------
# A second client certificate from the same wallet CA.
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$c/client2.key" \
    -out "$c/client2.csr" -subj "/C=KZ/O=gasvoucher-tests/CN=another-client" 2> /dev/null
printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n' \
    > "$c/client2.ext"
openssl x509 -req -in "$c/client2.csr" -CA "$c/wallet-ca.pem" -CAkey "$c/wallet-ca.key" \
    -CAcreateserial -out "$c/client2.pem" -days 30 -sha256 -extfile "$c/client2.ext" 2> /dev/null
fp=$(openssl x509 -in "$c/client.pem" -noout -fingerprint -sha256 | sed 's/.*=//')
subject2=$(openssl x509 -in "$c/client2.pem" -noout -subject -nameopt RFC2253 | sed 's/^subject=//')

printf '# the wallet client, by fingerprint\nsha256 %s\n' "$fp" > "$dir/allow"
gvt_write_conf "$dir/gv.conf" "$GVT_SQLITE_CONN" "$top_srcdir/mappings/site-a.ini" "$c" \
    "$(printf '[wallet]\ntls_client_allow = %s/allow\n' "$dir")"
gvt_daemon_start "$dir/gv.conf" "$dir/gv.log"
[ "$(request)" = "200 FOUND" ] || fail "the listed client: $(request)"
# Another certificate of the same CA: refused at the handshake, whatever the
# version, and never reaches HTTP.
got=$(CLIENT=$c/client2 handshake -tls1_2)
[ "$got" = refused ] || fail "an unlisted client completed a TLS 1.2 handshake: $got"
out=$(request --cert "$c/client2.pem" --key "$c/client2.key" --tlsv1.2 --tls-max 1.2)
[ "$out" = "000 " ] || fail "an unlisted client over TLS 1.2 got an HTTP answer: $out"
grep -q '(35)' "$dir/req.xml.err" || fail "curl did not see a handshake failure: $(cat "$dir/req.xml.err")"
out=$(request --cert "$c/client2.pem" --key "$c/client2.key" --tlsv1.3)
[ "$out" = "000 " ] || fail "an unlisted client over TLS 1.3 got an HTTP answer: $out"
grep -q "TLS handshake refused: client certificate subject '$subject2' sha256 [0-9a-f]\{64\} is not in \[wallet\] tls_client_allow" \
    "$dir/gv.log" || fail "the refusal is not logged with subject and fingerprint"
grep -q 'another-client' <(grep -v 'TLS handshake refused' "$dir/gv.log") &&
    fail "the unlisted client reached HTTP"
# A certificate from another CA is refused as before.
got=$(CLIENT=$c/other-client handshake -tls1_2)
[ "$got" = refused ] || fail "a client of another CA got in: $got"

# The list is read again on SIGHUP: by subject now, and the first one off.
printf 'subject %s\n' "$subject2" > "$dir/allow"
kill -HUP "$GVT_DAEMON_PID"
for i in $(seq 1 50); do grep -q reloaded "$dir/gv.log" && break; sleep 0.1; done
[ "$(request --cert "$c/client2.pem" --key "$c/client2.key")" = "200 FOUND" ] ||
    fail "the client listed by subject after SIGHUP: $(request --cert "$c/client2.pem" --key "$c/client2.key")"
[ "$(request)" = "000 " ] || fail "the client taken off the list still got in: $(request)"

# A bad list: every problem named with file and line; SIGHUP keeps the old one.
printf 'sha256 12:34\nissuer CN=x\n\n# fine\nsubject\n' > "$dir/allow"
out=$("$top_builddir/gasvoucher" -c "$dir/gv.conf" config check 2>&1) && fail "a bad allow-list passed"
for want in "allow:1: sha256: expected 64 hex digits" "allow:2: expected 'sha256 FINGERPRINT' or 'subject DN', got 'issuer'" \
    "allow:5: expected 'sha256 FINGERPRINT' or 'subject DN', got 'subject'"; do
    grep -qF "$want" <<< "$out" || fail "no error '$want' in: $out"
done
printf '# nobody\n' > "$dir/allow"
out=$("$top_builddir/gasvoucher" -c "$dir/gv.conf" config check 2>&1) && fail "an empty allow-list passed"
grep -q 'allow: lists no certificate' <<< "$out" || fail "the empty list is not named: $out"
kill -HUP "$GVT_DAEMON_PID"
for i in $(seq 1 50); do grep -q 'reload refused' "$dir/gv.log" && break; sleep 0.1; done
[ "$(request --cert "$c/client2.pem" --key "$c/client2.key")" = "200 FOUND" ] ||
    fail "a refused reload changed the allow-list"

gvt_end "tls: TLS 1.1 and CBC refused, 1.2/1.3 AEAD served; allow-list by fingerprint and subject, refused at the handshake"
