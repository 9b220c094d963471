/* fault.c - Fault codes and the HTTP status of each (wallet-interface.md). */
#include "config.h"
#include "fault.h"

static const struct {
    const char *name;
    int status;
} faults[GV_FAULT_COUNT] = {
    [GV_FAULT_NONE] = { "NONE", 200 },
    [GV_FAULT_MALFORMED] = { "MALFORMED", 400 },
    [GV_FAULT_SCHEMA_VIOLATION] = { "SCHEMA_VIOLATION", 400 },
    [GV_FAULT_BAD_SIGNATURE] = { "BAD_SIGNATURE", 400 },
    [GV_FAULT_WRONG_PROVIDER] = { "WRONG_PROVIDER", 403 },
    [GV_FAULT_BATCH_CONFLICT] = { "BATCH_CONFLICT", 409 },
    [GV_FAULT_TOO_LARGE] = { "TOO_LARGE", 413 },
    [GV_FAULT_NOT_FOUND] = { "NOT_FOUND", 404 },
    [GV_FAULT_UNSUPPORTED_MEDIA_TYPE] = { "UNSUPPORTED_MEDIA_TYPE", 415 },
    [GV_FAULT_RATE_LIMITED] = { "RATE_LIMITED", 429 },
    [GV_FAULT_UNAVAILABLE] = { "UNAVAILABLE", 503 },
    [GV_FAULT_INTERNAL] = { "INTERNAL", 500 },
};

const char *gv_fault_name(gv_fault_t f)
{
    return f < GV_FAULT_COUNT ? faults[f].name : "INTERNAL";
}

int gv_fault_http_status(gv_fault_t f)
{
    return f < GV_FAULT_COUNT ? faults[f].status : 500;
}
