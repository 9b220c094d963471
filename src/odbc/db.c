/* db.c - unixODBC connections, statements, diagnostics and transactions. */
#include "config.h"
#include "db.h"
#include "buf.h"
#include "inject.h"
#include "utf8.h"

#include <sql.h>
#include <sqlext.h>
#include <sqlucode.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A statement may carry many parameters (a multi-row INSERT of a billing
 * chunk); they live in fixed blocks so their addresses, which the driver
 * keeps from SQLBindParameter until execution, never move. */
#define MAX_PARAMS 32768
#define PARAM_BLOCK 64
/* A bound text parameter holds at most PARAM_CHARS UTF-16 units whichever
 * way text reaches the driver, so a value one engine takes every engine
 * takes; as UTF-8 that is up to 3 bytes a unit (a 4-byte character is 2
 * units). */
#define PARAM_CHARS GV_DB_TEXT_PARAM_UNITS
#define PARAM_UTF8_BYTES (3 * PARAM_CHARS)

struct gv_db {
    char *connstr;
    gv_db_opts_t opts;
    SQLHENV env;
    SQLHDBC dbc;
    int connected;
    gv_db_text_t text;         /* how text crosses the driver manager, found at connect */
    int64_t next_attempt_ms;   /* back-off: no connection attempt before this */
    long backoff_ms;           /* current back-off step, 0 after a success */
    char dropped[400];         /* why this side dropped the connection, "" */
};

/* The bytes a text parameter of PARAM_CHARS units may need either way. */
#define PARAM_TEXT_BYTES (PARAM_UTF8_BYTES + 1 > (PARAM_CHARS + 1) * sizeof(SQLWCHAR) \
                              ? PARAM_UTF8_BYTES + 1                                \
                              : (PARAM_CHARS + 1) * sizeof(SQLWCHAR))

struct param {
    SQLSMALLINT ctype, sqltype;
    SQLLEN ind;
    int64_t i64;
    /* What the driver was last told of this slot.  A kept statement's next
     * execution changes values only: SQLBindParameter runs again only when
     * the type, size or buffer differ (compare libpq's PQexecPrepared with
     * the same paramTypes). */
    SQLPOINTER bound_value;      /* NULL: never bound */
    SQLLEN bound_buflen;
    SQLULEN bound_size;
    SQLSMALLINT bound_ctype, bound_sqltype, bound_digits;
    char *long_text;             /* PARAM_TEXT_BYTES, for text that does not fit chars */
    /* dates, timestamps, decimals, and text that fits (a SHA-256 in hex as
     * UTF-8, 35 units as UTF-16); SQLWCHAR-aligned after the pointers */
    char chars[72];
};

struct gv_db_stmt {
    gv_db_t *db;
    SQLHSTMT h;
    int cursor_open;       /* a close of the cursor failed: closed before the next execute */
    struct param *blocks[MAX_PARAMS / PARAM_BLOCK];
};

/* Every driver call whose failure the program sees goes through ODBC():
 * in a fault-injection build the chosen one fails, not made or made first
 * (inject.h); elsewhere it is the call itself. */
#define ODBC(call) \
    (gv_inject(GV_INJECT_ODBC, #call) ? (gv_inject_odbc_after() ? (void)(call) : (void)0, \
                                         SQL_ERROR)                                    \
                                      : (call))

/* ---- the SQLSTATE table --------------------------------------------- */

typedef struct state_rule {
    const char *prefix;    /* matched against the start of the SQLSTATE */
    long native;           /* 0 = any */
    gv_db_action_t action;
} state_rule_t;

/* First match wins, so specific entries come before their class. */
static const state_rule_t state_rules[] = {
    /* MariaDB/MySQL reports a lost server as HY000 with these codes:
     * 2002/2003 cannot connect, 2006 gone away, 2013 lost during query. */
    /* MariaDB Connector/ODBC 3.1 says HY001 for the same losses when it
     * notices them at the start of a transaction. */
    { "HY001", 2006, GV_DB_RECONNECT },
    { "HY001", 2013, GV_DB_RECONNECT },
    { "HY000", 2002, GV_DB_RECONNECT },
    { "HY000", 2003, GV_DB_RECONNECT },
    { "HY000", 2006, GV_DB_RECONNECT },
    { "HY000", 2013, GV_DB_RECONNECT },
    { "HY000", 1205, GV_DB_RETRY },     /* MariaDB lock wait timeout */
    { "HY000", 1213, GV_DB_RETRY },     /* MariaDB deadlock */
    { "HY000", 5, GV_DB_RETRY },        /* SQLITE_BUSY */
    { "HY000", 6, GV_DB_RETRY },        /* SQLITE_LOCKED */
    { "HY000", 19, GV_DB_DUPLICATE },   /* SQLITE_CONSTRAINT */
    { "S1000", 5, GV_DB_RETRY },
    { "S1000", 19, GV_DB_DUPLICATE },
    { "08", 0, GV_DB_RECONNECT },       /* connection exception */
    { "57P01", 0, GV_DB_RECONNECT },    /* PostgreSQL admin shutdown */
    { "57P02", 0, GV_DB_RECONNECT },    /* crash shutdown */
    { "57P03", 0, GV_DB_RECONNECT },    /* cannot connect now (starting up) */
    { "HYT01", 0, GV_DB_RECONNECT },    /* connection timeout */
    { "HYT00", 0, GV_DB_RETRY },        /* query timeout */
    { "40", 0, GV_DB_RETRY },           /* serialisation failure, deadlock */
    { "23000", 1062, GV_DB_DUPLICATE }, /* MariaDB duplicate key */
    { "23505", 0, GV_DB_DUPLICATE },    /* unique violation */
    { "23", 0, GV_DB_PERMANENT },       /* other integrity violations */
    { "HY008", 0, GV_DB_RETRY },        /* operation cancelled */
    { "57014", 0, GV_DB_RETRY },        /* PostgreSQL: cancelled by the query timeout */
    { "55P03", 0, GV_DB_RETRY },        /* PostgreSQL: lock not available */
    { "", 0, GV_DB_PERMANENT },
};

gv_db_action_t gv_sqlstate_action(const char *sqlstate, long native)
{
    for (size_t i = 0; i < sizeof state_rules / sizeof state_rules[0]; i++) {
        const state_rule_t *r = &state_rules[i];
        if (strncmp(sqlstate, r->prefix, strlen(r->prefix)) == 0 &&
            (r->native == 0 || r->native == native))
            return r->action;
    }
    return GV_DB_PERMANENT;
}

const char *gv_db_action_name(gv_db_action_t a)
{
    switch (a) {
    case GV_DB_OK: return "ok";
    case GV_DB_RETRY: return "retry";
    case GV_DB_RECONNECT: return "reconnect";
    case GV_DB_DUPLICATE: return "duplicate";
    case GV_DB_PERMANENT: return "permanent";
    }
    return "?";
}

/* Reads every diagnostic record of a handle into e.  The action is the
 * most severe among the records: a connection failure reported as the
 * second record still means reconnect.  Messages are read through the
 * narrow SQLGetDiagRec on every connection, whatever its text mode: all
 * three drivers give them there as UTF-8 (a Cyrillic column name in
 * psqlODBC's and MariaDB's "does not exist" intact), while the wide
 * SQLGetDiagRecW of psqlODBC and MariaDB Connector/ODBC turns each byte of
 * that UTF-8 into a UTF-16 unit. */
static void collect(SQLSMALLINT type, SQLHANDLE h, const char *what, gv_db_error_t *e)
{
    SQLCHAR state[6], text[512];
    SQLINTEGER native;
    SQLSMALLINT len;
    size_t used;
    int first = 1;

    if (!e)
        return;
    e->action = GV_DB_PERMANENT;
    e->sqlstate[0] = '\0';
    e->native = 0;
    used = (size_t)snprintf(e->msg, sizeof e->msg, "%s", what);
    if (gv_inject_odbc_state()) {
        /* The call was not made: its diagnostic is the injected one. */
        snprintf(e->sqlstate, sizeof e->sqlstate, "%s", gv_inject_odbc_state());
        e->action = gv_sqlstate_action(e->sqlstate, 0);
        snprintf(e->msg + used, sizeof e->msg - used, ": [%s/0] injected fault", e->sqlstate);
        return;
    }
    for (SQLSMALLINT i = 1;; i++) {
        SQLRETURN rc = SQLGetDiagRec(type, h, i, state, &native, text, sizeof text, &len);
        gv_db_action_t a;
        if (rc != SQL_SUCCESS && rc != SQL_SUCCESS_WITH_INFO)
            break;
        a = gv_sqlstate_action((const char *)state, (long)native);
        if (first) {
            memcpy(e->sqlstate, state, 6);
            e->native = (long)native;
            e->action = a;
            first = 0;
        } else if (a == GV_DB_RECONNECT) {
            e->action = a;
        }
        if (used < sizeof e->msg)
            used += (size_t)snprintf(e->msg + used, sizeof e->msg - used, "%s [%s/%ld] %s",
                                     i == 1 ? ":" : ";", state, (long)native, text);
    }
    if (first)
        snprintf(e->sqlstate, sizeof e->sqlstate, "HY000");
}

static int ok(SQLRETURN rc)
{
    return rc == SQL_SUCCESS || rc == SQL_SUCCESS_WITH_INFO;
}

/* psqlODBC reports a lost connection under HY000 with only words to tell
 * it apart (the server's FATAL, libpq's own text, its own). */
static const char *const lost_words[] = {
    "terminating connection",           /* FATAL: ... due to administrator command */
    "server closed the connection",     /* libpq: ... unexpectedly */
    "connection has been lost",         /* psqlODBC */
    "no connection to the server",      /* libpq */
};

int gv_db_message_means_lost(const char *msg)
{
    for (size_t i = 0; i < sizeof lost_words / sizeof lost_words[0]; i++)
        if (strstr(msg, lost_words[i]))
            return 1;
    return 0;
}

/* collect() and what the driver knows of the connection: whatever the
 * diagnostics say (psqlODBC: HY000 "internal SAVEPOINT failed" after the
 * server ended the session), a connection the driver found dead means
 * reconnect. */
static void collect_db(gv_db_t *db, SQLSMALLINT type, SQLHANDLE h, const char *what,
                       gv_db_error_t *e)
{
    SQLUINTEGER dead = SQL_CD_FALSE;

    collect(type, h, what, e);
    if (!e || e->action == GV_DB_RECONNECT || !db || !db->dbc)
        return;
    if (gv_db_message_means_lost(e->msg) ||
        (ok(ODBC(SQLGetConnectAttr(db->dbc, SQL_ATTR_CONNECTION_DEAD, &dead, 0, NULL))) &&
         dead == SQL_CD_TRUE))
        e->action = GV_DB_RECONNECT;
}

/* A failure of gasvoucher's own checks (not the driver's): permanent. */
static void refuse(gv_db_error_t *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void refuse(gv_db_error_t *e, const char *fmt, ...)
{
    va_list ap;

    if (!e)
        return;
    e->action = GV_DB_PERMANENT;
    snprintf(e->sqlstate, sizeof e->sqlstate, "HY000");
    e->native = 0;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
}

/* ---- UTF-8 <-> UTF-16 ------------------------------------------------ */

/* UTF-16 units of well-formed UTF-8: one a character, two for the 4-byte
 * ones (outside the Basic Multilingual Plane). */
static size_t utf16_units(const char *utf8)
{
    size_t n = 0;

    for (const unsigned char *p = (const unsigned char *)utf8; *p; p++)
        if ((*p & 0xC0) != 0x80)
            n += *p >= 0xF0 ? 2 : 1;
    return n;
}

static long utf8_to_utf16(const char *s, SQLWCHAR *out, size_t outmax)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = 0;

    while (*p) {
        unsigned long cp;
        int extra;
        if (*p < 0x80) { cp = *p; extra = 0; }
        else if ((*p & 0xE0) == 0xC0) { cp = *p & 0x1F; extra = 1; }
        else if ((*p & 0xF0) == 0xE0) { cp = *p & 0x0F; extra = 2; }
        else if ((*p & 0xF8) == 0xF0) { cp = *p & 0x07; extra = 3; }
        else return -1;
        p++;
        for (int i = 0; i < extra; i++, p++) {
            if ((*p & 0xC0) != 0x80)
                return -1;
            cp = (cp << 6) | (*p & 0x3F);
        }
        if (cp >= 0x10000) {
            if (n + 2 > outmax)
                return -1;
            cp -= 0x10000;
            out[n++] = (SQLWCHAR)(0xD800 | (cp >> 10));
            out[n++] = (SQLWCHAR)(0xDC00 | (cp & 0x3FF));
        } else {
            if (n + 1 > outmax)
                return -1;
            out[n++] = (SQLWCHAR)cp;
        }
    }
    if (n + 1 > outmax)
        return -1;
    out[n] = 0;
    return (long)n;
}

static int utf16_to_utf8(const SQLWCHAR *w, size_t units, char *out, size_t outsz)
{
    size_t n = 0;

    for (size_t i = 0; i < units; i++) {
        unsigned long cp = w[i];
        char tmp[4];
        int len;
        if (cp >= 0xD800 && cp <= 0xDBFF && i + 1 < units && w[i + 1] >= 0xDC00 &&
            w[i + 1] <= 0xDFFF) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (w[i + 1] - 0xDC00);
            i++;
        }
        if (cp < 0x80) { tmp[0] = (char)cp; len = 1; }
        else if (cp < 0x800) {
            tmp[0] = (char)(0xC0 | (cp >> 6)); tmp[1] = (char)(0x80 | (cp & 0x3F)); len = 2;
        } else if (cp < 0x10000) {
            tmp[0] = (char)(0xE0 | (cp >> 12)); tmp[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
            tmp[2] = (char)(0x80 | (cp & 0x3F)); len = 3;
        } else {
            tmp[0] = (char)(0xF0 | (cp >> 18)); tmp[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
            tmp[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); tmp[3] = (char)(0x80 | (cp & 0x3F));
            len = 4;
        }
        if (n + (size_t)len + 1 > outsz)
            return -1;
        memcpy(out + n, tmp, (size_t)len);
        n += (size_t)len;
    }
    out[n] = '\0';
    return 0;
}

/* ---- connections ------------------------------------------------------ */

gv_db_t *gv_db_new(const char *connstr, const gv_db_opts_t *opts)
{
    gv_db_t *db = calloc(1, sizeof *db);

    if (!db)
        return NULL;
    db->connstr = strdup(connstr);
    db->opts = *opts;
    if (!db->connstr) {
        free(db);
        return NULL;
    }
    return db;
}

gv_db_t *gv_db_new_like(const gv_db_t *db)
{
    return gv_db_new(db->connstr, &db->opts);
}

static void release_handles(gv_db_t *db)
{
    if (db->dbc) {
        if (db->connected)
            SQLDisconnect(db->dbc);
        SQLFreeHandle(SQL_HANDLE_DBC, db->dbc);
        db->dbc = NULL;
    }
    if (db->env) {
        SQLFreeHandle(SQL_HANDLE_ENV, db->env);
        db->env = NULL;
    }
    db->connected = 0;
    db->text = GV_DB_TEXT_UNKNOWN;
}

void gv_db_free(gv_db_t *db)
{
    if (!db)
        return;
    release_handles(db);
    free(db->connstr);
    free(db);
}

int gv_db_is_connected(const gv_db_t *db)
{
    return db->connected;
}

int64_t gv_db_backoff_left_ms(const gv_db_t *db, int64_t now_ms)
{
    return db->next_attempt_ms > now_ms ? db->next_attempt_ms - now_ms : 0;
}

static void schedule_retry(gv_db_t *db, int64_t now_ms)
{
    if (db->backoff_ms == 0)
        db->backoff_ms = db->opts.reconnect_min_ms;
    else if (db->backoff_ms * 2 <= db->opts.reconnect_max_ms)
        db->backoff_ms *= 2;
    else
        db->backoff_ms = db->opts.reconnect_max_ms;
    db->next_attempt_ms = now_ms + db->backoff_ms;
}

void gv_db_disconnect(gv_db_t *db, int64_t now_ms)
{
    release_handles(db);
    schedule_retry(db, now_ms);
}

void gv_db_allow_now(gv_db_t *db)
{
    db->next_attempt_ms = 0;
}

/* ---- how text crosses the driver manager ------------------------------
 *
 * unixODBC calls a driver's wide (W) function where the driver exports one;
 * where it does not, it converts between UTF-16 and the process's locale
 * codeset (ASCII under the C locale a daemon runs in, and never a
 * surrogate pair: glibc's UCS-2 refuses them) and cuts what it cannot
 * convert to the low byte: Debian's SQLite driver has no W functions, so
 * 'НАСЕЛЕНИЕ' reached SQLite as bytes 0x1D 0x10 ... and ', д. ' as ', 4. '.
 * Narrow calls on a connection made through the narrow SQLDriverConnect
 * (as here) it passes to the driver untouched; on one made through
 * SQLDriverConnectW it would route them to the W functions, converting.
 * What a driver makes of text differs:
 *
 *   SQLite      narrow: UTF-8, its own encoding.  W: none.
 *   MariaDB     narrow: the connection's charset, utf8mb4 unless the
 *               connection string names another.  W: Connector/ODBC 3.1
 *               sizes UTF-16 with Connector/C's mbcharlen, which takes the
 *               low byte of a unit for a UTF-16LE lead byte, so 'ә' (U+04D9,
 *               the commonest Kazakh letter) and every U+xxD8-U+xxDB counts
 *               as half a surrogate pair: given a length it reads past the
 *               text, and the length it gives back is short.
 *   psqlODBC    connected through the narrow API it takes the client
 *               encoding from the locale (setlocale(LC_CTYPE, "") of its
 *               own, or PGCLIENTENCODING): under a UTF-8 locale both ways
 *               work; under C it says SQL_ASCII, passes narrow UTF-8 through
 *               untouched and refuses non-ASCII through W ("Could not
 *               convert from wide characters to the current locale").
 *
 * The manager does not say which functions a driver has (SQLGetFunctions
 * answers "supported" when either form exists; SQLGetInfo has no such
 * item), so each new connection finds out, once, never per statement:
 *
 *   1. the driver echoes a probe text through SQLNativeSqlW, which needs no
 *      server and crosses the manager as SQLPrepareW does: a driver without
 *      W functions gives it back cut: UTF-8, narrow;
 *   2. SELECT of the text and its CHAR_LENGTH through the W functions and
 *      the server: back intact, and 3 characters to the server: UTF-16;
 *   3. the same through the narrow functions as UTF-8: UTF-8;
 *   4. neither (say, SQL that wants FROM in every SELECT): UTF-16, the way
 *      ODBC 3.5 Unicode drivers are meant to be used. */

/* 'Аә😀': Cyrillic, the Kazakh ә, a 4-byte character (a surrogate pair). */
static const SQLWCHAR probe_utf16[] = { 0x0410, 0x04D9, 0xD83D, 0xDE00 };
static const char probe_utf8[] = "\xD0\x90\xD3\x99\xF0\x9F\x98\x80";
enum { PROBE_UNITS = sizeof probe_utf16 / sizeof probe_utf16[0], PROBE_CHARS = 3 };

static int echo_intact(SQLHDBC dbc)
{
    SQLWCHAR echo[4 * PROBE_UNITS + 1];
    SQLINTEGER len = 0;
    /* Room for what the driver may answer, and no more: SQLite's narrow
     * SQLNativeSql writes a NUL into its *input* at BufferLength - 1, and
     * its input is the manager's copy, 4 bytes a unit + 1. */
    SQLRETURN rc = ODBC(SQLNativeSqlW(dbc, (SQLWCHAR *)probe_utf16, PROBE_UNITS, echo,
                                      4 * PROBE_UNITS + 1, &len));

    if (!ok(rc))
        return 1;              /* cannot tell: let the round trips decide */
    return len == PROBE_UNITS && memcmp(echo, probe_utf16, sizeof probe_utf16) == 0;
}

/* SELECT 'Аә😀', CHAR_LENGTH('Аә😀') through one API: 1 = the text came back
 * intact and the server counted 3 characters, 0 = not, -1 = the statement
 * failed (e says why). */
static int round_trip_intact(gv_db_t *db, gv_db_text_t mode, gv_db_error_t *e)
{
    char sql[96];
    SQLWCHAR wsql[96];
    union {
        SQLWCHAR utf16[4 * PROBE_UNITS + 1];
        char utf8[4 * PROBE_UNITS + 1];
    } got;
    SQLBIGINT chars = 0;
    SQLLEN ind = 0, chars_ind = 0;
    SQLHSTMT h;
    SQLRETURN rc;
    int result = -1;

    snprintf(sql, sizeof sql, "SELECT '%s', CHAR_LENGTH('%s')", probe_utf8, probe_utf8);
    memset(&got, 0, sizeof got);
    if (!ok(ODBC(SQLAllocHandle(SQL_HANDLE_STMT, db->dbc, &h)))) {
        collect_db(db, SQL_HANDLE_DBC, db->dbc, "text probe", e);
        return -1;
    }
    (void)ODBC(SQLSetStmtAttr(h, SQL_ATTR_QUERY_TIMEOUT,
                              (SQLPOINTER)(uintptr_t)db->opts.query_timeout_s, 0));
    /* As NTS: with a length, MariaDB's miscount reads past the text and
     * the statement fails for no reason this probe could name. */
    if (mode == GV_DB_TEXT_UTF16) {
        utf8_to_utf16(sql, wsql, sizeof wsql / sizeof wsql[0]);
        rc = ODBC(SQLExecDirectW(h, wsql, SQL_NTS));
    } else {
        rc = ODBC(SQLExecDirect(h, (SQLCHAR *)sql, SQL_NTS));
    }
    if (ok(rc) && ok(rc = ODBC(SQLFetch(h))))
        rc = mode == GV_DB_TEXT_UTF16
                 ? ODBC(SQLGetData(h, 1, SQL_C_WCHAR, got.utf16, sizeof got.utf16, &ind))
                 : ODBC(SQLGetData(h, 1, SQL_C_CHAR, got.utf8, sizeof got.utf8, &ind));
    if (ok(rc))
        rc = ODBC(SQLGetData(h, 2, SQL_C_SBIGINT, &chars, sizeof chars, &chars_ind));
    if (!ok(rc)) {
        collect_db(db, SQL_HANDLE_STMT, h, "text probe", e);
    } else if (mode == GV_DB_TEXT_UTF16) {
        result = ind == (SQLLEN)sizeof probe_utf16 &&
                 memcmp(got.utf16, probe_utf16, sizeof probe_utf16) == 0 && chars == PROBE_CHARS;
    } else {
        result = ind == (SQLLEN)strlen(probe_utf8) && strcmp(got.utf8, probe_utf8) == 0 &&
                 chars == PROBE_CHARS;
    }
    SQLFreeHandle(SQL_HANDLE_STMT, h);
    return result;
}

/* Sets db->text; -1 only when the connection was lost meanwhile. */
static int choose_text_mode(gv_db_t *db, gv_db_error_t *e)
{
    static const gv_db_text_t tries[] = { GV_DB_TEXT_UTF16, GV_DB_TEXT_UTF8 };

    if (!echo_intact(db->dbc)) {
        db->text = GV_DB_TEXT_UTF8;
        return 0;
    }
    for (size_t i = 0; i < sizeof tries / sizeof tries[0]; i++) {
        gv_db_error_t why = { 0 };
        switch (round_trip_intact(db, tries[i], &why)) {
        case 1:
            db->text = tries[i];
            return 0;
        case 0:
            break;
        default:
            if (why.action == GV_DB_RECONNECT) {
                if (e)
                    *e = why;
                return -1;
            }
        }
    }
    db->text = GV_DB_TEXT_UTF16;
    return 0;
}

gv_db_text_t gv_db_text_mode(const gv_db_t *db)
{
    return db->text;
}

const char *gv_db_text_mode_name(gv_db_text_t mode)
{
    switch (mode) {
    case GV_DB_TEXT_UNKNOWN: return "not connected";
    case GV_DB_TEXT_UTF16: return "UTF-16 (wide ODBC functions)";
    case GV_DB_TEXT_UTF8: return "UTF-8 (narrow ODBC functions)";
    }
    return "?";
}

/* Whether the connected driver is SQLite's (SQL_DBMS_NAME). */
static int is_sqlite(gv_db_t *db)
{
    char name[64] = "";
    SQLSMALLINT len = 0;

    return ok(SQLGetInfo(db->dbc, SQL_DBMS_NAME, name, (SQLSMALLINT)sizeof name, &len)) &&
           strncasecmp(name, "SQLite", 6) == 0;
}

/* A lookup connection refuses writes.  SQLite's driver has no read-only
 * option in its connection string and ignores SQL_ATTR_ACCESS_MODE; the
 * pragma holds for the connection's life (and goes with a reconnect,
 * which sets it again). */
static int make_read_only(gv_db_t *db, gv_db_error_t *e)
{
    if (!is_sqlite(db))
        return 0;
    return gv_db_exec(db, "PRAGMA query_only = 1", e);
}

int gv_db_ensure(gv_db_t *db, int64_t now_ms, gv_db_error_t *e)
{
    SQLRETURN rc;

    if (db->connected)
        return 0;
    if (now_ms < db->next_attempt_ms) {
        if (e) {
            e->action = GV_DB_RECONNECT;
            snprintf(e->sqlstate, sizeof e->sqlstate, "08001");
            e->native = 0;
            snprintf(e->msg, sizeof e->msg,
                     "database unreachable; next connection attempt in %lld ms",
                     (long long)(db->next_attempt_ms - now_ms));
        }
        return -1;
    }
    release_handles(db);
    if (!ok(ODBC(SQLAllocHandle(SQL_HANDLE_ENV, SQL_NULL_HANDLE, &db->env))) ||
        !ok(ODBC(SQLSetEnvAttr(db->env, SQL_ATTR_ODBC_VERSION, (SQLPOINTER)SQL_OV_ODBC3, 0))) ||
        !ok(ODBC(SQLAllocHandle(SQL_HANDLE_DBC, db->env, &db->dbc)))) {
        /* The environment's diagnostics say why (it has none when it could
         * not be allocated itself). */
        collect(SQL_HANDLE_ENV, db->env, "cannot allocate ODBC handles", e);
        if (e)
            e->action = GV_DB_PERMANENT;
        release_handles(db);
        schedule_retry(db, now_ms);
        return -1;
    }
    (void)ODBC(SQLSetConnectAttr(db->dbc, SQL_ATTR_LOGIN_TIMEOUT,
                                 (SQLPOINTER)(uintptr_t)db->opts.login_timeout_s, 0));
    (void)ODBC(SQLSetConnectAttr(db->dbc, SQL_ATTR_CONNECTION_TIMEOUT,
                                 (SQLPOINTER)(uintptr_t)db->opts.query_timeout_s, 0));
    rc = ODBC(SQLDriverConnect(db->dbc, NULL, (SQLCHAR *)db->connstr, SQL_NTS, NULL, 0, NULL,
                               SQL_DRIVER_NOPROMPT));
    if (!ok(rc)) {
        collect(SQL_HANDLE_DBC, db->dbc, "connect", e);
        /* Whatever the driver said, a failed connect is retried later:
         * the database may come back (a wrong password will not, and the
         * log says so every time). */
        if (e && e->action != GV_DB_PERMANENT)
            e->action = GV_DB_RECONNECT;
        release_handles(db);
        schedule_retry(db, now_ms);
        return -1;
    }
    db->connected = 1;
    if (choose_text_mode(db, e) < 0 || (db->opts.read_only && make_read_only(db, e) < 0)) {
        release_handles(db);
        schedule_retry(db, now_ms);
        return -1;
    }
    db->backoff_ms = 0;
    db->next_attempt_ms = 0;
    db->dropped[0] = '\0';
    return 0;
}

/* ---- statements ------------------------------------------------------- */

/* A statement or transaction on a connection this side dropped (or never
 * made): reconnect, and say why it went. */
static void not_connected(const gv_db_t *db, const char *what, gv_db_error_t *e)
{
    if (!e)
        return;
    e->action = GV_DB_RECONNECT;
    snprintf(e->sqlstate, sizeof e->sqlstate, "08003");
    e->native = 0;
    snprintf(e->msg, sizeof e->msg, "%s: not connected%s%.*s", what,
             db->dropped[0] ? "; dropped after " : "", (int)sizeof db->dropped, db->dropped);
}

gv_db_stmt_t *gv_db_prepare_built(gv_db_t *db, const gv_buf_t *sql, gv_db_error_t *e)
{
    if (sql->failed || !sql->data) {
        refuse(e, "building a statement: %s", gv_buf_why("too long"));
        snprintf(e->sqlstate, sizeof e->sqlstate, "HY001");
        return NULL;
    }
    return gv_db_prepare(db, sql->data, e);
}

gv_db_stmt_t *gv_db_prepare(gv_db_t *db, const char *sql, gv_db_error_t *e)
{
    gv_db_stmt_t *st = NULL;
    SQLWCHAR *wsql = NULL;     /* the text as UTF-16, on a wide connection */
    size_t len = strlen(sql), bad;
    SQLRETURN rc;

    if (!db->connected) {
        not_connected(db, "prepare", e);
        return NULL;
    }
    if (!gv_utf8_valid(sql, len, &bad)) {
        refuse(e, "statement is not valid UTF-8 (byte %zu)", bad + 1);
        return NULL;
    }
    if (db->text == GV_DB_TEXT_UTF16) {
        size_t units = utf16_units(sql);
        if (!(wsql = calloc(units + 1, sizeof *wsql)))
            goto nomem;
        len = (size_t)utf8_to_utf16(sql, wsql, units + 1);  /* valid, and room counted */
    }
    if (!(st = calloc(1, sizeof *st)))
        goto nomem;
    st->db = db;
    if (!ok(ODBC(SQLAllocHandle(SQL_HANDLE_STMT, db->dbc, &st->h)))) {
        collect_db(db, SQL_HANDLE_DBC, db->dbc, "allocate statement", e);
        st->h = NULL;
        goto fail;
    }
    (void)ODBC(SQLSetStmtAttr(st->h, SQL_ATTR_QUERY_TIMEOUT,
                              (SQLPOINTER)(uintptr_t)db->opts.query_timeout_s, 0));
    rc = wsql ? ODBC(SQLPrepareW(st->h, wsql, (SQLINTEGER)len))
              : ODBC(SQLPrepare(st->h, (SQLCHAR *)(uintptr_t)sql, (SQLINTEGER)len));
    if (!ok(rc)) {
        collect_db(st->db, SQL_HANDLE_STMT, st->h, "prepare", e);
        goto fail;
    }
    free(wsql);
    return st;
nomem:
    refuse(e, "out of memory");
fail:
    free(wsql);
    gv_db_stmt_free(st);
    return NULL;
}

void gv_db_stmt_free(gv_db_stmt_t *st)
{
    if (!st)
        return;
    if (st->h && st->db->connected)
        SQLFreeHandle(SQL_HANDLE_STMT, st->h);
    for (size_t i = 0; i < MAX_PARAMS / PARAM_BLOCK; i++) {
        if (!st->blocks[i])
            continue;
        for (size_t k = 0; k < PARAM_BLOCK; k++)
            free(st->blocks[i][k].long_text);
        free(st->blocks[i]);
    }
    free(st);
}

static struct param *param_slot(gv_db_stmt_t *st, int idx, gv_db_error_t *e)
{
    if (idx < 1 || idx > MAX_PARAMS) {
        refuse(e, "parameter %d out of range", idx);
        return NULL;
    }
    size_t b = (size_t)(idx - 1) / PARAM_BLOCK;
    if (!st->blocks[b] && !(st->blocks[b] = calloc(PARAM_BLOCK, sizeof(struct param)))) {
        refuse(e, "out of memory for parameter %d", idx);
        return NULL;
    }
    return &st->blocks[b][(size_t)(idx - 1) % PARAM_BLOCK];
}

/* Tells the driver where p's value is, unless it was told so already: the
 * value itself is read at execution. */
static int bind(gv_db_stmt_t *st, int idx, struct param *p, SQLPOINTER value, SQLLEN buflen,
                SQLULEN colsize, SQLSMALLINT digits, gv_db_error_t *e)
{
    SQLRETURN rc;

    if (p->bound_value == value && p->bound_buflen == buflen && p->bound_size == colsize &&
        p->bound_ctype == p->ctype && p->bound_sqltype == p->sqltype &&
        p->bound_digits == digits)
        return 0;
    rc = ODBC(SQLBindParameter(st->h, (SQLUSMALLINT)idx, SQL_PARAM_INPUT, p->ctype, p->sqltype,
                               colsize, digits, value, buflen, &p->ind));
    if (!ok(rc)) {
        p->bound_value = NULL;
        collect_db(st->db, SQL_HANDLE_STMT, st->h, "bind", e);
        return -1;
    }
    p->bound_value = value;
    p->bound_buflen = buflen;
    p->bound_size = colsize;
    p->bound_ctype = p->ctype;
    p->bound_sqltype = p->sqltype;
    p->bound_digits = digits;
    return 0;
}

/* Where a text of `need` bytes goes: chars when it fits, else the slot's
 * own long buffer (made once, kept with the statement). */
static char *text_room(struct param *p, size_t need, SQLLEN *buflen)
{
    if (need <= sizeof p->chars) {
        *buflen = (SQLLEN)sizeof p->chars;
        return p->chars;
    }
    if (!p->long_text && !(p->long_text = malloc(PARAM_TEXT_BYTES)))
        return NULL;
    *buflen = (SQLLEN)PARAM_TEXT_BYTES;
    return p->long_text;
}

int gv_db_bind_text(gv_db_stmt_t *st, int idx, const char *utf8, gv_db_error_t *e)
{
    struct param *p = param_slot(st, idx, e);
    size_t len = strlen(utf8), units, bad;
    SQLLEN buflen;
    char *room;

    if (!p)
        return -1;
    if (!gv_utf8_valid(utf8, len, &bad)) {
        refuse(e, "parameter %d is not valid UTF-8 (byte %zu)", idx, bad + 1);
        return -1;
    }
    if ((units = utf16_units(utf8)) > PARAM_CHARS) {
        refuse(e, "parameter %d is longer than %d characters (%zu UTF-16 units)", idx,
               PARAM_CHARS, units);
        return -1;
    }
    if (st->db->text == GV_DB_TEXT_UTF8) {
        if (!(room = text_room(p, len + 1, &buflen)))
            goto nomem;
        memcpy(room, utf8, len + 1);
        p->ctype = SQL_C_CHAR;
        p->sqltype = SQL_VARCHAR;
        p->ind = (SQLLEN)len;
        return bind(st, idx, p, room, buflen, len > 0 ? (SQLULEN)len : 1, 0, e);
    }
    if (!(room = text_room(p, (units + 1) * sizeof(SQLWCHAR), &buflen)))
        goto nomem;
    utf8_to_utf16(utf8, (SQLWCHAR *)(void *)room, units + 1);  /* valid, and room counted */
    p->ctype = SQL_C_WCHAR;
    p->sqltype = SQL_WVARCHAR;
    p->ind = (SQLLEN)(units * sizeof(SQLWCHAR));
    return bind(st, idx, p, room, buflen, units > 0 ? (SQLULEN)units : 1, 0, e);
nomem:
    refuse(e, "out of memory for parameter %d", idx);
    return -1;
}

int gv_db_bind_date(gv_db_stmt_t *st, int idx, const char *ymd, gv_db_error_t *e)
{
    struct param *p = param_slot(st, idx, e);

    if (!p)
        return -1;
    snprintf(p->chars, sizeof p->chars, "%s", ymd);
    p->ctype = SQL_C_CHAR;
    p->sqltype = SQL_TYPE_DATE;
    p->ind = SQL_NTS;
    return bind(st, idx, p, p->chars, sizeof p->chars, 10, 0, e);
}

int gv_db_bind_timestamp(gv_db_stmt_t *st, int idx, const char *ymd_hms, gv_db_error_t *e)
{
    struct param *p = param_slot(st, idx, e);

    if (!p)
        return -1;
    snprintf(p->chars, sizeof p->chars, "%s", ymd_hms);
    p->ctype = SQL_C_CHAR;
    p->sqltype = SQL_TYPE_TIMESTAMP;
    p->ind = SQL_NTS;
    return bind(st, idx, p, p->chars, sizeof p->chars, 19, 0, e);
}

int gv_db_bind_decimal(gv_db_stmt_t *st, int idx, const char *text, int scale, gv_db_error_t *e)
{
    struct param *p = param_slot(st, idx, e);

    if (!p)
        return -1;
    /* Exact decimal text, typed DECIMAL so the driver never goes through a
     * binary floating-point number and no engine sees a string where it
     * wants a number. */
    snprintf(p->chars, sizeof p->chars, "%s", text);
    p->ctype = SQL_C_CHAR;
    p->sqltype = SQL_DECIMAL;
    p->ind = SQL_NTS;
    return bind(st, idx, p, p->chars, sizeof p->chars, 18, (SQLSMALLINT)scale, e);
}

int gv_db_bind_int64(gv_db_stmt_t *st, int idx, int64_t v, gv_db_error_t *e)
{
    struct param *p = param_slot(st, idx, e);

    if (!p)
        return -1;
    p->i64 = v;
    p->ctype = SQL_C_SBIGINT;
    p->sqltype = SQL_BIGINT;
    p->ind = 0;
    return bind(st, idx, p, &p->i64, 0, 0, 0, e);
}

int gv_db_bind_null(gv_db_stmt_t *st, int idx, gv_db_error_t *e)
{
    struct param *p = param_slot(st, idx, e);

    if (!p)
        return -1;
    p->ctype = SQL_C_CHAR;
    p->sqltype = SQL_VARCHAR;
    p->ind = SQL_NULL_DATA;
    return bind(st, idx, p, p->chars, sizeof p->chars, 1, 0, e);
}

int gv_db_execute(gv_db_stmt_t *st, gv_db_error_t *e)
{
    SQLRETURN rc;

    /* A kept statement whose cursor stayed open would refuse every
     * execute after (24000, invalid cursor state). */
    if (st->cursor_open) {
        if (!ok(ODBC(SQLFreeStmt(st->h, SQL_CLOSE)))) {
            collect_db(st->db, SQL_HANDLE_STMT, st->h, "close the cursor", e);
            return -1;
        }
        st->cursor_open = 0;
    }
    rc = ODBC(SQLExecute(st->h));

    if (!ok(rc) && rc != SQL_NO_DATA) {
        collect_db(st->db, SQL_HANDLE_STMT, st->h, "execute", e);
        return -1;
    }
    return 0;
}

int gv_db_fetch(gv_db_stmt_t *st, gv_db_error_t *e)
{
    SQLRETURN rc = ODBC(SQLFetch(st->h));

    if (rc == SQL_NO_DATA)
        return 0;
    if (!ok(rc)) {
        collect_db(st->db, SQL_HANDLE_STMT, st->h, "fetch", e);
        return -1;
    }
    return 1;
}

/* Text of a column as the driver gives it on a narrow connection: UTF-8,
 * straight into the caller's buffer. */
static int get_utf8(gv_db_stmt_t *st, int col, char *buf, size_t bufsz, int *is_null,
                    gv_db_error_t *e)
{
    SQLLEN ind = 0;
    SQLRETURN rc = ODBC(SQLGetData(st->h, (SQLUSMALLINT)col, SQL_C_CHAR, buf, (SQLLEN)bufsz, &ind));
    size_t bad;

    if (!ok(rc)) {
        collect_db(st->db, SQL_HANDLE_STMT, st->h, "get data", e);
        return -1;
    }
    if ((*is_null = ind == SQL_NULL_DATA)) {
        buf[0] = '\0';
        return 0;
    }
    if (ind == SQL_NO_TOTAL || ind < 0 || (size_t)ind >= bufsz) {
        refuse(e, "column %d does not fit %zu bytes", col, bufsz);
        buf[0] = '\0';
        return -1;
    }
    if (!gv_utf8_valid(buf, (size_t)ind, &bad)) {
        refuse(e, "column %d is not valid UTF-8 (byte %zu)", col, bad + 1);
        buf[0] = '\0';
        return -1;
    }
    return 0;
}

/* The same on a wide connection: UTF-16 from the driver, made UTF-8.  Text
 * that fits bufsz bytes has fewer than bufsz UTF-16 units (every unit makes
 * at least one byte), so a buffer of bufsz units decides it. */
static int get_utf16(gv_db_stmt_t *st, int col, char *buf, size_t bufsz, int *is_null,
                     gv_db_error_t *e)
{
    SQLWCHAR local[1024];
    SQLWCHAR *w = bufsz <= sizeof local / sizeof local[0] ? local : calloc(bufsz, sizeof *w);
    SQLLEN ind = 0, wsize = (SQLLEN)(bufsz * sizeof *w);
    SQLRETURN rc;
    int result = -1;

    if (!w) {
        refuse(e, "out of memory for column %d", col);
        return -1;
    }
    rc = ODBC(SQLGetData(st->h, (SQLUSMALLINT)col, SQL_C_WCHAR, w, wsize, &ind));
    if (!ok(rc)) {
        collect_db(st->db, SQL_HANDLE_STMT, st->h, "get data", e);
    } else if ((*is_null = ind == SQL_NULL_DATA)) {
        buf[0] = '\0';
        result = 0;
    } else if (ind == SQL_NO_TOTAL || ind < 0 || ind >= wsize ||
               utf16_to_utf8(w, (size_t)ind / sizeof *w, buf, bufsz) < 0) {
        refuse(e, "column %d does not fit %zu bytes", col, bufsz);
    } else {
        result = 0;
    }
    if (w != local)
        free(w);
    return result;
}

int gv_db_get_text(gv_db_stmt_t *st, int col, char *buf, size_t bufsz, int *is_null,
                   gv_db_error_t *e)
{
    if (bufsz == 0) {
        refuse(e, "column %d: no room for text", col);
        return -1;
    }
    return st->db->text == GV_DB_TEXT_UTF8 ? get_utf8(st, col, buf, bufsz, is_null, e)
                                           : get_utf16(st, col, buf, bufsz, is_null, e);
}

int gv_db_get_int64(gv_db_stmt_t *st, int col, int64_t *v, int *is_null, gv_db_error_t *e)
{
    SQLBIGINT n = 0;
    SQLLEN ind = 0;
    SQLRETURN rc = ODBC(SQLGetData(st->h, (SQLUSMALLINT)col, SQL_C_SBIGINT, &n, sizeof n, &ind));

    if (!ok(rc)) {
        collect_db(st->db, SQL_HANDLE_STMT, st->h, "get data", e);
        return -1;
    }
    *is_null = ind == SQL_NULL_DATA;
    *v = *is_null ? 0 : (int64_t)n;
    return 0;
}

int gv_db_row_count(gv_db_stmt_t *st, int64_t *n, gv_db_error_t *e)
{
    SQLLEN rows = 0;

    if (!ok(ODBC(SQLRowCount(st->h, &rows)))) {
        collect_db(st->db, SQL_HANDLE_STMT, st->h, "row count", e);
        return -1;
    }
    *n = rows;
    return 0;
}

int gv_db_exec(gv_db_t *db, const char *sql, gv_db_error_t *e)
{
    gv_db_stmt_t *st = gv_db_prepare(db, sql, e);
    int rc;

    if (!st)
        return -1;
    rc = gv_db_execute(st, e);
    gv_db_stmt_free(st);
    return rc;
}

int gv_db_close_cursor(gv_db_stmt_t *st)
{
    if (!ok(ODBC(SQLFreeStmt(st->h, SQL_CLOSE)))) {
        st->cursor_open = 1;
        return -1;
    }
    return 0;
}

int gv_db_num_params(gv_db_stmt_t *st, int *n, gv_db_error_t *e)
{
    SQLSMALLINT c;

    if (!ok(ODBC(SQLNumParams(st->h, &c)))) {
        collect_db(st->db, SQL_HANDLE_STMT, st->h, "count parameters", e);
        return -1;
    }
    *n = c;
    return 0;
}

int gv_db_num_cols(gv_db_stmt_t *st, int *n, gv_db_error_t *e)
{
    SQLSMALLINT c;

    if (!ok(ODBC(SQLNumResultCols(st->h, &c)))) {
        collect_db(st->db, SQL_HANDLE_STMT, st->h, "count result columns", e);
        return -1;
    }
    *n = c;
    return 0;
}

int gv_db_describe_col(gv_db_stmt_t *st, int col, char *name, size_t namesz, int *sqltype,
                       gv_db_error_t *e)
{
    SQLCHAR n[256 * 3];        /* 256 UTF-16 units as UTF-8 */
    SQLWCHAR wn[256];
    SQLSMALLINT nlen, type, digits, nullable;
    SQLULEN size;
    SQLRETURN rc;

    if (st->db->text == GV_DB_TEXT_UTF8)
        rc = ODBC(SQLDescribeCol(st->h, (SQLUSMALLINT)col, n, sizeof n, &nlen, &type, &size,
                                 &digits, &nullable));
    else
        rc = ODBC(SQLDescribeColW(st->h, (SQLUSMALLINT)col, wn, sizeof wn / sizeof wn[0],
                                  &nlen, &type, &size, &digits, &nullable));
    if (!ok(rc)) {
        collect_db(st->db, SQL_HANDLE_STMT, st->h, "describe column", e);
        return -1;
    }
    if (st->db->text == GV_DB_TEXT_UTF16) {
        size_t units = nlen < 0 ? 0 : (size_t)nlen;
        if (units >= sizeof wn / sizeof wn[0])      /* the driver cut it to fit */
            units = sizeof wn / sizeof wn[0] - 1;
        utf16_to_utf8(wn, units, (char *)n, sizeof n);   /* 3 bytes a unit: it fits */
    }
    snprintf(name, namesz, "%s", (const char *)n);
    /* Engines differ in the case they report aliases in; compare lower. */
    for (char *p = name; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    *sqltype = type;
    return 0;
}

/* ---- transactions ----------------------------------------------------- */

int gv_db_begin(gv_db_t *db, gv_db_error_t *e)
{
    if (!db->connected) {
        not_connected(db, "begin", e);
        return -1;
    }
    if (!ok(ODBC(SQLSetConnectAttr(db->dbc, SQL_ATTR_AUTOCOMMIT, (SQLPOINTER)SQL_AUTOCOMMIT_OFF,
                                   0)))) {
        collect_db(db, SQL_HANDLE_DBC, db->dbc, "begin", e);
        return -1;
    }
    return 0;
}

/* Drops a connection whose transaction state is unknown: the server rolls
 * back what the session left open, and the next gv_db_ensure connects
 * anew.  A ROLLBACK first, so the driver lets go of the connection. */
static void drop_unsure(gv_db_t *db, const gv_db_error_t *why)
{
    if (db->connected)
        (void)ODBC(SQLEndTran(SQL_HANDLE_DBC, db->dbc, SQL_ROLLBACK));
    release_handles(db);
    snprintf(db->dropped, sizeof db->dropped, "%.*s", (int)sizeof db->dropped - 1, why->msg);
}

static int end_tx(gv_db_t *db, SQLSMALLINT how, gv_db_error_t *e)
{
    if (!ok(ODBC(SQLEndTran(SQL_HANDLE_DBC, db->dbc, how)))) {
        collect_db(db, SQL_HANDLE_DBC, db->dbc, how == SQL_COMMIT ? "commit" : "rollback", e);
        /* After a failed COMMIT the transaction stays for the caller's
         * ROLLBACK: switching autocommit back on here would commit it (ODBC
         * commits an open transaction on that switch), so a COMMIT reported
         * failed would have taken effect.  After a failed ROLLBACK nobody
         * knows what is open: the connection goes. */
        if (how != SQL_COMMIT && e)
            drop_unsure(db, e);
        return -1;
    }
    /* Still in manual-commit mode, later statements would wait for a
     * COMMIT that never comes, and vanish with the connection: it goes. */
    if (!ok(ODBC(SQLSetConnectAttr(db->dbc, SQL_ATTR_AUTOCOMMIT, (SQLPOINTER)SQL_AUTOCOMMIT_ON,
                                   0)))) {
        gv_db_error_t why;
        collect_db(db, SQL_HANDLE_DBC, db->dbc, "autocommit after the transaction", &why);
        drop_unsure(db, &why);
    }
    return 0;
}

int gv_db_commit(gv_db_t *db, gv_db_error_t *e)
{
    SQLUINTEGER dead = SQL_CD_FALSE;

    if (!db->connected) {
        not_connected(db, "commit (nothing committed)", e);
        return -1;
    }
    /* A driver that has already seen the connection go (psqlODBC notices
     * it in calls whose failure nobody reads, e.g. SQLFreeHandle) has
     * nothing left to commit and reports the COMMIT as a success: the
     * server rolled the transaction back. */
    if (ok(ODBC(SQLGetConnectAttr(db->dbc, SQL_ATTR_CONNECTION_DEAD, &dead, 0, NULL))) &&
        dead == SQL_CD_TRUE) {
        (void)ODBC(SQLSetConnectAttr(db->dbc, SQL_ATTR_AUTOCOMMIT, (SQLPOINTER)SQL_AUTOCOMMIT_ON,
                                     0));
        if (e) {
            e->action = GV_DB_RECONNECT;
            e->native = 0;
            snprintf(e->sqlstate, sizeof e->sqlstate, "08S01");
            snprintf(e->msg, sizeof e->msg,
                     "commit: the connection was lost before the commit (nothing committed)");
        }
        return -1;
    }
    if (end_tx(db, SQL_COMMIT, e) == 0)
        return 0;
    return e && !strncmp(e->sqlstate, "40", 2) ? -1 : -2;
}

int gv_db_rollback(gv_db_t *db, gv_db_error_t *e)
{
    if (!db->connected)
        return 0;               /* dropped: the server rolled it back */
    return end_tx(db, SQL_ROLLBACK, e);
}

/* ---- type classes ----------------------------------------------------- */

int gv_db_type_is_text(int t)
{
    return t == SQL_CHAR || t == SQL_VARCHAR || t == SQL_LONGVARCHAR || t == SQL_WCHAR ||
           t == SQL_WVARCHAR || t == SQL_WLONGVARCHAR;
}

int gv_db_type_is_numeric(int t)
{
    return t == SQL_INTEGER || t == SQL_SMALLINT || t == SQL_BIGINT || t == SQL_TINYINT ||
           t == SQL_NUMERIC || t == SQL_DECIMAL || t == SQL_BIT;
}

int gv_db_type_is_float(int t)
{
    return t == SQL_DOUBLE || t == SQL_FLOAT || t == SQL_REAL;
}

int gv_db_type_is_datetime(int t)
{
    return t == SQL_TYPE_DATE || t == SQL_DATE || t == SQL_TYPE_TIMESTAMP || t == SQL_TIMESTAMP;
}

/* ---- concurrency ------------------------------------------------------ */

int gv_db_readers_wait_for_writer(gv_db_t *db)
{
    char mode[32] = "";
    gv_db_stmt_t *st;
    gv_db_error_t e;
    int is_null = 1;

    if (!db->connected)
        return -1;
    if (!is_sqlite(db))
        return 0;
    if (!(st = gv_db_prepare(db, "PRAGMA journal_mode", &e)))
        return -1;
    if (gv_db_execute(st, &e) < 0 || gv_db_fetch(st, &e) != 1 ||
        gv_db_get_text(st, 1, mode, sizeof mode, &is_null, &e) < 0)
        mode[0] = '\0';
    gv_db_stmt_free(st);
    return strcasecmp(mode, "wal") != 0;
}

/* ---- many rows a fetch -------------------------------------------------- */

struct gv_db_rows {
    gv_db_stmt_t *st;
    size_t ncols, rows;
    SQLULEN fetched;
    struct bound_col {
        gv_db_colspec_t spec;
        SQLSMALLINT ctype;
        size_t width;           /* bytes a row in data */
        char *data;             /* rows * width */
        SQLLEN *ind;            /* rows */
        char *text;             /* rows * spec.bytes: text as UTF-8 */
    } *c;
};

void gv_db_rows_free(gv_db_rows_t *r)
{
    if (!r)
        return;
    if (r->st->h && r->st->db->connected) {
        SQLFreeStmt(r->st->h, SQL_UNBIND);
        SQLSetStmtAttr(r->st->h, SQL_ATTR_ROW_ARRAY_SIZE, (SQLPOINTER)1, 0);
        SQLSetStmtAttr(r->st->h, SQL_ATTR_ROWS_FETCHED_PTR, NULL, 0);
    }
    for (size_t k = 0; k < r->ncols; k++) {
        free(r->c[k].data);
        free(r->c[k].ind);
        free(r->c[k].text);
    }
    free(r->c);
    free(r);
}

gv_db_rows_t *gv_db_rows_bind(gv_db_stmt_t *st, const gv_db_colspec_t *spec, size_t n,
                              size_t rows, gv_db_error_t *e)
{
    gv_db_rows_t *r = calloc(1, sizeof *r);
    int wide = st->db->text == GV_DB_TEXT_UTF16;

    if (!r || !(r->c = calloc(n ? n : 1, sizeof *r->c))) {
        free(r);
        refuse(e, "out of memory for a block of rows");
        return NULL;
    }
    r->st = st;
    r->ncols = n;
    r->rows = rows ? rows : 1;
    if (!ok(ODBC(SQLSetStmtAttr(st->h, SQL_ATTR_ROW_BIND_TYPE, (SQLPOINTER)SQL_BIND_BY_COLUMN, 0))) ||
        !ok(ODBC(SQLSetStmtAttr(st->h, SQL_ATTR_ROW_ARRAY_SIZE, (SQLPOINTER)(uintptr_t)r->rows, 0))) ||
        !ok(ODBC(SQLSetStmtAttr(st->h, SQL_ATTR_ROWS_FETCHED_PTR, &r->fetched, 0)))) {
        collect_db(st->db, SQL_HANDLE_STMT, st->h, "row array", e);
        gv_db_rows_free(r);
        return NULL;
    }
    for (size_t k = 0; k < n; k++) {
        struct bound_col *b = &r->c[k];
        b->spec = spec[k];
        if (!b->spec.col)
            continue;
        if (b->spec.type == GV_DB_COL_INT64) {
            b->ctype = SQL_C_SBIGINT;
            b->width = sizeof(SQLBIGINT);
        } else {
            /* Text that fits bytes of UTF-8 has fewer than that many UTF-16
             * units (as get_utf16). */
            b->ctype = wide ? SQL_C_WCHAR : SQL_C_CHAR;
            b->width = wide ? b->spec.bytes * sizeof(SQLWCHAR) : b->spec.bytes;
            if (!(b->text = malloc(r->rows * b->spec.bytes)))
                goto nomem;
        }
        if (!(b->data = malloc(r->rows * b->width)) || !(b->ind = calloc(r->rows, sizeof *b->ind)))
            goto nomem;
        if (!ok(ODBC(SQLBindCol(st->h, (SQLUSMALLINT)b->spec.col, b->ctype, b->data,
                                (SQLLEN)b->width, b->ind)))) {
            collect_db(st->db, SQL_HANDLE_STMT, st->h, "bind column", e);
            gv_db_rows_free(r);
            return NULL;
        }
    }
    return r;
nomem:
    refuse(e, "out of memory for a block of rows");
    gv_db_rows_free(r);
    return NULL;
}

long gv_db_rows_fetch(gv_db_rows_t *r, gv_db_error_t *e)
{
    SQLRETURN rc;

    r->fetched = 0;
    rc = ODBC(SQLFetch(r->st->h));
    if (rc == SQL_NO_DATA)
        return 0;
    if (!ok(rc)) {
        collect_db(r->st->db, SQL_HANDLE_STMT, r->st->h, "fetch", e);
        return -1;
    }
    /* Text as UTF-8, checked as gv_db_get_text checks it. */
    for (size_t k = 0; k < r->ncols; k++) {
        struct bound_col *b = &r->c[k];
        if (!b->spec.col || b->spec.type != GV_DB_COL_TEXT)
            continue;
        for (size_t i = 0; i < r->fetched; i++) {
            SQLLEN ind = b->ind[i];
            char *out = b->text + i * b->spec.bytes;
            size_t bad;
            if (ind == SQL_NULL_DATA) {
                out[0] = '\0';
                continue;
            }
            if (ind == SQL_NO_TOTAL || ind < 0 || (size_t)ind >= b->width) {
                refuse(e, "column %d does not fit %zu bytes", b->spec.col, b->spec.bytes);
                return -1;
            }
            if (b->ctype == SQL_C_WCHAR) {
                if (utf16_to_utf8((const SQLWCHAR *)(const void *)(b->data + i * b->width),
                                  (size_t)ind / sizeof(SQLWCHAR), out, b->spec.bytes) < 0) {
                    refuse(e, "column %d does not fit %zu bytes", b->spec.col, b->spec.bytes);
                    return -1;
                }
            } else {
                memcpy(out, b->data + i * b->width, (size_t)ind);
                out[ind] = '\0';
                if (!gv_utf8_valid(out, (size_t)ind, &bad)) {
                    refuse(e, "column %d is not valid UTF-8 (byte %zu)", b->spec.col, bad + 1);
                    return -1;
                }
            }
            for (size_t len = strlen(out); len && (out[len - 1] == ' ' || out[len - 1] == '\t');)
                out[--len] = '\0';
        }
    }
    return (long)r->fetched;
}

const char *gv_db_rows_text(gv_db_rows_t *r, size_t i, size_t k, int *is_null)
{
    const struct bound_col *b = &r->c[k];

    if (is_null)
        *is_null = !b->spec.col || b->ind[i] == SQL_NULL_DATA;
    return b->spec.col ? b->text + i * b->spec.bytes : "";
}

int64_t gv_db_rows_int64(gv_db_rows_t *r, size_t i, size_t k, int *is_null)
{
    const struct bound_col *b = &r->c[k];
    int null = !b->spec.col || b->ind[i] == SQL_NULL_DATA;
    SQLBIGINT v;

    if (is_null)
        *is_null = null;
    if (null)
        return 0;
    memcpy(&v, b->data + i * b->width, sizeof v);
    return (int64_t)v;
}
