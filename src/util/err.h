/* err.h - error detail owned by the caller.
 *
 * Functions that can fail return 0 / -1 (or an enum) and, on failure, write
 * a human-readable message into a gv_err_t the caller passed in.  Libraries
 * never log; the program decides what to say.
 */
#ifndef GV_ERR_H
#define GV_ERR_H

#include <stddef.h>

typedef struct gv_err {
    char msg[1024];
} gv_err_t;

void gv_err_set(gv_err_t *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A list of messages, for checks that report every problem, not the first. */
typedef struct gv_errlist {
    char **items;
    size_t count;
    size_t cap;
} gv_errlist_t;

void gv_errlist_add(gv_errlist_t *list, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void gv_errlist_free(gv_errlist_t *list);

#endif
