# shellcheck shell=bash
# tests/lib/db.sh: throw-away database servers and sample sites for tests.
#
# Source it from a bash test script:
#
#     here=$(cd "$(dirname "$0")" && pwd)
#     . "$here/../lib/db.sh"
#     dir=$(mktemp -d); chmod 755 "$dir"
#     trap 'gvt_stop_all "$dir"; rm -rf "$dir"' EXIT
#     gvt_pg_start "$dir"
#     gvt_load_site a postgresql "$dir" --random 200
#     isql -b -k "$GVT_PG_CONN" <<< 'SELECT COUNT(*) FROM abonent'
#
# All state lives under the directory the caller gives (DIR); nothing is
# installed as a system service and nothing outside DIR is written, so tests
# can run in parallel with one DIR each. DIR must exist and be reachable by
# the postgres and mysql users (mktemp -d under /tmp, then chmod 755 DIR).
#
# Layout under DIR:
#   pg/           PostgreSQL data directory (owner postgres); pg/gvt.conf
#                 holds the port, socket directory and test settings
#   pgsock/       PostgreSQL unix socket directory
#   pg.log        PostgreSQL server log
#   pg.port       the PostgreSQL TCP port (kept for restarts)
#   maria/        MariaDB data directory (owner mysql)
#   mariarun/     MariaDB socket (mysqld.sock), pid file (mysqld.pid), error
#                 log (mysqld.err), stdout/stderr (mysqld.out); owner mysql,
#                 as the server cannot create files in DIR itself
#   maria.port    the MariaDB TCP port (kept for restarts)
#   maria.bgpid   pid of the mariadbd process started in the background
#   odbc/         private odbcinst.ini (see _gvt_odbc_quiet)
#
# Every function returns non-zero with a message on stderr on failure and
# checks each step itself, so it behaves the same whether or not the caller
# uses set -e (bash ignores set -e inside a function called as `f || ...`).
# The functions need bash, python3 (for gvt_free_port), the PostgreSQL 15
# server, mariadb-server, sqlite3 and, for ODBC, unixodbc with the drivers
# registered as "PostgreSQL Unicode", "MariaDB Unicode" and "SQLite3".
#
# Functions:
#   gvt_free_port                      print a free TCP port on 127.0.0.1
#   gvt_pg_start DIR                   new PostgreSQL in DIR, database gv;
#                                      exports GVT_PG_PORT, GVT_PG_CONN
#   gvt_pg_stop DIR                    fast shutdown, waits (no-op if stopped)
#   gvt_pg_restart DIR                 stop, start again on the same port/data
#   gvt_pg_sql DIR [PSQL_ARGS...]      psql on stdin against gv
#   gvt_maria_start DIR                new MariaDB in DIR, database gv, user
#                                      gv/gv; exports GVT_MARIA_PORT,
#                                      GVT_MARIA_CONN
#   gvt_maria_stop DIR                 shutdown, waits (no-op if stopped)
#   gvt_maria_restart DIR              stop, start again on the same port/data
#   gvt_maria_sql DIR [CLIENT_ARGS...] mariadb client on stdin against gv
#   gvt_sqlite_create FILE             new (or existing) SQLite file in WAL
#                                      mode; exports GVT_SQLITE_CONN
#   gvt_load_site SITE ENGINE DIR_OR_FILE [GEN_ARGS...]
#                                      schema + tests/sites/gen.py data
#   gvt_stop_all DIR                   stop every server started under DIR
#
# Query output of gvt_pg_sql and gvt_maria_sql is the same: rows only, no
# header, columns separated by a tab.
#
# Settings (environment, optional):
#   GVT_PG_BIN      PostgreSQL server binaries (default: /usr/lib/postgresql/15/bin,
#                   else the newest /usr/lib/postgresql/*/bin)
#   GVT_PYTHON      python interpreter (default /usr/bin/python3)
#   GVT_DB_TIMEOUT  seconds to wait for a server to start or stop (default 30)

# Where this library and the site files are, whatever the caller's directory.
GVT_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
GVT_SITES_DIR=$(cd "$GVT_LIB_DIR/../sites" && pwd)
: "${GVT_PYTHON:=/usr/bin/python3}"
: "${GVT_DB_TIMEOUT:=30}"
if [ -z "${GVT_PG_BIN:-}" ]; then
    if [ -x /usr/lib/postgresql/15/bin/initdb ]; then
        GVT_PG_BIN=/usr/lib/postgresql/15/bin
    else
        GVT_PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    fi
fi

# ---------------------------------------------------------------------------
# Helpers

_gvt_err() {
    echo "db.sh: $*" >&2
    return 1
}

# Every public function starts with `local -; _gvt_func`: its shell options
# are restored on return, and inside it errexit is off (each step is checked
# explicitly; with errexit a failing step would end the caller's script
# without a message, or not, depending on how the function was called) and
# pipefail is on.
_gvt_func() {
    set +e
    set -o pipefail
}

# Print the last lines of a log file to stderr (for failure messages).
_gvt_tail() {
    if [ -f "$1" ]; then
        echo "--- last lines of $1:" >&2
        tail -n "${2:-20}" "$1" >&2
        echo "---" >&2
    fi
}

# Run a command as USER when we are root (initdb, postgres and pg_ctl refuse
# to run as root); as ourselves otherwise.
_gvt_as() {
    local user=$1
    shift
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u "$user" -- "$@"
    else
        "$@"
    fi
}

# Create directory PATH owned by USER (when root) with MODE.
_gvt_mkdir_for() {
    local user=$1 path=$2 mode=$3
    mkdir -p "$path" || return 1
    if [ "$(id -u)" -eq 0 ]; then
        chown "$user:" "$path" || return 1
    fi
    chmod "$mode" "$path"
}

# Check DIR exists, make it world-traversable and check USER can reach it.
_gvt_check_dir() {
    local dir=$1 user=$2
    [ -n "$dir" ] || { _gvt_err "no directory given"; return 1; }
    [ -d "$dir" ] || { _gvt_err "$dir: not a directory"; return 1; }
    chmod 755 "$dir" 2>/dev/null || true
    if [ "$(id -u)" -eq 0 ] && ! runuser -u "$user" -- test -x "$dir"; then
        _gvt_err "$dir: user $user cannot reach it (is a parent directory not world-traversable? use mktemp -d under /tmp)"
        return 1
    fi
}

# Absolute form of a path (need not exist).
_gvt_abspath() {
    case $1 in
        /*) printf '%s\n' "$1" ;;
        *) printf '%s\n' "$PWD/$1" ;;
    esac
}

# True if process PID exists and is not a zombie.
_gvt_alive() {
    local pid=$1 state
    [ -n "$pid" ] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) || return 0
    [ "$state" != Z ]
}

# Wait up to SECONDS for process PID to end; true if it ended.
_gvt_wait_gone() {
    local pid=$1 secs=$2 i
    for ((i = 0; i < secs * 10; i++)); do
        _gvt_alive "$pid" || return 0
        sleep 0.1
    done
    ! _gvt_alive "$pid"
}

# Print a free TCP port on 127.0.0.1. Ports are drawn at random below the
# kernel's ephemeral range (so no outgoing connection takes them meanwhile)
# and tried with bind(); parallel tests rarely draw the same one, and the
# start functions retry with another port when the server cannot bind.
gvt_free_port() {
    local -; _gvt_func
    "$GVT_PYTHON" - <<'EOF' || { _gvt_err "gvt_free_port: no free port found"; return 1; }
import random, socket, sys
try:
    low = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
except Exception:
    low = 32768
lo, hi = 10000, (low - 1 if low > 12000 else 65535)
rng = random.SystemRandom()
for _ in range(200):
    port = rng.randint(lo, hi)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        s.close()
    print(port)
    sys.exit(0)
sys.exit(1)
EOF
}

# unixODBC reads driver settings from odbcinst.ini, and Debian's odbc-postgresql
# registers "PostgreSQL Unicode" with CommLog=1: psqlodbc then leaves a
# /tmp/psqlodbc_*.log file behind for every process that connects, whatever
# the connection string says. Point ODBCSYSINI at a private copy of the
# driver list with CommLog/Debug off (same driver names, same libraries).
_gvt_odbc_quiet() {
    local dir=$1 drivers sysdsn
    command -v odbcinst >/dev/null 2>&1 || return 0   # no unixODBC: nothing to do
    drivers=$(odbcinst -j 2>/dev/null | sed -n 's/^DRIVERS\.*: *//p')
    sysdsn=$(odbcinst -j 2>/dev/null | sed -n 's/^SYSTEM DATA SOURCES: *//p')
    [ -n "$drivers" ] && [ -f "$drivers" ] || return 0
    case $drivers in "$dir/odbc/"*) return 0 ;; esac  # already ours
    mkdir -p "$dir/odbc" || return 1
    sed -e 's/^\([[:space:]]*CommLog[[:space:]]*=[[:space:]]*\).*/\10/I' \
        -e 's/^\([[:space:]]*Debug[[:space:]]*=[[:space:]]*\).*/\10/I' \
        "$drivers" >"$dir/odbc/odbcinst.ini" || return 1
    if [ -n "$sysdsn" ] && [ -f "$sysdsn" ]; then
        cp "$sysdsn" "$dir/odbc/odbc.ini" || return 1
    else
        : >"$dir/odbc/odbc.ini"
    fi
    chmod -R a+rX "$dir/odbc" || return 1
    export ODBCSYSINI="$dir/odbc"
}

# ---------------------------------------------------------------------------
# PostgreSQL

_gvt_pg_port() {
    local port
    port=$(cat "$1/pg.port" 2>/dev/null) || { _gvt_err "$1: no PostgreSQL was started here"; return 1; }
    printf '%s\n' "$port"
}

_gvt_pg_export() {
    GVT_PG_PORT=$2
    GVT_PG_CONN="Driver=PostgreSQL Unicode;Servername=127.0.0.1;Port=$2;Database=gv;UID=postgres;PWD="
    export GVT_PG_PORT GVT_PG_CONN
}

# Start the server of DIR/pg on PORT (written to DIR/pg/gvt-port.conf) and wait
# until it accepts connections. Returns 2 when the port was taken.
_gvt_pg_launch() {
    local dir=$1 port=$2 i
    printf "port = %s\n" "$port" >"$dir/pg/gvt-port.conf" || return 1
    : >>"$dir/pg.log"
    [ "$(id -u)" -ne 0 ] || chown postgres: "$dir/pg.log" "$dir/pg/gvt-port.conf"
    local before
    before=$(wc -l <"$dir/pg.log")
    if ! _gvt_as postgres "$GVT_PG_BIN/pg_ctl" -D "$dir/pg" -l "$dir/pg.log" \
            -w -t "$GVT_DB_TIMEOUT" start >"$dir/pg_ctl.out" 2>&1; then
        if tail -n +"$((before + 1))" "$dir/pg.log" | grep -q 'could not bind\|Address already in use'; then
            return 2
        fi
        cat "$dir/pg_ctl.out" >&2
        _gvt_tail "$dir/pg.log"
        _gvt_err "PostgreSQL in $dir did not start"
        return 1
    fi
    for ((i = 0; i < GVT_DB_TIMEOUT * 10; i++)); do
        if "$GVT_PG_BIN/pg_isready" -q -h "$dir/pgsock" -p "$port" -d postgres -U postgres; then
            return 0
        fi
        sleep 0.1
    done
    _gvt_tail "$dir/pg.log"
    _gvt_err "PostgreSQL in $dir not ready after ${GVT_DB_TIMEOUT}s"
}

gvt_pg_start() {
    local -; _gvt_func
    local dir=${1:-} port attempt rc
    _gvt_check_dir "$dir" postgres || return 1
    dir=$(cd "$dir" && pwd) || return 1
    [ -x "$GVT_PG_BIN/initdb" ] || { _gvt_err "PostgreSQL server binaries not found (GVT_PG_BIN=$GVT_PG_BIN)"; return 1; }
    [ ! -e "$dir/pg" ] || { _gvt_err "$dir/pg exists: PostgreSQL already set up there (use gvt_pg_restart)"; return 1; }
    # A unix socket path is limited to 107 bytes.
    local sock="$dir/pgsock/.s.PGSQL.65535"
    if [ "${#sock}" -gt 107 ]; then
        _gvt_err "$dir: path too long for a unix socket; use a shorter temporary directory"
        return 1
    fi
    _gvt_mkdir_for postgres "$dir/pg" 700 || { _gvt_err "cannot create $dir/pg"; return 1; }
    _gvt_mkdir_for postgres "$dir/pgsock" 755 || { _gvt_err "cannot create $dir/pgsock"; return 1; }
    # -N: no fsync of the new cluster (it is thrown away anyway).
    if ! _gvt_as postgres "$GVT_PG_BIN/initdb" -D "$dir/pg" -U postgres -A trust \
            -E UTF8 --locale=C.UTF-8 -N >"$dir/initdb.log" 2>&1; then
        _gvt_tail "$dir/initdb.log"
        _gvt_err "initdb failed in $dir/pg"
        return 1
    fi
    # Test settings; the server time zone is the TZ initdb saw (like a server
    # on this host). Durability is traded for speed (the data is thrown away)
    # and bulk loads write less WAL (wal_level minimal).
    cat >"$dir/pg/gvt.conf" <<EOF || return 1
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir/pgsock'
fsync = off
synchronous_commit = off
full_page_writes = off
wal_level = minimal
max_wal_senders = 0
shared_buffers = 256MB
include 'gvt-port.conf'
EOF
    echo "include 'gvt.conf'" >>"$dir/pg/postgresql.conf" || return 1
    [ "$(id -u)" -ne 0 ] || chown postgres: "$dir/pg/gvt.conf"

    for attempt in 1 2 3 4 5; do
        port=$(gvt_free_port) || return 1
        rc=0
        _gvt_pg_launch "$dir" "$port" || rc=$?
        [ "$rc" -eq 2 ] || break
        echo "db.sh: port $port taken (attempt $attempt), trying another" >&2
    done
    [ "$rc" -eq 0 ] || { [ "$rc" -ne 2 ] || _gvt_err "PostgreSQL: no port could be bound"; return 1; }
    echo "$port" >"$dir/pg.port" || return 1

    if ! "$GVT_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir/pgsock" -p "$port" \
            -U postgres -d postgres -c "CREATE DATABASE gv" >/dev/null; then
        _gvt_err "cannot create database gv"
        return 1
    fi
    _gvt_odbc_quiet "$dir" || { _gvt_err "cannot write $dir/odbc"; return 1; }
    _gvt_pg_export "$dir" "$port"
}

gvt_pg_stop() {
    local -; _gvt_func
    local dir=${1:-} pid
    [ -n "$dir" ] || { _gvt_err "gvt_pg_stop: no directory given"; return 1; }
    [ -f "$dir/pg/postmaster.pid" ] || return 0     # not running
    pid=$(head -n 1 "$dir/pg/postmaster.pid")
    _gvt_alive "$pid" || { rm -f "$dir/pg/postmaster.pid"; return 0; }
    if _gvt_as postgres "$GVT_PG_BIN/pg_ctl" -D "$dir/pg" -m fast -w -t "$GVT_DB_TIMEOUT" \
            stop >"$dir/pg_ctl.out" 2>&1 && _gvt_wait_gone "$pid" 5; then
        return 0
    fi
    # Did not stop in time: immediate shutdown, then kill.
    cat "$dir/pg_ctl.out" >&2
    _gvt_as postgres "$GVT_PG_BIN/pg_ctl" -D "$dir/pg" -m immediate -w -t 10 stop >/dev/null 2>&1 || true
    if ! _gvt_wait_gone "$pid" 5; then
        kill -KILL "$pid" 2>/dev/null || true
        _gvt_wait_gone "$pid" 5 || { _gvt_err "cannot stop PostgreSQL (pid $pid) in $dir"; return 1; }
    fi
    _gvt_err "PostgreSQL in $dir did not shut down cleanly (killed)"
}

gvt_pg_restart() {
    local -; _gvt_func
    local dir=${1:-} port rc
    [ -n "$dir" ] && [ -d "$dir/pg" ] || { _gvt_err "gvt_pg_restart: no PostgreSQL in ${dir:-(none)}"; return 1; }
    dir=$(cd "$dir" && pwd) || return 1
    port=$(_gvt_pg_port "$dir") || return 1
    gvt_pg_stop "$dir" || return 1
    rc=0
    _gvt_pg_launch "$dir" "$port" || rc=$?
    [ "$rc" -ne 2 ] || { _gvt_err "PostgreSQL: port $port was taken meanwhile; cannot restart on it"; return 1; }
    [ "$rc" -eq 0 ] || return 1
    _gvt_odbc_quiet "$dir" || return 1
    _gvt_pg_export "$dir" "$port"
}

# psql against database gv, script on stdin (extra arguments go to psql, e.g.
# -c 'SELECT ...'). Output: rows only, tab-separated.
gvt_pg_sql() {
    local -; _gvt_func
    local dir=${1:-} port
    [ -n "$dir" ] || { _gvt_err "gvt_pg_sql: no directory given"; return 1; }
    shift
    port=$(_gvt_pg_port "$dir") || return 1
    PGCLIENTENCODING=UTF8 "$GVT_PG_BIN/psql" -X -q -A -t -F $'\t' -v ON_ERROR_STOP=1 \
        -h "$dir/pgsock" -p "$port" -U postgres -d gv "$@" ||
        { _gvt_err "gvt_pg_sql: psql failed in $dir"; return 1; }
}

# ---------------------------------------------------------------------------
# MariaDB

_gvt_maria_port() {
    local port
    port=$(cat "$1/maria.port" 2>/dev/null) || { _gvt_err "$1: no MariaDB was started here"; return 1; }
    printf '%s\n' "$port"
}

_gvt_maria_export() {
    GVT_MARIA_PORT=$2
    GVT_MARIA_CONN="Driver=MariaDB Unicode;Server=127.0.0.1;Port=$2;Database=gv;User=gv;Password=gv"
    export GVT_MARIA_PORT GVT_MARIA_CONN
}

# Options shared by mariadb-install-db (bootstrap) and the server. Durability
# is traded for speed (no doublewrite buffer, log flushed once a second); the
# buffer pool and redo log are sized so that a million accounts load in
# seconds rather than minutes.
_gvt_maria_opts() {
    local dir=$1
    GVT_MARIA_OPTS=(--no-defaults)
    [ "$(id -u)" -ne 0 ] || GVT_MARIA_OPTS+=(--user=mysql)
    GVT_MARIA_OPTS+=(--datadir="$dir/maria"
        --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci
        --innodb-buffer-pool-size=256M --innodb-log-file-size=128M
        --innodb-flush-log-at-trx-commit=2 --innodb-doublewrite=0)
}

_gvt_maria_admin() {
    mariadb-admin --no-defaults --socket="$1/mariarun/mysqld.sock" -u root "${@:2}"
}

# Start mariadbd for DIR on PORT in the background and wait until it answers.
# Returns 2 when the port was taken.
_gvt_maria_launch() {
    local dir=$1 port=$2 pid i
    _gvt_maria_opts "$dir"
    : >"$dir/mariarun/mysqld.err"
    [ "$(id -u)" -ne 0 ] || chown mysql: "$dir/mariarun/mysqld.err"
    # stdin/stdout/stderr away from the caller's, so that a test harness
    # reading the test's output never waits on the server.
    mariadbd "${GVT_MARIA_OPTS[@]}" \
        --socket="$dir/mariarun/mysqld.sock" --port="$port" --bind-address=127.0.0.1 \
        --pid-file="$dir/mariarun/mysqld.pid" --log-error="$dir/mariarun/mysqld.err" \
        --skip-name-resolve --skip-log-bin \
        </dev/null >>"$dir/mariarun/mysqld.out" 2>&1 &
    pid=$!
    echo "$pid" >"$dir/maria.bgpid"
    for ((i = 0; i < GVT_DB_TIMEOUT * 10; i++)); do
        if ! _gvt_alive "$pid"; then
            wait "$pid" 2>/dev/null || true    # reap it
            rm -f "$dir/maria.bgpid"
            if grep -q 'Bind on TCP/IP port\|Address already in use' "$dir/mariarun/mysqld.err"; then
                return 2
            fi
            _gvt_tail "$dir/mariarun/mysqld.err"
            _gvt_err "MariaDB in $dir did not start"
            return 1
        fi
        if _gvt_maria_admin "$dir" --connect-timeout=2 ping >/dev/null 2>&1; then
            return 0
        fi
        sleep 0.1
    done
    _gvt_tail "$dir/mariarun/mysqld.err"
    _gvt_err "MariaDB in $dir not ready after ${GVT_DB_TIMEOUT}s"
    gvt_maria_stop "$dir" >/dev/null 2>&1
    return 1
}

gvt_maria_start() {
    local -; _gvt_func
    local dir=${1:-} port attempt rc
    _gvt_check_dir "$dir" mysql || return 1
    dir=$(cd "$dir" && pwd) || return 1
    command -v mariadbd >/dev/null 2>&1 || PATH=$PATH:/usr/sbin
    command -v mariadbd >/dev/null 2>&1 || { _gvt_err "mariadbd not found (install mariadb-server)"; return 1; }
    [ ! -e "$dir/maria" ] || { _gvt_err "$dir/maria exists: MariaDB already set up there (use gvt_maria_restart)"; return 1; }
    local sock="$dir/mariarun/mysqld.sock"
    if [ "${#sock}" -gt 107 ]; then
        _gvt_err "$dir: path too long for a unix socket; use a shorter temporary directory"
        return 1
    fi
    _gvt_mkdir_for mysql "$dir/mariarun" 755 || { _gvt_err "cannot create $dir/mariarun"; return 1; }
    _gvt_maria_opts "$dir"
    # --auth-root-authentication-method=normal: root@localhost without a
    # password (used through the socket by gvt_maria_sql); the test user gv
    # is created below.  A bootstrap that fails is tried once more on a new
    # data directory: on a machine shared by many test runs it has failed
    # once in a while for want of something another run held (its log's
    # error lines are shown either way).
    for attempt in 1 2; do
        rm -rf "$dir/maria"
        _gvt_mkdir_for mysql "$dir/maria" 750 || { _gvt_err "cannot create $dir/maria"; return 1; }
        if mariadb-install-db "${GVT_MARIA_OPTS[@]}" --auth-root-authentication-method=normal \
                --skip-test-db >"$dir/maria-install.log" 2>&1; then
            break
        fi
        grep -i -m 10 'error\|fail\|abort' "$dir/maria-install.log" >&2 || true
        if [ "$attempt" = 2 ]; then
            _gvt_tail "$dir/maria-install.log"
            _gvt_err "mariadb-install-db failed in $dir/maria"
            return 1
        fi
        echo "db.sh: mariadb-install-db failed in $dir/maria (attempt 1), trying once more" >&2
        sleep 1
    done

    for attempt in 1 2 3 4 5; do
        port=$(gvt_free_port) || return 1
        rc=0
        _gvt_maria_launch "$dir" "$port" || rc=$?
        [ "$rc" -eq 2 ] || break
        echo "db.sh: port $port taken (attempt $attempt), trying another" >&2
    done
    [ "$rc" -eq 0 ] || { [ "$rc" -ne 2 ] || _gvt_err "MariaDB: no port could be bound"; return 1; }
    echo "$port" >"$dir/maria.port" || return 1

    if ! mariadb --no-defaults --socket="$dir/mariarun/mysqld.sock" -u root <<'EOF'; then
CREATE DATABASE gv CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER 'gv'@'127.0.0.1' IDENTIFIED BY 'gv';
CREATE USER 'gv'@'localhost' IDENTIFIED BY 'gv';
GRANT ALL PRIVILEGES ON gv.* TO 'gv'@'127.0.0.1';
GRANT ALL PRIVILEGES ON gv.* TO 'gv'@'localhost';
EOF
        _gvt_err "cannot create database gv and user gv in MariaDB"
        return 1
    fi
    _gvt_maria_export "$dir" "$port"
}

gvt_maria_stop() {
    local -; _gvt_func
    local dir=${1:-} pid="" ok=1
    [ -n "$dir" ] || { _gvt_err "gvt_maria_stop: no directory given"; return 1; }
    [ -f "$dir/mariarun/mysqld.pid" ] && pid=$(cat "$dir/mariarun/mysqld.pid" 2>/dev/null)
    [ -n "$pid" ] || pid=$(cat "$dir/maria.bgpid" 2>/dev/null)
    if ! _gvt_alive "$pid"; then          # not running
        rm -f "$dir/maria.bgpid"
        return 0
    fi
    _gvt_maria_admin "$dir" --connect-timeout=5 --shutdown-timeout="$GVT_DB_TIMEOUT" shutdown >/dev/null 2>&1 || kill -TERM "$pid" 2>/dev/null
    if ! _gvt_wait_gone "$pid" "$GVT_DB_TIMEOUT"; then
        ok=0
        kill -KILL "$pid" 2>/dev/null || true
        _gvt_wait_gone "$pid" 5 || { _gvt_err "cannot stop MariaDB (pid $pid) in $dir"; return 1; }
    fi
    wait "$pid" 2>/dev/null || true     # reap it if it is our child
    rm -f "$dir/maria.bgpid"
    [ "$ok" -eq 1 ] || { _gvt_err "MariaDB in $dir did not shut down in time (killed)"; return 1; }
}

gvt_maria_restart() {
    local -; _gvt_func
    local dir=${1:-} port rc
    [ -n "$dir" ] && [ -d "$dir/maria" ] || { _gvt_err "gvt_maria_restart: no MariaDB in ${dir:-(none)}"; return 1; }
    dir=$(cd "$dir" && pwd) || return 1
    port=$(_gvt_maria_port "$dir") || return 1
    gvt_maria_stop "$dir" || return 1
    rc=0
    _gvt_maria_launch "$dir" "$port" || rc=$?
    [ "$rc" -ne 2 ] || { _gvt_err "MariaDB: port $port was taken meanwhile; cannot restart on it"; return 1; }
    [ "$rc" -eq 0 ] || return 1
    _gvt_maria_export "$dir" "$port"
}

# mariadb client (as root, through the socket) against database gv, script on
# stdin (extra arguments go to the client, e.g. -e 'SELECT ...'). Output:
# rows only, tab-separated. Stops at the first error.
gvt_maria_sql() {
    local -; _gvt_func
    local dir=${1:-}
    [ -n "$dir" ] || { _gvt_err "gvt_maria_sql: no directory given"; return 1; }
    shift
    _gvt_maria_port "$dir" >/dev/null || return 1
    mariadb --no-defaults --socket="$dir/mariarun/mysqld.sock" -u root \
        --default-character-set=utf8mb4 --batch --skip-column-names "$@" gv ||
        { _gvt_err "gvt_maria_sql: mariadb client failed in $dir"; return 1; }
}

# ---------------------------------------------------------------------------
# SQLite

# Create FILE (kept if it exists) in WAL mode, so readers do not block the
# writer; export the ODBC connection string. libsqlite3odbc options used:
#   Timeout=10000      busy timeout in ms (waits for another writer's lock)
#   JournalMode=WAL    journal mode set on connect (also stored in the file)
#   SyncPragma=NORMAL  PRAGMA synchronous, the usual setting with WAL
#   FKSupport=1        PRAGMA foreign_keys=ON, so REFERENCES are enforced
#   NoCreat=1          fail to connect instead of creating a missing file
gvt_sqlite_create() {
    local -; _gvt_func
    local file=${1:-} mode
    [ -n "$file" ] || { _gvt_err "gvt_sqlite_create: no file given"; return 1; }
    command -v sqlite3 >/dev/null 2>&1 || { _gvt_err "sqlite3 not found (install sqlite3)"; return 1; }
    file=$(_gvt_abspath "$file")
    case $file in *';'*|*'{'*|*'}'*)
        _gvt_err "$file: ';' and braces cannot go into an ODBC connection string"; return 1 ;;
    esac
    mode=$(sqlite3 "$file" 'PRAGMA journal_mode=WAL;' 2>&1) && [ "$mode" = wal ] ||
        { _gvt_err "cannot create SQLite database $file in WAL mode: $mode"; return 1; }
    GVT_SQLITE_CONN="Driver=SQLite3;Database=$file;Timeout=10000;JournalMode=WAL;SyncPragma=NORMAL;FKSupport=1;NoCreat=1"
    export GVT_SQLITE_CONN
}

# ---------------------------------------------------------------------------
# Sites

# gvt_load_site SITE ENGINE DIR_OR_FILE [GEN_ARGS...]
#   SITE a, b or c; ENGINE sqlite (then a database FILE made by
#   gvt_sqlite_create), postgresql or mariadb (then the DIR of a server
#   started by gvt_pg_start/gvt_maria_start). Creates the site's tables and
#   loads tests/sites/gen.py's data; GEN_ARGS go to gen.py (--random N,
#   --seed S, --expect FILE).
gvt_load_site() {
    local -; _gvt_func
    local site=${1:-} engine=${2:-} target=${3:-} schema
    if [ $# -lt 3 ]; then
        _gvt_err "usage: gvt_load_site SITE ENGINE DIR_OR_FILE [gen.py args...]"
        return 1
    fi
    shift 3
    case $site in a|b|c) ;; *) _gvt_err "gvt_load_site: site must be a, b or c, not '$site'"; return 1 ;; esac
    schema=$GVT_SITES_DIR/site-$site.$engine.sql
    case $engine in
        sqlite)
            [ -f "$target" ] || { _gvt_err "gvt_load_site: $target: no such file (gvt_sqlite_create it first)"; return 1; }
            sqlite3 -bail "$target" <"$schema" ||
                { _gvt_err "gvt_load_site: schema site-$site failed on $target"; return 1; }
            "$GVT_PYTHON" "$GVT_SITES_DIR/gen.py" --site "$site" --sqlite-db "$target" "$@" ||
                { _gvt_err "gvt_load_site: loading site-$site into $target failed"; return 1; }
            ;;
        postgresql|mariadb)
            local sql=gvt_pg_sql
            [ "$engine" = postgresql ] || sql=gvt_maria_sql
            "$sql" "$target" <"$schema" >/dev/null ||
                { _gvt_err "gvt_load_site: schema site-$site failed on $engine in $target"; return 1; }
            # pipefail is on in here (see _gvt_func): gen.py's failure counts too.
            if ! "$GVT_PYTHON" "$GVT_SITES_DIR/gen.py" --site "$site" --engine "$engine" "$@" |
                    "$sql" "$target" >/dev/null; then
                _gvt_err "gvt_load_site: loading site-$site into $engine in $target failed"
                return 1
            fi
            ;;
        *) _gvt_err "gvt_load_site: engine must be sqlite, postgresql or mariadb, not '$engine'"; return 1 ;;
    esac
}

# Stop every server started under DIR (for an EXIT trap). Safe to call when
# nothing was started or DIR is already gone.
gvt_stop_all() {
    local -; _gvt_func
    local dir=${1:-} rc=0
    [ -n "$dir" ] || { _gvt_err "gvt_stop_all: no directory given"; return 1; }
    [ -d "$dir" ] || return 0
    gvt_maria_stop "$dir" || rc=1
    gvt_pg_stop "$dir" || rc=1
    return "$rc"
}
