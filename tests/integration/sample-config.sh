#!/usr/bin/env bash
# The sample configuration is the reference: it must name every key
# gasvoucher knows, in the right section, and load as it is once its paths
# point at real files.  The sample mappings must load too.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/db.sh"
. "$here/../lib/certs.sh"
: "${top_srcdir:=$(cd "$here/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
sample=$top_srcdir/contrib/gasvoucher.conf.sample
dir=$(mktemp -d /tmp/gvt-sample.XXXXXX)
trap 'rm -rf "$dir"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# Every key, documented under its own section.
while IFS=. read -r section key; do
    awk -v s="[$section]" -v k="$key" '
        /^\[/ { in_s = ($0 == s) }
        in_s && $1 == k && $2 == "=" { found = 1 }
        END { exit !found }' "$sample" || fail "the sample does not set [$section] $key"
done < <("$top_builddir/gasvoucher" config keys)

# It loads once its paths exist.
gvt_make_certs "$dir/certs"
sed -e "s|^mapping = .*|mapping = $top_srcdir/mappings/site-a.ini|" \
    -e "s|^tls_cert = .*|tls_cert = $dir/certs/server.pem|" \
    -e "s|^tls_key = .*|tls_key = $dir/certs/server.key|" \
    -e "s|^tls_client_ca = .*|tls_client_ca = $dir/certs/wallet-ca.pem|" \
    -e "s|^tls_client_allow = .*|tls_client_allow = $dir/allow|" \
    "$sample" > "$dir/gv.conf"
echo "subject CN=wallet-client,O=gasvoucher-tests,C=KZ" > "$dir/allow"
"$top_builddir/gasvoucher" -c "$dir/gv.conf" config check || fail "the sample does not load"
"$top_builddir/gasvoucherd" -c "$dir/gv.conf" --check || fail "gasvoucherd --check refuses the sample"

# Errors name file, line and key, and every one is reported.
printf '[provider]\nbin = 12\nname = x\ncolour = red\n[database]\nlogin_timeout = 0\n' > "$dir/bad.conf"
out=$("$top_builddir/gasvoucher" -c "$dir/bad.conf" config check 2>&1) && fail "a bad file passed"
for want in "bad.conf:2: \[provider\] bin" "bad.conf:4: \[provider\] unknown key 'colour'" \
    "bad.conf:6: \[database\] login_timeout" "\[database\] connection is required" \
    "\[database\] mapping is required"; do
    grep -q "$want" <<< "$out" || fail "no error matching '$want' in: $out"
done
"$top_builddir/gasvoucherd" -c "$dir/bad.conf" > /dev/null 2>&1 && fail "gasvoucherd started on a bad file"

# A mapping error names the mapping file and line.
printf '[mapping]\nname = x\n[account]\nstrip = space comma\n[query.account]\nsql = SELECT 1 WHERE a = :nosuch\n' > "$dir/bad.ini"
sed -e "s|^mapping = .*|mapping = $dir/bad.ini|" "$dir/gv.conf" > "$dir/badmap.conf"
out=$("$top_builddir/gasvoucher" -c "$dir/badmap.conf" config check 2>&1) && fail "a bad mapping passed"
grep -q "bad.ini:4: \[account\] strip" <<< "$out" || fail "strip error missing: $out"
grep -q "bad.ini:6: \[query.account\] sql: unknown parameter :nosuch" <<< "$out" ||
    fail "parameter error missing: $out"

# `mapping check` reports every problem against the live database.
gvt_sqlite_create "$dir/b.db"
gvt_load_site a sqlite "$dir/b.db"
printf '[mapping]\nname = x\n[account]\nmatch = number:digit{1,10}\noutput = {number:010}\n[query.account]\nsql = SELECT lic_schet AS account, fio AS holder, 1 AS household FROM abonent WHERE lic_schet = :account\n' > "$dir/cols.ini"
sed -e "s|^mapping = .*|mapping = $dir/cols.ini|" -e "s|^connection = .*|connection = $GVT_SQLITE_CONN|" \
    "$dir/gv.conf" > "$dir/cols.conf"
out=$("$top_builddir/gasvoucher" -c "$dir/cols.conf" mapping check 2>&1) && fail "missing columns passed"
for col in address region closed_on metered residents; do
    grep -q "returns no column '$col'" <<< "$out" || fail "mapping check did not name column $col: $out"
done
printf '[mapping]\nname = x\n[account]\nmatch = number:digit{1,10}\noutput = {number:010}\n[query.account]\nsql = SELECT * FROM no_such_table WHERE x = :account\n' > "$dir/table.ini"
sed -e "s|^mapping = .*|mapping = $dir/table.ini|" "$dir/cols.conf" > "$dir/table.conf"
out=$("$top_builddir/gasvoucher" -c "$dir/table.conf" mapping check 2>&1) && fail "a missing table passed"
grep -q "does not prepare" <<< "$out" || fail "mapping check did not report the missing table: $out"

[ "$failures" = 0 ] || { echo "$failures failures"; exit 1; }
echo "sample-config: every key documented; errors name file, line and key"
