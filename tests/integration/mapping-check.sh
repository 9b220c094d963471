#!/usr/bin/env bash
# `gasvoucher mapping check` proves a mapping on SQLite, PostgreSQL and
# MariaDB.  site-a and site-b pass (exit 0) and show what gasvoucher would
# see of each sample, masked as the wallet sees it.  Broken mappings fail,
# each problem named with the mapping's file and line: '||' on MariaDB,
# CAST(... AS DATE) on SQLite, a Cyrillic literal the driver corrupts
# (whenever gasvoucher's own account check shows it corrupted; it must
# pass where it is not), case folding of Cyrillic on SQLite, values that do
# not convert, an account form that does not give the stored account, and
# billing rows for another account than the one asked for.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/db.sh"
. "$here/../lib/certs.sh"
. "$here/../lib/daemon.sh"

gvt_begin mapcheck
GV=$top_builddir/gasvoucher
READINGS="$GVT_PYTHON $top_srcdir/tests/sites/readings.py"
NOW=(--now 2025-09-30T18:00:00+05:00)
N=20
SEED=5

# line FILE TEXT: the number of the first line of FILE holding TEXT.
line() { grep -nF -- "$2" "$1" | head -n 1 | cut -d: -f1; }

# sql_line FILE SECTION: the line of SECTION's "sql =".
sql_line() {
    awk -v s="[$2]" '$0 == s { in_s = 1; next } /^\[/ { in_s = 0 }
        in_s && /^sql *=/ { print NR; exit }' "$1"
}

# expect LABEL OUT TEXT...: OUT holds every TEXT (fixed strings).
expect() {
    local label=$1 out=$2 t
    shift 2
    for t in "$@"; do
        grep -qF -- "$t" "$out" || fail "$label: no '$t' in: $(cat "$out")"
    done
}

# check_fails LABEL CONF MAPPING ARGS...: mapping check exits 1 (problems
# found; a crash or a sanitizer's report is something else); its output in
# $dir/out.
check_fails() {
    local label=$1 conf=$2 map=$3 rc=0
    shift 3
    "$GV" -c "$conf" "${NOW[@]}" mapping check "$map" "$@" > "$dir/out" 2>&1 || rc=$?
    [ "$rc" = 1 ] || fail "$label: mapping check exited $rc, expected 1: $(cat "$dir/out")"
}

check_passes() {
    local label=$1 conf=$2 map=$3
    shift 3
    "$GV" -c "$conf" "${NOW[@]}" mapping check "$map" "$@" > "$dir/out" 2>&1 ||
        fail "$label: mapping check failed: $(cat "$dir/out")"
}

# The broken mappings, each made from a sample one by one change.
A=$top_srcdir/mappings/site-a.ini
B=$top_srcdir/mappings/site-b.ini
sed -e 's/WHERE lic_schet = :account/WHERE lic_schet = '\'''\'' || :account/' "$A" > "$dir/concat.ini"
# (with a comment line inside the statement: the line named is still right)
sed -e 's/p.data_pokaz AS read_on/CAST(p.data_pokaz AS DATE) AS read_on/' \
    -e 's/^sql = SELECT p.lic_schet AS account, p.zavod_nomer AS meter,$/&\n; the date: see below/' \
    "$A" > "$dir/castdate.ini"
grep -q '^; the date' "$dir/castdate.ini" || fail "castdate.ini: no comment line"
sed -e "s/CASE WHEN gruppa = 1 THEN 1/CASE WHEN gruppa = 1 AND adres LIKE '%д. %' THEN 1/" \
    "$A" > "$dir/literal.ini"
sed -e "s/CASE WHEN gruppa = 1 THEN 1/CASE WHEN gruppa = 1 AND UPPER(adres) LIKE '%Д. %' THEN 1/" \
    "$A" > "$dir/fold.ini"
sed -e 's/        est_schetchik AS metered,/        CASE WHEN est_schetchik = 1 THEN '\''Y'\'' ELSE '\''N'\'' END AS metered,/' \
    -e '0,/^      FROM abonent$/s//      FROM abonent, (SELECT 1 AS copy UNION ALL SELECT 2) twice/' \
    -e 's/SELECT lic_schet AS account, region AS region,/SELECT lic_schet AS account, LOWER(region) AS region,/' \
    -e 's/SELECT p.lic_schet AS account, p.zavod_nomer AS meter,/SELECT SUBSTR(p.lic_schet, 3) AS account, p.zavod_nomer AS meter,/' \
    "$A" > "$dir/values.ini"
sed -e 's/^output = {number:010}$/output = {number:int}/' "$A" > "$dir/form.ini"
grep -v '^\[query.sample_accounts\]\|^sql = SELECT account_no AS account FROM customers ORDER BY' \
    "$B" > "$dir/nosample.ini"
for f in concat castdate literal fold values form nosample; do
    cmp -s "$dir/$f.ini" "$A" && fail "$f.ini: the edit did not apply"
done

run_engine() { # engine conn
    local engine=$1 conn=$2 site c
    echo "== $engine"
    for site in a b; do
        c=$dir/$engine-$site.conf
        gvt_write_conf "$c" "$conn" "$top_srcdir/mappings/site-$site.ini" "$dir/certs" \
            "[billing]
program = $top_srcdir/contrib/program.ini
[time]
# --now: a pinned clock, for tests only
allow_pinned_now = yes"
        # Clean: the samples of [query.sample_accounts], for the period of --now.
        "$GV" -c "$c" "${NOW[@]}" mapping check > "$dir/out" 2>&1 ||
            fail "$engine site-$site: mapping check: $(cat "$dir/out")"
        expect "$engine site-$site" "$dir/out" "period 2025-09" \
            "(from [query.sample_accounts])" "canonical:" "found:      yes" "billing:    region" \
            "volume:" "readings:" "proved"
        [ "$(grep -c '^sample ' "$dir/out")" = 5 ] || fail "$engine site-$site: not 5 samples"
        # Typed samples: canonicalised through [account]; the holder masked.
        check_passes "$engine site-$site --sample" "$c" "$top_srcdir/mappings/site-$site.ini" \
            --sample "0012 345 678" 5555555555 --period 2025-09
        if [ "$site" = a ]; then
            expect "$engine site-a --sample" "$dir/out" "canonical:  0012345678" \
                "site has:   0012345678"
        else
            expect "$engine site-b --sample" "$dir/out" "canonical:  12345678" \
                "site has:   12345678" "address:    г. Алматы, ул. Ж***, д. **, кв. **"
        fi
        expect "$engine site-$site --sample" "$dir/out" "holder:     Жумабаев Е. К." \
            "result:     FOUND" "household:  yes" "region:     KZ-75" "metered:    yes" \
            "residents:  3" "result:     NOT_FOUND"
        if grep -qE 'Ерлан|Касымович|Жандосова' "$dir/out"; then
            fail "$engine site-$site: the sample view shows a full name or street"
        fi
    done
    c=$dir/$engine-a.conf

    # '||' is OR on MariaDB; concatenation elsewhere.
    if [ "$engine" = mariadb ]; then
        check_fails "$engine ||" "$c" "$dir/concat.ini"
        expect "$engine ||" "$dir/out" \
            "concat.ini:$(line "$dir/concat.ini" "|| :account"): [query.account]: '||' is logical OR on MariaDB" \
            "lacks PIPES_AS_CONCAT" "CONCAT(a, b)" \
            "concat.ini:$(sql_line "$dir/concat.ini" query.account): [query.account]: returns account '" \
            "the wallet would be answered about another account"
    else
        check_passes "$engine ||" "$c" "$dir/concat.ini"
    fi

    # CAST(... AS DATE) gives SQLite a number.
    if [ "$engine" = sqlite ]; then
        check_fails "$engine CAST" "$c" "$dir/castdate.ini"
        expect "$engine CAST" "$dir/out" \
            "castdate.ini:$(line "$dir/castdate.ini" "CAST(p.data_pokaz"): [query.readings]: CAST(... AS DATE) gives a number on SQLite; return the date as text, e.g. date(x)" \
            "castdate.ini:$(sql_line "$dir/castdate.ini" query.readings): [query.readings]: column 'read_on' holds 2025"
    else
        check_passes "$engine CAST" "$c" "$dir/castdate.ini"
    fi

    # A Cyrillic literal: reported exactly when the account check itself
    # shows it corrupted (the household test fails), on every engine.
    sed -e "s|^mapping = .*|mapping = $dir/literal.ini|" "$c" > "$dir/literal.conf"
    "$GV" -c "$dir/literal.conf" account 0012345678 --period 2025-09 > "$dir/acc.out" 2>&1 ||
        fail "$engine literal: account: $(cat "$dir/acc.out")"
    if grep -q '^result: FOUND' "$dir/acc.out"; then
        echo "   $engine: non-ASCII SQL text arrives intact"
        check_passes "$engine literal" "$c" "$dir/literal.ini" --sample 0012345678
    else
        echo "   $engine: non-ASCII SQL text is corrupted ($(head -n 1 "$dir/acc.out"))"
        [ "$engine" = sqlite ] || fail "$engine: non-ASCII SQL text corrupted"
        check_fails "$engine literal" "$c" "$dir/literal.ini" --sample 0012345678
        expect "$engine literal" "$dir/out" \
            "literal.ini:$(line "$dir/literal.ini" "LIKE '%д. %'"): [query.account]: the literal '%д. %' comes back from SQLite as" \
            "household:  no"
    fi

    # Case folding of Cyrillic: not on SQLite.
    if [ "$engine" = sqlite ]; then
        check_fails "$engine UPPER" "$c" "$dir/fold.ini"
        expect "$engine UPPER" "$dir/out" \
            "fold.ini:$(line "$dir/fold.ini" "UPPER(adres)"): [query.account]: UPPER changes only ASCII letters on SQLite"
    else
        check_passes "$engine UPPER" "$c" "$dir/fold.ini"
    fi

    # Values gasvoucher cannot read, and billing rows of another account.
    check_fails "$engine values" "$c" "$dir/values.ini" --sample 0012345678
    expect "$engine values" "$dir/out" \
        "values.ini:$(sql_line "$dir/values.ini" query.account): [query.account]: column 'metered' holds 'Y' for account 0012345678: not a number or true/false" \
        "values.ini:$(sql_line "$dir/values.ini" query.account): [query.account]: returns 2 rows for account 0012345678" \
        "values.ini:$(sql_line "$dir/values.ini" query.billing_accounts): [query.billing_accounts]: column 'region' holds 'kz-75' for account 0012345678: not an ISO 3166-2:KZ code" \
        "values.ini:$(sql_line "$dir/values.ini" query.readings): [query.readings]: returns account '12345678' when asked for '0012345678'"

    # An account form that does not give the stored account back.
    check_fails "$engine form" "$c" "$dir/form.ini"
    expect "$engine form" "$dir/out" \
        "form.ini: [account] turns the stored account '00" \
        "form.ini:$(sql_line "$dir/form.ini" query.account): [query.account]: does not find account " \
        ", which [query.sample_accounts] returned"

    # Nothing to run on: a failure, not a pass.
    check_fails "$engine no sample" "$dir/$engine-b.conf" "$dir/nosample.ini"
    expect "$engine no sample" "$dir/out" "nosample.ini: no sample accounts"
}

# load ENGINE TARGET SQL...: both sites and their readings for 2025-09;
# SQL runs a script on stdin against TARGET.
load() {
    local engine=$1 target=$2 site
    shift 2
    for site in a b; do
        gvt_load_site "$site" "$engine" "$target" --random $N --seed $SEED
        $READINGS --site $site --engine "$engine" --period 2025-09 --random $N --seed $SEED |
            "$@" > /dev/null
    done
}

gvt_sqlite_create "$dir/billing.db"
load sqlite "$dir/billing.db" sqlite3 -bail "$dir/billing.db"
run_engine sqlite "$GVT_SQLITE_CONN"

gvt_pg_start "$dir"
load postgresql "$dir" gvt_pg_sql "$dir"
run_engine postgresql "$GVT_PG_CONN"
gvt_pg_stop "$dir"

gvt_maria_start "$dir"
load mariadb "$dir" gvt_maria_sql "$dir"
run_engine mariadb "$GVT_MARIA_CONN"
gvt_maria_stop "$dir"

gvt_end "mapping-check: site-a and site-b proved, every trap named with file and line, on sqlite, postgresql and mariadb"
