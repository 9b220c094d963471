/* msg.h - wallet messages: reading requests, writing answers. */
#ifndef GV_MSG_H
#define GV_MSG_H

#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "calendar.h"
#include "err.h"
#include "fault.h"
#include "xmlsafe.h"

typedef struct gv_account_check_req {
    char request_id[40];        /* empty until read */
    char provider_bin[16];
    char account[64];           /* as typed */
    char period_text[8];
    gv_period_t period;
    time_t sent_at;
} gv_account_check_req_t;

/* Parses an AccountCheckRequest.  On a fault, request_id holds the
 * requestId when it could be read, so the Fault can carry it. */
gv_fault_t gv_msg_parse_account_check(const char *buf, size_t len, gv_account_check_req_t *req,
                                      gv_err_t *err);

typedef struct gv_account_info {
    const char *account;        /* canonical */
    const char *holder_masked;
    const char *address_masked;
    const char *region;
    int metered;
    const char *provider_name;
} gv_account_info_t;

/* info is NULL unless result is FOUND. */
int gv_msg_account_check_response(gv_buf_t *out, const char *request_id, const char *result,
                                  const gv_account_info_t *info, time_t now);
/* BatchReceipt: status RECEIVED or DUPLICATE. */
int gv_msg_batch_receipt(gv_buf_t *out, const char *batch_id, const char *status,
                         const char *sha256, time_t received_at);
int gv_msg_fault(gv_buf_t *out, gv_fault_t code, const char *message, const char *request_id);

#endif
