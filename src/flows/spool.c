/* spool.c - removing what the spool no longer needs (spool.h). */
#include "config.h"
#include "spool.h"
#include "retention.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct prune {
    const char *dir;            /* spool/batches or spool/outbox, for the listing */
    int dry_run;
    gv_prune_each_fn each;
    void *ud;
    long *count;
    gv_prune_stats_t *st;
    gv_err_t *err;
    int failed;
};

/* Removes a regular file if it is there (gone already is fine: pruned
 * before).  1 removed, 0 not there, -1 error (in p->err). */
static int remove_file(struct prune *p, const char *path)
{
    struct stat sb;

    if (lstat(path, &sb) < 0) {
        if (errno == ENOENT)
            return 0;
        gv_err_set(p->err, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (!S_ISREG(sb.st_mode))
        return 0;
    if (!p->dry_run && unlink(path) < 0) {
        if (errno == ENOENT)
            return 0;
        gv_err_set(p->err, "%s: %s", path, strerror(errno));
        return -1;
    }
    p->st->bytes += sb.st_size;
    if (p->each)
        p->each(p->ud, path);
    return 1;
}

/* A spool file and its detached signature. */
static int prune_pair(void *ud, const char *name)
{
    struct prune *p = ud;
    char path[PATH_MAX], sig[PATH_MAX + 8];
    int a, b;

    /* Names come from gasvoucher's own rows; never leave the folder. */
    if (strchr(name, '/') || name[0] == '.')
        return 0;
    snprintf(path, sizeof path, "%s/%s", p->dir, name);
    snprintf(sig, sizeof sig, "%s.p7s", path);
    if ((a = remove_file(p, path)) < 0 || (b = remove_file(p, sig)) < 0) {
        p->failed = 1;
        return 1;
    }
    if (a || b)
        (*p->count)++;
    return 0;
}

/* Entries of dir older than before: files, and folders of files one level
 * deep (tmp/rcv-* receipts). */
static int prune_old_entries(struct prune *p, const char *dir, time_t before)
{
    DIR *d = opendir(dir);
    struct dirent *e;

    if (!d)
        return errno == ENOENT ? 0 : (gv_err_set(p->err, "%s: %s", dir, strerror(errno)), -1);
    while ((e = readdir(d))) {
        char path[PATH_MAX];
        struct stat sb;
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (lstat(path, &sb) < 0 || sb.st_mtime >= before)
            continue;
        if (S_ISREG(sb.st_mode)) {
            int r = remove_file(p, path);
            if (r < 0)
                goto fail;
            *p->count += r;
        } else if (S_ISDIR(sb.st_mode) && strncmp(e->d_name, "rcv-", 4) == 0) {
            DIR *sub = opendir(path);
            struct dirent *f;
            if (!sub)
                continue;
            while ((f = readdir(sub))) {
                char inner[PATH_MAX];
                if (f->d_name[0] == '.' && (!f->d_name[1] || !strcmp(f->d_name, "..")))
                    continue;
                if ((size_t)snprintf(inner, sizeof inner, "%s/%s", path, f->d_name) >= sizeof inner)
                    continue;
                if (remove_file(p, inner) < 0) {
                    closedir(sub);
                    goto fail;
                }
            }
            closedir(sub);
            if (!p->dry_run && rmdir(path) < 0 && errno != ENOENT && errno != ENOTEMPTY) {
                gv_err_set(p->err, "%s: %s", path, strerror(errno));
                goto fail;
            }
            (*p->count)++;
        }
    }
    closedir(d);
    return 0;
fail:
    closedir(d);
    return -1;
}

int gv_spool_prune(gv_db_t *db, const char *spool, const char *inbox, long days, time_t now,
                   int dry_run, gv_prune_each_fn each, void *ud, gv_prune_stats_t *st,
                   gv_err_t *err)
{
    char batches[PATH_MAX], outbox[PATH_MAX], tmp[PATH_MAX], done[PATH_MAX];
    struct prune p = { .dry_run = dry_run, .each = each, .ud = ud, .st = st, .err = err };
    time_t before = now - (time_t)days * 86400;
    gv_db_error_t dbe;

    memset(st, 0, sizeof *st);
    if (days < 1) {
        gv_err_set(err, "--older-than: at least 1 day");
        return -1;
    }
    snprintf(batches, sizeof batches, "%s/batches", spool);
    snprintf(outbox, sizeof outbox, "%s/outbox", spool);
    snprintf(tmp, sizeof tmp, "%s/tmp", spool);

    p.dir = batches;
    p.count = &st->batches;
    if (gv_store_prunable_batches(db, before, prune_pair, &p, &dbe) < 0) {
        gv_err_set(err, "listing batches that may go: %s", dbe.msg);
        return -1;
    }
    if (p.failed)
        return -1;
    p.dir = outbox;
    p.count = &st->messages;
    if (gv_store_prunable_outbox(db, before, prune_pair, &p, &dbe) < 0) {
        gv_err_set(err, "listing delivered messages: %s", dbe.msg);
        return -1;
    }
    if (p.failed)
        return -1;
    if (gv_store_batches_kept(db, before, &st->batches_kept, &dbe) < 0) {
        gv_err_set(err, "counting batches kept: %s", dbe.msg);
        return -1;
    }
    /* A receipt never finished (a crash mid-push) and inbox files taken in
     * (their batch is in batches/). */
    p.count = &st->leftovers;
    if (prune_old_entries(&p, tmp, before) < 0)
        return -1;
    if (inbox) {
        snprintf(done, sizeof done, "%s/done", inbox);
        if (prune_old_entries(&p, done, before) < 0)
            return -1;
    }
    return 0;
}
