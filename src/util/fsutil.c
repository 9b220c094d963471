/* fsutil.c - durable files. */
#include "config.h"
#include "fsutil.h"
#include "inject.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

int gv_mkdirs(const char *path, gv_err_t *err)
{
    char buf[PATH_MAX];
    size_t n = strlen(path);

    if (n == 0 || n >= sizeof buf) {
        gv_err_set(err, "bad directory name '%s'", path);
        return -1;
    }
    memcpy(buf, path, n + 1);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0750) < 0 && errno != EEXIST) {
            gv_err_set(err, "mkdir %s: %s", buf, strerror(errno));
            return -1;
        }
        *p = '/';
    }
    if (mkdir(buf, 0750) < 0 && errno != EEXIST) {
        gv_err_set(err, "mkdir %s: %s", buf, strerror(errno));
        return -1;
    }
    return 0;
}

int gv_fsync_path(const char *path, gv_err_t *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0 || gv_fsync_fd(fd) < 0) {
        gv_err_set(err, "fsync %s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    return 0;
}

int gv_fsync_parent(const char *path, gv_err_t *err)
{
    char dir[PATH_MAX];
    char *slash;

    snprintf(dir, sizeof dir, "%s", path);
    slash = strrchr(dir, '/');
    if (!slash)
        return gv_fsync_path(".", err);
    if (slash == dir)
        slash[1] = '\0';
    else
        *slash = '\0';
    return gv_fsync_path(dir, err);
}

int gv_write_all(int fd, const void *data, size_t len)
{
    const char *p = data;

    while (len) {
        ssize_t n = gv_inject_file("write", fd) ? (errno = ENOSPC, -1) : write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int gv_fsync_fd(int fd)
{
    if (gv_inject_file("fsync", fd)) {
        errno = EIO;
        return -1;
    }
    return fsync(fd);
}

int gv_write_file_durably(const char *path, const void *data, size_t len, gv_err_t *err)
{
    char tmp[PATH_MAX + 16];
    int fd;

    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0 || gv_write_all(fd, data, len) < 0 || gv_fsync_fd(fd) < 0) {
        gv_err_set(err, "%s: %s", tmp, strerror(errno));
        if (fd >= 0)
            close(fd);
        unlink(tmp);
        return -1;
    }
    if (close(fd) < 0 || rename(tmp, path) < 0) {
        gv_err_set(err, "%s: %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    if (gv_fsync_parent(path, err) < 0) {
        unlink(path);           /* not durable: absent, as the caller hears it failed */
        return -1;
    }
    return 0;
}

int gv_move_durably(const char *src, const char *dst, gv_err_t *err)
{
    if (gv_fsync_path(src, err) < 0)
        return -1;
    if (rename(src, dst) < 0) {
        gv_err_set(err, "rename %s to %s: %s", src, dst, strerror(errno));
        return -1;
    }
    return gv_fsync_parent(dst, err);
}

int gv_copy_file(const char *src, const char *dst, gv_err_t *err)
{
    char buf[65536];
    int in = open(src, O_RDONLY | O_CLOEXEC), out = -1;
    ssize_t n;

    if (in < 0) {
        gv_err_set(err, "%s: %s", src, strerror(errno));
        return -1;
    }
    out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (out < 0) {
        gv_err_set(err, "%s: %s", dst, strerror(errno));
        close(in);
        return -1;
    }
    while ((n = read(in, buf, sizeof buf)) > 0)
        if (gv_write_all(out, buf, (size_t)n) < 0) {
            n = -1;
            break;
        }
    if (n < 0 || gv_fsync_fd(out) < 0) {
        gv_err_set(err, "copying %s: %s", src, strerror(errno));
        close(in);
        close(out);
        unlink(dst);
        return -1;
    }
    close(in);
    return close(out) < 0 ? -1 : 0;
}

int gv_read_small_file(const char *path, size_t max, unsigned char **data, size_t *len,
                       gv_err_t *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    unsigned char *buf;
    size_t got = 0;

    *data = NULL;
    *len = 0;
    if (fd < 0 || fstat(fd, &sb) < 0) {
        int saved = errno;
        gv_err_set(err, "%s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        errno = saved;
        return -1;
    }
    if ((size_t)sb.st_size > max) {
        gv_err_set(err, "%s: larger than %zu bytes", path, max);
        close(fd);
        errno = EFBIG;
        return -1;
    }
    if (!(buf = malloc((size_t)sb.st_size + 1))) {
        close(fd);
        gv_err_set(err, "out of memory");
        return -1;
    }
    while (got < (size_t)sb.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)sb.st_size - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    buf[got] = '\0';
    *data = buf;
    *len = got;
    return 0;
}

void gv_sha256_hex(const unsigned char md[32], char out[65])
{
    static const char hex[] = "0123456789abcdef";

    for (int i = 0; i < 32; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[64] = '\0';
}

int gv_sha256_file(const char *path, char out[65], gv_err_t *err)
{
    unsigned char buf[65536], md[32];
    unsigned int mdlen = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n = 0;

    if (!ctx || fd < 0 || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
        gv_err_set(err, "%s: %s", path, fd < 0 ? strerror(errno) : "cannot hash");
        goto fail;
    }
    while ((n = read(fd, buf, sizeof buf)) > 0)
        EVP_DigestUpdate(ctx, buf, (size_t)n);
    if (n < 0 || !EVP_DigestFinal_ex(ctx, md, &mdlen)) {
        gv_err_set(err, "%s: %s", path, strerror(errno));
        goto fail;
    }
    gv_sha256_hex(md, out);
    EVP_MD_CTX_free(ctx);
    close(fd);
    return 0;
fail:
    EVP_MD_CTX_free(ctx);
    if (fd >= 0)
        close(fd);
    return -1;
}

int64_t gv_monotonic_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int gv_open_private(const char *path, gv_err_t *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);

    if (fd < 0 || fchmod(fd, 0640) < 0) {
        gv_err_set(err, "%s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

FILE *gv_fopen_private(const char *path, gv_err_t *err)
{
    int fd = gv_open_private(path, err);
    FILE *f;

    if (fd < 0)
        return NULL;
    if (!(f = fdopen(fd, "w"))) {
        gv_err_set(err, "%s: %s", path, strerror(errno));
        close(fd);
        return NULL;
    }
    return f;
}
