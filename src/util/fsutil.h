/* fsutil.h - files that must survive a crash, and small file chores.
 *
 * "Durably" means: written to a temporary name, fsync'd, renamed into
 * place, and the directory fsync'd, so after a crash the file is either
 * whole or absent (compare Postfix's queue files).
 */
#ifndef GV_FSUTIL_H
#define GV_FSUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"

/* Every write and fsync of a file gasvoucher keeps goes through these two
 * (a fault-injection build fails the chosen one: inject.h).  gv_write_all
 * writes all of data or returns -1 with errno. */
int gv_write_all(int fd, const void *data, size_t len);
int gv_fsync_fd(int fd);
/* mkdir -p, mode 0750. */
int gv_mkdirs(const char *path, gv_err_t *err);
/* Whole at path, or (-1) nothing there. */
int gv_write_file_durably(const char *path, const void *data, size_t len, gv_err_t *err);
/* Writes all len bytes to fd (again after EINTR and short writes); -1
 * with errno set. */
int gv_write_all(int fd, const void *data, size_t len);
/* Renames src to dst (same file system) after fsync'ing src; then
 * fsyncs dst's directory. */
int gv_move_durably(const char *src, const char *dst, gv_err_t *err);
/* fsync of a file by name, and of the directory holding it. */
int gv_fsync_path(const char *path, gv_err_t *err);
int gv_fsync_parent(const char *path, gv_err_t *err);
/* Copies src to dst (dst created, fsync'd). */
int gv_copy_file(const char *src, const char *dst, gv_err_t *err);
/* Reads a whole file of at most max bytes; *data is malloc'd.  errno is
 * left as the failing call set it. */
int gv_read_small_file(const char *path, size_t max, unsigned char **data, size_t *len,
                       gv_err_t *err);
/* SHA-256 of a file's bytes, hex, streamed. */
int gv_sha256_file(const char *path, char out[65], gv_err_t *err);
void gv_sha256_hex(const unsigned char md[32], char out[65]);
/* A monotonic clock in milliseconds. */
int64_t gv_monotonic_ms(void);

/* A new file for writing, 0640 whatever the umask leaves (files carry
 * account numbers): its descriptor, or -1 with err; as a FILE, or NULL. */
int gv_open_private(const char *path, gv_err_t *err);
#include <stdio.h>
FILE *gv_fopen_private(const char *path, gv_err_t *err);

#endif
