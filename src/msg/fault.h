/* fault.h - the Fault codes of the wallet interface and their HTTP status. */
#ifndef GV_FAULT_H
#define GV_FAULT_H

typedef enum {
    GV_FAULT_NONE = 0,
    GV_FAULT_MALFORMED,
    GV_FAULT_SCHEMA_VIOLATION,
    GV_FAULT_BAD_SIGNATURE,
    GV_FAULT_WRONG_PROVIDER,
    GV_FAULT_BATCH_CONFLICT,
    GV_FAULT_TOO_LARGE,
    GV_FAULT_NOT_FOUND,
    GV_FAULT_UNSUPPORTED_MEDIA_TYPE,
    GV_FAULT_RATE_LIMITED,
    GV_FAULT_UNAVAILABLE,
    GV_FAULT_INTERNAL,
    GV_FAULT_COUNT
} gv_fault_t;

const char *gv_fault_name(gv_fault_t f);
int gv_fault_http_status(gv_fault_t f);

#endif
