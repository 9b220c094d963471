/* runtime.h - one loaded configuration: gasvoucher.conf, its mapping and
 * the adapter.  Shared read-only by every worker and reference-counted, so
 * SIGHUP can put a new one in place while requests still finish on the old.
 */
#ifndef GV_RUNTIME_H
#define GV_RUNTIME_H

#include <stdatomic.h>

#include "adapter.h"
#include "conf.h"
#include "mapping.h"
#include "tlsallow.h"

typedef struct gv_runtime {
    gv_conf_t *conf;
    gv_mapping_t *map;
    const gv_adapter_t *adapter;
    gv_tls_allow_t *tls_allow;   /* [wallet] tls_client_allow; NULL = none */
    atomic_int refs;
} gv_runtime_t;

/* Loads and checks everything; NULL with every problem in errs. */
gv_runtime_t *gv_runtime_load(const char *conf_path, gv_errlist_t *errs);
gv_runtime_t *gv_runtime_acquire(gv_runtime_t *rt);
void gv_runtime_release(gv_runtime_t *rt);

#endif
