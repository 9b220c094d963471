/* store.c - the adapter's own tables. */
#include "config.h"
#include "store.h"
#include "buf.h"
#include "column.h"
#include "kept.h"
#include "record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- migrations ----------------------------------------------------- */

/* One list per version.  Only types and statements every engine knows:
 * VARCHAR, CHAR, BIGINT, SMALLINT, IF NOT EXISTS (MariaDB commits DDL at
 * once, so a migration interrupted half-way must be safe to run again). */
static const char *const migration_1[] = {
    "CREATE TABLE IF NOT EXISTS gv_batch ("
    " batch_id VARCHAR(32) NOT NULL PRIMARY KEY,"
    " sha256 CHAR(64) NOT NULL,"
    " provider_bin CHAR(12) NOT NULL,"
    " period CHAR(7) NOT NULL,"
    " part BIGINT NOT NULL,"
    " parts BIGINT NOT NULL,"
    " voucher_count BIGINT NOT NULL,"
    " form VARCHAR(3) NOT NULL,"
    " channel VARCHAR(8) NOT NULL,"
    " signer VARCHAR(255) NOT NULL,"
    " received_at BIGINT NOT NULL,"
    " spool_name VARCHAR(96) NOT NULL,"
    " state VARCHAR(12) NOT NULL,"
    " processed_at BIGINT,"
    " revision BIGINT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS gv_batch_by_state ON gv_batch (state, period)",
    "CREATE TABLE IF NOT EXISTS gv_occurrence ("
    " batch_id VARCHAR(32) NOT NULL,"
    " item_no BIGINT NOT NULL,"
    " period CHAR(7) NOT NULL,"
    " part BIGINT NOT NULL,"
    " voucher_id VARCHAR(32) NOT NULL,"
    " account_typed VARCHAR(40) NOT NULL,"
    " account_norm VARCHAR(48) NOT NULL,"
    " activated_at BIGINT NOT NULL,"
    " activated_text VARCHAR(40) NOT NULL,"
    " channel VARCHAR(16) NOT NULL,"
    " assistance VARCHAR(16) NOT NULL,"
    " nominal_tiyn BIGINT,"
    " content_sha CHAR(64) NOT NULL,"
    " pre_reason VARCHAR(32),"
    " account_reason VARCHAR(32),"
    " standing SMALLINT NOT NULL,"
    " dupv SMALLINT NOT NULL,"
    " status VARCHAR(10),"
    " reason VARCHAR(32),"
    " PRIMARY KEY (batch_id, item_no))",
    "CREATE INDEX IF NOT EXISTS gv_occurrence_by_voucher ON gv_occurrence (period, voucher_id)",
    "CREATE INDEX IF NOT EXISTS gv_occurrence_by_account ON gv_occurrence (period, account_norm)",
    "CREATE TABLE IF NOT EXISTS gv_trail ("
    " trail_id VARCHAR(120) NOT NULL PRIMARY KEY,"
    " period CHAR(7) NOT NULL,"
    " at BIGINT NOT NULL,"
    " voucher_id VARCHAR(32) NOT NULL,"
    " batch_id VARCHAR(32) NOT NULL,"
    " item_no BIGINT NOT NULL,"
    " old_outcome VARCHAR(48) NOT NULL,"
    " new_outcome VARCHAR(48) NOT NULL,"
    " cause_batch VARCHAR(32) NOT NULL)",
    "CREATE INDEX IF NOT EXISTS gv_trail_by_period ON gv_trail (period, at)",
    "CREATE TABLE IF NOT EXISTS gv_outbox ("
    " msg_id VARCHAR(80) NOT NULL PRIMARY KEY,"
    " kind VARCHAR(24) NOT NULL,"
    " ref VARCHAR(64) NOT NULL,"
    " period CHAR(7) NOT NULL,"
    " endpoint VARCHAR(64) NOT NULL,"
    " body_name VARCHAR(96) NOT NULL,"
    " sha256 CHAR(64) NOT NULL,"
    " created_at BIGINT NOT NULL,"
    " state VARCHAR(12) NOT NULL,"
    " attempts BIGINT NOT NULL,"
    " next_attempt_at BIGINT NOT NULL,"
    " last_status BIGINT NOT NULL,"
    " last_error VARCHAR(255) NOT NULL,"
    " delivered_at BIGINT)",
    "CREATE INDEX IF NOT EXISTS gv_outbox_by_state ON gv_outbox (state, next_attempt_at)",
    NULL,
};

/* Billing (R18-R20): one row per account and period, written in the same
 * transaction as the bill itself, so "billed" here and a bill in the
 * site's tables never disagree.  report_id names the RedemptionReport
 * meant to carry the row's state: a run writes its rows with the id its
 * report will have, and the row counts as reported once gv_run holds that
 * id (recorded in the report's own transaction); NULL = not yet reported. */
static const char *const migration_2[] = {
    "CREATE TABLE IF NOT EXISTS gv_bill ("
    " period CHAR(7) NOT NULL,"
    " account VARCHAR(48) NOT NULL,"
    " voucher_id VARCHAR(32) NOT NULL,"
    " status VARCHAR(10) NOT NULL,"
    " reason VARCHAR(32),"
    " detail VARCHAR(255),"
    " volume_milli BIGINT,"
    " price_tiyn BIGINT,"
    " vat_bp BIGINT,"
    " net_tiyn BIGINT,"
    " vat_tiyn BIGINT,"
    " charge_tiyn BIGINT,"
    " discount_tiyn BIGINT,"
    " due_tiyn BIGINT,"
    " rule_name VARCHAR(32),"
    " bill_ref VARCHAR(64),"
    " run_id VARCHAR(40) NOT NULL,"
    " updated_at BIGINT NOT NULL,"
    " report_id VARCHAR(40),"
    " PRIMARY KEY (period, account))",
    "CREATE INDEX IF NOT EXISTS gv_bill_by_status ON gv_bill (period, status, report_id)",
    "CREATE TABLE IF NOT EXISTS gv_run ("
    " run_id VARCHAR(40) NOT NULL PRIMARY KEY,"
    " period CHAR(7) NOT NULL,"
    " started_at BIGINT NOT NULL,"
    " finished_at BIGINT NOT NULL,"
    " billed BIGINT NOT NULL,"
    " pending BIGINT NOT NULL,"
    " conflicts BIGINT NOT NULL,"
    " charge_tiyn BIGINT NOT NULL,"
    " discount_tiyn BIGINT NOT NULL,"
    " due_tiyn BIGINT NOT NULL,"
    " report_id VARCHAR(40))",
    NULL,
};

/* Accounts are the site's own key (the account its lookup returned), not
 * what [account] makes of the typed text: db migrate moves rows kept
 * under another spelling (gv_intake_rekey), looking them up by account
 * alone. */
static const char *const migration_3[] = {
    "CREATE INDEX IF NOT EXISTS gv_occurrence_by_site_account ON gv_occurrence (account_norm)",
    "CREATE INDEX IF NOT EXISTS gv_bill_by_account ON gv_bill (account)",
    NULL,
};

/* Two nodes on one database (leases.h, files.h): who does the work one
 * node at a time may do, and the bytes of the spool's files, so that a
 * batch received by one node and a message written by one can be
 * processed and sent by the other. */
static const char *const migration_5[] = {
    "CREATE TABLE IF NOT EXISTS gv_lease ("
    " name VARCHAR(32) NOT NULL PRIMARY KEY,"
    " holder VARCHAR(64) NOT NULL,"
    " process VARCHAR(96) NOT NULL,"
    " token VARCHAR(32) NOT NULL,"
    " beat BIGINT NOT NULL,"
    " ttl_s BIGINT NOT NULL,"
    " taken_at BIGINT NOT NULL,"
    " renewed_at BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS gv_file ("
    " name VARCHAR(120) NOT NULL PRIMARY KEY,"
    " size_bytes BIGINT NOT NULL,"
    " parts BIGINT NOT NULL,"
    " sha256 CHAR(64) NOT NULL,"
    " created_at BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS gv_file_part ("
    " name VARCHAR(120) NOT NULL,"
    " seq BIGINT NOT NULL,"
    " part_b64 VARCHAR(512) NOT NULL,"
    " PRIMARY KEY (name, seq))",
    NULL,
};


/* The region billing read for each account (R9), kept so the
 * reconciliation can total by region as the budget programme does (its
 * column is added by added_columns below). */
static const char *const migration_4[] = { NULL };

static const char *const *const migrations[] = { NULL, migration_1, migration_2, migration_3,
                                                 migration_4, migration_5 };
/* Columns a version adds to an existing table.  MariaDB commits an ALTER
 * at once and SQLite knows no ADD COLUMN IF NOT EXISTS, so each is looked
 * for first (outside the transaction: a failed probe would abort a
 * PostgreSQL one) and added only when missing. */
static const struct added_column {
    int version;
    const char *table, *column, *type;
} added_columns[] = {
    { 4, "gv_bill", "region", "VARCHAR(8)" },
};

static int column_exists(gv_db_t *db, const char *table, const char *column)
{
    char sql[160];
    gv_db_error_t e;
    gv_db_stmt_t *st;
    int ok;

    snprintf(sql, sizeof sql, "SELECT %s FROM %s WHERE 1 = 0", column, table);
    if (!(st = gv_db_prepare(db, sql, &e)))
        return 0;
    ok = gv_db_execute(st, &e) == 0;
    gv_db_stmt_free(st);
    return ok;
}

/* Whether a failure says the table does not exist, as the engines say it
 * (at prepare or at execute, depending on the driver): 42S02 (MariaDB, and
 * ODBC's own), 42P01 (PostgreSQL), "no such table" under HY000 (SQLite).
 * Any other failure is one: a version that could not be read is not 0. */
static int no_such_table(const gv_db_error_t *e)
{
    return !strcmp(e->sqlstate, "42S02") || !strcmp(e->sqlstate, "42P01") ||
           strstr(e->msg, "no such table");
}

int gv_store_version(gv_db_t *db, int *version, gv_db_error_t *e)
{
    gv_db_stmt_t *st;
    int64_t v = 0;
    int is_null = 1, row;

    *version = 0;
    st = gv_db_prepare(db, "SELECT MAX(version) FROM gv_schema", e);
    if (!st)
        return no_such_table(e) ? 0 : -1;
    if (gv_db_execute(st, e) < 0) {
        gv_db_stmt_free(st);
        return no_such_table(e) ? 0 : -1;
    }
    row = gv_db_fetch(st, e);
    if (row == 1 && gv_db_get_int64(st, 1, &v, &is_null, e) < 0)
        row = -1;
    gv_db_stmt_free(st);
    if (row < 0)
        return -1;
    *version = is_null ? 0 : (int)v;
    return 0;
}

int gv_store_migrate(gv_db_t *db, time_t now, int *from, int *to, gv_db_error_t *e)
{
    int v;

    if (gv_db_exec(db,
                   "CREATE TABLE IF NOT EXISTS gv_schema (version BIGINT NOT NULL PRIMARY KEY,"
                   " applied_at BIGINT NOT NULL)",
                   e) < 0 ||
        gv_store_version(db, &v, e) < 0)
        return -1;
    *from = *to = v;
    if (v > GV_SCHEMA_VERSION) {
        e->action = GV_DB_PERMANENT;
        snprintf(e->msg, sizeof e->msg,
                 "the database is at schema version %d, newer than this gasvoucher (%d)", v,
                 GV_SCHEMA_VERSION);
        return -1;
    }
    for (int next = v + 1; next <= GV_SCHEMA_VERSION; next++) {
        gv_db_stmt_t *st;
        int missing[sizeof added_columns / sizeof added_columns[0]];
        for (size_t i = 0; i < sizeof added_columns / sizeof added_columns[0]; i++)
            missing[i] = added_columns[i].version == next &&
                         !column_exists(db, added_columns[i].table, added_columns[i].column);
        if (gv_db_begin(db, e) < 0)
            return -1;
        for (const char *const *sql = migrations[next]; *sql; sql++)
            if (gv_db_exec(db, *sql, e) < 0)
                goto fail;
        for (size_t i = 0; i < sizeof added_columns / sizeof added_columns[0]; i++) {
            char sql[200];
            if (!missing[i])
                continue;
            snprintf(sql, sizeof sql, "ALTER TABLE %s ADD COLUMN %s %s", added_columns[i].table,
                     added_columns[i].column, added_columns[i].type);
            if (gv_db_exec(db, sql, e) < 0)
                goto fail;
        }
        st = gv_db_prepare(db, "INSERT INTO gv_schema (version, applied_at) VALUES (?, ?)", e);
        if (!st)
            goto fail;
        if (gv_db_bind_int64(st, 1, next, e) < 0 || gv_db_bind_int64(st, 2, now, e) < 0 ||
            gv_db_execute(st, e) < 0) {
            gv_db_stmt_free(st);
            goto fail;
        }
        gv_db_stmt_free(st);
        if (gv_db_commit(db, e) < 0)
            goto fail;
        *to = next;
    }
    return 0;
fail:
    {
        gv_db_error_t ignored;
        gv_db_rollback(db, &ignored);
    }
    return -1;
}

/* ---- batches ----------------------------------------------------------- */

#define BATCH_COLS                                                                          \
    "batch_id, sha256, provider_bin, period, part, parts, voucher_count, form, channel, " \
    "signer, received_at, spool_name, state, revision"

static int read_batch(gv_db_stmt_t *st, void *row, gv_db_error_t *e)
{
    gv_batch_row_t *r = row;

    memset(r, 0, sizeof *r);
    return gv_db_col_text(st, 1, r->batch_id, sizeof r->batch_id, e) < 0 ||
                   gv_db_col_text(st, 2, r->sha256, sizeof r->sha256, e) < 0 ||
                   gv_db_col_text(st, 3, r->provider_bin, sizeof r->provider_bin, e) < 0 ||
                   gv_db_col_text(st, 4, r->period, sizeof r->period, e) < 0 ||
                   gv_db_col_long(st, 5, &r->part, e) < 0 || gv_db_col_long(st, 6, &r->parts, e) < 0 ||
                   gv_db_col_long(st, 7, &r->voucher_count, e) < 0 ||
                   gv_db_col_text(st, 8, r->form, sizeof r->form, e) < 0 ||
                   gv_db_col_text(st, 9, r->channel, sizeof r->channel, e) < 0 ||
                   gv_db_col_text(st, 10, r->signer, sizeof r->signer, e) < 0 ||
                   gv_db_col_int64(st, 11, &r->received_at, e) < 0 ||
                   gv_db_col_text(st, 12, r->spool_name, sizeof r->spool_name, e) < 0 ||
                   gv_db_col_text(st, 13, r->state, sizeof r->state, e) < 0 ||
                   gv_db_col_long(st, 14, &r->revision, e) < 0
               ? -1
               : 0;
}

typedef int (*row_reader_fn)(gv_db_stmt_t *st, void *row, gv_db_error_t *e);

/* Runs sql with up to two bound values (text when not NULL, then num when
 * positive) and reads up to max rows of rowsize bytes with read_row. */
static int query_rows(gv_db_t *db, const char *sql, const char *text, int64_t num, void *rows,
                      size_t rowsize, int max, row_reader_fn read_row, gv_db_error_t *e)
{
    gv_db_stmt_t *st = gv_db_prepare(db, sql, e);
    int n = 0, row = 0, idx = 1;

    if (!st)
        return -1;
    if ((text && gv_db_bind_text(st, idx++, text, e) < 0) ||
        (num > 0 && gv_db_bind_int64(st, idx++, num, e) < 0) || gv_db_execute(st, e) < 0) {
        gv_db_stmt_free(st);
        return -1;
    }
    while (n < max && (row = gv_db_fetch(st, e)) == 1) {
        if (read_row(st, (char *)rows + (size_t)n * rowsize, e) < 0) {
            row = -1;
            break;
        }
        n++;
    }
    gv_db_stmt_free(st);
    return row < 0 ? -1 : n;
}

static int query_batches(gv_db_t *db, const char *sql, const char *p1, gv_batch_row_t *rows,
                         int max, gv_db_error_t *e)
{
    return query_rows(db, sql, p1, 0, rows, sizeof *rows, max, read_batch, e);
}

int gv_store_batch_get(gv_db_t *db, const char *batch_id, gv_batch_row_t *row,
                       gv_db_error_t *e)
{
    return query_batches(db, "SELECT " BATCH_COLS " FROM gv_batch WHERE batch_id = ?", batch_id,
                         row, 1, e);
}

int gv_store_batches_pending(gv_db_t *db, gv_batch_row_t *rows, int max, gv_db_error_t *e)
{
    return query_batches(db,
                         "SELECT " BATCH_COLS " FROM gv_batch WHERE state = 'RECEIVED'"
                         " ORDER BY period, part, batch_id",
                         NULL, rows, max, e);
}

int gv_store_batches_of_period(gv_db_t *db, const char *period, gv_batch_row_t *rows, int max,
                               gv_db_error_t *e)
{
    return query_batches(db,
                         "SELECT " BATCH_COLS " FROM gv_batch WHERE period = ?"
                         " ORDER BY part, batch_id",
                         period, rows, max, e);
}

int gv_store_batch_insert(gv_db_t *db, const gv_batch_row_t *r, gv_db_error_t *e)
{
    gv_db_stmt_t *st = gv_db_prepare(
        db,
        "INSERT INTO gv_batch (" BATCH_COLS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        e);
    int rc;

    if (!st)
        return -1;
    rc = gv_db_bind_text(st, 1, r->batch_id, e) < 0 || gv_db_bind_text(st, 2, r->sha256, e) < 0 ||
                 gv_db_bind_text(st, 3, r->provider_bin, e) < 0 ||
                 gv_db_bind_text(st, 4, r->period, e) < 0 ||
                 gv_db_bind_int64(st, 5, r->part, e) < 0 ||
                 gv_db_bind_int64(st, 6, r->parts, e) < 0 ||
                 gv_db_bind_int64(st, 7, r->voucher_count, e) < 0 ||
                 gv_db_bind_text(st, 8, r->form, e) < 0 ||
                 gv_db_bind_text(st, 9, r->channel, e) < 0 ||
                 gv_db_bind_text(st, 10, r->signer, e) < 0 ||
                 gv_db_bind_int64(st, 11, r->received_at, e) < 0 ||
                 gv_db_bind_text(st, 12, r->spool_name, e) < 0 ||
                 gv_db_bind_text(st, 13, "RECEIVED", e) < 0 || gv_db_bind_int64(st, 14, 0, e) < 0 ||
                 gv_db_execute(st, e) < 0
             ? -1
             : 0;
    gv_db_stmt_free(st);
    return rc;
}

int gv_store_batch_set_revision(gv_db_t *db, const char *batch_id, long revision,
                                gv_db_error_t *e)
{
    gv_db_stmt_t *st = gv_db_prepare(db, "UPDATE gv_batch SET revision = ? WHERE batch_id = ?", e);
    int rc;

    if (!st)
        return -1;
    rc = gv_db_bind_int64(st, 1, revision, e) < 0 || gv_db_bind_text(st, 2, batch_id, e) < 0 ||
                 gv_db_execute(st, e) < 0
             ? -1
             : 0;
    gv_db_stmt_free(st);
    return rc;
}

/* ---- processing ------------------------------------------------------ */

/* How a voucher list is judged at the scale of a million vouchers.
 *
 * Each occurrence is written (multi-row INSERTs) with the outcome it has
 * when nothing else in its period shares its voucher id or its account:
 * standing, not a DUPLICATE_VOUCHER, its own R6/R2/R4 or R8 reason, else
 * ACCEPTED.  Judging the period again (R7 over every part received so
 * far) then only needs the groups where that can be wrong: the voucher
 * ids of this batch held by another row of the period, the accounts of
 * this batch that R7 compares with another row's, and the accounts of
 * every row of those voucher ids (their standing and dupv may change).
 * Every other row was right when it was last judged and nothing it
 * depends on has changed since (rows are only ever added to a period).
 * Those groups are found while the rows are written, never by scanning
 * the period: within the batch by two Bloom filters of fixed size (a
 * false "seen" only makes a group read for nothing), against the
 * period's earlier batches by the chunk's values IN the period's
 * indexes; they go into two temporary tables.  gasvoucher then reads only
 * their rows, a page at a time in key order, decides each group by the
 * same rules and the same byte comparisons as ever, and writes what
 * differs with multi-row UPDATEs.  Memory holds a chunk, a page, a group
 * and the filters, whatever the size of the batch or of the period, and
 * no statement's work grows with the period.  A pass that added no rows
 * (rejudging after db migrate moved accounts to another key) reads every
 * group of the period. */

enum { ST_NONE = 0, ST_ACCEPTED = 1, ST_REJECTED = 2 };

/* Rows read per page while judging; grown for a group that does not fit.
 * (-DGV_R7_PAGE_ROWS=3 -DGV_R7_PAGE_KEYS=2 -DGV_INTAKE_CHUNK=7 build a
 * gasvoucher that pages all the time, for tests of the paging.) */
#ifdef GV_R7_PAGE_ROWS
#define PAGE_ROWS GV_R7_PAGE_ROWS
#else
#define PAGE_ROWS 10000
#endif
/* Columns bound per occurrence by the multi-row INSERT. */
#define OCC_PARAMS 17
#define OCC_ROWS (GV_DB_MULTIROW_PARAMS / OCC_PARAMS)
/* IN-list lengths of the multi-row UPDATEs: a run of n rows goes as the
 * fewest statements of these sizes, so at most four are prepared. */
static const size_t update_sizes[] = { 500, 50, 5, 1 };
#define NSIZES (sizeof update_sizes / sizeof update_sizes[0])

/* A change found while judging one page. */
typedef struct change {
    uint32_t batch;             /* index into the interned batch ids */
    uint32_t item;
    uint8_t flags;              /* CH_* */
    uint8_t standing, dupv;
    uint8_t old_status, old_reason, new_status, new_reason;
} change_t;

enum { CH_FLAGS = 1, CH_OUTCOME = 2 };
enum { UPD_FLAGS, UPD_OUTCOME, UPD_KINDS };
/* The two kinds of group: by voucher id, by account. */
enum { G_IDS, G_ACCOUNTS, GROUP_KINDS };
static const char *const group_table[GROUP_KINDS] = { "gv_r7_ids", "gv_r7_accounts" };
static const char *const group_column[GROUP_KINDS] = { "voucher_id", "account_norm" };
/* Values sent to a table per statement. */
#ifdef GV_R7_PAGE_KEYS
#define SUSPECT_ROWS GV_R7_PAGE_KEYS
#else
#define SUSPECT_ROWS 500
#endif
/* Bits of each Bloom filter: 16 a voucher of the batch, within these
 * bounds (8 MB for both at most; a batch of 2,000,000 vouchers still sees
 * fewer than one in 2,000 false "seen"). */
#define SEEN_BITS_MIN (1u << 20)
#define SEEN_BITS_MAX (1u << 25)

struct gv_store_proc {
    gv_db_t *db;
    gv_batch_head_t head;
    char cause[33];             /* what made the period be judged again */
    int rejudging;              /* a cause of its own: the batch was processed before */
    int added;                  /* this pass stored rows of head's batch (index 0) */
    gv_db_kept_t ins[2];        /* the multi-row INSERT: a full part, a remainder */
    gv_db_stmt_t *upd[UPD_KINDS][NSIZES];
    gv_db_stmt_t *trail;
    /* the groups to judge again (see above) */
    int tracking;               /* the temporary tables are ready */
    int others;                 /* the period has rows of batches processed before */
    uint64_t *seen[GROUP_KINDS];        /* Bloom filters of this batch's values */
    size_t seen_bits;
    char (*suspect[GROUP_KINDS])[64];   /* values to add to the tables */
    size_t nsuspect[GROUP_KINDS];
    int64_t candidates[GROUP_KINDS];    /* values added to each table */
    gv_db_kept_t suspect_st[GROUP_KINDS][2];
    gv_buf_t sql;
    char (*batches)[GV_BATCH_ID_LEN + 1];
    size_t nbatches, capbatches, last_batch;
    change_t *changes;
    size_t nchanges, capchanges;
};

static int oom(gv_db_error_t *e)
{
    e->action = GV_DB_PERMANENT;
    snprintf(e->msg, sizeof e->msg, "out of memory");
    return -1;
}

static int intern_batch(gv_store_proc_t *p, const char *id, uint32_t *idx, gv_db_error_t *e)
{
    if (p->nbatches && strcmp(p->batches[p->last_batch], id) == 0) {
        *idx = (uint32_t)p->last_batch;
        return 0;
    }
    for (size_t i = 0; i < p->nbatches; i++)
        if (strcmp(p->batches[i], id) == 0) {
            *idx = (uint32_t)(p->last_batch = i);
            return 0;
        }
    if (p->nbatches == p->capbatches) {
        size_t cap = p->capbatches ? 2 * p->capbatches : 16;
        void *n = realloc(p->batches, cap * sizeof *p->batches);
        if (!n)
            return oom(e);
        p->batches = n;
        p->capbatches = cap;
    }
    snprintf(p->batches[p->nbatches], sizeof p->batches[0], "%s", id);
    *idx = (uint32_t)(p->last_batch = p->nbatches++);
    return 0;
}

gv_store_proc_t *gv_store_proc_new(gv_db_t *db, const gv_batch_head_t *head, gv_db_error_t *e)
{
    gv_store_proc_t *p = calloc(1, sizeof *p);
    uint32_t first;

    if (!p) {
        oom(e);
        return NULL;
    }
    p->db = db;
    p->head = *head;
    snprintf(p->cause, sizeof p->cause, "%s", head->batch_id);
    gv_buf_init(&p->sql, 1u << 20);
    if (intern_batch(p, head->batch_id, &first, e) < 0) {   /* index 0: the batch itself */
        gv_store_proc_free(p);
        return NULL;
    }
    return p;
}

void gv_store_proc_set_cause(gv_store_proc_t *p, const char *cause)
{
    snprintf(p->cause, sizeof p->cause, "%s", cause);
    p->rejudging = 1;
}

void gv_store_proc_free(gv_store_proc_t *p)
{
    if (!p)
        return;
    gv_db_kept_drop(p->ins);
    for (int g = 0; g < GROUP_KINDS; g++) {
        gv_db_kept_drop(p->suspect_st[g]);
        free(p->seen[g]);
        free(p->suspect[g]);
    }
    for (size_t k = 0; k < UPD_KINDS; k++)
        for (size_t i = 0; i < NSIZES; i++)
            gv_db_stmt_free(p->upd[k][i]);
    gv_db_stmt_free(p->trail);
    gv_buf_free(&p->sql);
    free(p->batches);
    free(p->changes);
    free(p);
}

#define OCC_INSERT                                                                            \
    "INSERT INTO gv_occurrence (batch_id, item_no, period, part, voucher_id, account_typed,"  \
    " account_norm, activated_at, activated_text, channel, assistance, nominal_tiyn,"          \
    " content_sha, pre_reason, account_reason, standing, dupv, status, reason) VALUES "
#define OCC_ROW "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, 0, ?, ?)"

static int bind_occurrence(gv_store_proc_t *p, gv_db_stmt_t *st, int pos,
                           const gv_occurrence_in_t *o, gv_db_error_t *e)
{
    const gv_voucher_in_t *v = o->v;
    gv_reason_t own = o->pre_reason != GV_REASON_NONE ? o->pre_reason : o->account_reason;
    char sha[65];

    gv_voucher_content_hash(v, sha);
    return gv_db_bind_text(st, pos, p->head.batch_id, e) < 0 ||
                   gv_db_bind_int64(st, pos + 1, v->position, e) < 0 ||
                   gv_db_bind_text(st, pos + 2, p->head.period_text, e) < 0 ||
                   gv_db_bind_int64(st, pos + 3, p->head.part, e) < 0 ||
                   gv_db_bind_text(st, pos + 4, v->id, e) < 0 ||
                   gv_db_bind_text(st, pos + 5, v->account, e) < 0 ||
                   gv_db_bind_text(st, pos + 6, o->account_norm, e) < 0 ||
                   gv_db_bind_int64(st, pos + 7, v->activated, e) < 0 ||
                   gv_db_bind_text(st, pos + 8, v->activated_text, e) < 0 ||
                   gv_db_bind_text(st, pos + 9, v->channel, e) < 0 ||
                   gv_db_bind_text(st, pos + 10, v->assistance, e) < 0 ||
                   (v->has_nominal ? gv_db_bind_int64(st, pos + 11, v->nominal_tiyn, e)
                                   : gv_db_bind_null(st, pos + 11, e)) < 0 ||
                   gv_db_bind_text(st, pos + 12, sha, e) < 0 ||
                   gv_db_bind_text_or_null(st, pos + 13, gv_reason_name(o->pre_reason), e) < 0 ||
                   gv_db_bind_text_or_null(st, pos + 14, gv_reason_name(o->account_reason), e) <
                       0 ||
                   gv_db_bind_text(st, pos + 15, own == GV_REASON_NONE ? "ACCEPTED" : "REJECTED",
                                   e) < 0 ||
                   gv_db_bind_text_or_null(st, pos + 16, gv_reason_name(own), e) < 0
               ? -1
               : 0;
}

/* ---- the groups to judge again ------------------------------------------- */

/* Sets up what tracking needs before the batch's first rows: the two
 * temporary tables of this connection, empty (on MariaDB they outlive a
 * transaction), the filters, and whether the period has earlier rows. */
static int tracking_start(gv_store_proc_t *p, gv_db_error_t *e)
{
    gv_db_stmt_t *st;
    char sql[160];
    long earlier = 0;
    int row;

    /* Values as sent (a value may come more than once), and each once. */
    for (int g = 0; g < GROUP_KINDS; g++) {
        snprintf(sql, sizeof sql, "CREATE TEMPORARY TABLE IF NOT EXISTS %s (%s VARCHAR(64) NOT NULL)",
                 group_table[g], group_column[g]);
        if (gv_db_exec(p->db, sql, e) < 0)
            return -1;
        snprintf(sql, sizeof sql, "CREATE TEMPORARY TABLE IF NOT EXISTS %s_u"
                 " (%s VARCHAR(64) NOT NULL PRIMARY KEY)", group_table[g], group_column[g]);
        if (gv_db_exec(p->db, sql, e) < 0)
            return -1;
        snprintf(sql, sizeof sql, "DELETE FROM %s", group_table[g]);
        if (gv_db_exec(p->db, sql, e) < 0)
            return -1;
        snprintf(sql, sizeof sql, "DELETE FROM %s_u", group_table[g]);
        if (gv_db_exec(p->db, sql, e) < 0)
            return -1;
    }
    p->seen_bits = SEEN_BITS_MIN;
    while (p->seen_bits < SEEN_BITS_MAX && p->seen_bits < 16 * (size_t)p->head.voucher_count)
        p->seen_bits *= 2;
    for (int g = 0; g < GROUP_KINDS; g++)
        if (!(p->seen[g] = calloc(p->seen_bits / 64, sizeof *p->seen[g])) ||
            !(p->suspect[g] = calloc(SUSPECT_ROWS, sizeof *p->suspect[g])))
            return oom(e);
    /* Every row of a processed batch is in the period's table. */
    if (!(st = gv_db_prepare(p->db,
                             "SELECT COUNT(*) FROM gv_batch"
                             " WHERE period = ? AND state = 'PROCESSED' AND batch_id <> ?",
                             e)))
        return -1;
    if (gv_db_bind_text(st, 1, p->head.period_text, e) < 0 ||
        gv_db_bind_text(st, 2, p->head.batch_id, e) < 0 || gv_db_execute(st, e) < 0 ||
        (row = gv_db_fetch(st, e)) < 0 ||
        (row == 1 && gv_db_col_long(st, 1, &earlier, e) < 0)) {
        gv_db_stmt_free(st);
        return -1;
    }
    gv_db_stmt_free(st);
    p->others = earlier > 0;
    p->tracking = 1;
    return 0;
}

/* FNV-1a, and a second hash from it for the filter's probes. */
static uint64_t hash_text(const char *s)
{
    uint64_t h = 1469598103934665603ull;

    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* Adds s to filter g; 1 when it may have been there already. */
static int seen_before(gv_store_proc_t *p, int g, const char *s)
{
    uint64_t h = hash_text(s), h2 = (h >> 33) | 1;
    int all = 1;

    for (int i = 0; i < 7; i++) {
        size_t bit = (size_t)((h + (uint64_t)i * h2) & (p->seen_bits - 1));
        uint64_t *w = &p->seen[g][bit / 64], m = 1ull << (bit % 64);
        if (!(*w & m)) {
            all = 0;
            *w |= m;
        }
    }
    return all;
}

/* Sends the suspects of table g. */
static int flush_suspects(gv_store_proc_t *p, int g, gv_db_error_t *e)
{
    size_t n = p->nsuspect[g];
    gv_db_kept_t *slot;
    gv_db_stmt_t *st;

    if (!n)
        return 0;
    if (!(st = gv_db_kept_for(p->suspect_st[g], n, SUSPECT_ROWS, &slot))) {
        gv_buf_reset(&p->sql);
        gv_buf_printf(&p->sql, "INSERT INTO %s (%s) VALUES (?)", group_table[g], group_column[g]);
        for (size_t i = 1; i < n; i++)
            gv_buf_puts(&p->sql, ", (?)");
        if (!(st = slot->st = gv_db_prepare_built(p->db, &p->sql, e)))
            return -1;
    }
    for (size_t i = 0; i < n; i++)
        if (gv_db_bind_text(st, (int)i + 1, p->suspect[g][i], e) < 0)
            return -1;
    if (gv_db_execute(st, e) < 0)
        return -1;
    p->candidates[g] += (int64_t)n;
    p->nsuspect[g] = 0;
    return 0;
}

static int suspect(gv_store_proc_t *p, int g, const char *value, gv_db_error_t *e)
{
    if (p->nsuspect[g] == SUSPECT_ROWS && flush_suspects(p, g, e) < 0)
        return -1;
    snprintf(p->suspect[g][p->nsuspect[g]++], sizeof p->suspect[g][0], "%s", value);
    return 0;
}

/* Values of o[0..n) that rows of earlier batches of the period hold, into
 * the tables (one statement each, the values IN the period's indexes). */
static int against_earlier(gv_store_proc_t *p, const gv_occurrence_in_t *o, size_t n,
                           gv_db_error_t *e)
{
    for (int g = 0; g < GROUP_KINDS; g++) {
        gv_db_stmt_t *st;
        size_t k = 0;
        int64_t added = 0;
        int pos = 3;
        gv_buf_reset(&p->sql);
        gv_buf_printf(&p->sql, "INSERT INTO %s (%s) SELECT DISTINCT %s FROM gv_occurrence"
                      " WHERE period = ? AND batch_id <> ?%s AND %s IN (",
                      group_table[g], group_column[g], group_column[g],
                      g == G_ACCOUNTS ? " AND pre_reason IS NULL AND dupv = 0" : "",
                      group_column[g]);
        for (size_t i = 0; i < n; i++)
            if (g == G_IDS || o[i].pre_reason == GV_REASON_NONE)
                gv_buf_puts(&p->sql, k++ ? ", ?" : "?");
        if (!k)
            continue;
        if (gv_buf_puts(&p->sql, ")") < 0)
            return oom(e);
        if (!(st = gv_db_prepare_built(p->db, &p->sql, e)))
            return -1;
        if (gv_db_bind_text(st, 1, p->head.period_text, e) < 0 ||
            gv_db_bind_text(st, 2, p->head.batch_id, e) < 0)
            goto fail;
        for (size_t i = 0; i < n; i++)
            if ((g == G_IDS || o[i].pre_reason == GV_REASON_NONE) &&
                gv_db_bind_text(st, pos++, g == G_IDS ? o[i].v->id : o[i].account_norm, e) < 0)
                goto fail;
        if (gv_db_execute(st, e) < 0 || gv_db_row_count(st, &added, e) < 0)
            goto fail;
        p->candidates[g] += added < 0 ? 1 : added;    /* a driver that cannot tell: some */
        gv_db_stmt_free(st);
        continue;
    fail:
        gv_db_stmt_free(st);
        return -1;
    }
    return 0;
}

/* Notes the groups o[0..n) join: a voucher id or an account (of a row
 * R7 compares) seen before in this batch or held by an earlier one. */
static int track(gv_store_proc_t *p, const gv_occurrence_in_t *o, size_t n, gv_db_error_t *e)
{
    for (size_t i = 0; i < n; i++) {
        if (seen_before(p, G_IDS, o[i].v->id) && suspect(p, G_IDS, o[i].v->id, e) < 0)
            return -1;
        if (o[i].pre_reason == GV_REASON_NONE && seen_before(p, G_ACCOUNTS, o[i].account_norm) &&
            suspect(p, G_ACCOUNTS, o[i].account_norm, e) < 0)
            return -1;
    }
    return p->others ? against_earlier(p, o, n, e) : 0;
}

int gv_store_proc_add(gv_store_proc_t *p, const gv_occurrence_in_t *o, size_t n,
                      gv_db_error_t *e)
{
    if (n && !p->tracking && tracking_start(p, e) < 0)
        return -1;
    for (size_t done = 0; done < n;) {
        size_t rows = n - done < OCC_ROWS ? n - done : OCC_ROWS;
        gv_db_kept_t *slot;
        gv_db_stmt_t *st = gv_db_kept_for(p->ins, rows, OCC_ROWS, &slot);

        if (!st) {
            gv_buf_reset(&p->sql);
            if (gv_buf_puts(&p->sql, OCC_INSERT) < 0)
                return oom(e);
            for (size_t i = 0; i < rows; i++)
                if (gv_buf_puts(&p->sql, i ? ", " OCC_ROW : OCC_ROW) < 0)
                    return oom(e);
            if (!(st = slot->st = gv_db_prepare_built(p->db, &p->sql, e)))
                return -1;
        }
        for (size_t i = 0; i < rows; i++)
            if (bind_occurrence(p, st, (int)(i * OCC_PARAMS) + 1, &o[done + i], e) < 0) {
                gv_db_kept_drop(p->ins);
                return -1;
            }
        if (gv_db_execute(st, e) < 0) {
            gv_db_kept_drop(p->ins);
            return -1;
        }
        if (track(p, o + done, rows, e) < 0)
            return -1;
        done += rows;
    }
    if (n)
        p->added = 1;
    return 0;
}

static int push_change(gv_store_proc_t *p, const change_t *c, gv_db_error_t *e)
{
    if (p->nchanges == p->capchanges) {
        size_t cap = p->capchanges ? 2 * p->capchanges : 1024;
        void *n = realloc(p->changes, cap * sizeof *p->changes);
        if (!n)
            return oom(e);
        p->changes = n;
        p->capchanges = cap;
    }
    p->changes[p->nchanges++] = *c;
    return 0;
}

static int status_code(const char *s)
{
    return !strcmp(s, "ACCEPTED") ? ST_ACCEPTED : !strcmp(s, "REJECTED") ? ST_REJECTED : ST_NONE;
}

static gv_reason_t reason_code(const char *s)
{
    gv_reason_t r;
    return gv_reason_parse(s, &r) < 0 ? GV_REASON_NONE : r;
}

/* Records an outcome when it differs from the stored one. */
static void note_outcome(change_t *c, int old_status, gv_reason_t old_reason,
                         gv_reason_t outcome)
{
    int new_status = outcome == GV_REASON_NONE ? ST_ACCEPTED : ST_REJECTED;

    if (old_status == new_status && old_reason == outcome)
        return;
    c->flags |= CH_OUTCOME;
    c->old_status = (uint8_t)old_status;
    c->old_reason = (uint8_t)old_reason;
    c->new_status = (uint8_t)new_status;
    c->new_reason = (uint8_t)outcome;
}

static void outcome_text(int status, gv_reason_t reason, char *out, size_t sz)
{
    if (status == ST_NONE)
        snprintf(out, sz, "NONE");
    else if (status == ST_ACCEPTED)
        snprintf(out, sz, "ACCEPTED");
    else
        snprintf(out, sz, "REJECTED %s", gv_reason_name(reason));
}

static int add_revised(gv_recompute_stats_t *s, const char *batch, gv_db_error_t *e)
{
    void *n;

    for (size_t i = 0; i < s->nrevised; i++)
        if (!strcmp(s->revised[i], batch))
            return 0;
    if (!(n = realloc(s->revised, (s->nrevised + 1) * sizeof *s->revised)))
        return oom(e);
    s->revised = n;
    snprintf(s->revised[s->nrevised++], sizeof s->revised[0], "%s", batch);
    return 0;
}

/* ---- writing a page's changes ------------------------------------------ */

static int cmp_by_flags(const void *a, const void *b)
{
    const change_t *x = a, *y = b;
    if (x->batch != y->batch)
        return x->batch < y->batch ? -1 : 1;
    if (x->standing != y->standing)
        return x->standing < y->standing ? -1 : 1;
    if (x->dupv != y->dupv)
        return x->dupv < y->dupv ? -1 : 1;
    return x->item < y->item ? -1 : x->item > y->item;
}

static int cmp_by_outcome(const void *a, const void *b)
{
    const change_t *x = a, *y = b;
    if (x->batch != y->batch)
        return x->batch < y->batch ? -1 : 1;
    if (x->new_status != y->new_status)
        return x->new_status < y->new_status ? -1 : 1;
    if (x->new_reason != y->new_reason)
        return x->new_reason < y->new_reason ? -1 : 1;
    return x->item < y->item ? -1 : x->item > y->item;
}

static int same_update(int kind, const change_t *x, const change_t *y)
{
    return x->batch == y->batch &&
           (kind == UPD_FLAGS ? x->standing == y->standing && x->dupv == y->dupv
                              : x->new_status == y->new_status && x->new_reason == y->new_reason);
}

/* The UPDATE of kind for update_sizes[size] rows of one batch. */
static gv_db_stmt_t *update_stmt(gv_store_proc_t *p, int kind, size_t size, gv_db_error_t *e)
{
    if (p->upd[kind][size])
        return p->upd[kind][size];
    gv_buf_reset(&p->sql);
    if (gv_buf_puts(&p->sql, kind == UPD_FLAGS
                                 ? "UPDATE gv_occurrence SET standing = ?, dupv = ?"
                                 : "UPDATE gv_occurrence SET status = ?, reason = ?") < 0 ||
        gv_buf_puts(&p->sql, " WHERE batch_id = ? AND item_no IN (?") < 0)
        return oom(e), NULL;
    for (size_t i = 1; i < update_sizes[size]; i++)
        if (gv_buf_puts(&p->sql, ", ?") < 0)
            return oom(e), NULL;
    if (gv_buf_puts(&p->sql, ")") < 0)
        return oom(e), NULL;
    return p->upd[kind][size] = gv_db_prepare_built(p->db, &p->sql, e);
}

/* Writes the changes of kind (CH_FLAGS or CH_OUTCOME), rows of one batch
 * and one new value together. */
static int write_updates(gv_store_proc_t *p, int kind, gv_db_error_t *e)
{
    int flag = kind == UPD_FLAGS ? CH_FLAGS : CH_OUTCOME;
    size_t i = 0, n = p->nchanges;
    change_t *ch = p->changes;

    if (n)      /* no changes: p->changes may be NULL */
        qsort(ch, n, sizeof *ch, kind == UPD_FLAGS ? cmp_by_flags : cmp_by_outcome);
    while (i < n) {
        size_t run = 1, s = 0;
        gv_db_stmt_t *st;
        int pos = 4;

        if (!(ch[i].flags & flag)) {
            i++;
            continue;
        }
        while (i + run < n && (ch[i + run].flags & flag) && same_update(kind, &ch[i], &ch[i + run]))
            run++;
        while (update_sizes[s] > run)
            s++;
        if (!(st = update_stmt(p, kind, s, e)))
            return -1;
        if ((kind == UPD_FLAGS
                 ? gv_db_bind_int64(st, 1, ch[i].standing, e) < 0 ||
                       gv_db_bind_int64(st, 2, ch[i].dupv, e) < 0
                 : gv_db_bind_text(st, 1, ch[i].new_status == ST_ACCEPTED ? "ACCEPTED" : "REJECTED",
                                   e) < 0 ||
                       gv_db_bind_text_or_null(st, 2, gv_reason_name((gv_reason_t)ch[i].new_reason),
                                               e) < 0) ||
            gv_db_bind_text(st, 3, p->batches[ch[i].batch], e) < 0)
            return -1;
        for (size_t k = 0; k < update_sizes[s]; k++)
            if (gv_db_bind_int64(st, pos++, ch[i + k].item, e) < 0)
                return -1;
        if (gv_db_execute(st, e) < 0)
            return -1;
        i += update_sizes[s];
    }
    return 0;
}

/* An outcome already sent to the wallet changed: say so in the trail, and
 * send that batch's result again.  Rows this pass stored had no outcome
 * before it. */
static int write_trail(gv_store_proc_t *p, const change_t *c, time_t now,
                       gv_recompute_stats_t *stats, gv_db_error_t *e)
{
    const char *batch = p->batches[c->batch];
    char id[160], old_o[48], new_o[48];
    gv_db_stmt_t *st = p->trail;

    if (!st && !(st = p->trail = gv_db_prepare(
                     p->db,
                     "INSERT INTO gv_trail (trail_id, period, at, voucher_id, batch_id, item_no,"
                     " old_outcome, new_outcome, cause_batch)"
                     " SELECT ?, ?, ?, voucher_id, batch_id, item_no, ?, ?, ? FROM gv_occurrence"
                     " WHERE batch_id = ? AND item_no = ?",
                     e)))
        return -1;
    snprintf(id, sizeof id, "%s/%s/%u", p->cause, batch, c->item);
    outcome_text(c->old_status, (gv_reason_t)c->old_reason, old_o, sizeof old_o);
    outcome_text(c->new_status, (gv_reason_t)c->new_reason, new_o, sizeof new_o);
    if (gv_db_bind_text(st, 1, id, e) < 0 || gv_db_bind_text(st, 2, p->head.period_text, e) < 0 ||
        gv_db_bind_int64(st, 3, now, e) < 0 || gv_db_bind_text(st, 4, old_o, e) < 0 ||
        gv_db_bind_text(st, 5, new_o, e) < 0 || gv_db_bind_text(st, 6, p->cause, e) < 0 ||
        gv_db_bind_text(st, 7, batch, e) < 0 || gv_db_bind_int64(st, 8, c->item, e) < 0 ||
        gv_db_execute(st, e) < 0)
        return -1;
    stats->changed_before++;
    return c->batch != 0 ? add_revised(stats, batch, e) : 0;
}

/* Writes what one page changed, then forgets it. */
static int apply_page(gv_store_proc_t *p, time_t now, gv_recompute_stats_t *stats,
                      gv_db_error_t *e)
{
    for (size_t i = 0; i < p->nchanges; i++) {
        const change_t *c = &p->changes[i];
        int fresh = p->added && c->batch == 0;
        if ((c->flags & CH_OUTCOME) && !fresh && c->old_status != ST_NONE &&
            write_trail(p, c, now, stats, e) < 0)
            return -1;
    }
    if (write_updates(p, UPD_FLAGS, e) < 0 || write_updates(p, UPD_OUTCOME, e) < 0)
        return -1;
    p->nchanges = 0;
    return 0;
}

/* ---- reading the groups, a page at a time ------------------------------ */

/* Keys an engine may hold equal although their bytes differ (a collation
 * blind to case or to trailing blanks): a page never ends inside such a
 * run, so that the next page, which starts at its first key by the
 * engine's own comparison, reads it whole and nothing twice. */
static int loosely_equal(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);

    while (la && a[la - 1] == ' ')
        la--;
    while (lb && b[lb - 1] == ' ')
        lb--;
    return la == lb && strncasecmp(a, b, la) == 0;
}

/* Keys of groups to judge again per page, when only those are read. */
#ifdef GV_R7_PAGE_KEYS
#define PAGE_KEYS GV_R7_PAGE_KEYS
#else
#define PAGE_KEYS 500
#endif

/* A paged read, in key order, of every group of the period (group < 0):
 * "SELECT ... WHERE period = ? AND key >= ? ORDER BY key, ... LIMIT n",
 * the run of keys a full page ends in read again with the next; or of the
 * groups to judge again: a page's keys from the deduplicated table, then
 * their rows, "SELECT ... WHERE period = ? AND key IN (?, ...) ORDER BY
 * key, ...", every group whole.  Each statement does a bounded amount of
 * work whatever the size of the period. */
typedef struct pager {
    gv_store_proc_t *p;
    int group;                  /* G_IDS, G_ACCOUNTS, or -1: every group */
    const char *sql;            /* every group: without its LIMIT; else up to IN ( */
    const char *order;          /* else: ") ORDER BY ..." */
    size_t limit;
    gv_db_stmt_t *st;           /* the current page's */
    char from[64];
    long rows;                  /* of the current page */
    /* every group: the run of loosely equal keys the page ends in */
    char run_key[64];
    long run_first;             /* its first row in the page */
    size_t run_changes;         /* p->nchanges when it began */
    /* the groups to judge again */
    gv_db_stmt_t *keys_st;
    gv_db_kept_t rows_st[2];
    char (*keys)[64];
    size_t nkeys;
} pager_t;

/* The next page's keys of the groups to judge again, after g->from. */
static int pager_keys(pager_t *g, gv_db_error_t *e)
{
    int row = 0;

    if (!g->keys && !(g->keys = calloc(PAGE_KEYS, sizeof *g->keys)))
        return oom(e);
    if (!g->keys_st) {
        char sql[200];
        snprintf(sql, sizeof sql, "SELECT %s FROM %s_u WHERE %s > ? ORDER BY %s LIMIT %d",
                 group_column[g->group], group_table[g->group], group_column[g->group],
                 group_column[g->group], PAGE_KEYS);
        if (!(g->keys_st = gv_db_prepare(g->p->db, sql, e)))
            return -1;
    }
    g->nkeys = 0;
    if (gv_db_bind_text(g->keys_st, 1, g->from, e) < 0 || gv_db_execute(g->keys_st, e) < 0)
        return -1;
    while (g->nkeys < PAGE_KEYS && (row = gv_db_fetch(g->keys_st, e)) == 1)
        if (gv_db_col_text(g->keys_st, 1, g->keys[g->nkeys++], sizeof g->keys[0], e) < 0) {
            row = -1;
            break;
        }
    gv_db_close_cursor(g->keys_st);
    return row < 0 ? -1 : 0;
}

/* Runs the next page's statement: 0, 1 when there is no page left, -1. */
static int pager_open(pager_t *g, gv_db_error_t *e)
{
    gv_db_kept_t *slot;

    g->rows = 0;
    g->run_key[0] = '\0';
    g->run_first = 0;
    g->run_changes = g->p->nchanges;
    if (g->group < 0) {
        if (!g->st) {
            char sql[1024];
            snprintf(sql, sizeof sql, "%s LIMIT %zu", g->sql, g->limit);
            if (!(g->st = gv_db_prepare(g->p->db, sql, e)))
                return -1;
        }
        return gv_db_bind_text(g->st, 1, g->p->head.period_text, e) < 0 ||
                       gv_db_bind_text(g->st, 2, g->from, e) < 0 || gv_db_execute(g->st, e) < 0
                   ? -1
                   : 0;
    }
    if (pager_keys(g, e) < 0)
        return -1;
    if (!g->nkeys)
        return 1;
    if (!(g->st = gv_db_kept_for(g->rows_st, g->nkeys, PAGE_KEYS, &slot))) {
        gv_buf_reset(&g->p->sql);
        gv_buf_puts(&g->p->sql, g->sql);
        for (size_t i = 0; i < g->nkeys; i++)
            gv_buf_puts(&g->p->sql, i ? ", ?" : "?");
        if (gv_buf_puts(&g->p->sql, g->order) < 0)
            return oom(e);
        if (!(g->st = slot->st = gv_db_prepare_built(g->p->db, &g->p->sql, e)))
            return -1;
    }
    if (gv_db_bind_text(g->st, 1, g->p->head.period_text, e) < 0)
        return -1;
    for (size_t i = 0; i < g->nkeys; i++)
        if (gv_db_bind_text(g->st, (int)i + 2, g->keys[i], e) < 0)
            return -1;
    return gv_db_execute(g->st, e) < 0 ? -1 : 0;
}

/* Notes the key of the row just read. */
static void pager_key(pager_t *g, const char *key)
{
    if (g->rows == 0 || !loosely_equal(key, g->run_key)) {
        snprintf(g->run_key, sizeof g->run_key, "%s", key);
        g->run_first = g->rows;
        g->run_changes = g->p->nchanges;
    }
    g->rows++;
}

/* After a page: 1 when it was the last one; 0 when another follows (of
 * every group: the run the page ended in is dropped and read again, a
 * bigger page when it filled this one); -1 on error. */
static int pager_next(pager_t *g, gv_db_error_t *e)
{
    gv_db_close_cursor(g->st);
    if (g->group >= 0) {
        if (g->nkeys < PAGE_KEYS)
            return 1;
        snprintf(g->from, sizeof g->from, "%s", g->keys[g->nkeys - 1]);
        return 0;
    }
    if ((size_t)g->rows < g->limit)
        return 1;
    g->p->nchanges = g->run_changes;
    if (g->run_first == 0) {
        if (g->limit > ((size_t)-1) / 4)
            return oom(e);
        g->limit *= 2;
        gv_db_stmt_free(g->st);
        g->st = NULL;
    }
    snprintf(g->from, sizeof g->from, "%s", g->run_key);
    return 0;
}

static void pager_close(pager_t *g)
{
    if (g->group < 0)
        gv_db_stmt_free(g->st);
    g->st = NULL;
    gv_db_kept_drop(g->rows_st);
    gv_db_stmt_free(g->keys_st);
    free(g->keys);
}

/* The values sent to table g, each once, into its twin with a primary
 * key (one statement over the few values sent). */
static int dedupe(gv_store_proc_t *p, int g, gv_db_error_t *e)
{
    char sql[200];

    snprintf(sql, sizeof sql, "INSERT INTO %s_u (%s) SELECT DISTINCT %s FROM %s", group_table[g],
             group_column[g], group_column[g], group_table[g]);
    return flush_suspects(p, g, e) < 0 ? -1 : gv_db_exec(p->db, sql, e);
}

/* Pass 1, by voucher id: which occurrence of each id stands, which are a
 * different content under the same id (DUPLICATE_VOUCHER), and the final
 * outcome of every occurrence that R6/R2/R4 or R7's DUPLICATE_VOUCHER
 * decides alone. */
static int pass_by_voucher(gv_store_proc_t *p, int all, time_t now, gv_recompute_stats_t *stats,
                           gv_db_error_t *e)
{
#define PASS1_COLUMNS                                                                    \
    "SELECT batch_id, item_no, voucher_id, content_sha, pre_reason, standing, dupv, status," \
    " reason, account_norm FROM gv_occurrence WHERE period = ? AND voucher_id "
    pager_t g = {
        .p = p,
        .group = all ? -1 : G_IDS,
        .sql = all ? PASS1_COLUMNS ">= ? ORDER BY voucher_id, part, batch_id, item_no"
                   : PASS1_COLUMNS "IN (",
        .order = ") ORDER BY voucher_id, part, batch_id, item_no",
        .limit = PAGE_ROWS,
    };
    int row, more, opened;

    if (!all && dedupe(p, G_IDS, e) < 0)
        return -1;
    do {
        char prev_id[32] = "", first_sha[65] = "";
        if ((opened = pager_open(&g, e)) < 0)
            goto fail;
        if (opened == 1)
            break;
        while ((row = gv_db_fetch(g.st, e)) == 1) {
            char batch[40], id[32], sha[65], pre[40], status[16], reason[40], account[64];
            long item, standing, dupv;
            change_t c = { 0 };
            int now_standing, now_dupv;
            if (gv_db_col_text(g.st, 1, batch, sizeof batch, e) < 0 ||
                gv_db_col_long(g.st, 2, &item, e) < 0 ||
                gv_db_col_text(g.st, 3, id, sizeof id, e) < 0 ||
                gv_db_col_text(g.st, 4, sha, sizeof sha, e) < 0 ||
                gv_db_col_text(g.st, 5, pre, sizeof pre, e) < 0 ||
                gv_db_col_long(g.st, 6, &standing, e) < 0 ||
                gv_db_col_long(g.st, 7, &dupv, e) < 0 ||
                gv_db_col_text(g.st, 8, status, sizeof status, e) < 0 ||
                gv_db_col_text(g.st, 9, reason, sizeof reason, e) < 0 ||
                gv_db_col_text(g.st, 10, account, sizeof account, e) < 0)
                goto fail;
            pager_key(&g, id);
            /* Its account's group is judged again too (its standing and
             * dupv may change, and with them who R7 compares). */
            if (!all && suspect(p, G_ACCOUNTS, account, e) < 0)
                goto fail;
            now_standing = strcmp(id, prev_id) != 0;
            if (now_standing) {
                snprintf(prev_id, sizeof prev_id, "%s", id);
                snprintf(first_sha, sizeof first_sha, "%s", sha);
            }
            now_dupv = !now_standing && strcmp(sha, first_sha) != 0;
            if (intern_batch(p, batch, &c.batch, e) < 0)
                goto fail;
            c.item = (uint32_t)item;
            if (now_standing != standing || now_dupv != dupv) {
                c.flags = CH_FLAGS;
                c.standing = (uint8_t)now_standing;
                c.dupv = (uint8_t)now_dupv;
            }
            if (pre[0])
                note_outcome(&c, status_code(status), reason_code(reason), reason_code(pre));
            else if (now_dupv)
                note_outcome(&c, status_code(status), reason_code(reason),
                             GV_REASON_DUPLICATE_VOUCHER);
            if (c.flags && push_change(p, &c, e) < 0)
                goto fail;
        }
        if (row < 0 || (more = pager_next(&g, e)) < 0 || apply_page(p, now, stats, e) < 0)
            goto fail;
    } while (!more);
    pager_close(&g);
    return 0;
fail:
    pager_close(&g);
    return -1;
}

/* One row of pass 2, held while its account's group is read. */
typedef struct group_row {
    uint32_t batch, item;
    char voucher_id[32];
    int64_t activated;
    int standing;
    gv_reason_t account_reason, old_reason;
    int old_status;
} group_row_t;

typedef struct group {
    group_row_t *rows;
    gv_r7_row_t *r7;
    size_t n, cap;
} group_t;

static int resolve_group(gv_store_proc_t *p, group_t *g, gv_db_error_t *e)
{
    for (size_t i = 0; i < g->n; i++) {
        group_row_t *r = &g->rows[i];
        gv_reason_t account_reason = r->account_reason;
        /* A follower is judged as its standing occurrence (same content,
         * same account, so it is in this group). */
        if (!r->standing)
            for (size_t k = 0; k < g->n; k++)
                if (g->rows[k].standing && !strcmp(g->rows[k].voucher_id, r->voucher_id)) {
                    account_reason = g->rows[k].account_reason;
                    break;
                }
        g->r7[i] = (gv_r7_row_t){ r->voucher_id, r->activated, r->standing, account_reason,
                                  GV_REASON_NONE };
    }
    gv_r7_resolve(g->r7, g->n);
    for (size_t i = 0; i < g->n; i++) {
        change_t c = { 0 };
        c.batch = g->rows[i].batch;
        c.item = g->rows[i].item;
        note_outcome(&c, g->rows[i].old_status, g->rows[i].old_reason, g->r7[i].outcome);
        if (c.flags && push_change(p, &c, e) < 0)
            return -1;
    }
    g->n = 0;
    return 0;
}

static int group_push(group_t *g, const group_row_t *r, gv_db_error_t *e)
{
    if (g->n == g->cap) {
        size_t cap = g->cap ? 2 * g->cap : 16;
        void *a = realloc(g->rows, cap * sizeof *g->rows), *b;
        if (!a)
            return oom(e);
        g->rows = a;
        if (!(b = realloc(g->r7, cap * sizeof *g->r7)))
            return oom(e);
        g->r7 = b;
        g->cap = cap;
    }
    g->rows[g->n++] = *r;
    return 0;
}

/* Pass 2, by account: R8 and R7's one voucher per account and period,
 * over the occurrences pass 1 left undecided. */
static int pass_by_account(gv_store_proc_t *p, int all, time_t now, gv_recompute_stats_t *stats,
                           gv_db_error_t *e)
{
#define PASS2_COLUMNS                                                                        \
    "SELECT batch_id, item_no, account_norm, voucher_id, activated_at, standing, account_reason," \
    " status, reason FROM gv_occurrence WHERE period = ? AND pre_reason IS NULL AND dupv = 0"   \
    " AND account_norm "
    pager_t g = {
        .p = p,
        .group = all ? -1 : G_ACCOUNTS,
        .sql = all ? PASS2_COLUMNS ">= ? ORDER BY account_norm, voucher_id" : PASS2_COLUMNS "IN (",
        .order = ") ORDER BY account_norm, voucher_id",
        .limit = PAGE_ROWS,
    };
    group_t grp = { 0 };
    int row, more, rc = -1, opened;

    if (!all && dedupe(p, G_ACCOUNTS, e) < 0)
        return -1;
    do {
        char prev_account[64] = "";
        grp.n = 0;
        if ((opened = pager_open(&g, e)) < 0)
            goto done;
        if (opened == 1)
            break;
        while ((row = gv_db_fetch(g.st, e)) == 1) {
            char batch[40], account[64], areason[40], status[16], reason[40];
            long item, standing;
            group_row_t r = { 0 };
            if (gv_db_col_text(g.st, 1, batch, sizeof batch, e) < 0 ||
                gv_db_col_long(g.st, 2, &item, e) < 0 ||
                gv_db_col_text(g.st, 3, account, sizeof account, e) < 0 ||
                gv_db_col_text(g.st, 4, r.voucher_id, sizeof r.voucher_id, e) < 0 ||
                gv_db_col_int64(g.st, 5, &r.activated, e) < 0 ||
                gv_db_col_long(g.st, 6, &standing, e) < 0 ||
                gv_db_col_text(g.st, 7, areason, sizeof areason, e) < 0 ||
                gv_db_col_text(g.st, 8, status, sizeof status, e) < 0 ||
                gv_db_col_text(g.st, 9, reason, sizeof reason, e) < 0)
                goto done;
            /* Groups are cut on the exact bytes: an engine that sorts
             * without regard to case still keeps equal strings together. */
            if (grp.n && strcmp(account, prev_account) != 0 && resolve_group(p, &grp, e) < 0)
                goto done;
            pager_key(&g, account);
            snprintf(prev_account, sizeof prev_account, "%s", account);
            if (intern_batch(p, batch, &r.batch, e) < 0)
                goto done;
            r.item = (uint32_t)item;
            r.standing = (int)standing;
            r.account_reason = reason_code(areason);
            r.old_status = status_code(status);
            r.old_reason = reason_code(reason);
            if (group_push(&grp, &r, e) < 0)
                goto done;
        }
        if (row < 0 || (more = pager_next(&g, e)) < 0)
            goto done;
        /* The last group is whole on the last page, and on every page of
         * the groups to judge again (read whole by their keys). */
        if ((more || g.group >= 0) && grp.n && resolve_group(p, &grp, e) < 0)
            goto done;
        if (apply_page(p, now, stats, e) < 0)
            goto done;
    } while (!more);
    rc = 0;
done:
    pager_close(&g);
    free(grp.rows);
    free(grp.r7);
    return rc;
}

/* ---- judging the period ------------------------------------------------- */

/* Rows of the period: a batch's are all there once it is processed. */
static int count_period(gv_store_proc_t *p, long *n, gv_db_error_t *e)
{
    gv_db_stmt_t *st = gv_db_prepare(p->db,
                                     "SELECT SUM(voucher_count) FROM gv_batch"
                                     " WHERE period = ? AND state = 'PROCESSED' AND batch_id <> ?",
                                     e);
    int rc = -1, row;

    *n = 0;
    if (!st)
        return -1;
    if (gv_db_bind_text(st, 1, p->head.period_text, e) == 0 &&
        gv_db_bind_text(st, 2, p->head.batch_id, e) == 0 && gv_db_execute(st, e) == 0 &&
        (row = gv_db_fetch(st, e)) >= 0 && (row == 0 || gv_db_col_long(st, 1, n, e) == 0))
        rc = 0;
    gv_db_stmt_free(st);
    *n += p->head.voucher_count;
    return rc;
}

int gv_store_proc_finish(gv_store_proc_t *p, time_t now, gv_recompute_stats_t *stats,
                         gv_db_error_t *e)
{
    gv_db_stmt_t *st;
    int64_t marked = 0;
    int all = !p->added, rc;

    memset(stats, 0, sizeof *stats);
    p->nchanges = 0;
    /* Without a group to judge again (a list whose ids and accounts are
     * all new to the period), every row stands as it was written. */
    if (count_period(p, &stats->occurrences, e) < 0 ||
        ((all || p->candidates[G_IDS] || p->nsuspect[G_IDS]) &&
         pass_by_voucher(p, all, now, stats, e) < 0) ||
        ((all || p->candidates[G_ACCOUNTS] || p->nsuspect[G_ACCOUNTS]) &&
         pass_by_account(p, all, now, stats, e) < 0))
        return -1;
    /* Once: a batch another process marked meanwhile is not processed
     * again, whatever the leases said (the caller rolls back). */
    st = gv_db_prepare(p->db,
                       p->rejudging ? "UPDATE gv_batch SET state = 'PROCESSED', processed_at = ?"
                                      " WHERE batch_id = ?"
                                    : "UPDATE gv_batch SET state = 'PROCESSED', processed_at = ?"
                                      " WHERE batch_id = ? AND state = 'RECEIVED'",
                       e);
    if (!st)
        return -1;
    rc = gv_db_bind_int64(st, 1, now, e) < 0 || gv_db_bind_text(st, 2, p->head.batch_id, e) < 0 ||
                 gv_db_execute(st, e) < 0 || gv_db_row_count(st, &marked, e) < 0
             ? -1
             : 0;
    gv_db_stmt_free(st);
    if (rc == 0 && marked != 1 && !p->rejudging) {
        e->action = GV_DB_PERMANENT;
        snprintf(e->msg, sizeof e->msg, "batch %s was processed meanwhile by another process",
                 p->head.batch_id);
        rc = -1;
    }
    return rc;
}

void gv_recompute_stats_free(gv_recompute_stats_t *s)
{
    free(s->revised);
    s->revised = NULL;
    s->nrevised = 0;
}

/* ---- re-keying --------------------------------------------------------- */

static int each_text(gv_db_t *db, const char *sql, const char *arg,
                     int (*fn)(void *ud, const char *text), void *ud, gv_db_error_t *e)
{
    gv_db_stmt_t *st = gv_db_prepare(db, sql, e);
    int row;

    if (!st)
        return -1;
    if ((arg && gv_db_bind_text(st, 1, arg, e) < 0) || gv_db_execute(st, e) < 0) {
        gv_db_stmt_free(st);
        return -1;
    }
    while ((row = gv_db_fetch(st, e)) == 1) {
        char text[GV_SITE_ACCOUNT_MAX + 8];
        if (gv_db_col_text(st, 1, text, sizeof text, e) < 0) {
            row = -1;
            break;
        }
        if (fn(ud, text) < 0) {
            e->action = GV_DB_PERMANENT;
            snprintf(e->msg, sizeof e->msg, "out of memory");
            row = -1;
            break;
        }
    }
    gv_db_stmt_free(st);
    return row < 0 ? -1 : 0;
}

int gv_store_site_accounts(gv_db_t *db, int (*fn)(void *ud, const char *account), void *ud,
                           gv_db_error_t *e)
{
    return each_text(db,
                     "SELECT DISTINCT account_norm FROM gv_occurrence WHERE pre_reason IS NULL"
                     " AND (account_reason IS NULL OR account_reason <> 'UNKNOWN_ACCOUNT')"
                     " AND account_norm NOT LIKE '?%' ORDER BY account_norm",
                     NULL, fn, ud, e);
}

/* Runs sql with two text values bound; rows counted into *n when given. */
static int exec2(gv_db_t *db, const char *sql, const char *a, const char *b, int64_t *n,
                 gv_db_error_t *e)
{
    gv_db_stmt_t *st = gv_db_prepare(db, sql, e);
    int rc = -1;

    if (st && gv_db_bind_text(st, 1, a, e) == 0 && gv_db_bind_text(st, 2, b, e) == 0 &&
        gv_db_execute(st, e) == 0) {
        rc = 0;
        if (n) {
            int row = gv_db_fetch(st, e);
            if (row < 0 || (row == 1 && gv_db_col_int64(st, 1, n, e) < 0))
                rc = -1;
        }
    }
    gv_db_stmt_free(st);
    return rc;
}

int gv_store_rekey(gv_db_t *db, const char *from, const char *to, int *clash,
                   int (*fn)(void *ud, const char *period), void *ud, gv_db_error_t *e)
{
    int64_t both = 0;

    *clash = 0;
    if (exec2(db, "UPDATE gv_occurrence SET account_norm = ? WHERE account_norm = ?", to, from,
              NULL, e) < 0 ||
        exec2(db,
              "SELECT COUNT(*) FROM gv_bill a JOIN gv_bill b ON b.period = a.period"
              " WHERE a.account = ? AND b.account = ?",
              from, to, &both, e) < 0)
        return -1;
    if (both)
        *clash = 1;
    else if (exec2(db, "UPDATE gv_bill SET account = ? WHERE account = ?", to, from, NULL, e) < 0)
        return -1;
    return each_text(db, "SELECT DISTINCT period FROM gv_occurrence WHERE account_norm = ?", to,
                     fn, ud, e);
}

/* ---- results ------------------------------------------------------- */

int gv_store_batch_items(gv_db_t *db, const char *batch_id, long *accepted, long *rejected,
                         gv_item_fn fn, void *ud, gv_db_error_t *e)
{
    enum { PAGE = 10000, RANGE = 100000 };
    gv_db_stmt_t *st;
    int row;

    *accepted = *rejected = 0;
    if (!fn) {
        /* The counts, a range of item numbers per statement, so that no
         * statement's work grows with the batch (query_timeout). */
        st = gv_db_prepare(db,
                           "SELECT status, COUNT(*) FROM gv_occurrence WHERE batch_id = ?"
                           " AND item_no > ? AND item_no <= ? GROUP BY status",
                           e);
        if (!st)
            return -1;
        for (long from = 0, rows = 1; rows; from += RANGE) {
            rows = 0;
            if (gv_db_bind_text(st, 1, batch_id, e) < 0 || gv_db_bind_int64(st, 2, from, e) < 0 ||
                gv_db_bind_int64(st, 3, from + RANGE, e) < 0 || gv_db_execute(st, e) < 0)
                goto fail;
            while ((row = gv_db_fetch(st, e)) == 1) {
                char status[16];
                long n;
                if (gv_db_col_text(st, 1, status, sizeof status, e) < 0 ||
                    gv_db_col_long(st, 2, &n, e) < 0)
                    goto fail;
                rows += n;
                if (status_code(status) == ST_ACCEPTED)
                    *accepted += n;
                else
                    *rejected += n;
            }
            gv_db_close_cursor(st);
            if (row < 0)
                goto fail;
        }
        gv_db_stmt_free(st);
        return 0;
    }
    /* A page at a time, by item number: a driver that holds a whole result
     * in memory (MariaDB Connector/ODBC before 3.1.17) holds one page. */
    st = gv_db_prepare(db,
                       "SELECT item_no, voucher_id, status, reason FROM gv_occurrence"
                       " WHERE batch_id = ? AND item_no > ? ORDER BY item_no LIMIT 10000",
                       e);
    if (!st)
        return -1;
    for (long after = 0, rows = PAGE; rows == PAGE;) {
        rows = 0;
        if (gv_db_bind_text(st, 1, batch_id, e) < 0 || gv_db_bind_int64(st, 2, after, e) < 0 ||
            gv_db_execute(st, e) < 0)
            goto fail;
        while ((row = gv_db_fetch(st, e)) == 1) {
            char id[32], status[16], reason[40];
            int ok;
            rows++;
            if (gv_db_col_long(st, 1, &after, e) < 0 || gv_db_col_text(st, 2, id, sizeof id, e) < 0 ||
                gv_db_col_text(st, 3, status, sizeof status, e) < 0 ||
                gv_db_col_text(st, 4, reason, sizeof reason, e) < 0)
                goto fail;
            ok = status_code(status) == ST_ACCEPTED;
            if (ok)
                (*accepted)++;
            else
                (*rejected)++;
            if (fn(ud, id, ok, reason) < 0) {
                e->action = GV_DB_PERMANENT;
                snprintf(e->msg, sizeof e->msg, "cannot write the result");
                goto fail;
            }
        }
        gv_db_close_cursor(st);
        if (row < 0)
            goto fail;
    }
    gv_db_stmt_free(st);
    return 0;
fail:
    gv_db_stmt_free(st);
    return -1;
}

/* ---- outbox ------------------------------------------------------- */

#define OUTBOX_COLS                                                                     \
    "msg_id, kind, ref, period, endpoint, body_name, sha256, created_at, state, attempts," \
    " next_attempt_at, last_status, last_error, delivered_at"

int gv_store_outbox_insert(gv_db_t *db, const gv_outbox_row_t *r, gv_db_error_t *e)
{
    gv_db_stmt_t *st = gv_db_prepare(
        db,
        "INSERT INTO gv_outbox (" OUTBOX_COLS ")"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'PENDING', 0, ?, 0, '', NULL)",
        e);
    int rc;

    if (!st)
        return -1;
    rc = gv_db_bind_text(st, 1, r->msg_id, e) < 0 || gv_db_bind_text(st, 2, r->kind, e) < 0 ||
                 gv_db_bind_text(st, 3, r->ref, e) < 0 || gv_db_bind_text(st, 4, r->period, e) < 0 ||
                 gv_db_bind_text(st, 5, r->endpoint, e) < 0 ||
                 gv_db_bind_text(st, 6, r->body_name, e) < 0 ||
                 gv_db_bind_text(st, 7, r->sha256, e) < 0 ||
                 gv_db_bind_int64(st, 8, r->created_at, e) < 0 ||
                 gv_db_bind_int64(st, 9, r->created_at, e) < 0 || gv_db_execute(st, e) < 0
             ? -1
             : 0;
    gv_db_stmt_free(st);
    return rc;
}

static int read_outbox_row(gv_db_stmt_t *st, void *row, gv_db_error_t *e)
{
    gv_outbox_row_t *r = row;

    memset(r, 0, sizeof *r);
    return gv_db_col_text(st, 1, r->msg_id, sizeof r->msg_id, e) < 0 ||
                   gv_db_col_text(st, 2, r->kind, sizeof r->kind, e) < 0 ||
                   gv_db_col_text(st, 3, r->ref, sizeof r->ref, e) < 0 ||
                   gv_db_col_text(st, 4, r->period, sizeof r->period, e) < 0 ||
                   gv_db_col_text(st, 5, r->endpoint, sizeof r->endpoint, e) < 0 ||
                   gv_db_col_text(st, 6, r->body_name, sizeof r->body_name, e) < 0 ||
                   gv_db_col_text(st, 7, r->sha256, sizeof r->sha256, e) < 0 ||
                   gv_db_col_int64(st, 8, &r->created_at, e) < 0 ||
                   gv_db_col_text(st, 9, r->state, sizeof r->state, e) < 0 ||
                   gv_db_col_long(st, 10, &r->attempts, e) < 0 ||
                   gv_db_col_int64(st, 11, &r->next_attempt_at, e) < 0 ||
                   gv_db_col_long(st, 12, &r->last_status, e) < 0 ||
                   gv_db_col_text(st, 13, r->last_error, sizeof r->last_error, e) < 0 ||
                   gv_db_col_int64(st, 14, &r->delivered_at, e) < 0
               ? -1
               : 0;
}

static int query_outbox(gv_db_t *db, const char *sql, const char *text, int64_t num,
                        gv_outbox_row_t *rows, int max, gv_db_error_t *e)
{
    return query_rows(db, sql, text, num, rows, sizeof *rows, max, read_outbox_row, e);
}

int gv_store_outbox_list(gv_db_t *db, const char *state, int64_t due_before,
                         gv_outbox_row_t *rows, int max, gv_db_error_t *e)
{
    char sql[512];

    snprintf(sql, sizeof sql, "SELECT " OUTBOX_COLS " FROM gv_outbox WHERE 1 = 1%s%s"
             " ORDER BY created_at, msg_id",
             state ? " AND state = ?" : "", due_before > 0 ? " AND next_attempt_at <= ?" : "");
    return query_outbox(db, sql, state, due_before, rows, max, e);
}

int gv_store_outbox_get(gv_db_t *db, const char *msg_id, gv_outbox_row_t *row, gv_db_error_t *e)
{
    return query_outbox(db, "SELECT " OUTBOX_COLS " FROM gv_outbox WHERE msg_id = ?", msg_id, 0,
                        row, 1, e);
}

int gv_store_outbox_attempt(gv_db_t *db, const char *msg_id, const char *state, long attempts,
                            int64_t next_attempt_at, long status, const char *error,
                            int64_t delivered_at, gv_db_error_t *e)
{
    gv_db_stmt_t *st = gv_db_prepare(
        db,
        "UPDATE gv_outbox SET state = ?, attempts = ?, next_attempt_at = ?, last_status = ?,"
        " last_error = ?, delivered_at = ? WHERE msg_id = ?",
        e);
    char err[256];
    int rc;

    if (!st)
        return -1;
    snprintf(err, sizeof err, "%s", error ? error : "");
    rc = gv_db_bind_text(st, 1, state, e) < 0 || gv_db_bind_int64(st, 2, attempts, e) < 0 ||
                 gv_db_bind_int64(st, 3, next_attempt_at, e) < 0 ||
                 gv_db_bind_int64(st, 4, status, e) < 0 || gv_db_bind_text(st, 5, err, e) < 0 ||
                 (delivered_at ? gv_db_bind_int64(st, 6, delivered_at, e)
                               : gv_db_bind_null(st, 6, e)) < 0 ||
                 gv_db_bind_text(st, 7, msg_id, e) < 0 || gv_db_execute(st, e) < 0
             ? -1
             : 0;
    gv_db_stmt_free(st);
    return rc;
}

/* ---- trail --------------------------------------------------------- */

int gv_store_trail(gv_db_t *db, const char *period, gv_trail_fn fn, void *ud, gv_db_error_t *e)
{
    gv_db_stmt_t *st = gv_db_prepare(
        db,
        "SELECT at, voucher_id, batch_id, item_no, old_outcome, new_outcome, cause_batch"
        " FROM gv_trail WHERE period = ? ORDER BY at, trail_id",
        e);
    int row;

    if (!st)
        return -1;
    if (gv_db_bind_text(st, 1, period, e) < 0 || gv_db_execute(st, e) < 0)
        goto fail;
    while ((row = gv_db_fetch(st, e)) == 1) {
        int64_t at;
        long item;
        char id[32], batch[40], o[48], n[48], cause[40];
        if (gv_db_col_int64(st, 1, &at, e) < 0 || gv_db_col_text(st, 2, id, sizeof id, e) < 0 ||
            gv_db_col_text(st, 3, batch, sizeof batch, e) < 0 || gv_db_col_long(st, 4, &item, e) < 0 ||
            gv_db_col_text(st, 5, o, sizeof o, e) < 0 || gv_db_col_text(st, 6, n, sizeof n, e) < 0 ||
            gv_db_col_text(st, 7, cause, sizeof cause, e) < 0)
            goto fail;
        if (fn(ud, at, id, batch, item, o, n, cause) < 0)
            break;
    }
    if (row < 0)
        goto fail;
    gv_db_stmt_free(st);
    return 0;
fail:
    gv_db_stmt_free(st);
    return -1;
}
