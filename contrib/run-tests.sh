#!/bin/sh
# contrib/run-tests.sh - install what is needed, then build and run the
# whole test suite twice: a plain build, and one under AddressSanitizer and
# UndefinedBehaviorSanitizer with failure injection compiled in; then every libFuzzer target for a few seconds
# (_build/fuzz, configure --enable-fuzz); then `make distcheck`.  Ends with one line
# "N passed, N failed" (a skipped test counts as failed: a database test
# that did not run proves nothing).  Run as root from the source tree.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
sh contrib/install-deps.sh || { echo "0 passed, 1 failed"; exit 1; }
# Builds happen in _build/; an in-tree configuration would block them.
[ -f config.status ] && make distclean > /dev/null 2>&1
./autogen.sh > /dev/null 2>&1 || { echo "autogen failed"; echo "0 passed, 1 failed"; exit 1; }

jobs=$(nproc 2> /dev/null || echo 2)
passed=0
failed=0
count() { # build-dir
    for log in "$1"/test-suite.log; do
        [ -f "$log" ] || { failed=$((failed + 1)); continue; }
        p=$(sed -n 's/^# PASS: *//p' "$log")
        f=$(sed -n 's/^# FAIL: *//p' "$log")
        e=$(sed -n 's/^# ERROR: *//p' "$log")
        s=$(sed -n 's/^# SKIP: *//p' "$log")
        x=$(sed -n 's/^# XPASS: *//p' "$log")
        passed=$((passed + ${p:-0}))
        failed=$((failed + ${f:-0} + ${e:-0} + ${s:-0} + ${x:-0}))
    done
}

build() { # name configure-flags...
    name=$1
    shift
    rm -rf "_build/$name"
    mkdir -p "_build/$name"
    (cd "_build/$name" && ../../configure -q "$@" && make -j"$jobs" > make.log 2>&1) || {
        echo "== $name: build failed"
        tail -30 "_build/$name/make.log" 2> /dev/null
        failed=$((failed + 1))
        return 1
    }
    echo "== $name: make check"
    (cd "_build/$name" && make -j"$jobs" check > check.log 2>&1)
    grep -E '^(PASS|FAIL|ERROR|SKIP|XPASS):' "_build/$name/check.log"
    if grep -qE '^(FAIL|ERROR|SKIP|XPASS):' "_build/$name/check.log"; then
        for t in $(sed -n 's/^\(FAIL\|ERROR\|SKIP\|XPASS\): //p' "_build/$name/check.log"); do
            echo "---- $name: $t"
            tail -40 "_build/$name/${t%.sh}.log"
        done
    fi
    count "_build/$name"
}

build plain
# The sanitizer build is also the failure-injection one: the hooks do nothing
# without GV_FAULT, and it adds tests/integration/fault-injection.sh, so
# every failure it injects is also checked for leaks and undefined behaviour.
build sanitizers --enable-sanitizers --enable-fault-injection

# Each fuzz target for FUZZ_SECONDS (6 s: about a minute and a half in all),
# its committed regression cases first.
echo "== fuzz"
rm -rf _build/fuzz
mkdir -p _build/fuzz
if (cd _build/fuzz && ../../configure -q --enable-fuzz && make -j"$jobs" > make.log 2>&1 &&
    make fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-6}" > fuzz.log 2>&1); then
    echo "PASS: fuzz"
    passed=$((passed + 1))
else
    echo "FAIL: fuzz"
    tail -30 _build/fuzz/make.log 2> /dev/null
    grep -E '^(PASS|FAIL):' -A8 _build/fuzz/fuzz.log 2> /dev/null | grep -v '^PASS'
    failed=$((failed + 1))
fi
grep -E '^(PASS|FAIL):' _build/fuzz/fuzz.log 2> /dev/null | sed 's/^/    /'

echo "== distcheck"
if (cd _build/plain && make -j"$jobs" distcheck > distcheck.log 2>&1); then
    echo "PASS: distcheck"
    passed=$((passed + 1))
else
    echo "FAIL: distcheck"
    tail -40 _build/plain/distcheck.log
    failed=$((failed + 1))
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
