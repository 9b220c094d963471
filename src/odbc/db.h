/* db.h - the database layer: unixODBC, one connection per worker.
 *
 * Callers pass and get UTF-8 everywhere: statements, bound values, fetched
 * text, column names.  How that text crosses the driver manager is found
 * once a connection, at connect, by round trips of a probe text (Cyrillic,
 * the Kazakh ә, a 4-byte character): UTF-16 through the wide functions
 * (SQLPrepareW, SQL_C_WCHAR) where they carry it intact, else UTF-8 through
 * the narrow ones (SQLPrepare, SQL_C_CHAR), so the manager never converts
 * through the locale, which cuts such text to single bytes.  On this
 * project's drivers: SQLite (no wide functions) and MariaDB (whose wide
 * ones miscount ә) go UTF-8; PostgreSQL goes UTF-16 under a UTF-8 locale
 * and UTF-8 under C, as psqlODBC takes its client encoding from the locale.
 * gv_db_text_mode says which.  Every value reaches SQL through
 * SQLBindParameter.  Every diagnostic record is read, and one table
 * (gv_sqlstate_action) says what a failure means: retry the transaction,
 * reconnect, a duplicate, or permanent.  A gv_db_t is not thread-safe: each
 * worker owns its own.
 */
#ifndef GV_DB_H
#define GV_DB_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    GV_DB_OK = 0,
    GV_DB_RETRY,       /* transient: run the transaction again (deadlock, busy) */
    GV_DB_RECONNECT,   /* the connection is gone or unusable: reconnect, then retry */
    GV_DB_DUPLICATE,   /* a unique key refused the row: report, do not retry */
    GV_DB_PERMANENT,   /* a bug or a schema/mapping problem: report, do not retry */
} gv_db_action_t;

const char *gv_db_action_name(gv_db_action_t a);

typedef struct gv_db_error {
    gv_db_action_t action;
    char sqlstate[6];      /* of the first diagnostic record */
    long native;
    char msg[1024];        /* every diagnostic record, joined */
} gv_db_error_t;

/* The one table from SQLSTATE (and, for drivers that say only HY000, the
 * native error code) to action.  Pure. */
gv_db_action_t gv_sqlstate_action(const char *sqlstate, long native);
/* Whether a driver's message says the connection is gone although its
 * SQLSTATE is the general HY000 (psqlODBC).  Pure. */
int gv_db_message_means_lost(const char *msg);

typedef struct gv_db_opts {
    long login_timeout_s;
    long query_timeout_s;
    long reconnect_min_ms;
    long reconnect_max_ms;
    /* The connection only reads (an account lookup's): on SQLite, each
     * connect sets PRAGMA query_only, so that no statement through it can
     * change the billing database.  Other engines: no effect. */
    int read_only;
} gv_db_opts_t;

typedef struct gv_db gv_db_t;
typedef struct gv_db_stmt gv_db_stmt_t;

/* How a connection's text crosses the driver manager. */
typedef enum {
    GV_DB_TEXT_UNKNOWN = 0,    /* not connected */
    GV_DB_TEXT_UTF16,          /* the wide functions, UTF-16 */
    GV_DB_TEXT_UTF8,           /* the narrow functions, UTF-8 bytes as they are */
} gv_db_text_t;

/* Creates a handle; does not connect.  Copies connstr. */
gv_db_t *gv_db_new(const char *connstr, const gv_db_opts_t *opts);
/* A second, unconnected handle to the same database (another thread's). */
gv_db_t *gv_db_new_like(const gv_db_t *db);
void gv_db_free(gv_db_t *db);

/* Connects unless connected.  After a failure, further attempts within the
 * back-off window (doubling from reconnect_min_ms to reconnect_max_ms) fail
 * at once without touching the network, so a dead database costs callers
 * nothing.  now_ms is a monotonic clock reading. */
int gv_db_ensure(gv_db_t *db, int64_t now_ms, gv_db_error_t *e);
int gv_db_is_connected(const gv_db_t *db);
/* Drops the connection (and every statement's handle); the next
 * gv_db_ensure reconnects, after the back-off. */
void gv_db_disconnect(gv_db_t *db, int64_t now_ms);
/* Lifts the back-off once: the next gv_db_ensure tries at once. */
void gv_db_allow_now(gv_db_t *db);
/* Milliseconds until the next connection attempt is allowed (0 = now). */
int64_t gv_db_backoff_left_ms(const gv_db_t *db, int64_t now_ms);
/* The way this connection's text goes, found at connect (an echo through
 * the driver and at most two SELECTs without FROM, never per statement);
 * GV_DB_TEXT_UNKNOWN while not connected.  For `mapping check` and logs to
 * show. */
gv_db_text_t gv_db_text_mode(const gv_db_t *db);
const char *gv_db_text_mode_name(gv_db_text_t mode);

/* Statements belong to their connection and die with it: after
 * gv_db_disconnect every gv_db_stmt_t is invalid. */
gv_db_stmt_t *gv_db_prepare(gv_db_t *db, const char *sql, gv_db_error_t *e);
/* The statement built in sql by appends: refused (out of memory, too
 * long) when one of them failed since its last reset, as a part would be
 * missing and the rest might still be valid SQL. */
struct gv_buf;
gv_db_stmt_t *gv_db_prepare_built(gv_db_t *db, const struct gv_buf *sql, gv_db_error_t *e);
void gv_db_stmt_free(gv_db_stmt_t *st);

/* Parameters are 1-based and copied at bind time.  Text is well-formed
 * UTF-8 of at most GV_DB_TEXT_PARAM_UNITS UTF-16 units (characters, a
 * 4-byte one counting two) on every connection, whatever its text mode. */
#define GV_DB_TEXT_PARAM_UNITS 512
int gv_db_bind_text(gv_db_stmt_t *st, int idx, const char *utf8, gv_db_error_t *e);
int gv_db_bind_date(gv_db_stmt_t *st, int idx, const char *yyyy_mm_dd, gv_db_error_t *e);
/* "YYYY-MM-DD HH:MM:SS" as a TIMESTAMP. */
int gv_db_bind_timestamp(gv_db_stmt_t *st, int idx, const char *ymd_hms, gv_db_error_t *e);
/* Exact decimal text ("3713.52") as a DECIMAL with scale fraction digits. */
int gv_db_bind_decimal(gv_db_stmt_t *st, int idx, const char *text, int scale,
                       gv_db_error_t *e);
int gv_db_bind_int64(gv_db_stmt_t *st, int idx, int64_t v, gv_db_error_t *e);
int gv_db_bind_null(gv_db_stmt_t *st, int idx, gv_db_error_t *e);

int gv_db_execute(gv_db_stmt_t *st, gv_db_error_t *e);
/* 1 = a row, 0 = no more rows, -1 = error. */
int gv_db_fetch(gv_db_stmt_t *st, gv_db_error_t *e);
/* Column value as UTF-8 text; *is_null set.  -1 on error, on text that does
 * not fit bufsz bytes with its NUL, and on bytes that are not UTF-8. */
int gv_db_get_text(gv_db_stmt_t *st, int col, char *buf, size_t bufsz, int *is_null,
                   gv_db_error_t *e);
int gv_db_get_int64(gv_db_stmt_t *st, int col, int64_t *v, int *is_null, gv_db_error_t *e);
/* Closes the statement's cursor for its next execute; when that fails the
 * next gv_db_execute closes it first (and fails if it still cannot). */
int gv_db_close_cursor(gv_db_stmt_t *st);
/* Rows the last INSERT/UPDATE/DELETE touched. */
int gv_db_row_count(gv_db_stmt_t *st, int64_t *n, gv_db_error_t *e);
/* Prepares, runs and frees one statement without parameters. */
int gv_db_exec(gv_db_t *db, const char *sql, gv_db_error_t *e);

/* Result description (after prepare). */
int gv_db_num_params(gv_db_stmt_t *st, int *n, gv_db_error_t *e);
int gv_db_num_cols(gv_db_stmt_t *st, int *n, gv_db_error_t *e);
int gv_db_describe_col(gv_db_stmt_t *st, int col, char *name, size_t namesz, int *sqltype,
                       gv_db_error_t *e);

/* Explicit transactions: autocommit is on between them.  gv_db_commit: 0
 * committed; -1 not committed (nothing was open, or the engine rolled it
 * back: SQLSTATE class 40); -2 the outcome is unknown: the COMMIT failed
 * in a way that does not say (a lost connection, a timeout, the driver's
 * error after the server's answer), and only reading what it wrote tells. */
int gv_db_begin(gv_db_t *db, gv_db_error_t *e);
int gv_db_commit(gv_db_t *db, gv_db_error_t *e);
int gv_db_rollback(gv_db_t *db, gv_db_error_t *e);

/* Many rows a fetch, into bound buffers (column-wise binding and a row
 * array: one driver call for a block of rows instead of one SQLGetData a
 * value).  For reads of many rows: billing's chunks. */
typedef enum { GV_DB_COL_TEXT, GV_DB_COL_INT64 } gv_db_coltype_t;
typedef struct gv_db_colspec {
    int col;                    /* 1-based result column; 0 = not read */
    gv_db_coltype_t type;
    size_t bytes;               /* text: the longest value as UTF-8 with its NUL */
} gv_db_colspec_t;
typedef struct gv_db_rows gv_db_rows_t;

/* Binds spec[0..n) of st's result (after execute), `rows` rows a fetch;
 * NULL with e on failure.  Free it before st is used any other way. */
gv_db_rows_t *gv_db_rows_bind(gv_db_stmt_t *st, const gv_db_colspec_t *spec, size_t n,
                              size_t rows, gv_db_error_t *e);
/* The next block: the number of rows in it, 0 at the end, -1 on error
 * (and on text that does not fit its spec or is not UTF-8). */
long gv_db_rows_fetch(gv_db_rows_t *r, gv_db_error_t *e);
/* Value k of spec of row i of the block; NULL values read as "" and 0,
 * with *is_null set when given.  Text is UTF-8, trailing blanks dropped. */
const char *gv_db_rows_text(gv_db_rows_t *r, size_t i, size_t k, int *is_null);
int64_t gv_db_rows_int64(gv_db_rows_t *r, size_t i, size_t k, int *is_null);
/* Unbinds (the statement reads one row a fetch again) and frees. */
void gv_db_rows_free(gv_db_rows_t *r);

/* 1 when another connection's reads may have to wait for this one's open
 * write transaction: SQLite outside WAL mode, whose writer takes the
 * file's exclusive lock once its changes outgrow the page cache; 0 for
 * engines whose readers read a snapshot (PostgreSQL, MariaDB's InnoDB,
 * SQLite in WAL mode) and -1 when it cannot be told (not connected).
 * Asked of the driver (SQL_DBMS_NAME) and of SQLite itself. */
int gv_db_readers_wait_for_writer(gv_db_t *db);

/* SQL type classes, for checking that a column is usable. */
int gv_db_type_is_text(int sqltype);
int gv_db_type_is_numeric(int sqltype);
int gv_db_type_is_datetime(int sqltype);
int gv_db_type_is_float(int sqltype);

#endif
