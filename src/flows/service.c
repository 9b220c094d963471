/* service.c - the account check: parse, normalise, look up, decide, mask. */
#include "config.h"
#include "service.h"
#include "check.h"
#include "mask.h"
#include "metrics.h"
#include "msg.h"

#include <stdio.h>
#include <string.h>

void gv_reply_init(gv_reply_t *r)
{
    memset(r, 0, sizeof *r);
    gv_buf_init(&r->body, 64 * 1024);
}

void gv_reply_free(gv_reply_t *r)
{
    gv_buf_free(&r->body);
}

void gv_reply_fault(gv_reply_t *r, gv_fault_t f, const char *message, const char *request_id)
{
    gv_buf_reset(&r->body);
    r->status = gv_fault_http_status(f);
    r->outcome = GV_OUTCOME_OF_FAULT(f);
    if (gv_msg_fault(&r->body, f, message, request_id) < 0) {
        gv_buf_reset(&r->body);
        gv_msg_fault(&r->body, GV_FAULT_INTERNAL, "answer too large", NULL);
        r->status = 500;
    }
}

void gv_service_account_check(gv_runtime_t *rt, void *actx, const char *body, size_t len,
                              time_t now, int64_t now_ms, gv_reply_t *reply)
{
    const gv_conf_t *conf = rt->conf;
    gv_account_check_req_t req;
    gv_account_record_t rec;
    gv_db_error_t dberr;
    gv_err_t err;
    gv_fault_t f;
    gv_lookup_t found;
    gv_check_result_t result;
    char canonical[GV_ACCOUNT_MAX + 1], holder[512], address[1024];

    f = gv_msg_parse_account_check(body, len, &req, &err);
    if (f != GV_FAULT_NONE) {
        gv_reply_fault(reply, f, err.msg, req.request_id);
        snprintf(reply->summary, sizeof reply->summary, "request=%s fault=%s (%.200s)",
                 req.request_id[0] ? req.request_id : "-", gv_fault_name(f), err.msg);
        return;
    }
    if (strcmp(req.provider_bin, conf->provider_bin) != 0) {
        gv_reply_fault(reply, GV_FAULT_WRONG_PROVIDER, "ProviderBin is not this provider's BIN",
                       req.request_id);
        snprintf(reply->summary, sizeof reply->summary, "request=%s bin=%s fault=WRONG_PROVIDER",
                 req.request_id, req.provider_bin);
        return;
    }
    if (rt->adapter->canonicalise(actx, req.account, canonical, sizeof canonical) < 0) {
        found = GV_LOOKUP_NOT_FOUND;      /* cannot be a number of this provider */
    } else {
        found = rt->adapter->find_account(actx, canonical, req.period, now_ms, &rec, &dberr);
        if (found == GV_LOOKUP_RETRY) {
            int64_t wait = rt->adapter->retry_after_ms(actx, now_ms);
            gv_metrics_db_error(dberr.action);
            gv_reply_fault(reply, GV_FAULT_UNAVAILABLE,
                           "the billing database is unreachable; try again later",
                           req.request_id);
            reply->retry_after_s = wait > 0 ? (long)((wait + 999) / 1000) : 1;
            snprintf(reply->summary, sizeof reply->summary,
                     "request=%s account=%s period=%s fault=UNAVAILABLE db=%s (%.160s)",
                     req.request_id, req.account, req.period_text,
                     gv_db_action_name(dberr.action), dberr.msg);
            return;
        }
    }
    result = gv_check_decide(found == GV_LOOKUP_FOUND ? &rec : NULL, req.period, conf);
    reply->status = 200;
    reply->outcome = GV_OUTCOME_OF_RESULT(result);
    if (result == GV_CHECK_FOUND) {
        gv_account_info_t info = { rec.account, holder, address, rec.region, rec.metered,
                                   conf->provider_name };
        if (gv_mask_holder(rec.holder, holder, sizeof holder) < 0 ||
            gv_mask_address(rec.settlement[0] ? rec.settlement : NULL, rec.address,
                            (const char *const *)rt->map->settlement_markers, address,
                            sizeof address) < 0 ||
            gv_msg_account_check_response(&reply->body, req.request_id, "FOUND", &info, now) < 0)
            goto internal;
    } else if (gv_msg_account_check_response(&reply->body, req.request_id,
                                             gv_check_result_name(result), NULL, now) < 0) {
        goto internal;
    }
    snprintf(reply->summary, sizeof reply->summary, "request=%s account=%s period=%s result=%s",
             req.request_id, req.account, req.period_text, gv_check_result_name(result));
    return;
internal:
    gv_reply_fault(reply, GV_FAULT_INTERNAL, "internal error", req.request_id);
    snprintf(reply->summary, sizeof reply->summary, "request=%s fault=INTERNAL (answer too large)",
             req.request_id);
}

void gv_service_voucher_batch(gv_intake_t *in, const char *path, const unsigned char *sig,
                              size_t siglen, time_t now, gv_reply_t *reply, int *received)
{
    gv_receipt_t rc;

    *received = 0;
    if (gv_intake_receive(in, path, GV_FORM_XML, sig, siglen, "push", now, &rc) < 0) {
        gv_reply_fault(reply, rc.fault, rc.fault == GV_FAULT_INTERNAL ? "internal error" : rc.err.msg,
                       NULL);
        reply->retry_after_s = rc.fault == GV_FAULT_UNAVAILABLE ? rc.retry_after_s : 0;
        snprintf(reply->summary, sizeof reply->summary, "batch=%s fault=%s (%.250s)",
                 rc.head.batch_id[0] ? rc.head.batch_id : "-", gv_fault_name(rc.fault),
                 rc.err.msg);
        return;
    }
    if (gv_msg_batch_receipt(&reply->body, rc.head.batch_id,
                             rc.duplicate ? "DUPLICATE" : "RECEIVED", rc.sha256, now) < 0) {
        gv_reply_fault(reply, GV_FAULT_INTERNAL, "internal error", NULL);
        return;
    }
    reply->status = rc.duplicate ? 200 : 202;
    reply->outcome = GV_OUTCOME_OF_FAULT(GV_FAULT_NONE);
    *received = !rc.duplicate;
    snprintf(reply->summary, sizeof reply->summary, "batch=%s vouchers=%ld sha256=%s %s",
             rc.head.batch_id, rc.head.voucher_count, rc.sha256,
             rc.duplicate ? "DUPLICATE" : "RECEIVED");
}
