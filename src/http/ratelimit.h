/* ratelimit.h - requests per second per client, as token buckets (pure:
 * the caller passes the time).  A fixed-size table: when full, the least
 * recently seen client's bucket is reused, so memory is bounded whatever
 * the number of clients. */
#ifndef GV_RATELIMIT_H
#define GV_RATELIMIT_H

#include <pthread.h>
#include <stdint.h>

#define GV_RATE_SLOTS 1024

typedef struct gv_rate_slot {
    char key[72];          /* client identity: certificate fingerprint or address */
    double tokens;
    int64_t last_ms;
} gv_rate_slot_t;

typedef struct gv_ratelimit {
    pthread_mutex_t lock;
    double per_ms;         /* tokens added per millisecond */
    double burst;
    gv_rate_slot_t slots[GV_RATE_SLOTS];
} gv_ratelimit_t;

void gv_ratelimit_init(gv_ratelimit_t *rl, long per_second, long burst);
void gv_ratelimit_destroy(gv_ratelimit_t *rl);
/* 1 when the client may go on (a token is taken), 0 when it must wait;
 * then *retry_after_ms says how long. */
int gv_ratelimit_take(gv_ratelimit_t *rl, const char *key, int64_t now_ms,
                      int64_t *retry_after_ms);

#endif
