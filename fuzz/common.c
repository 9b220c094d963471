/* common.c - helpers for the fuzz targets (see fuzz.h). */
#include "config.h"
#include "fuzz.h"

#include "calendar.h"
#include "err.h"
#include "xmlsafe.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[PATH_MAX];

static void remove_dir(void)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[PATH_MAX + 256];

    if (!d)
        return;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            unlink(path);
        }
    closedir(d);
    rmdir(dir);
}

const char *gv_fuzz_dir(void)
{
    if (!dir[0]) {
        /* tmpfs when there is one: the loaders are run tens of thousands
         * of times a second. */
        const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
        snprintf(dir, sizeof dir, "%s/gv-fuzz.XXXXXX", base ? base : "/tmp");
        if (!mkdtemp(dir)) {
            perror(dir);
            abort();
        }
        atexit(remove_dir);
    }
    return dir;
}

const char *gv_fuzz_file(const char *name, const uint8_t *data, size_t size)
{
    static char path[PATH_MAX + 256];
    FILE *f;

    snprintf(path, sizeof path, "%s/%s", gv_fuzz_dir(), name);
    f = fopen(path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
        perror(path);
        abort();
    }
    return path;
}

char *gv_fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);

    if (!s)
        abort();
    if (size)
        memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

void gv_fuzz_setup(void)
{
    static int done;
    gv_err_t err;

    if (done)
        return;
    done = 1;
    if (gv_time_init(GV_TIMEZONE) != 0) {
        fprintf(stderr, "the tz database has no %s\n", GV_TIMEZONE);
        abort();
    }
    if (gv_xml_init(&err) != 0) {
        fprintf(stderr, "gv_xml_init: %s\n", err.msg);
        abort();
    }
}
