/* metrics.h - counters for /metrics (Prometheus text format).  Lock-free:
 * workers bump atomics, the ops listener reads them. */
#ifndef GV_METRICS_H
#define GV_METRICS_H

#include <stdint.h>

#include "buf.h"
#include "check.h"
#include "db.h"
#include "fault.h"
#include "status.h"

/* An outcome is a check result (FOUND ... REGION_NOT_IN_PILOT) or a fault. */
#define GV_OUTCOMES (GV_CHECK_COUNT + GV_FAULT_COUNT)
#define GV_OUTCOME_OF_RESULT(r) ((int)(r))
#define GV_OUTCOME_OF_FAULT(f) ((int)GV_CHECK_COUNT + (int)(f))

/* Why a listener cut a connection (httpd.c's sweeper). */
typedef enum {
    GV_CUT_NONE = -1,
    GV_CUT_HEADER_TIMEOUT,       /* headers not complete in header_timeout */
    GV_CUT_BODY_TIMEOUT,         /* body not complete in body_timeout */
    GV_CUT_BODY_MIN_RATE,        /* body slower than body_min_rate */
    GV_CUT_IDLE_TIMEOUT,         /* no next request line within idle_timeout */
    GV_CUT_COUNT
} gv_cut_reason_t;

const char *gv_cut_reason_name(gv_cut_reason_t why);

void gv_metrics_request(int outcome, int64_t micros);
/* A connection cut on the wallet (ops_listener = 0) or ops listener. */
void gv_metrics_connection_cut(int ops_listener, gv_cut_reason_t why);
void gv_metrics_db_error(gv_db_action_t action);
/* What the tables say (the daemon's jobs refresh it), as of updated_at. */
void gv_metrics_set_status(const gv_store_status_t *st, int64_t updated_at);
/* Whether the billing database answered the last look (each scrape). */
void gv_metrics_set_database_up(int up);
int gv_metrics_render(gv_buf_t *out);

#endif
