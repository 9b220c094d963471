/* lease.c - taking, renewing and giving back leases (see lease.h). */
#include "config.h"
#include "lease.h"
#include "calendar.h"
#include "fsutil.h"
#include "log.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

struct gv_lease {
    char name[GV_LEASE_NAME_MAX + 1];
    char node[GV_NODE_NAME_MAX + 1];
    char process[GV_LEASE_PROCESS_MAX + 1];
    long ttl_s;
    char token[GV_LEASE_TOKEN_LEN + 1];     /* "" while not held */
    char tried[GV_LEASE_TOKEN_LEN + 1];     /* a take that timed out, maybe made */
    gv_lease_watch_t watch;
    gv_lease_row_t other;                   /* the other holder, as last seen */
};

/* ---- this process ----------------------------------------------------- */

/* Field 22 of /proc/PID/stat: when the process started, in clock ticks
 * since boot; with the pid it names one process for the life of a boot.
 * 0 when unknown. */
static unsigned long long start_ticks(long pid)
{
    char path[64], buf[1024], *p;
    unsigned long long ticks = 0;
    FILE *f;
    size_t n;

    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    if (!(f = fopen(path, "r")))
        return 0;
    n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* The command name (field 2) is in parentheses and may hold anything. */
    if (!(p = strrchr(buf, ')')))
        return 0;
    p++;
    for (int field = 3; field < 22 && p; field++)
        p = strchr(p + 1, ' ');
    if (!p || sscanf(p, " %llu", &ticks) != 1)
        return 0;
    return ticks;
}

/* "BOOT/PIDNS/PID/START": the kernel's boot id (its first 8 characters),
 * the process namespace, the pid and its start time; "?" for what cannot
 * be read. */
static void own_process(char *out, size_t outsz)
{
    char boot[40] = "?", ns[24] = "?";
    struct stat st;
    FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");

    if (f) {
        if (fscanf(f, "%8[0-9a-f]", boot) != 1)
            snprintf(boot, sizeof boot, "?");
        fclose(f);
    }
    if (stat("/proc/self/ns/pid", &st) == 0)
        snprintf(ns, sizeof ns, "%llu", (unsigned long long)st.st_ino);
    snprintf(out, outsz, "%s/%s/%ld/%llu", boot, ns, (long)getpid(),
             start_ticks((long)getpid()));
}

typedef struct process_key {
    char boot[16], ns[24];
    long pid;
    unsigned long long start;
} process_key_t;

static int parse_process(const char *s, process_key_t *k)
{
    memset(k, 0, sizeof *k);
    return sscanf(s, "%15[^/]/%23[^/]/%ld/%llu", k->boot, k->ns, &k->pid, &k->start) == 4 ? 0
                                                                                          : -1;
}

int gv_lease_same_host(const char *a, const char *b)
{
    process_key_t x, y;

    return parse_process(a, &x) == 0 && parse_process(b, &y) == 0 && strcmp(x.boot, "?") &&
           strcmp(x.ns, "?") && !strcmp(x.boot, y.boot) && !strcmp(x.ns, y.ns);
}

/* A process of this host that has ended, or whose pid now names another. */
static int process_gone(const char *process)
{
    process_key_t k;

    if (parse_process(process, &k) < 0 || k.pid <= 0 || k.start == 0)
        return 0;
    return start_ticks(k.pid) != k.start;
}

long gv_lease_pid(const char *process)
{
    process_key_t k;

    return parse_process(process, &k) == 0 ? k.pid : 0;
}

/* ---- the rule ------------------------------------------------------------- */

gv_lease_verdict_t gv_lease_judge(const gv_lease_row_t *row, const char *me_node,
                                  const char *me_process, const char *mine,
                                  gv_lease_watch_t *w, int64_t now_ms,
                                  int (*gone)(const char *process))
{
    if (!row->token[0])
        return GV_LEASE_FREE;
    if (mine[0] && !strcmp(row->token, mine))
        return GV_LEASE_OURS;
    if (!strcmp(row->holder, me_node) && strcmp(row->process, me_process) != 0 &&
        gv_lease_same_host(row->process, me_process) && gone(row->process))
        return GV_LEASE_DEAD;
    if (!w->seen || strcmp(w->token, row->token) != 0 || w->beat != row->beat) {
        /* Changed since we last looked (or first look): alive, and the
         * silence is counted from now. */
        w->seen = 1;
        snprintf(w->token, sizeof w->token, "%s", row->token);
        w->beat = row->beat;
        w->since_ms = now_ms;
        return GV_LEASE_ALIVE;
    }
    return now_ms - w->since_ms >= (int64_t)row->ttl_s * 1000 ? GV_LEASE_SILENT
                                                                : GV_LEASE_ALIVE;
}

/* ---- the lease ------------------------------------------------------------ */

gv_lease_t *gv_lease_new(const char *name, const gv_conf_t *conf)
{
    gv_lease_t *l = calloc(1, sizeof *l);

    if (!l)
        return NULL;
    snprintf(l->name, sizeof l->name, "%s", name);
    if (conf->node_name) {
        snprintf(l->node, sizeof l->node, "%s", conf->node_name);
    } else if (gethostname(l->node, sizeof l->node) < 0 || !l->node[0]) {
        snprintf(l->node, sizeof l->node, "localhost");
    }
    l->node[sizeof l->node - 1] = '\0';
    own_process(l->process, sizeof l->process);
    l->ttl_s = conf->lease_ttl;
    return l;
}

void gv_lease_free(gv_lease_t *l, gv_db_t *db)
{
    if (!l)
        return;
    if (db)
        gv_lease_release(l, db);
    free(l);
}

int gv_lease_held(const gv_lease_t *l)
{
    return l->token[0] != '\0';
}

const char *gv_lease_name(const gv_lease_t *l)
{
    return l->name;
}

static void new_token(char out[GV_LEASE_TOKEN_LEN + 1])
{
    unsigned char b[GV_LEASE_TOKEN_LEN / 2];

    if (RAND_bytes(b, sizeof b) != 1)
        abort();                    /* no randomness: nothing sensible to do */
    for (size_t i = 0; i < sizeof b; i++)
        snprintf(out + 2 * i, 3, "%02x", b[i]);
}

/* "node-b (pid 4242), last renewed 2025-09-30T10:00:00+05:00 by its clock" */
static void describe(const gv_lease_row_t *r, char *out, size_t outsz)
{
    char at[32];

    gv_time_format_local((time_t)r->renewed_at, at);
    snprintf(out, outsz, "%s (pid %ld), last renewed %s by its clock", r->holder,
             gv_lease_pid(r->process), at);
}

static void db_failed(gv_err_t *err, const gv_lease_t *l, const gv_db_error_t *e)
{
    gv_err_set(err, "the %s lease: %s", l->name, e->msg);
}

/* Holds the lease under me's token from now on. */
static int now_held(gv_lease_t *l, const gv_lease_row_t *me)
{
    snprintf(l->token, sizeof l->token, "%s", me->token);
    memset(&l->watch, 0, sizeof l->watch);
    return 1;
}

/* A write of the lease that timed out may still have been made: the next
 * look knows the row by this token as ours.  Not held meanwhile (0). */
static int tried(gv_lease_t *l, const gv_lease_row_t *me)
{
    snprintf(l->tried, sizeof l->tried, "%s", me->token);
    return 0;
}

int gv_lease_take(gv_lease_t *l, gv_db_t *db, gv_err_t *err)
{
    /* Leases are about this moment on this machine, whatever "now" the
     * business uses (clock.h): the real clock, shown to people only. */
    int64_t wall = (int64_t)time(NULL);
    gv_lease_row_t me, row;
    gv_db_error_t e;

    memset(&me, 0, sizeof me);
    snprintf(me.name, sizeof me.name, "%s", l->name);
    snprintf(me.holder, sizeof me.holder, "%s", l->node);
    snprintf(me.process, sizeof me.process, "%s", l->process);
    me.ttl_s = l->ttl_s;
    me.taken_at = me.renewed_at = wall;
    /* Each round that loses a race looks again; three are plenty. */
    for (int attempt = 0; attempt < 3; attempt++) {
        gv_lease_verdict_t v;
        int found = gv_store_lease_get(db, l->name, &row, &e), r;
        char who[160];

        if (found < 0) {
            db_failed(err, l, &e);
            return -1;
        }
        new_token(me.token);
        if (!found) {
            if (gv_store_lease_insert(db, &me, &e) == 0)
                return now_held(l, &me);
            if (e.action == GV_DB_RETRY) {
                gv_err_set(err, "the %s lease: the database is busy (%s)", l->name, e.msg);
                return tried(l, &me);
            }
            if (e.action != GV_DB_DUPLICATE) {
                db_failed(err, l, &e);
                return -1;
            }
            continue;       /* another node wrote it first */
        }
        if (l->tried[0] && !strcmp(row.token, l->tried)) {
            l->tried[0] = '\0';
            return now_held(l, &row);
        }
        v = gv_lease_judge(&row, l->node, l->process, l->token, &l->watch, gv_monotonic_ms(),
                           process_gone);
        if (v == GV_LEASE_OURS)
            return 1;
        l->token[0] = '\0';
        l->other = row;
        describe(&row, who, sizeof who);
        if (v == GV_LEASE_ALIVE) {
            gv_err_set(err, "the %s lease is held by %s", l->name, who);
            return 0;
        }
        if ((r = gv_store_lease_claim(db, &me, row.token, row.beat, &e)) < 0) {
            if (e.action != GV_DB_RETRY) {
                db_failed(err, l, &e);
                return -1;
            }
            /* A lock wait that timed out: the holder renewed it inside a
             * transaction still going (lease.h), and the row is locked
             * until that ends. */
            gv_err_set(err, "the %s lease is held by %s, in a transaction still going (%s)",
                       l->name, who, e.msg);
            return tried(l, &me);
        }
        if (r == 0)
            continue;       /* it changed meanwhile */
        if (v != GV_LEASE_FREE)
            gv_log(GV_LOG_WARNING, "lease %s: taken over from %s: %s", l->name, who,
                   v == GV_LEASE_DEAD ? "that process has ended"
                                      : "it was not renewed within its lease_ttl");
        return now_held(l, &me);
    }
    gv_err_set(err, "the %s lease changed hands while it was being taken", l->name);
    return 0;
}

int gv_lease_wait(gv_lease_t *l, gv_db_t *db, gv_err_t *err)
{
    int said = 0;

    for (;;) {
        int r = gv_lease_take(l, db, err);
        if (r != 0)
            return r;
        if (!said)
            gv_log(GV_LOG_INFO, "waiting: %s; it is taken over once not renewed for %ld s",
                   err->msg, l->other.ttl_s);
        said = 1;
        nanosleep(&(struct timespec){ 1, 0 }, NULL);
    }
}

/* The lease is gone: says to whom, as far as the row tells. */
static void note_lost(gv_lease_t *l, gv_db_t *db, char *msg, size_t msgsz)
{
    gv_lease_row_t row;
    gv_db_error_t e;
    char who[160] = "another process";

    l->token[0] = '\0';
    if (gv_store_lease_get(db, l->name, &row, &e) == 1 && row.token[0])
        describe(&row, who, sizeof who);
    snprintf(msg, msgsz, "the %s lease was taken over by %s: this one stops", l->name, who);
    gv_log(GV_LOG_WARNING, "%s", msg);
}

int gv_lease_keep(gv_lease_t *l, gv_db_t *db, gv_err_t *err)
{
    gv_db_error_t e;
    int r;

    if (!l->token[0]) {
        gv_err_set(err, "the %s lease is not held", l->name);
        return 0;
    }
    if ((r = gv_store_lease_renew(db, l->name, l->token, (int64_t)time(NULL), &e)) < 0) {
        db_failed(err, l, &e);
        return -1;
    }
    if (r == 0)
        note_lost(l, db, err->msg, sizeof err->msg);
    return r;
}

int gv_lease_fence(gv_lease_t *l, gv_db_t *db, gv_db_error_t *e)
{
    int r;

    if (l->token[0] &&
        (r = gv_store_lease_renew(db, l->name, l->token, (int64_t)time(NULL), e)) != 0)
        return r < 0 ? -1 : 0;
    e->action = GV_DB_PERMANENT;
    e->sqlstate[0] = '\0';
    e->native = 0;
    if (l->token[0])
        note_lost(l, db, e->msg, sizeof e->msg);
    else
        snprintf(e->msg, sizeof e->msg, "the %s lease is not held", l->name);
    return -1;
}

void gv_lease_release(gv_lease_t *l, gv_db_t *db)
{
    gv_db_error_t e;

    if (!l->token[0])
        return;
    if (gv_store_lease_release(db, l->name, l->token, (int64_t)time(NULL), &e) < 0) {
        /* Still ours in the row: the token is kept, so that this process
         * takes it up again at once when the database is back (another
         * takes it over after lease_ttl). */
        gv_log(GV_LOG_WARNING, "lease %s: not given back (%s); it expires after %ld s",
               l->name, e.msg, l->ttl_s);
        return;
    }
    l->token[0] = '\0';
}
