/* service.h - what each wallet endpoint does, apart from HTTP. */
#ifndef GV_SERVICE_H
#define GV_SERVICE_H

#include <stdint.h>
#include <time.h>

#include "buf.h"
#include "fault.h"
#include "intake.h"
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

/* POST /v1/voucher-batches: the body is in path (a gv_intake_tmpdir
 * folder), the signature from X-Signature in sig (NULL when none came).
 * *received is set when a new batch was stored (processing is due). */
void gv_service_voucher_batch(gv_intake_t *in, const char *path, const unsigned char *sig,
                              size_t siglen, time_t now, gv_reply_t *reply, int *received);

#endif
