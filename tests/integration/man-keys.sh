#!/usr/bin/env bash
# gasvoucher.conf(5) documents every key: each key the sample configuration
# sets, and each key gasvoucher knows, has an entry (.BI "key = ") under its
# section's heading in the man page; and every entry there is a key
# gasvoucher knows, so the page names nothing that is gone.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$here/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
sample=$top_srcdir/contrib/gasvoucher.conf.sample
page=$top_srcdir/man/gasvoucher.conf.5
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# "section.key" of every entry in the page's OPTIONS (the configuration
# file; the mapping files' keys follow under MAPPING FILES).
documented=$(awk '
    /^\.SH OPTIONS/ { on = 1; next }
    /^\.SH / { on = 0 }
    on && /^\.SS \[/ { s = $2; gsub(/[][]/, "", s); next }
    on && /^\.BI / {
        line = $0
        # One entry may name several keys: .BI "cert = " path ", key = " path
        while (match(line, /"(, )?[a-z_]+ = "/)) {
            k = substr(line, RSTART + 1, RLENGTH - 5)
            sub(/^, /, "", k)
            print s "." k
            line = substr(line, RSTART + RLENGTH)
        }
    }' "$page" | sort -u)
[ -n "$documented" ] || fail "no entries found in $page"

in_sample=$(awk '
    /^\[/ { s = $0; gsub(/[][]/, "", s); next }
    /^[a-z_]+ *=/ { k = $0; sub(/ *=.*/, "", k); print s "." k }' "$sample" | sort -u)
known=$("$top_builddir/gasvoucher" config keys | sort -u)

while read -r key; do
    grep -qxF "$key" <<< "$documented" ||
        fail "the sample sets [${key%%.*}] ${key#*.}, which gasvoucher.conf(5) does not document"
done <<< "$in_sample"
while read -r key; do
    grep -qxF "$key" <<< "$documented" ||
        fail "[${key%%.*}] ${key#*.} has no entry in gasvoucher.conf(5)"
done <<< "$known"
while read -r key; do
    grep -qxF "$key" <<< "$known" ||
        fail "gasvoucher.conf(5) documents [${key%%.*}] ${key#*.}, which gasvoucher does not know"
done <<< "$documented"

[ "$failures" = 0 ] || { echo "$failures failures"; exit 1; }
echo "man-keys: gasvoucher.conf(5) documents the $(wc -l <<< "$in_sample") keys of the sample and no other"
