#!/usr/bin/env bash
# Self-test of contrib/wallet-sim, the wallet simulator the other tests and
# the demo rely on.  Self-contained: its own certificates (EC P-256), its own
# temporary directory, removed at the end.  Covers:
#   serve: the index and batch GETs over mutual TLS (signature from .p7s and
#     signed on the fly), 404s, a signed VoucherBatchResult and
#     RedemptionReport accepted and stored, tampered / unsigned / untrusted /
#     schema-invalid / wrong-endpoint / wrong-type POSTs refused and logged,
#     no or a foreign client certificate refused at the handshake, the
#     failure modes 500 / 503 / timeout / drop (with count and path), --fail
#     on the command line, concurrent requests and abrupt disconnects,
#     /stats, and a clean exit on SIGTERM while a request is held;
#   gen: XML and CSV, valid against the XSD, signed, the same bytes for the
#     same seed, voucherCount, the duplicate / edge / invalid extras,
#     CSV header and CRLF; sign and verify.
# Prints "PASS: ..." / "FAIL: ..." lines; exit status 1 if anything failed.
# shellcheck disable=SC2016,SC2317  # bash -c scripts take $1..; functions run through check()
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=${top_srcdir:-$(cd "$here/../.." && pwd)}
PY=${WALLET_SIM_PYTHON:-/usr/bin/python3}
SIM="$top/contrib/wallet-sim"
XSD="$top/src/msg/wallet-gas-voucher-v1.xsd"
[ -f "$XSD" ] || XSD=/work/shared/spec/wallet-gas-voucher-v1.xsd
EX="$top/tests/data"
[ -f "$EX/voucher-batch-result.xml" ] || EX=/work/shared/spec/examples
ACCOUNTS="$top/tests/sites/accounts.csv"
BIN=990340001234

for tool in openssl xmllint curl; do
    command -v "$tool" > /dev/null || { echo "FAIL: $tool is not installed"; exit 1; }
done

tmp=$(mktemp -d /tmp/wallet-sim-selftest.XXXXXX)
pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do kill "$p" 2> /dev/null; done
    for p in "${pids[@]}"; do wait "$p" 2> /dev/null; done
    rm -rf "$tmp"
}
trap cleanup EXIT

failures=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
check() { # description command...
    local what=$1
    shift
    if "$@"; then pass "$what"; else fail "$what"; return 1; fi
}
sim() { "$PY" "$SIM" "$@"; }
quiet() { "$@" > /dev/null 2>&1; }

# ---------------------------------------------------------------- certificates
mkdir -p "$tmp/c"
(
    set -e
    cd "$tmp/c"
    ca() { # name
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
            -keyout "$1.key" -out "$1.pem" -days 30 -subj "/O=wallet-sim-selftest/CN=$1" \
            -addext basicConstraints=critical,CA:TRUE \
            -addext keyUsage=critical,keyCertSign,cRLSign 2> /dev/null
    }
    leaf() { # name ca extension-line...
        local name=$1 ca=$2
        shift 2
        openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
            -keyout "$name.key" -out "$name.csr" -subj "/O=wallet-sim-selftest/CN=$name" 2> /dev/null
        printf '%s\n' "basicConstraints=CA:FALSE" "$@" > "$name.ext"
        openssl x509 -req -in "$name.csr" -CA "$ca.pem" -CAkey "$ca.key" -CAcreateserial \
            -out "$name.pem" -days 30 -sha256 -extfile "$name.ext" 2> /dev/null
    }
    ca ca
    ca other-ca
    leaf server ca "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" \
        "subjectAltName=IP:127.0.0.1,DNS:localhost"
    leaf client ca "keyUsage=critical,digitalSignature" "extendedKeyUsage=clientAuth"
    leaf signer ca "keyUsage=critical,digitalSignature"
    leaf other-client other-ca "keyUsage=critical,digitalSignature" "extendedKeyUsage=clientAuth"
    leaf other-signer other-ca "keyUsage=critical,digitalSignature"
) || { echo "FAIL: making certificates"; exit 1; }
C=$tmp/c

# ---------------------------------------------------------------- gen
g() { sim gen --bin "$BIN" --period 2025-09 --accounts "$ACCOUNTS" "$@"; }

g --count 25 --parts 3 --seed 7 --out "$tmp/x1" --tz-edges --dup-accounts 0.2 --dup-vouchers 0.2 \
    --invalid-frac 0.1 --nominal --expect "$tmp/x1.expect" \
    --sign-cert "$C/signer.pem" --sign-key "$C/signer.key" > "$tmp/x1.out" 2> "$tmp/x1.err" ||
    fail "gen xml exited $?: $(head -3 "$tmp/x1.err")"
g --count 25 --parts 3 --seed 7 --out "$tmp/x2" --tz-edges --dup-accounts 0.2 --dup-vouchers 0.2 \
    --invalid-frac 0.1 --nominal --expect "$tmp/x2.expect" > /dev/null 2>&1 || fail "gen xml (again)"
g --count 25 --parts 3 --seed 8 --out "$tmp/x3" --tz-edges --dup-accounts 0.2 --dup-vouchers 0.2 \
    --invalid-frac 0.1 --nominal > /dev/null 2>&1 || fail "gen xml (other seed)"

nx=$(find "$tmp/x1" -name "GVB-$BIN-202509-00[123].xml" | wc -l)
check "gen xml: 3 parts named GVB-<bin>-<YYYYMM>-<seq>.xml" [ "$nx" = 3 ]
check "gen xml: every part validates against the XSD" \
    xmllint --noout --nonet --schema "$XSD" --quiet "$tmp"/x1/*.xml
check "gen xml: every part has a valid detached signature" \
    quiet sim verify --ca "$C/ca.pem" "$tmp"/x1/*.xml
same=1
for f in "$tmp"/x1/*.xml; do cmp -s "$f" "$tmp/x2/$(basename "$f")" || same=0; done
cmp -s "$tmp/x1.expect" "$tmp/x2.expect" || same=0
check "gen xml: same seed, same bytes (batches and expectations)" [ "$same" = 1 ]
check "gen xml: another seed, other bytes" \
    bash -c '! cmp -s "$1" "$2"' _ "$tmp/x1/GVB-$BIN-202509-001.xml" "$tmp/x3/GVB-$BIN-202509-001.xml"

# Structure: voucherCount, totals, ids, extras, edge instants.
"$PY" - "$tmp/x1" "$tmp/x1.expect" "$tmp/x1.out" > "$tmp/x1.check" 2>&1 <<'PY'
import csv, glob, os, re, sys
import xml.etree.ElementTree as ET
d, expect, out = sys.argv[1:4]
NS = "{urn:socialwallet:gas-voucher:v1}"
errs = []
seen = {}
total = 0
for path in sorted(glob.glob(os.path.join(d, "*.xml"))):
    root = ET.parse(path).getroot()
    vs = root.findall(NS + "Voucher")
    total += len(vs)
    if int(root.get("voucherCount")) != len(vs):
        errs.append("%s: voucherCount %s, %d vouchers" % (path, root.get("voucherCount"), len(vs)))
    if root.get("parts") != "3" or not root.get("createdAt").startswith("2025-09-30T"):
        errs.append("%s: parts/createdAt" % path)
    for v in vs:
        vid = v.get("id")
        if not re.fullmatch(r"GV-20250[89]-[0-9A-Z]{8}", vid):
            errs.append("bad id " + vid)
        seen.setdefault(vid, []).append(root.get("part"))
rows = list(csv.DictReader(open(expect, encoding="utf-8")))
kinds = {}
for r in rows:
    kinds[r["kind"]] = kinds.get(r["kind"], 0) + 1
# 25 + round(2.5)=2 invalid + 8 edges + 5 repeats
if total != len(rows) or total != 25 + 2 + 8 + 5:
    errs.append("total %d, expect rows %d" % (total, len(rows)))
for k, n in (("edge-in", 4), ("edge-out", 4), ("redelivery", 3), ("conflict", 2),
             ("unknown-account", 1), ("wrong-period", 1)):
    if kinds.get(k) != n:
        errs.append("kind %s: %s, wanted %d" % (k, kinds.get(k), n))
if kinds.get("dup-account", 0) < 5:
    errs.append("dup-account: %s" % kinds.get("dup-account"))
rep = [v for v, parts in seen.items() if len(parts) > 1]
if len(rep) != 5 or any(p[1] <= p[0] for p in (seen[v] for v in rep)):
    errs.append("repeated ids: %r" % {v: seen[v] for v in rep})
utc = {r["activated_at_utc"] for r in rows if r["kind"].startswith("edge")}
for t in ("2025-09-06T19:00:00Z", "2025-09-06T18:59:59Z", "2025-09-29T18:59:59Z", "2025-09-29T19:00:00Z"):
    if t not in utc:
        errs.append("edge instant %s missing" % t)
text = "".join(open(p, encoding="utf-8").read() for p in glob.glob(os.path.join(d, "*.xml")))
for t in ("2025-09-06T19:00:00Z", "2025-09-06T18:59:59Z", "2025-09-29T23:59:59+05:00", "2025-09-29T19:00:00Z"):
    if t not in text:
        errs.append("spelling %s missing" % t)
for off in ("Z<", "+05:00<", "+06:00<", "-03:00<"):
    if off not in text:
        errs.append("no instant with offset " + off[:-1])
for line in open(out):
    path, n, sha = line.split()
    if int(n) != int(ET.parse(path).getroot().get("voucherCount")):
        errs.append("stdout count for " + path)
if errs:
    print("\n".join(errs))
sys.exit(1 if errs else 0)
PY
check "gen xml: counts, ids, duplicates, edges and offsets as asked" [ ! -s "$tmp/x1.check" ] ||
    sed 's/^/    /' "$tmp/x1.check"

g --count 40 --parts 2 --seed 3 --form csv --out "$tmp/c1" --dup-vouchers 0.1 \
    --sign-cert "$C/signer.pem" --sign-key "$C/signer.key" > /dev/null 2>&1 || fail "gen csv"
g --count 40 --parts 2 --seed 3 --form csv --out "$tmp/c2" --dup-vouchers 0.1 > /dev/null 2>&1 ||
    fail "gen csv (again)"
csv1=$tmp/c1/GVB-$BIN-202509-001.csv
check "gen csv: header line with CRLF" \
    bash -c '[ "$(head -1 "$1")" = "$(printf "voucher_id,account,activated_at,channel,assistance_type,nominal_tiyn\r")" ]' _ "$csv1"
check "gen csv: every line ends CRLF, no BOM" \
    bash -c '[ "$(grep -vc $'"'"'\r$'"'"' "$1")" = 0 ] && [ "$(head -c3 "$1" | od -An -tx1 | tr -d " ")" != efbbbf ]' _ "$csv1"
rows=$(( $(cat "$tmp"/c1/*.csv | wc -l) - 2 ))
check "gen csv: 40 + 4 repeated vouchers over 2 parts ($rows)" [ "$rows" = 44 ]
check "gen csv: signed" quiet sim verify --ca "$C/ca.pem" "$tmp"/c1/*.csv
check "gen csv: same seed, same bytes" cmp -s "$csv1" "$tmp/c2/GVB-$BIN-202509-001.csv"
check "gen csv: parses as RFC 4180 with 6 fields" "$PY" -c '
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8")))
assert all(len(r) == 6 for r in rows), rows[:3]
assert all(r[0].startswith("GV-202509-") for r in rows[1:])' "$csv1"

# February: the window ends on the 28th, the list is dated the 28th.
g --count 5 --parts 1 --seed 1 --period 2026-02 --tz-edges --out "$tmp/feb" > /dev/null 2>&1 ||
    fail "gen february"
check "gen: February window and createdAt" bash -c '
    grep -q "createdAt=\"2026-02-28T" "$1" && grep -q "2026-02-28T23:59:59+05:00" "$1" &&
    grep -q "2026-02-28T19:00:00Z" "$1" && xmllint --noout --nonet --schema "$2" "$1" 2>/dev/null' \
    _ "$tmp/feb/GVB-$BIN-202602-001.xml" "$XSD"

# sign / verify
cp "$EX/voucher-batch-result.xml" "$tmp/result.xml"
cp "$EX/redemption-report.xml" "$tmp/report.xml"
sim sign --cert "$C/signer.pem" --key "$C/signer.key" "$tmp/result.xml" "$tmp/report.xml" > /dev/null ||
    fail "sign"
check "verify: good signature" quiet sim verify --ca "$C/ca.pem" "$tmp/result.xml"
sed 's/accepted="2"/accepted="3"/' "$tmp/result.xml" > "$tmp/tampered.xml"
check "verify: tampered file refused" bash -c '! "$1" "$2" verify --ca "$3" --sig "$4.p7s" "$5" > "$5.v" && grep -q "^BAD " "$5.v"' \
    _ "$PY" "$SIM" "$C/ca.pem" "$tmp/result.xml" "$tmp/tampered.xml"
check "verify: other CA refused" bash -c '! "$1" "$2" verify --ca "$3" "$4" > "$4.v" && grep -q "^BAD " "$4.v"' \
    _ "$PY" "$SIM" "$C/other-ca.pem" "$tmp/result.xml"

# ---------------------------------------------------------------- serve
store=$tmp/store
mkdir -p "$store/outgoing"
cp "$tmp"/x1/*.xml "$tmp"/x1/*.p7s "$store/outgoing/"
rm "$store/outgoing/GVB-$BIN-202509-003.xml.p7s"     # this one is signed on the fly

start_sim() { # name extra-args...
    local name=$1
    shift
    "$PY" "$SIM" serve --listen 127.0.0.1:0 --cert "$C/server.pem" --key "$C/server.key" \
        --client-ca "$C/ca.pem" --store "$store" --sign-cert "$C/signer.pem" \
        --sign-key "$C/signer.key" --verify-ca "$C/ca.pem" --xsd "$XSD" --control-port 0 \
        --hold-seconds 60 "$@" > "$tmp/$name.out" 2> "$tmp/$name.err" &
    SIM_PID=$!
    pids+=("$SIM_PID")
    local i
    for i in $(seq 100); do
        grep -q '^CONTROL ' "$tmp/$name.out" 2> /dev/null && break
        kill -0 "$SIM_PID" 2> /dev/null || break
        sleep 0.1
    done
    PORT=$(sed -n 's/^READY //p' "$tmp/$name.out")
    CPORT=$(sed -n 's/^CONTROL //p' "$tmp/$name.out")
    [ -n "$PORT" ] && [ -n "$CPORT" ]
}
URL=
cu() { # curl with the wallet client certificate; prints the status code
    curl -sS --cacert "$C/ca.pem" --cert "$C/client.pem" --key "$C/client.key" "$@"
}
ctl() { curl -sS -X "$1" "http://127.0.0.1:$CPORT$2"; }
post() { # endpoint file [signature-file] [content-type] -> status; body in $tmp/post.body
    local sig=${3-$2.p7s} ct=${4:-application/xml} h=()
    [ -n "$sig" ] && h=(-H "X-Signature: $(base64 -w0 < "$sig")")
    cu -o "$tmp/post.body" -w '%{http_code}' -H "Content-Type: $ct" "${h[@]}" \
        --data-binary @"$2" "$URL$1"
}

if ! start_sim s1; then
    fail "serve did not start: $(tail -3 "$tmp/s1.err")"
    echo "FAIL: $failures check(s) failed"
    exit 1
fi
pass "serve prints READY $PORT and CONTROL $CPORT"
URL=https://127.0.0.1:$PORT

# index
code=$(cu -o "$tmp/index.xml" -D "$tmp/index.hdr" -w '%{http_code}' \
    "$URL/v1/voucher-batches?providerBin=$BIN&period=2025-09")
check "GET index: 200 application/xml" \
    bash -c '[ "$1" = 200 ] && grep -qi "^content-type: application/xml" "$2"' _ "$code" "$tmp/index.hdr"
check "GET index: valid against the XSD" xmllint --noout --nonet --quiet --schema "$XSD" "$tmp/index.xml"
ok=1
for f in "$tmp"/x1/*.xml; do
    b=$(basename "$f" .xml)
    s=$(sha256sum "$f" | cut -d' ' -f1)
    grep -q "batchId=\"$b\" sha256=\"$s\"" "$tmp/index.xml" || ok=0
done
check "GET index: lists the 3 batches with the sha256 of their bytes" \
    bash -c '[ "$1" = 1 ] && [ "$(grep -c "<Batch " "$2")" = 3 ]' _ "$ok" "$tmp/index.xml"
cu -o "$tmp/index2.xml" "$URL/v1/voucher-batches?providerBin=$BIN&period=2025-10"
check "GET index: another period is empty" \
    bash -c '! grep -q "<Batch" "$1" && xmllint --noout --nonet --schema "$2" "$1" 2>/dev/null' \
    _ "$tmp/index2.xml" "$XSD"
code=$(cu -o /dev/null -w '%{http_code}' "$URL/v1/voucher-batches?providerBin=12&period=2025-09")
check "GET index: bad providerBin -> 400" [ "$code" = 400 ]

# batches
get_batch() { # seq -> checks bytes and X-Signature
    local b=GVB-$BIN-202509-$1
    local code
    code=$(cu -o "$tmp/b.xml" -D "$tmp/b.hdr" -w '%{http_code}' "$URL/v1/voucher-batches/$b")
    [ "$code" = 200 ] || return 1
    cmp -s "$tmp/b.xml" "$tmp/x1/$b.xml" || return 1
    tr -d '\r' < "$tmp/b.hdr" | sed -n 's/^[Xx]-[Ss]ignature: //p' | base64 -d > "$tmp/b.p7s" || return 1
    sim verify --ca "$C/ca.pem" --sig "$tmp/b.p7s" "$tmp/b.xml" > /dev/null
}
check "GET batch: the bytes, X-Signature from the .p7s verifies" get_batch 001
check "GET batch: no .p7s -> signed on the fly, verifies" get_batch 003
code=$(cu -o "$tmp/post.body" -w '%{http_code}' "$URL/v1/voucher-batches/GVB-$BIN-202509-077")
check "GET batch: unknown -> 404 NOT_FOUND" bash -c '[ "$1" = 404 ] && grep -q "<Code>NOT_FOUND</Code>" "$2"' \
    _ "$code" "$tmp/post.body"
code=$(cu -o /dev/null -w '%{http_code}' "$URL/v1/voucher-batches/..%2f..%2fetc%2fpasswd")
check "GET batch: a path that is no batchId -> 404" [ "$code" = 404 ]

# POST results and reports
code=$(post /v1/voucher-batch-results "$tmp/result.xml")
check "POST signed VoucherBatchResult -> 200" [ "$code" = 200 ]
code=$(post /v1/redemption-reports "$tmp/report.xml")
check "POST signed RedemptionReport -> 200" [ "$code" = 200 ]
code=$(post /v1/voucher-batch-results "$tmp/result.xml")
check "POST the same result again -> 200" [ "$code" = 200 ]
"$PY" - "$store" "$tmp/result.xml" "$tmp/report.xml" > "$tmp/recv.check" 2>&1 <<'PY'
import hashlib, json, os, sys
store, result, report = sys.argv[1:4]
lines = [json.loads(l) for l in open(os.path.join(store, "received.jsonl"))]
errs = []
want = [("VoucherBatchResult", "GVB-990340001234-202509-001", result, None),
        ("RedemptionReport", "0b7e4a52-33c1-4f0e-9d2a-6a8f1e2b3c4d", report, None),
        ("VoucherBatchResult", "GVB-990340001234-202509-001", result, "same")]
if len(lines) != 3:
    errs.append("%d lines" % len(lines))
for e, (root, id_, src, rep) in zip(lines, want):
    body = open(src, "rb").read()
    if (e["root"], e["id"], e["verified"], e["ok"], e.get("repeat")) != (root, id_, True, True, rep):
        errs.append("entry %r" % e)
    if e["sha256"] != hashlib.sha256(body).hexdigest():
        errs.append("sha256 of %d" % e["n"])
    if open(e["path"], "rb").read() != body or not os.path.isfile(e["path"] + ".p7s"):
        errs.append("stored bytes of %d" % e["n"])
    if not os.path.basename(e["path"]) == "%d-%s-%s.xml" % (e["n"], root, id_):
        errs.append("path %s" % e["path"])
    for k in ("n", "path", "root", "id", "sha256", "verified", "at"):
        if k not in e:
            errs.append("no %s" % k)
if errs:
    print("\n".join(errs))
sys.exit(1 if errs else 0)
PY
check "POST: stored as received/<n>-<root>-<id>.xml + .p7s, logged in received.jsonl" \
    [ ! -s "$tmp/recv.check" ] || sed 's/^/    /' "$tmp/recv.check"

code=$(post /v1/voucher-batch-results "$tmp/tampered.xml" "$tmp/result.xml.p7s")
check "POST tampered -> 400 BAD_SIGNATURE" bash -c '[ "$1" = 400 ] && grep -q "<Code>BAD_SIGNATURE</Code>" "$2"' \
    _ "$code" "$tmp/post.body"
last() { tail -1 "$store/received.jsonl"; }
check "POST tampered: logged verified false with a reason" bash -c \
    '"$1" -c "import json,sys; e=json.loads(sys.argv[1]); assert e[\"verified\"] is False and e[\"reason\"] and not e[\"ok\"], e" "$2"' \
    _ "$PY" "$(last)"
code=$(post /v1/voucher-batch-results "$tmp/result.xml" "")
check "POST without X-Signature -> 400 BAD_SIGNATURE" bash -c '[ "$1" = 400 ] && grep -q BAD_SIGNATURE "$2"' \
    _ "$code" "$tmp/post.body"
cp "$EX/voucher-batch-result.xml" "$tmp/foreign.xml"
openssl cms -sign -binary -outform DER -md sha256 -signer "$C/other-signer.pem" -inkey "$C/other-signer.key" \
    -in "$tmp/foreign.xml" -out "$tmp/foreign.xml.p7s" -nosmimecap 2> /dev/null
code=$(post /v1/voucher-batch-results "$tmp/foreign.xml")
check "POST signed by an untrusted signer -> 400 BAD_SIGNATURE" [ "$code" = 400 ]
sed 's/status="ACCEPTED"/status="MAYBE"/' "$EX/voucher-batch-result.xml" > "$tmp/invalid.xml"
sim sign --cert "$C/signer.pem" --key "$C/signer.key" "$tmp/invalid.xml" > /dev/null
code=$(post /v1/voucher-batch-results "$tmp/invalid.xml")
check "POST schema-invalid (signed) -> 400 SCHEMA_VIOLATION, logged verified true ok false" bash -c '
    [ "$1" = 400 ] && grep -q "<Code>SCHEMA_VIOLATION</Code>" "$2" &&
    "$3" -c "import json,sys; e=json.loads(sys.argv[1]); assert e[\"verified\"] and not e[\"ok\"] and e[\"fault\"]==\"SCHEMA_VIOLATION\", e" "$4"' \
    _ "$code" "$tmp/post.body" "$PY" "$(last)"
code=$(post /v1/redemption-reports "$tmp/result.xml")
check "POST a result to the reports endpoint -> 400 SCHEMA_VIOLATION" \
    bash -c '[ "$1" = 400 ] && grep -q SCHEMA_VIOLATION "$2"' _ "$code" "$tmp/post.body"
code=$(post /v1/voucher-batch-results "$tmp/result.xml" "$tmp/result.xml.p7s" text/plain)
check "POST text/plain -> 415" [ "$code" = 415 ]
code=$(post /v1/nowhere "$tmp/result.xml")
check "POST unknown path -> 404" [ "$code" = 404 ]
check "refused bodies are kept under rejected/, not received/" \
    bash -c '[ "$(ls "$1/received"/*.xml | wc -l)" = 3 ] && [ "$(ls "$1/rejected"/*.xml | wc -l)" = 6 ]' _ "$store"

# TLS
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$C/ca.pem" \
    "$URL/v1/voucher-batches?providerBin=$BIN&period=2025-09")
check "no client certificate -> refused at the TLS handshake (HTTP $code)" [ "$code" = 000 ]
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$C/ca.pem" --cert "$C/other-client.pem" \
    --key "$C/other-client.key" "$URL/v1/voucher-batches?providerBin=$BIN&period=2025-09")
check "a client certificate from another CA -> refused at the TLS handshake (HTTP $code)" [ "$code" = 000 ]
code=$(cu -o /dev/null -w '%{http_code}' --tls-max 1.1 "$URL/v1/voucher-batches?providerBin=$BIN&period=2025-09" 2> /dev/null)
check "TLS 1.1 refused" [ "$code" = 000 ]

# failure injection
IDX="$URL/v1/voucher-batches?providerBin=$BIN&period=2025-09"
ctl POST '/fail?mode=503&count=2' > /dev/null
c1=$(cu -o "$tmp/post.body" -D "$tmp/f.hdr" -w '%{http_code}' "$IDX")
c2=$(cu -o /dev/null -w '%{http_code}' "$IDX")
c3=$(cu -o /dev/null -w '%{http_code}' "$IDX")
check "fail 503 count=2: 503 503 then 200 ($c1 $c2 $c3), Fault UNAVAILABLE, Retry-After" bash -c '
    [ "$1 $2 $3" = "503 503 200" ] && grep -q UNAVAILABLE "$4" && grep -qi "^retry-after:" "$5"' \
    _ "$c1" "$c2" "$c3" "$tmp/post.body" "$tmp/f.hdr"
ctl POST '/fail?mode=500&count=1' > /dev/null
c1=$(post /v1/voucher-batch-results "$tmp/result.xml")
c2=$(post /v1/voucher-batch-results "$tmp/result.xml")
check "fail 500 count=1 on a POST: 500 then 200 ($c1 $c2)" [ "$c1 $c2" = "500 200" ]
ctl POST '/fail?mode=timeout&count=1' > /dev/null
t0=$(date +%s)
cu -o /dev/null --max-time 3 "$IDX" 2> /dev/null
rc=$?
c2=$(cu -o /dev/null -w '%{http_code}' --max-time 5 "$IDX")
check "fail timeout: no answer within the client's 3 s (curl exit $rc), then 200 ($c2)" \
    bash -c '[ "$1" = 28 ] && [ "$2" = 200 ] && [ $(( $(date +%s) - $3 )) -lt 15 ]' _ "$rc" "$c2" "$t0"
ctl POST '/fail?mode=drop&count=1' > /dev/null
c1=$(cu -o /dev/null -w '%{http_code}' --max-time 5 "$IDX" 2> /dev/null)
rc=$?
c2=$(cu -o /dev/null -w '%{http_code}' --max-time 5 "$IDX")
check "fail drop: connection closed without an answer (curl exit $rc, HTTP $c1), then 200 ($c2)" \
    bash -c '{ [ "$1" = 52 ] || [ "$1" = 56 ] || [ "$1" = 35 ]; } && [ "$2" = 000 ] && [ "$3" = 200 ]' \
    _ "$rc" "$c1" "$c2"
ctl POST '/fail?mode=503&path=/v1/redemption-reports' > /dev/null
c1=$(cu -o /dev/null -w '%{http_code}' "$IDX")
c2=$(post /v1/redemption-reports "$tmp/report.xml")
c3=$(post /v1/redemption-reports "$tmp/report.xml")
ctl POST '/fail?mode=ok' > /dev/null
c4=$(post /v1/redemption-reports "$tmp/report.xml")
check "fail 503 on one path until cleared: $c1 $c2 $c3, after ok $c4" [ "$c1 $c2 $c3 $c4" = "200 503 503 200" ]
ctl GET /fail > "$tmp/fail.json"
check "GET /fail shows ok" grep -q '"mode": "ok"' "$tmp/fail.json"

# concurrency and rude clients
for i in $(seq 20); do
    cu -o /dev/null -w '%{http_code}\n' "$URL/v1/voucher-batches/GVB-$BIN-202509-00$(( i % 3 + 1 ))" &
done > "$tmp/par.txt"
wait_jobs() { local j; for j in $(jobs -p); do [ "$j" = "$SIM_PID" ] || wait "$j"; done; }
wait_jobs
check "20 parallel batch GETs all 200" [ "$(grep -c '^200$' "$tmp/par.txt")" = 20 ]
"$PY" - "$PORT" "$C" <<'PY' 2> /dev/null
import socket, ssl, sys
port, c = int(sys.argv[1]), sys.argv[2]
for _ in range(3):                       # TCP connect, close at once
    socket.create_connection(("127.0.0.1", port)).close()
ctx = ssl.create_default_context(cafile=c + "/ca.pem")
ctx.check_hostname = False
ctx.load_cert_chain(c + "/client.pem", c + "/client.key")
for _ in range(3):                       # request a big batch, hang up mid-answer
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)))
    s.sendall(b"GET /v1/voucher-batches/GVB-990340001234-202509-001 HTTP/1.1\r\nHost: x\r\n\r\n")
    s.recv(10)
    s.close()
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)))   # half a body
s.sendall(b"POST /v1/voucher-batch-results HTTP/1.1\r\nHost: x\r\nContent-Type: application/xml\r\n"
          b"X-Signature: AAAA\r\nContent-Length: 1000\r\n\r\n<Voucher")
s.close()
PY
sleep 0.5
code=$(cu -o /dev/null -w '%{http_code}' "$IDX")
check "still serving after abrupt disconnects (HTTP $code)" bash -c '[ "$1" = 200 ] && kill -0 "$2"' _ "$code" "$SIM_PID"

ctl GET /stats > "$tmp/stats.json"
check "GET /stats: counters by path and answer" "$PY" -c '
import json, sys
s = json.load(open(sys.argv[1]))
ba = s["by_answer"]
assert ba.get("503", 0) >= 4 and ba.get("500") == 1 and ba.get("timeout") == 1 and ba.get("drop") == 1, ba
assert s["by_path"]["POST /v1/voucher-batch-results"] >= 8, s["by_path"]
assert s["tls_handshake_failures"] >= 3, s
assert s["received"]["ok"] >= 5, s["received"]' "$tmp/stats.json"

# SIGTERM while a request is held
ctl POST '/fail?mode=timeout' > /dev/null
cu -o /dev/null --max-time 30 "$IDX" 2> /dev/null &
sleep 1
t0=$(date +%s)
kill -TERM "$SIM_PID"
wait "$SIM_PID"
rc=$?
wait_jobs
check "SIGTERM with a request held: exit 0 within 5 s (rc $rc, $(( $(date +%s) - t0 )) s)" \
    bash -c '[ "$1" = 0 ] && [ $(( $(date +%s) - $2 )) -le 5 ]' _ "$rc" "$t0"
check "one log line per request on stderr" grep -q '"GET /v1/voucher-batches?providerBin=' "$tmp/s1.err"

# --fail from the command line; numbering resumes from received.jsonl
if start_sim s2 --fail 503 --fail-count 1; then
    URL=https://127.0.0.1:$PORT
    c1=$(post /v1/voucher-batch-results "$tmp/result.xml")
    c2=$(post /v1/voucher-batch-results "$tmp/result.xml")
    n=$(wc -l < "$store/received.jsonl")
    check "--fail 503 --fail-count 1: $c1 then $c2; numbering continues (n=$n)" bash -c '
        [ "$1 $2" = "503 200" ] && tail -1 "$3" | grep -q "\"n\": $4,"' _ "$c1" "$c2" "$store/received.jsonl" "$n"
    kill -TERM "$SIM_PID"
    wait "$SIM_PID"
    check "second instance exits 0" [ $? = 0 ]
else
    fail "second serve did not start: $(tail -3 "$tmp/s2.err")"
fi

if [ "${WALLET_SIM_BIG:-0}" = 1 ]; then
    t0=$(date +%s)
    "$PY" -c '
import random, sys
r = random.Random(3)
with open(sys.argv[1], "w") as f:
    f.write("number\n")
    for n in r.sample(range(1, 10**10), 1000000): f.write("%010d\n" % n)' "$tmp/acc1m.csv"
    t1=$(date +%s)
    sim gen --bin "$BIN" --period 2025-09 --accounts "$tmp/acc1m.csv" --count 1000000 --parts 1 --seed 1 \
        --out "$tmp/big" --sign-cert "$C/signer.pem" --sign-key "$C/signer.key" > /dev/null
    t2=$(date +%s)
    check "gen 1,000,000 vouchers in one signed part: $((t2 - t1)) s (<= 30)" \
        bash -c '[ "$1" -le 30 ] && "$2" "$3" verify --ca "$4" "$5"/*.xml >/dev/null' \
        _ "$((t2 - t1))" "$PY" "$SIM" "$C/ca.pem" "$tmp/big"
fi

if [ "$failures" -gt 0 ]; then
    echo "FAIL: $failures check(s) failed"
    exit 1
fi
echo "PASS: all wallet-sim checks"
exit 0
