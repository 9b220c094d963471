#!/bin/sh
# Install the Debian packages gasvoucher needs to build, test and run its demo.
# Idempotent and non-interactive: run it as root on Debian 12 (bookworm) or later.
set -eu

BUILD="build-essential autoconf automake libtool pkg-config gettext
       libxml2-dev libcurl4-openssl-dev unixodbc-dev libssl-dev libcsv-dev
       libmicrohttpd-dev libgnutls28-dev libinih-dev libcmocka-dev libxlsxwriter-dev"
RUNTIME="unixodbc libsqliteodbc odbc-postgresql odbc-mariadb libxml2-utils"
# The last four are the benchmarks' (bench/account-check: load generators
# and the static yardstick), which tests/integration/bench-smoke.sh runs.
TESTS="postgresql mariadb-server mariadb-client sqlite3 curl openssl python3 python3-openpyxl chromium
       procps iproute2 ca-certificates git clang libfuzzer-14-dev
       wrk nginx-light stunnel4 apache2-utils"
# The Debian package and its checks; promtool (prometheus) for the alert rules.
PACKAGE="debhelper lintian prometheus"

export DEBIAN_FRONTEND=noninteractive
want=""
for p in $BUILD $RUNTIME $TESTS $PACKAGE; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
        want="$want $p"
done
if [ -n "$want" ]; then
    apt-get update -qq
    # Server packages must not start their own instances: the tests start
    # theirs under a temporary folder.  The block is removed however apt
    # ends (otherwise no service on the machine would start afterwards); a
    # policy-rc.d the machine had already is left as it was.
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        trap 'rm -f /usr/sbin/policy-rc.d' EXIT
        trap 'exit 130' INT TERM HUP
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    fi
    apt-get install -y -qq --no-install-recommends $want
fi
