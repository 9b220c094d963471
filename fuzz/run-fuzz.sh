#!/usr/bin/env bash
# fuzz/run-fuzz.sh - seed corpora for the libFuzzer targets, then each
# target for FUZZ_SECONDS under AddressSanitizer and UndefinedBehaviorSanitizer.
# Run by `make fuzz FUZZ_SECONDS=N` in a build configured --enable-fuzz:
#
#   run-fuzz.sh fuzz/fuzz_NAME ...
#
# Under $top_builddir/fuzz/:
#   seeds/NAME/   made afresh each run from tests/data, the tests' own
#                 helpers (certificates, configurations, wallet-sim batches),
#                 mappings/ and contrib/
#   found/NAME/   what libFuzzer added (kept between runs, so a longer run
#                 goes on where the last stopped)
#   crashes/      an input that broke a target: NAME-crash-*, -leak-*, -timeout-*
#   NAME.log      the target's output
# The source tree's fuzz/corpus/NAME/ holds seeds that no file elsewhere
# gives and the regression case of every bug fuzzing found; libFuzzer runs
# all of them before it mutates anything.  Reproduce one input with
#   GV_FUZZ_SIGN_CA=$top_builddir/fuzz/certs/wallet-sign-ca.pem fuzz/fuzz_NAME FILE
# Prints "PASS: NAME" or "FAIL: NAME" per target; exits 1 when any failed.
set -u
: "${FUZZ_SECONDS:=10}"
: "${top_srcdir:?}" "${top_builddir:?}"
out=$top_builddir/fuzz
mkdir -p "$out/seeds" "$out/found" "$out/crashes"

# ---- seeds ------------------------------------------------------------------
seeds() { rm -rf "$out/seeds/$1"; mkdir -p "$out/seeds/$1"; echo "$out/seeds/$1"; }
# name dir: FILE's bytes, as a seed of DIR
seed() { cp "$2" "$1/$(basename "$2")"; }

(
    set -e
    cd "$out"
    s=$(seeds account_check)
    for f in "$top_srcdir"/tests/data/*.xml; do seed "$s" "$f"; done

    # Certificates as the integration tests make them.
    if [ ! -f certs/wallet-sign-ca.pem ] || [ -n "$(find certs/wallet-sign-ca.pem -mtime +20)" ]; then
        rm -rf certs
        # shellcheck source=../tests/lib/certs.sh
        . "$top_srcdir/tests/lib/certs.sh"
        gvt_make_certs "$out/certs" > /dev/null
    fi

    # Batches as the wallet simulator writes them: both forms, with face
    # values, offsets at the window's edges, vouchers of the wrong month.
    rm -rf gen && mkdir -p gen/xml gen/csv gen/xml-nominal
    sim() { python3 "$top_srcdir/contrib/wallet-sim" gen --bin 990340001234 --period 2025-09 \
        --accounts "$top_srcdir/tests/sites/accounts.csv" --seed fuzz "$@" > /dev/null; }
    sim --count 6 --parts 2 --tz-edges --invalid-frac 0.3 --dup-vouchers 0.3 --out gen/xml
    sim --count 4 --nominal --out gen/xml-nominal
    sim --count 6 --parts 2 --tz-edges --dup-vouchers 0.3 --form csv --out gen/csv
    sim --count 4 --nominal --form csv --seq-start 5 --out gen/csv
    s=$(seeds batch_xml)
    seed "$s" "$top_srcdir/tests/data/voucher-batch.xml"
    for f in gen/xml/*.xml gen/xml-nominal/*.xml; do cp "$f" "$s/$(basename "$(dirname "$f")")-$(basename "$f")"; done
    s=$(seeds batch_csv)
    for f in gen/csv/*.csv; do seed "$s" "$f"; done

    # Signatures: good ones by the wallet's signer, and the ones the tests
    # expect refused (expired signer, another CA's), over batches and
    # messages; each seed is <2-byte length><DER CMS><data>.
    s=$(seeds cms)
    b=$(seeds base64)
    i=0
    for f in "$top_srcdir/tests/data/voucher-batch.xml" gen/csv/*.csv gen/xml-nominal/*.xml \
             "$top_srcdir/tests/data/fault.xml"; do
        for signer in wallet-signer expired-signer other-signer; do
            i=$((i + 1))
            openssl cms -sign -binary -outform DER -md sha256 -nosmimecap \
                -signer "certs/$signer.pem" -inkey "certs/$signer.key" -in "$f" -out sig.der
            python3 - sig.der "$f" "$s/$i-$signer" <<'PY'
import sys
sig = open(sys.argv[1], "rb").read()
data = open(sys.argv[2], "rb").read()
open(sys.argv[3], "wb").write(len(sig).to_bytes(2, "big") + sig + data)
PY
            base64 -w0 sig.der > "$b/$i-$signer"
        done
    done
    rm -f sig.der
    date +%s > at

    # Configurations as the integration tests write them, and the sample.
    s=$(seeds conf)
    seed "$s" "$top_srcdir/contrib/gasvoucher.conf.sample"
    (
        # shellcheck source=../tests/lib/db.sh
        . "$top_srcdir/tests/lib/db.sh"
        # shellcheck source=../tests/lib/daemon.sh
        . "$top_srcdir/tests/lib/daemon.sh"
        gvt_write_conf "$s/test.conf" "DRIVER=SQLite3;Database=/tmp/x.db" \
            "$top_srcdir/mappings/site-a.ini" "$out/certs" \
            "$(printf '[wallet]\nheader_timeout = 3\ntls = no\n'; gvt_intake_ini "$out/certs" /tmp/spool)"
    )
    s=$(seeds params)
    seed "$s" "$top_srcdir/contrib/program.ini"
    s=$(seeds mapping)
    for f in "$top_srcdir"/mappings/*.ini; do seed "$s" "$f"; done
) > "$out/seeds.log" 2>&1 || { cat "$out/seeds.log"; echo "FAIL: fuzz seeds"; exit 1; }

# ---- dictionaries: the words each reader looks for -----------------------
{
    sed -n 's/.*name="\([A-Za-z]*\)".*/"\1"/p; s/.*value="\([A-Z_]*\)".*/"\1"/p' \
        "$top_srcdir/src/msg/wallet-gas-voucher-v1.xsd" | sort -u
    printf '"%s"\n' '<?xml version="1.0" encoding="UTF-8"?>' 'xmlns="urn:socialwallet:gas-voucher:v1"' \
        '+05:00' 'Z' '<!DOCTYPE' '<!ENTITY' '&amp;' '<![CDATA[' ']]>' '&#x' '"' "'"
} > "$out/xml.dict"
{
    sed -n 's/^\(\[[a-z._]*\]\).*/"\1"/p; s/^#* *\([a-z_]*\) *=.*/"\1"/p' \
        "$top_srcdir/contrib/gasvoucher.conf.sample" "$top_srcdir/contrib/program.ini" \
        "$top_srcdir"/mappings/*.ini | sort -u
    printf '"%s"\n' ' = ' 'yes' 'no' '1K' '64M' '127.0.0.1:8443' '[::1]:9464' 'KZ-75' \
        '2025-09-01' ':account' ':period_start' ':accounts'
} > "$out/ini.dict"

dict_of() {
    case "$1" in
        account_check|batch_xml) echo "-dict=$out/xml.dict" ;;
        conf|params|mapping) echo "-dict=$out/ini.dict" ;;
    esac
}

# ---- run ----------------------------------------------------------------------
export GV_FUZZ_SIGN_CA=$out/certs/wallet-sign-ca.pem
GV_FUZZ_AT=$(cat "$out/at")
export GV_FUZZ_AT
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:allocator_may_return_null=1
export LSAN_OPTIONS=suppressions=$top_srcdir/tests/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
failed=0
for target in "$@"; do
    name=${target##*/fuzz_}
    mkdir -p "$out/found/$name" "$out/seeds/$name"
    committed=$top_srcdir/fuzz/corpus/$name
    [ -d "$committed" ] || committed=
    # shellcheck disable=SC2046
    "$top_builddir/$target" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
        -max_len=65536 -print_final_stats=1 -artifact_prefix="$out/crashes/$name-" \
        $(dict_of "$name") "$out/found/$name" "$out/seeds/$name" ${committed:+"$committed"} \
        > "$out/$name.log" 2>&1
    rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$name.log")
    if [ "$rc" = 0 ]; then
        echo "PASS: $name (${runs:-?} runs in ${FUZZ_SECONDS} s)"
    else
        failed=$((failed + 1))
        echo "FAIL: $name (exit $rc; see $out/$name.log)"
        grep -E 'ERROR|broken promise|SUMMARY|Test unit written' "$out/$name.log" | head -8
    fi
done
[ "$failed" = 0 ]
