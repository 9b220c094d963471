/* testutil.h - small helpers shared by the unit tests (header only).
 *
 * Temporary files live under $TMPDIR (or /tmp), are created with mkstemp /
 * mkdtemp and removed by the test that made them.  Paths to the source
 * tree come from the environment `make check` sets (top_srcdir, TESTDATA),
 * with fallbacks for running a test binary by hand from the top directory.
 */
#ifndef GV_TESTUTIL_H
#define GV_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "err.h"

static inline const char *tu_tmpdir(void)
{
    const char *t = getenv("TMPDIR");
    return t && *t ? t : "/tmp";
}

/* Writes content to path (created or truncated).  Fails the test on error. */
static inline void tu_write_file(const char *path, const char *content)
{
    FILE *f = fopen(path, "wb");
    size_t len = strlen(content);

    assert_non_null(f);
    assert_int_equal(fwrite(content, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* A new temporary file holding content; returns its malloc'd path. */
static inline char *tu_temp_file(const char *content)
{
    size_t n = strlen(tu_tmpdir()) + 32;
    char *path = malloc(n);
    int fd;
    size_t len = strlen(content);

    assert_non_null(path);
    snprintf(path, n, "%s/gvtest-XXXXXX", tu_tmpdir());
    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, content, len), (ssize_t)len);
    assert_int_equal(close(fd), 0);
    return path;
}

/* Removes and frees a path from tu_temp_file / tu_path_in. */
static inline void tu_remove(char *path)
{
    if (path) {
        unlink(path);
        free(path);
    }
}

/* A new temporary directory; returns its malloc'd path. */
static inline char *tu_temp_dir(void)
{
    size_t n = strlen(tu_tmpdir()) + 32;
    char *path = malloc(n);

    assert_non_null(path);
    snprintf(path, n, "%s/gvtest-d-XXXXXX", tu_tmpdir());
    assert_non_null(mkdtemp(path));
    return path;
}

static inline void tu_remove_dir(char *path)
{
    if (path) {
        rmdir(path);
        free(path);
    }
}

/* dir/name, malloc'd. */
static inline char *tu_path_in(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);

    assert_non_null(p);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

/* A path under the source tree: $top_srcdir/rel, or ./rel when unset. */
static inline char *tu_srcdir_path(const char *rel)
{
    const char *top = getenv("top_srcdir");
    return tu_path_in(top && *top ? top : ".", rel);
}

/* A path under the test data: $TESTDATA/name, or tests/data/name. */
static inline char *tu_testdata_path(const char *name)
{
    const char *d = getenv("TESTDATA");
    return tu_path_in(d && *d ? d : "tests/data", name);
}

/* Reads a whole file into a malloc'd, NUL-terminated buffer. */
static inline char *tu_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, n = 0;

    assert_non_null(f);
    for (;;) {
        size_t got;
        if (n + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 8192;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
        got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    fclose(f);
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

/* Replaces every '@' in pattern with subst; returns a malloc'd string.
 * Lets a table say "@:7: [wallet] ..." for a temporary file's path. */
static inline char *tu_expand(const char *pattern, const char *subst)
{
    size_t n = 1, sl = strlen(subst);
    char *out, *o;

    for (const char *p = pattern; *p; p++)
        n += *p == '@' ? sl : 1;
    out = o = malloc(n);
    assert_non_null(out);
    for (const char *p = pattern; *p; p++) {
        if (*p == '@') {
            memcpy(o, subst, sl);
            o += sl;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
    return out;
}

/* How many messages in errs contain needle. */
static inline size_t tu_errs_count(const gv_errlist_t *errs, const char *needle)
{
    size_t n = 0;
    for (size_t i = 0; i < errs->count; i++)
        if (strstr(errs->items[i], needle))
            n++;
    return n;
}

static inline void tu_print_errs(const char *what, const gv_errlist_t *errs)
{
    for (size_t i = 0; i < errs->count; i++)
        print_message("  %s [%zu]: %s\n", what, i, errs->items[i]);
}

/* Asserts that some message of errs contains needle (after '@' -> path). */
static inline void tu_assert_err(const gv_errlist_t *errs, const char *pattern,
                                 const char *path)
{
    char *needle = tu_expand(pattern, path);
    size_t n = tu_errs_count(errs, needle);

    if (n == 0) {
        print_message("expected a message containing: %s\n", needle);
        tu_print_errs("got", errs);
    }
    free(needle);
    assert_true(n > 0);
}

/* Monotonic milliseconds, for "returns fast" checks. */
static inline int64_t tu_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#define TU_COUNT(a) (sizeof(a) / sizeof((a)[0]))

#endif
