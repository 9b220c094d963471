/* service.h - what each wallet endpoint does, apart from HTTP. */
#ifndef GV_SERVICE_H
#define GV_SERVICE_H

#include <stdint.h>
#include <time.h>

#include "buf.h"
#include "fault.h"
#include "runtime.h"

typedef struct gv_reply {
    int status;
    gv_buf_t body;            /* the XML answer */
    long retry_after_s;       /* > 0: send Retry-After */
    int outcome;              /* metrics index (metrics.h) */
    char summary[384];        /* for the access log: no names, no addresses */
} gv_reply_t;

void gv_reply_init(gv_reply_t *r);
void gv_reply_free(gv_reply_t *r);
/* A Fault answer. */
void gv_reply_fault(gv_reply_t *r, gv_fault_t f, const char *message, const char *request_id);

/* POST /v1/account-check.  actx is the calling worker's adapter context. */
void gv_service_account_check(gv_runtime_t *rt, void *actx, const char *body, size_t len,
                              time_t now, int64_t now_ms, gv_reply_t *reply);

#endif
