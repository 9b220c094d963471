/* ratelimit.c - token buckets per client. */
#include "config.h"
#include "ratelimit.h"

#include <stdio.h>
#include <string.h>

void gv_ratelimit_init(gv_ratelimit_t *rl, long per_second, long burst)
{
    memset(rl, 0, sizeof *rl);
    pthread_mutex_init(&rl->lock, NULL);
    rl->per_ms = (double)per_second / 1000.0;
    rl->burst = (double)burst;
}

void gv_ratelimit_destroy(gv_ratelimit_t *rl)
{
    pthread_mutex_destroy(&rl->lock);
}

static uint32_t hash(const char *s)
{
    uint32_t h = 2166136261u;          /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

int gv_ratelimit_take(gv_ratelimit_t *rl, const char *key, int64_t now_ms, int64_t *retry_ms)
{
    gv_rate_slot_t *slot = NULL, *oldest = NULL;
    uint32_t h;
    int allowed;

    if (rl->per_ms <= 0)
        return 1;
    h = hash(key);
    pthread_mutex_lock(&rl->lock);
    /* Open addressing over 8 probes; beyond that, evict the stalest. */
    for (int i = 0; i < 8; i++) {
        gv_rate_slot_t *s = &rl->slots[(h + (uint32_t)i) % GV_RATE_SLOTS];
        /* Keys are stored cut to the slot's size; compare them the same way. */
        if (s->key[0] && strncmp(s->key, key, sizeof s->key - 1) == 0) {
            slot = s;
            break;
        }
        if (!oldest || !s->key[0] || (oldest->key[0] && s->last_ms < oldest->last_ms))
            oldest = s;
    }
    if (!slot) {
        slot = oldest;
        snprintf(slot->key, sizeof slot->key, "%s", key);
        slot->tokens = rl->burst;
        slot->last_ms = now_ms;
    }
    if (now_ms > slot->last_ms) {
        slot->tokens += (double)(now_ms - slot->last_ms) * rl->per_ms;
        if (slot->tokens > rl->burst)
            slot->tokens = rl->burst;
        slot->last_ms = now_ms;
    }
    allowed = slot->tokens >= 1.0;
    if (allowed)
        slot->tokens -= 1.0;
    else if (retry_ms)
        *retry_ms = (int64_t)((1.0 - slot->tokens) / rl->per_ms) + 1;
    pthread_mutex_unlock(&rl->lock);
    return allowed;
}
