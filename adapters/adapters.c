/* adapters.c - the list of adapters compiled in. */
#include "config.h"
#include "adapter.h"

#include <string.h>

extern const gv_adapter_t gv_adapter_sql;

const gv_adapter_t *const gv_adapters[] = {
    &gv_adapter_sql,
    NULL,
};

const gv_adapter_t *gv_adapter_find(const char *name)
{
    for (const gv_adapter_t *const *a = gv_adapters; *a; a++)
        if (strcmp((*a)->name, name) == 0)
            return *a;
    return NULL;
}
