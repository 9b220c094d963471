/* files.c - spool files' bytes in gv_file and gv_file_part (see files.h). */
#include "config.h"
#include "files.h"
#include "column.h"
#include "fsutil.h"
#include "sig.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

enum {
    PART_BYTES = GV_FILE_PART_CHARS / 4 * 3,
    ROWS_PER_INSERT = 64,       /* parts in one multi-row INSERT */
};

static int fail(gv_db_error_t *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(gv_db_error_t *e, const char *fmt, ...)
{
    va_list ap;

    e->action = GV_DB_PERMANENT;
    e->sqlstate[0] = '\0';
    e->native = 0;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    return -1;
}

/* "INSERT INTO gv_file_part ... VALUES (?, ?, ?), ..." for n rows. */
static gv_db_stmt_t *prepare_parts(gv_db_t *db, int n, gv_db_error_t *e)
{
    char sql[64 + ROWS_PER_INSERT * 12];
    size_t len = (size_t)snprintf(sql, sizeof sql,
                                  "INSERT INTO gv_file_part (name, seq, part_b64) VALUES ");

    for (int i = 0; i < n; i++)
        len += (size_t)snprintf(sql + len, sizeof sql - len, "%s(?, ?, ?)", i ? ", " : "");
    return gv_db_prepare(db, sql, e);
}

/* Inserts the n parts in buf (len bytes, PART_BYTES each but the last),
 * numbered from seq. */
static int insert_parts(gv_db_stmt_t *st, const char *name, int64_t seq,
                        const unsigned char *buf, size_t len, gv_db_error_t *e)
{
    int idx = 1;

    for (size_t off = 0; off < len; off += PART_BYTES, seq++) {
        size_t n = len - off < PART_BYTES ? len - off : PART_BYTES;
        char *b64 = gv_sig_base64_encode(buf + off, n);
        int rc;
        if (!b64)
            return fail(e, "out of memory");
        rc = gv_db_bind_text(st, idx, name, e) < 0 || gv_db_bind_int64(st, idx + 1, seq, e) < 0 ||
             gv_db_bind_text(st, idx + 2, b64, e) < 0;
        free(b64);
        if (rc)
            return -1;
        idx += 3;
    }
    return gv_db_execute(st, e);
}

static int drop(gv_db_t *db, const char *sql, const char *name, gv_db_error_t *e)
{
    gv_db_stmt_t *st = gv_db_prepare(db, sql, e);
    int rc;

    if (!st)
        return -1;
    rc = gv_db_bind_text(st, 1, name, e) < 0 || gv_db_execute(st, e) < 0 ? -1 : 0;
    gv_db_stmt_free(st);
    return rc;
}

int gv_store_file_put(gv_db_t *db, const char *name, const char *path, int64_t now,
                      gv_db_error_t *e)
{
    enum { BLOCK = PART_BYTES * ROWS_PER_INSERT };
    unsigned char *buf, md[32];
    unsigned int mdlen = 0;
    EVP_MD_CTX *ctx;
    gv_db_stmt_t *full = NULL, *st = NULL;
    int64_t seq = 0, size = 0;
    char sha[65];
    int fd = -1, rc = -1;

    if (strlen(name) > GV_FILE_NAME_MAX)
        return fail(e, "%s: name too long to store", name);
    buf = malloc(BLOCK);
    ctx = EVP_MD_CTX_new();
    if (!buf || !ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
        fail(e, "out of memory");
        goto out;
    }
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
        fail(e, "%s: %s", path, strerror(errno));
        goto out;
    }
    /* Bytes under this name without the row that names them (that row
     * deleted by hand) are replaced: the row being written now counts. */
    if (drop(db, "DELETE FROM gv_file_part WHERE name = ?", name, e) < 0 ||
        drop(db, "DELETE FROM gv_file WHERE name = ?", name, e) < 0)
        goto out;
    for (;;) {
        size_t len = 0;
        ssize_t n;
        /* A whole block, so that only the file's last statement is short. */
        while (len < BLOCK && (n = read(fd, buf + len, BLOCK - len)) != 0) {
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                fail(e, "%s: %s", path, strerror(errno));
                goto out;
            }
            len += (size_t)n;
        }
        if (len == 0)
            break;
        EVP_DigestUpdate(ctx, buf, len);
        if (len == BLOCK) {
            if (!full && !(full = prepare_parts(db, ROWS_PER_INSERT, e)))
                goto out;
            st = full;
        } else if (!(st = prepare_parts(db, (int)((len + PART_BYTES - 1) / PART_BYTES), e))) {
            goto out;
        }
        rc = insert_parts(st, name, seq, buf, len, e);
        if (st != full)
            gv_db_stmt_free(st);
        st = NULL;
        if (rc < 0)
            goto out;
        rc = -1;
        seq += (int64_t)((len + PART_BYTES - 1) / PART_BYTES);
        size += (int64_t)len;
        if (len < BLOCK)
            break;
    }
    if (!EVP_DigestFinal_ex(ctx, md, &mdlen)) {
        fail(e, "%s: cannot hash", path);
        goto out;
    }
    gv_sha256_hex(md, sha);
    if (!(st = gv_db_prepare(db,
                             "INSERT INTO gv_file (name, size_bytes, parts, sha256, created_at)"
                             " VALUES (?, ?, ?, ?, ?)",
                             e)))
        goto out;
    rc = gv_db_bind_text(st, 1, name, e) < 0 || gv_db_bind_int64(st, 2, size, e) < 0 ||
                 gv_db_bind_int64(st, 3, seq, e) < 0 || gv_db_bind_text(st, 4, sha, e) < 0 ||
                 gv_db_bind_int64(st, 5, now, e) < 0 || gv_db_execute(st, e) < 0
             ? -1
             : 0;
out:
    if (fd >= 0)
        close(fd);
    gv_db_stmt_free(st);
    gv_db_stmt_free(full);
    EVP_MD_CTX_free(ctx);
    free(buf);
    return rc;
}

/* The record of name: 1 found, 0 not, -1 error. */
static int file_head(gv_db_t *db, const char *name, int64_t *size, int64_t *parts,
                     char sha[65], gv_db_error_t *e)
{
    gv_db_stmt_t *st = gv_db_prepare(
        db, "SELECT size_bytes, parts, sha256 FROM gv_file WHERE name = ?", e);
    int found;

    if (!st)
        return -1;
    if (gv_db_bind_text(st, 1, name, e) < 0 || gv_db_execute(st, e) < 0 ||
        (found = gv_db_fetch(st, e)) < 0 ||
        (found && (gv_db_col_int64(st, 1, size, e) < 0 || gv_db_col_int64(st, 2, parts, e) < 0 ||
                   gv_db_col_text(st, 3, sha, 65, e) < 0)))
        found = -1;
    gv_db_stmt_free(st);
    return found;
}

int gv_store_file_has(gv_db_t *db, const char *name, gv_db_error_t *e)
{
    int64_t size, parts;
    char sha[65];

    return file_head(db, name, &size, &parts, sha, e);
}

/* Streams name's parts into fd, hashing them; checks their numbering. */
static int copy_parts(gv_db_t *db, const char *name, int fd, int64_t parts, int64_t *size,
                      char sha[65], gv_db_error_t *e)
{
    gv_db_stmt_t *st = gv_db_prepare(
        db, "SELECT seq, part_b64 FROM gv_file_part WHERE name = ? ORDER BY seq", e);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char md[32];
    unsigned int mdlen = 0;
    int64_t want = 0;
    int row = -1;

    *size = 0;
    if (!st || !ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
        if (st)
            fail(e, "out of memory");
        goto out;
    }
    if (gv_db_bind_text(st, 1, name, e) < 0 || gv_db_execute(st, e) < 0)
        goto out;
    while ((row = gv_db_fetch(st, e)) == 1) {
        char b64[GV_FILE_PART_CHARS + 1];
        unsigned char *bytes = NULL;
        size_t len = 0;
        int64_t seq;
        gv_err_t why;
        if (gv_db_col_int64(st, 1, &seq, e) < 0 ||
            gv_db_col_text(st, 2, b64, sizeof b64, e) < 0) {
            row = -1;
            break;
        }
        if (seq != want) {
            row = fail(e, "%s: stored part %lld where %lld was due", name, (long long)seq,
                       (long long)want);
            break;
        }
        if (gv_sig_base64_decode(b64, &bytes, &len, &why) < 0) {
            row = fail(e, "%s: stored part %lld: %s", name, (long long)seq, why.msg);
            break;
        }
        EVP_DigestUpdate(ctx, bytes, len);
        if (gv_write_all(fd, bytes, len) < 0) {
            free(bytes);
            row = fail(e, "%s: %s", name, strerror(errno));
            break;
        }
        free(bytes);
        *size += (int64_t)len;
        want++;
    }
    if (row == 0 && want != parts)
        row = fail(e, "%s: %lld of its %lld parts are stored", name, (long long)want,
                   (long long)parts);
    if (row == 0 && !EVP_DigestFinal_ex(ctx, md, &mdlen))
        row = fail(e, "%s: cannot hash", name);
    if (row == 0)
        gv_sha256_hex(md, sha);
out:
    EVP_MD_CTX_free(ctx);
    gv_db_stmt_free(st);
    return row == 0 ? 0 : -1;
}

int gv_store_file_get(gv_db_t *db, const char *name, const char *path, gv_db_error_t *e)
{
    char tmp[PATH_MAX], want_sha[65], got_sha[65] = "";
    int64_t want_size, parts, got_size;
    gv_err_t why;
    int found, fd;
    char *slash;

    if ((found = file_head(db, name, &want_size, &parts, want_sha, e)) <= 0)
        return found;
    if ((size_t)snprintf(tmp, sizeof tmp, "%s", path) >= sizeof tmp - 16)
        return fail(e, "%s: path too long", path);
    if ((slash = strrchr(tmp, '/'))) {
        *slash = '\0';
        if (gv_mkdirs(tmp, &why) < 0)
            return fail(e, "%s", why.msg);
        *slash = '/';
    }
    strcat(tmp, ".get-XXXXXX");
    if ((fd = mkstemp(tmp)) < 0)
        return fail(e, "%s: %s", tmp, strerror(errno));
    /* Spool files carry account numbers: 0640, as every file written there. */
    if (fchmod(fd, 0640) < 0) {
        fail(e, "%s: %s", tmp, strerror(errno));
        close(fd);
        unlink(tmp);
        return -1;
    }
    if (copy_parts(db, name, fd, parts, &got_size, got_sha, e) < 0) {
        close(fd);
        unlink(tmp);
        return -1;
    }
    if (close(fd) < 0) {
        unlink(tmp);
        return fail(e, "%s: %s", tmp, strerror(errno));
    }
    if (got_size != want_size || strcmp(got_sha, want_sha) != 0) {
        unlink(tmp);
        return fail(e, "%s: the stored bytes (%lld, sha256 %s) are not the ones recorded "
                       "(%lld, sha256 %s)",
                    name, (long long)got_size, got_sha, (long long)want_size, want_sha);
    }
    if (gv_move_durably(tmp, path, &why) < 0) {
        unlink(tmp);
        return fail(e, "%s", why.msg);
    }
    return 1;
}

/* ---- adopting a spool (db migrate) ---------------------------------------- */

typedef struct names {
    char (*v)[GV_FILE_NAME_MAX + 1];
    size_t n, cap;
} names_t;

static int names_add(names_t *s, const char *dir, const char *file, const char *ext,
                     gv_db_error_t *e)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        void *v = realloc(s->v, cap * sizeof *s->v);
        if (!v)
            return fail(e, "out of memory");
        s->v = v;
        s->cap = cap;
    }
    if ((size_t)snprintf(s->v[s->n], sizeof s->v[0], "%s/%s%s", dir, file, ext) >=
        sizeof s->v[0])
        return fail(e, "%s/%s%s: name too long to store", dir, file, ext);
    s->n++;
    return 0;
}

static int list_names(gv_db_t *db, const char *sql, const char *dir, names_t *s,
                      gv_db_error_t *e)
{
    gv_db_stmt_t *st = gv_db_prepare(db, sql, e);
    int row = -1;

    if (!st)
        return -1;
    if (gv_db_execute(st, e) == 0)
        while ((row = gv_db_fetch(st, e)) == 1) {
            char file[GV_FILE_NAME_MAX + 1];
            if (gv_db_col_text(st, 1, file, sizeof file, e) < 0 ||
                names_add(s, dir, file, "", e) < 0 || names_add(s, dir, file, ".p7s", e) < 0) {
                row = -1;
                break;
            }
        }
    gv_db_stmt_free(st);
    return row == 0 ? 0 : -1;
}

int gv_store_files_adopt(gv_db_t *db, const char *spool, int64_t now, long *stored,
                         gv_db_error_t *e)
{
    names_t s = { 0 };
    int rc = -1;

    *stored = 0;
    if (list_names(db, "SELECT spool_name FROM gv_batch WHERE state = 'RECEIVED'", "batches",
                   &s, e) < 0 ||
        list_names(db, "SELECT body_name FROM gv_outbox WHERE state <> 'DELIVERED'", "outbox",
                   &s, e) < 0)
        goto out;
    for (size_t i = 0; i < s.n; i++) {
        char path[PATH_MAX];
        gv_db_error_t ignore;
        int has = gv_store_file_has(db, s.v[i], e);
        if (has < 0)
            goto out;
        snprintf(path, sizeof path, "%s/%s", spool, s.v[i]);
        if (has || access(path, R_OK) < 0)
            continue;
        if (gv_db_begin(db, e) < 0)
            goto out;
        if (gv_store_file_put(db, s.v[i], path, now, e) < 0 || gv_db_commit(db, e) < 0) {
            gv_db_rollback(db, &ignore);
            goto out;
        }
        (*stored)++;
    }
    rc = 0;
out:
    free(s.v);
    return rc;
}
