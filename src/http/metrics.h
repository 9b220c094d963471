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

void gv_metrics_request(int outcome, int64_t micros);
void gv_metrics_db_error(gv_db_action_t action);
/* What the tables say (the daemon's jobs refresh it), as of updated_at. */
void gv_metrics_set_status(const gv_store_status_t *st, int64_t updated_at);
/* Whether the billing database answered the last look (each scrape). */
void gv_metrics_set_database_up(int up);
int gv_metrics_render(gv_buf_t *out);

#endif
