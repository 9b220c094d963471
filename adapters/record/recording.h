/* recording.h - the recording adapter (dry runs): reads through another
 * adapter, writes nothing, prints what it would write. */
#ifndef GV_ADAPTER_RECORDING_H
#define GV_ADAPTER_RECORDING_H

#include <stdio.h>

#include "adapter.h"

/* A recording context over an open context of another adapter (which the
 * caller keeps and closes after this one); bills are printed to out. */
void *gv_record_over(const gv_adapter_t *inner, void *inner_ctx, FILE *out);

extern const gv_adapter_t gv_adapter_record;

#endif
