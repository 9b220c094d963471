#!/usr/bin/env bash
# One clock: with "now" pinned (GASVOUCHER_NOW, R1a), a pushed batch has
# its signature checked, and its receipt time taken, at the pinned moment
# of receipt, as `gasvoucher ingest --now` does; its result is processed
# and signed at the pinned clock too.  And a revised VoucherBatchResult has
# a processedAt strictly later than the one it replaces, also when both
# are made at one instant (one command) or within one second (two pushes).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/db.sh"
. "$here/../lib/certs.sh"
. "$here/../lib/daemon.sh"

gvt_begin clock
GV=$top_builddir/gasvoucher
BIN=990340001234
NS='xmlns="urn:socialwallet:gas-voucher:v1"'
sq() { sqlite3 -batch -noheader "$1" "$2"; }

setup_site() { # folder
    mkdir -p "$1"
    gvt_sqlite_create "$1/billing.db"
    gvt_load_site a sqlite "$1/billing.db"
    gvt_write_conf "$1/gv.conf" "$GVT_SQLITE_CONN" "$top_srcdir/mappings/site-a.ini" \
        "$dir/certs" "$(gvt_intake_ini "$dir/certs" "$1/spool")
[time]
# --now: a pinned clock, for tests only
allow_pinned_now = yes"
    "$GV" -c "$1/gv.conf" db migrate > /dev/null
}
# batch FILE PART VOUCHER-XML...
batch() {
    local file=$1 part=$2
    shift 2
    {
        printf '<?xml version="1.0" encoding="UTF-8"?>\n'
        printf '<VoucherBatch %s batchId="GVB-%s-202509-%03d" providerBin="%s" period="2025-09" ' \
            "$NS" "$BIN" "$part" "$BIN"
        printf 'createdAt="2025-09-30T00:05:00+05:00" part="%s" parts="2" voucherCount="%s">\n' \
            "$part" $#
        printf '%s\n' "$@"
        printf '</VoucherBatch>\n'
    } > "$file"
}
v() { # ID ACCOUNT ACTIVATED
    printf '<Voucher id="%s"><Account>%s</Account><ActivatedAt>%s</ActivatedAt>' "$1" "$2" "$3"
    printf '<Channel>EGOV_MOBILE</Channel><AssistanceType>TSA</AssistanceType></Voucher>'
}
# A signature without signed attributes: no signingTime of today, which
# would lie outside a certificate valid only later.
sign_noattr() { # file key-name
    openssl cms -sign -binary -outform DER -md sha256 -noattr -signer "$dir/certs/$2.pem" \
        -inkey "$dir/certs/$2.key" -in "$1" -out "$1.p7s"
}
epoch() { date -d "$1" +%s; }
# in_pin WHAT EPOCH: EPOCH lies within two minutes after the pinned instant.
in_pin() {
    if [ -n "$2" ] && [ "$2" -ge "$pin_s" ] && [ "$2" -lt $((pin_s + 120)) ]; then
        echo "ok   $1 is the pinned clock (+$(($2 - pin_s)) s)"
    else
        fail "$1: '$2', expected the pinned $pin_s and a little"
    fi
}

# ---- a pinned daemon: push at the pinned moment of receipt -------------------
# "Now" pinned 15 days ahead.  Two wallet signing certificates: one valid
# for the next 5 days only, one from 10 to 20 days ahead.  At the pinned
# clock the first has expired and the second is valid; at the real clock it
# is the other way round, so each verdict shows which clock judged it.
pin_s=$(( $(date +%s) + 15 * 86400 ))
PIN=$(TZ=Asia/Almaty date -d "@$pin_s" +%Y-%m-%dT%H:%M:%S%:z)
(
    cd "$dir/certs"
    for name in short-signer future-signer; do
        openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$name.key" \
            -out "$name.csr" -subj "/C=KZ/O=gasvoucher-tests/CN=$name" 2> /dev/null
        printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=emailProtection\n' \
            > "$name.ext"
    done
    openssl x509 -req -in short-signer.csr -CA wallet-sign-ca.pem -CAkey wallet-sign-ca.key \
        -CAcreateserial -out short-signer.pem -days 5 -sha256 -extfile short-signer.ext 2> /dev/null
    _leaf_dated future-signer wallet-sign-ca "$(date -u -d '+10 days' +%Y%m%d%H%M%SZ)" \
        "$(date -u -d '+20 days' +%Y%m%d%H%M%SZ)"
) || fail "making the dated signers"
s=$dir/pinned
setup_site "$s"
batch "$dir/p1.xml" 1 "$(v GV-202509-C0001 0012345678 2025-09-10T10:00:00+05:00)"
cp "$dir/p1.xml" "$dir/p1-short.xml"
gvt_wallet_sign "$dir/p1-short.xml" short-signer
sign_noattr "$dir/p1.xml" future-signer

GASVOUCHER_NOW=$PIN gvt_daemon_start "$s/gv.conf" "$s/gv.log"
grep -q "GASVOUCHER_NOW pins \"now\" to ${PIN%??????}" "$s/gv.log" ||
    fail "the daemon does not say that now is pinned to $PIN"
export GVT_PATH=/v1/voucher-batches
got=$(gvt_post "$dir/p1-short.xml" -H "X-Signature: $(base64 -w0 "$dir/p1-short.xml.p7s")")
if [ "$got" = "400 BAD_SIGNATURE" ] && grep -q 'expired at' "$dir/p1-short.xml.out"; then
    echo "ok   push signed by a certificate expired at the pinned clock: $got"
else
    fail "push signed by the 5-day certificate at the pinned clock: $got $(cat "$dir/p1-short.xml.out")"
fi
got=$(gvt_post "$dir/p1.xml" -H "X-Signature: $(base64 -w0 "$dir/p1.xml.p7s")")
if [ "$got" = "202 RECEIVED" ]; then
    echo "ok   push signed by a certificate valid only at the pinned clock: $got"
else
    fail "push signed by the future certificate at the pinned clock: $got $(cat "$dir/p1.xml.out")"
fi
in_pin "the receipt's receivedAt" \
    "$(epoch "$(sed -n 's/.*receivedAt="\([^"]*\)".*/\1/p' "$dir/p1.xml.out")" 2> /dev/null)"
in_pin "the stored receipt time" \
    "$(sq "$s/billing.db" "SELECT received_at FROM gv_batch WHERE batch_id = 'GVB-$BIN-202509-001'")"
# Processed by the daemon's jobs at the same clock: the result's
# processedAt and its signature's signingTime.
result=$s/spool/outbox/VBR-GVB-$BIN-202509-001-1.xml
for i in $(seq 1 100); do [ -f "$result.p7s" ] && break; sleep 0.1; done
in_pin "the result's processedAt" \
    "$(epoch "$(sed -n 's/.*processedAt="\([^"]*\)".*/\1/p' "$result" 2> /dev/null)" 2> /dev/null)"
in_pin "the result's signingTime" \
    "$(epoch "$(openssl cms -cmsout -print -inform DER -in "$result.p7s" 2> /dev/null |
                sed -n 's/.*UTCTIME:\(.*GMT\).*/\1/p' | head -1)" 2> /dev/null)"
gvt_daemon_stop || fail "pinned daemon: exit status"

# The same two files by `gasvoucher ingest --now`: the same verdicts.
s=$dir/ingest
setup_site "$s"
mkdir -p "$dir/in1" "$dir/in2"
cp "$dir/p1-short.xml" "$dir/in1/GVB-$BIN-202509-001.xml"
cp "$dir/p1-short.xml.p7s" "$dir/in1/GVB-$BIN-202509-001.xml.p7s"
cp "$dir/p1.xml" "$dir/in2/GVB-$BIN-202509-001.xml"
cp "$dir/p1.xml.p7s" "$dir/in2/GVB-$BIN-202509-001.xml.p7s"
if "$GV" -c "$s/gv.conf" --now "$PIN" ingest "$dir/in1/GVB-$BIN-202509-001.xml" > "$dir/in1.out" 2>&1; then
    fail "ingest --now $PIN took the expired signature"
else
    grep -q 'expired at' "$dir/in1.out" && echo "ok   ingest --now refuses the expired signature alike" ||
        fail "ingest of the 5-day signature: $(cat "$dir/in1.out")"
fi
"$GV" -c "$s/gv.conf" --now "$PIN" ingest "$dir/in2/GVB-$BIN-202509-001.xml" > "$dir/in2.out" 2>&1 &&
    echo "ok   ingest --now takes the future signature alike" ||
    fail "ingest of the future signature: $(cat "$dir/in2.out")"

# ---- a revised result is newer ------------------------------------------------
# Part 2 holds an earlier activation on part 1's account (R7): part 1's
# voucher loses, and part 1 gets a second result.  Both parts are taken in
# and processed by one command, which takes "now" once: both results are
# made at the same instant of its clock.
s=$dir/revised
setup_site "$s"
mkdir -p "$dir/r"
batch "$dir/r/GVB-$BIN-202509-001.xml" 1 "$(v GV-202509-D0001 0012345678 2025-09-10T10:00:00+05:00)"
batch "$dir/r/GVB-$BIN-202509-002.xml" 2 "$(v GV-202509-D0002 12345678 2025-09-09T10:00:00+05:00)"
gvt_wallet_sign "$dir/r/GVB-$BIN-202509-001.xml"
gvt_wallet_sign "$dir/r/GVB-$BIN-202509-002.xml"
"$GV" -c "$s/gv.conf" ingest \
    "$dir/r/GVB-$BIN-202509-001.xml" "$dir/r/GVB-$BIN-202509-002.xml" > "$dir/r.out" 2>&1 ||
    fail "ingest of two parts: $(cat "$dir/r.out")"
first=$s/spool/outbox/VBR-GVB-$BIN-202509-001-1.xml
second=$s/spool/outbox/VBR-GVB-$BIN-202509-001-2.xml
p1=$(sed -n 's/.*processedAt="\([^"]*\)".*/\1/p' "$first" 2> /dev/null)
p2=$(sed -n 's/.*processedAt="\([^"]*\)".*/\1/p' "$second" 2> /dev/null)
if [ -n "$p1" ] && [ -n "$p2" ] && [ "$(epoch "$p2")" -gt "$(epoch "$p1")" ]; then
    echo "ok   the revised result is processed later ($p1, then $p2)"
else
    fail "processedAt of the first result '$p1', of the revised one '$p2'"
fi
grep -q 'voucherId="GV-202509-D0001" status="REJECTED" reason="DUPLICATE_ACCOUNT_PERIOD"' "$second" ||
    fail "the revised result does not reject part 1's voucher"
python3 "$top_srcdir/contrib/wallet-sim" verify --ca "$dir/certs/provider-ca.pem" "$second" \
    > "$dir/verify.out" 2>&1 || fail "the revised result's signature: $(cat "$dir/verify.out")"
xmllint --noout --schema "$top_srcdir/src/msg/wallet-gas-voucher-v1.xsd" "$second" 2> /dev/null ||
    fail "the revised result is not valid"
# Once more by the daemon, two pushes a moment apart at the real clock.
s=$dir/revised-push
setup_site "$s"
gvt_daemon_start "$s/gv.conf" "$s/gv.log"
for part in 1 2; do
    f=$dir/r/GVB-$BIN-202509-00$part.xml
    got=$(gvt_post "$f" -H "X-Signature: $(base64 -w0 "$f.p7s")")
    [ "$got" = "202 RECEIVED" ] || fail "push of part $part: $got $(cat "$f.out")"
done
second=$s/spool/outbox/VBR-GVB-$BIN-202509-001-2.xml
for i in $(seq 1 100); do [ -f "$second.p7s" ] && break; sleep 0.1; done
p1=$(sed -n 's/.*processedAt="\([^"]*\)".*/\1/p' "$s/spool/outbox/VBR-GVB-$BIN-202509-001-1.xml" 2> /dev/null)
p2=$(sed -n 's/.*processedAt="\([^"]*\)".*/\1/p' "$second" 2> /dev/null)
if [ -n "$p1" ] && [ -n "$p2" ] && [ "$(epoch "$p2")" -gt "$(epoch "$p1")" ]; then
    echo "ok   pushed: the revised result is processed later ($p1, then $p2)"
else
    fail "pushed: processedAt of the first result '$p1', of the revised one '$p2'"
fi
gvt_daemon_stop || fail "daemon exit status"

gvt_end "one-clock: pushes judged at the pinned moment of receipt; revised results newer"
