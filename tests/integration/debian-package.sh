#!/usr/bin/env bash
# The Debian package as an administrator meets it: built with
# dpkg-buildpackage from a copy of the tree (the source tree and its build
# folders are left alone), lintian without errors, installed with dpkg -i on
# this machine, then its user, folders, permissions and conffiles, the
# configuration checked as the service user, systemd-analyze verify on every
# unit, an upgrade over edited configuration files that keeps the edits,
# and a purge that leaves nothing behind.
#
# It installs a package on the machine, so it needs root, and refuses to run
# where a gasvoucher package is installed already.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$here/../.." && pwd)}"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

if [ "$(id -u)" != 0 ]; then
    echo "debian-package: needs root (it installs the package with dpkg -i)"
    exit 77
fi
for tool in dpkg-buildpackage dh lintian systemd-analyze runuser; do
    command -v "$tool" > /dev/null ||
        { echo "FAIL: $tool is missing: run contrib/install-deps.sh"; exit 1; }
done
if dpkg-query -W -f='${Status}' gasvoucher 2> /dev/null | grep -q 'installed\|config-files'; then
    echo "FAIL: a gasvoucher package is installed on this machine; this test will not touch it"
    echo "      (after a test that was killed: dpkg --purge gasvoucher)"
    exit 1
fi

dir=$(mktemp -d /tmp/gvt-deb.XXXXXX)
installed=0
cleanup() {
    if [ "$installed" = 1 ]; then
        gvt_dpkg --purge gasvoucher > /dev/null 2>&1 || true
    fi
    if [ "$failures" = 0 ]; then rm -rf "$dir"; else echo "files of the failed test kept in $dir"; fi
}
trap cleanup EXIT

# dpkg waits for no one: another apt or dpkg on the machine holds its lock
# for a while, so try again for up to two minutes.
gvt_dpkg() {
    local i out rc
    for i in $(seq 1 60); do
        rc=0
        out=$(DEBIAN_FRONTEND=noninteractive dpkg "$@" < /dev/null 2>&1) || rc=$?
        if [ "$rc" != 0 ] && grep -q 'lock' <<< "$out"; then
            sleep 2
            continue
        fi
        printf '%s\n' "$out"
        return "$rc"
    done
    printf '%s\n' "$out"
    return 1
}

# ---- build from a copy ------------------------------------------------------
version=$(dpkg-parsechangelog -l "$top_srcdir/debian/changelog" -S Version)
src=$dir/gasvoucher-$version
mkdir -p "$src"
if git -C "$top_srcdir" rev-parse --is-inside-work-tree > /dev/null 2>&1 &&
    [ "$(git -C "$top_srcdir" rev-parse --show-toplevel)" = "$(cd "$top_srcdir" && pwd -P)" ]; then
    # A checkout: what git tracks or would track, uncommitted changes
    # included, but not build folders (_b/, _build/).
    (cd "$top_srcdir" && git ls-files -z -c -o --exclude-standard | grep -zv '^_' |
        tar --null -T - --ignore-failed-read -cf - 2> /dev/null) | tar -C "$src" -xf -
else
    # A release tree (make distcheck): all of it but build and install folders.
    (cd "$top_srcdir" && tar --exclude='./_*' -cf - .) | tar -C "$src" -xf -
    chmod -R u+w "$src"
fi
start=$SECONDS
if ! (cd "$src" && DEB_BUILD_OPTIONS="nocheck parallel=2" dpkg-buildpackage -us -uc -b \
        > "$dir/build.log" 2>&1); then
    tail -40 "$dir/build.log"
    fail "dpkg-buildpackage failed (log: $dir/build.log)"
    exit 1
fi
echo "debian-package: built in $((SECONDS - start)) s"
deb=$(ls "$dir"/gasvoucher_"$version"_*.deb)

start=$SECONDS
lintian --fail-on error "$deb" > "$dir/lintian.out" 2> "$dir/lintian.err" ||
    fail "lintian reports errors: $(cat "$dir/lintian.out" "$dir/lintian.err")"
# Tags below error are shown, not failed.
[ -s "$dir/lintian.out" ] && { echo "lintian says (no errors):"; cat "$dir/lintian.out"; }
echo "debian-package: lintian in $((SECONDS - start)) s"

# ---- install ------------------------------------------------------------------
installed=1
gvt_dpkg -i "$deb" > "$dir/install.out" || { cat "$dir/install.out"; fail "dpkg -i failed"; exit 1; }
[ "$(dpkg-query -W -f='${Status} ${Version}' gasvoucher)" = "install ok installed $version" ] ||
    fail "after dpkg -i: $(dpkg-query -W -f='${Status} ${Version}' gasvoucher)"

# The user: a system account without a login.
IFS=: read -r _ _ uid _ _ home shell <<< "$(getent passwd gasvoucher)" ||
    fail "no user gasvoucher"
[ "${uid:-0}" -gt 0 ] && [ "${uid:-1000}" -lt 1000 ] || fail "gasvoucher is not a system user (uid ${uid:-})"
[ "${home:-}" = /var/lib/gasvoucher ] || fail "gasvoucher's home is '${home:-}'"
[ "${shell:-}" = /usr/sbin/nologin ] || fail "gasvoucher's shell is '${shell:-}'"
getent group gasvoucher > /dev/null || fail "no group gasvoucher"
# The billing run's own user, and the group of the signing key's readers
# (given to the units that sign, no user a member).
IFS=: read -r _ _ buid _ _ _ bshell <<< "$(getent passwd gasvoucher-billing)" ||
    fail "no user gasvoucher-billing"
[ "${buid:-0}" -gt 0 ] && [ "${buid:-1000}" -lt 1000 ] && [ "${bshell:-}" = /usr/sbin/nologin ] ||
    fail "gasvoucher-billing is not a system user without a login"
IFS=: read -r _ _ _ sign_members <<< "$(getent group gasvoucher-sign)" || fail "no group gasvoucher-sign"
[ -z "${sign_members:-}" ] || fail "gasvoucher-sign has members: $sign_members"

# Owners and modes.
want_stat() {
    local path=$1 want=$2 got
    got=$(stat -c '%F %a %U:%G' "$path" 2> /dev/null) || { fail "$path is missing"; return; }
    [ "$got" = "$want" ] || fail "$path: '$got', expected '$want'"
}
want_stat /var/lib/gasvoucher "directory 750 gasvoucher:gasvoucher"
want_stat /etc/gasvoucher "directory 755 root:root"
want_stat /etc/gasvoucher/gasvoucher.conf "regular file 640 root:gasvoucher"
want_stat /etc/gasvoucher/billing.conf "regular file 640 root:gasvoucher-billing"
want_stat /etc/gasvoucher/program.ini "regular file 644 root:root"
want_stat /var/lib/gasvoucher/outbox "directory 2770 gasvoucher:gasvoucher"
want_stat /var/lib/gasvoucher/batches "directory 750 gasvoucher:gasvoucher"
want_stat /var/lib/gasvoucher/.lock "regular empty file 660 gasvoucher:gasvoucher"
want_stat /var/lib/gasvoucher/billing.lock "regular empty file 660 gasvoucher:gasvoucher"
want_stat /usr/bin/gasvoucher "regular file 755 root:root"
want_stat /usr/sbin/gasvoucherd "regular file 755 root:root"
unitdir=$(dirname "$(dpkg -L gasvoucher | grep '/gasvoucherd\.service$')")
units=("$unitdir"/gasvoucherd.service "$unitdir"/gasvoucher-billing.service
       "$unitdir"/gasvoucher-billing.timer "$unitdir"/gasvoucher-spool-prune.service
       "$unitdir"/gasvoucher-spool-prune.timer)
for f in "${units[@]}" /usr/share/gasvoucher/mappings/site-a.ini \
    /usr/share/gasvoucher/mappings/site-b.ini /usr/share/man/man8/gasvoucherd.8.gz \
    /usr/share/man/man1/gasvoucher.1.gz /usr/share/man/man5/gasvoucher.conf.5.gz; do
    [ -f "$f" ] || fail "$f is not installed"
done

# Every file in /etc is a conffile.
conffiles=$(dpkg-query -W -f='${Conffiles}\n' gasvoucher | awk 'NF { print $1 }' | sort)
[ "$conffiles" = "$(printf '%s\n' /etc/gasvoucher/billing.conf /etc/gasvoucher/gasvoucher.conf \
    /etc/gasvoucher/gasvoucher.conf.sample /etc/gasvoucher/program.ini)" ] ||
    fail "conffiles: $conffiles"

# The units name the installed programs and configuration, and are neither
# enabled nor started before the site is configured.
grep -q '^ExecStart=/usr/sbin/gasvoucherd -c /etc/gasvoucher/gasvoucher.conf$' \
    "$unitdir/gasvoucherd.service" || fail "gasvoucherd.service: $(grep Exec "$unitdir/gasvoucherd.service")"
grep -q '^ExecStart=/usr/bin/gasvoucher -c /etc/gasvoucher/billing.conf bill --due$' \
    "$unitdir/gasvoucher-billing.service" || fail "gasvoucher-billing.service names other paths"
grep -q 'program = /etc/gasvoucher/program.ini' /etc/gasvoucher/gasvoucher.conf ||
    fail "gasvoucher.conf does not name /etc/gasvoucher/program.ini"
for u in multi-user.target.wants/gasvoucherd.service timers.target.wants/gasvoucher-billing.timer \
    timers.target.wants/gasvoucher-spool-prune.timer; do
    [ ! -e "/etc/systemd/system/$u" ] || fail "$u is enabled by the installation"
done
out=$(systemd-analyze verify "${units[@]}" 2>&1) || fail "systemd-analyze verify: $out"
[ -z "$out" ] || fail "systemd-analyze verify says: $out"
for u in "$unitdir"/gasvoucherd.service "$unitdir"/gasvoucher-billing.service \
    "$unitdir"/gasvoucher-spool-prune.service; do
    systemd-analyze security --offline=yes --threshold=20 "$u" > /dev/null 2>&1 ||
        fail "$u is rated above 2.0 by systemd-analyze security"
done

# The service user reads its configuration; others do not.
check_as_user() {
    local what=$1 out
    out=$(cd / && runuser -u gasvoucher -- gasvoucher -c /etc/gasvoucher/gasvoucher.conf config check 2>&1) ||
        fail "$what: gasvoucher config check as gasvoucher: $out"
    out=$(cd / && runuser -u gasvoucher -- gasvoucherd --check 2>&1) ||
        fail "$what: gasvoucherd --check as gasvoucher: $out"
}
check_as_user "installed"
runuser -u nobody -- cat /etc/gasvoucher/gasvoucher.conf > /dev/null 2>&1 &&
    fail "user nobody can read gasvoucher.conf"

# Least privilege, with the identities the units give (setpriv as systemd
# would: User=, Group=, SupplementaryGroups=).
as_daemon=(setpriv --reuid=gasvoucher --regid=gasvoucher --groups=gasvoucher-sign --)
as_billing=(setpriv --reuid=gasvoucher-billing --regid=gasvoucher
            --groups=gasvoucher-billing,gasvoucher-sign --)
as_prune=(setpriv --reuid=gasvoucher --regid=gasvoucher --clear-groups --)
"${as_daemon[@]}" cat /etc/gasvoucher/billing.conf > /dev/null 2>&1 &&
    fail "gasvoucherd can read billing.conf (the credentials that write bills)"
out=$(cd / && "${as_billing[@]}" gasvoucher -c /etc/gasvoucher/billing.conf config check 2>&1) ||
    fail "the billing run cannot check billing.conf: $out"
# A signing key as the site installs it: only the units that sign read it.
install -o root -g gasvoucher-sign -m 0640 /dev/null /etc/gasvoucher/signing.key
"${as_daemon[@]}" cat /etc/gasvoucher/signing.key > /dev/null || fail "gasvoucherd cannot read the signing key"
"${as_billing[@]}" cat /etc/gasvoucher/signing.key > /dev/null || fail "the billing run cannot read the signing key"
"${as_prune[@]}" cat /etc/gasvoucher/signing.key > /dev/null 2>&1 && fail "the spool retention can read the signing key"
runuser -u gasvoucher -- cat /etc/gasvoucher/signing.key > /dev/null 2>&1 &&
    fail "the user gasvoucher alone can read the signing key"
rm -f /etc/gasvoucher/signing.key
# The spool is shared: a report the billing run writes (umask 0027, as its
# unit) is gasvoucherd's to read and the retention's to remove; both take
# the locks.
"${as_billing[@]}" sh -c 'umask 027; echo report > /var/lib/gasvoucher/outbox/probe.xml' ||
    fail "the billing run cannot write into outbox/"
want_stat /var/lib/gasvoucher/outbox/probe.xml "regular file 640 gasvoucher-billing:gasvoucher"
"${as_daemon[@]}" cat /var/lib/gasvoucher/outbox/probe.xml > /dev/null || fail "gasvoucherd cannot read the billing run's report"
"${as_prune[@]}" rm /var/lib/gasvoucher/outbox/probe.xml || fail "the retention cannot remove the billing run's report"
for lock in .lock billing.lock; do
    # opened for reading and writing, as gasvoucher opens them
    "${as_billing[@]}" sh -c "exec 9<> /var/lib/gasvoucher/$lock && flock 9" ||
        fail "the billing run cannot take $lock"
done

# ---- upgrade over edited configuration --------------------------------------
# The site's own name and a comment beside its official prices.
sed -i 's/^name = .*/name = ТОО «Газ Участка»/' /etc/gasvoucher/gasvoucher.conf
echo "; official prices entered by the site" >> /etc/gasvoucher/program.ini
# The next version: same files but for a changed program.ini, so dpkg meets a
# conffile changed both here and in the package (answered "keep mine", as
# --force-confold does without a terminal).
next=$version+gvtest1
dpkg-deb -R "$deb" "$dir/next"
sed -i "s/^Version: .*/Version: $next/" "$dir/next/DEBIAN/control"
echo "; a line new in $next" >> "$dir/next/etc/gasvoucher/program.ini"
(cd "$dir/next" && find . -path ./DEBIAN -prune -o -path ./etc -prune -o -type f -printf '%P\0' |
    xargs -0 md5sum > DEBIAN/md5sums)
dpkg-deb --root-owner-group -b "$dir/next" "$dir/next.deb" > /dev/null
gvt_dpkg --force-confdef --force-confold -i "$dir/next.deb" > "$dir/upgrade.out" ||
    { cat "$dir/upgrade.out"; fail "the upgrade failed"; }
[ "$(dpkg-query -W -f='${Version}' gasvoucher)" = "$next" ] || fail "not upgraded to $next"
grep -q '^name = ТОО «Газ Участка»$' /etc/gasvoucher/gasvoucher.conf ||
    fail "the upgrade lost the edit of gasvoucher.conf"
grep -q '^; official prices entered by the site$' /etc/gasvoucher/program.ini ||
    fail "the upgrade lost the edit of program.ini"
grep -q "a line new in $next" /etc/gasvoucher/program.ini.dpkg-dist 2> /dev/null ||
    fail "the new program.ini was not put beside the edited one as program.ini.dpkg-dist"
want_stat /etc/gasvoucher/gasvoucher.conf "regular file 640 root:gasvoucher"
want_stat /var/lib/gasvoucher "directory 750 gasvoucher:gasvoucher"
check_as_user "upgraded"

# ---- purge ----------------------------------------------------------------------
files=$(dpkg -L gasvoucher | grep -v '^/\.$')
gvt_dpkg --purge gasvoucher > "$dir/purge.out" || { cat "$dir/purge.out"; fail "dpkg --purge failed"; }
installed=0
dpkg-query -W -f='${Status}' gasvoucher 2> /dev/null | grep -q 'installed\|config-files' &&
    fail "still known to dpkg after purge: $(dpkg-query -W -f='${Status}' gasvoucher)"
for f in $files /etc/gasvoucher /var/lib/gasvoucher; do
    case $f in /etc | /lib | /lib/systemd | /lib/systemd/system | /usr | /usr/* ) [ -d "$f" ] && continue ;; esac
    [ ! -e "$f" ] || fail "$f is left after purge"
done
dpkg-statoverride --list /etc/gasvoucher/gasvoucher.conf > /dev/null &&
    fail "the statoverride of gasvoucher.conf is left after purge"

[ "$failures" = 0 ] || { echo "$failures failures"; exit 1; }
echo "debian-package: built, lintian clean of errors, installed, checked, upgraded keeping edits, purged"
