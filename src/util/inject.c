/* inject.c - failure injection for tests (see inject.h). */
#include "config.h"
#include "inject.h"

#ifdef GV_FAULT_INJECTION

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

/* The real functions, for the wrappers below. */
#undef malloc
#undef calloc
#undef realloc
#undef strdup
#undef strndup

static const char *const kind_names[] = { "odbc", "alloc", "write" };
enum { KINDS = sizeof kind_names / sizeof kind_names[0] };

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int armed_kind = -1;             /* none */
static long armed_k;
static char armed_state[6] = "HY000";
static int armed_after;                 /* odbc: the call is made, then fails */
static char armed_call[40];             /* odbc/NAME: only calls of this function count */
static atomic_long calls[KINDS];
static atomic_int fired;
static _Thread_local const char *odbc_pending;

static void report_unreached(void)
{
    if (armed_kind >= 0 && !atomic_load(&fired))
        fprintf(stderr, "gasvoucher: injected fault: %s%s%s:%ld not reached: %ld calls\n",
                kind_names[armed_kind], armed_call[0] ? "/" : "", armed_call, armed_k,
                atomic_load(&calls[armed_kind]));
}

static void parse(void)
{
    const char *spec = getenv("GV_FAULT");
    char *end;
    int kind = -1;

    if (!spec || !*spec)
        return;
    for (int i = 0; i < KINDS; i++) {
        size_t n = strlen(kind_names[i]);
        if (!strncmp(spec, kind_names[i], n) && spec[n] == ':') {
            kind = i;
            spec += n + 1;
            break;
        }
    }
    /* odbc/NAME:K...: the K-th call of the ODBC function NAME */
    if (kind < 0 && !strncmp(spec, "odbc/", 5)) {
        size_t n = strcspn(spec + 5, ":");
        if (n && n < sizeof armed_call && spec[5 + n] == ':') {
            memcpy(armed_call, spec + 5, n);
            kind = GV_INJECT_ODBC;
            spec += 5 + n + 1;
        }
    }
    errno = 0;
    armed_k = kind < 0 ? 0 : strtol(spec, &end, 10);
    /* odbc:K:SQLSTATE, odbc:K:SQLSTATE:after */
    if (*end == ':' && kind == GV_INJECT_ODBC && strlen(end + 1) >= 5 &&
        (!end[6] || !strcmp(end + 6, ":after"))) {
        memcpy(armed_state, end + 1, 5);
        armed_after = end[6] != '\0';
        end += strlen(end);
    }
    if (kind < 0 || errno || armed_k < 1 || end == spec || *end) {
        fprintf(stderr, "gasvoucher: GV_FAULT=%s: expected KIND:K with KIND odbc, alloc or "
                        "write and K from 1 (odbc:K:SQLSTATE[:after] for another SQLSTATE, "
                        "after the call is made; odbc/NAME:K for the calls of NAME only)\n",
                getenv("GV_FAULT"));
        exit(2);
    }
    armed_kind = kind;
    atexit(report_unreached);
}

int gv_inject(gv_inject_kind_t kind, const char *what)
{
    long n;

    pthread_once(&once, parse);
    if (kind == GV_INJECT_ODBC)
        odbc_pending = NULL;
    if ((int)kind != armed_kind)
        return 0;
    /* what is the call as written, e.g. "SQLFetch(st->h)" */
    if (kind == GV_INJECT_ODBC && armed_call[0]) {
        size_t len = strlen(armed_call);
        if (strncmp(what, armed_call, len) || what[len] != '(')
            return 0;
    }
    n = atomic_fetch_add(&calls[kind], 1) + 1;
    if (n != armed_k)
        return 0;
    atomic_store(&fired, 1);
    if (kind == GV_INJECT_ODBC) {
        /* what is the call as written: name the function only. */
        const char *paren = strchr(what, '(');
        fprintf(stderr, "gasvoucher: injected fault: odbc call %ld of the process: %.*s "
                        "(SQLSTATE %s%s)\n",
                n, paren ? (int)(paren - what) : (int)strlen(what), what, armed_state,
                armed_after ? ", after the call was made" : "");
        odbc_pending = armed_state;
    } else {
        fprintf(stderr, "gasvoucher: injected fault: %s call %ld of the process: %s\n",
                kind_names[kind], n, what);
    }
    return 1;
}

int gv_inject_file(const char *op, int fd)
{
    char link[64], file[512], what[600];
    ssize_t n;

    pthread_once(&once, parse);
    if (armed_kind != GV_INJECT_WRITE)
        return 0;
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    if ((n = readlink(link, file, sizeof file - 1)) < 0)
        n = 0;
    file[n] = '\0';
    snprintf(what, sizeof what, "%s of %s", op, n ? file : link);
    return gv_inject(GV_INJECT_WRITE, what);
}

int gv_inject_odbc_after(void)
{
    return armed_after;
}

const char *gv_inject_odbc_state(void)
{
    return odbc_pending;
}

/* 1 when this allocation is the one to fail (errno set). */
static int alloc_fails(const char *fn, const char *file, int line)
{
    char what[160];

    pthread_once(&once, parse);
    if (armed_kind != GV_INJECT_ALLOC)
        return 0;               /* the common case, without formatting */
    snprintf(what, sizeof what, "%s at %s:%d", fn, file, line);
    if (!gv_inject(GV_INJECT_ALLOC, what))
        return 0;
    errno = ENOMEM;
    return 1;
}

void *gv_inject_malloc(size_t n, const char *file, int line)
{
    return alloc_fails("malloc", file, line) ? NULL : malloc(n);
}

void *gv_inject_calloc(size_t n, size_t size, const char *file, int line)
{
    return alloc_fails("calloc", file, line) ? NULL : calloc(n, size);
}

void *gv_inject_realloc(void *p, size_t n, const char *file, int line)
{
    return alloc_fails("realloc", file, line) ? NULL : realloc(p, n);
}

char *gv_inject_strdup(const char *s, const char *file, int line)
{
    return alloc_fails("strdup", file, line) ? NULL : strdup(s);
}

char *gv_inject_strndup(const char *s, size_t n, const char *file, int line)
{
    return alloc_fails("strndup", file, line) ? NULL : strndup(s, n);
}

#else

/* ISO C wants something in every file. */
typedef int gv_inject_unused_t;

#endif
