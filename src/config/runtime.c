/* runtime.c - loading a configuration with its mapping. */
#include "config.h"
#include "runtime.h"

#include <stdlib.h>

gv_runtime_t *gv_runtime_load(const char *conf_path, gv_errlist_t *errs)
{
    gv_runtime_t *rt;
    gv_conf_t *conf = gv_conf_load(conf_path, errs);
    gv_mapping_t *map;
    gv_tls_allow_t *allow = NULL;

    if (!conf)
        return NULL;
    /* Both are read, so that every problem is reported at once. */
    map = gv_mapping_load(conf->mapping_path, errs);
    if (conf->wallet_tls && conf->tls_client_allow)
        allow = gv_tls_allow_load(conf->tls_client_allow, errs);
    if (!map || (conf->wallet_tls && conf->tls_client_allow && !allow)) {
        gv_tls_allow_free(allow);
        gv_mapping_free(map);
        gv_conf_free(conf);
        return NULL;
    }
    rt = calloc(1, sizeof *rt);
    if (!rt) {
        gv_errlist_add(errs, "out of memory");
        gv_tls_allow_free(allow);
        gv_mapping_free(map);
        gv_conf_free(conf);
        return NULL;
    }
    rt->conf = conf;
    rt->map = map;
    rt->tls_allow = allow;
    rt->adapter = gv_adapter_find("sql");
    atomic_init(&rt->refs, 1);
    return rt;
}

gv_runtime_t *gv_runtime_acquire(gv_runtime_t *rt)
{
    atomic_fetch_add(&rt->refs, 1);
    return rt;
}

void gv_runtime_release(gv_runtime_t *rt)
{
    if (rt && atomic_fetch_sub(&rt->refs, 1) == 1) {
        gv_tls_allow_free(rt->tls_allow);
        gv_mapping_free(rt->map);
        gv_conf_free(rt->conf);
        free(rt);
    }
}
