/* msg.c - AccountCheckRequest in, AccountCheckResponse and Fault out.
 *
 * Answers are written with the one XML writer (xmlout.h), every value
 * escaped by libxml2; the tests validate each kind of answer against the
 * XSD.
 */
#include "config.h"
#include "msg.h"

#include <string.h>

#include "xmlout.h"


struct ac_state {
    gv_account_check_req_t *req;
    int root_seen;
};

static gv_fault_t ac_start(void *ud, int depth, const char *name, xmlTextReaderPtr r,
                           gv_err_t *err)
{
    struct ac_state *st = ud;

    if (depth == 0) {
        xmlChar *id, *sent;
        const xmlChar *ns = xmlTextReaderConstNamespaceUri(r);
        if (strcmp(name, "AccountCheckRequest") != 0 || !ns || strcmp((const char *)ns, GV_WALLET_NS)) {
            gv_err_set(err, "expected AccountCheckRequest in namespace %s, got %s", GV_WALLET_NS, name);
            return GV_FAULT_SCHEMA_VIOLATION;
        }
        st->root_seen = 1;
        id = xmlTextReaderGetAttribute(r, (const xmlChar *)"requestId");
        if (id) {
            snprintf(st->req->request_id, sizeof st->req->request_id, "%s", (char *)id);
            xmlFree(id);
        }
        sent = xmlTextReaderGetAttribute(r, (const xmlChar *)"sentAt");
        if (sent) {
            int rc = gv_datetime_parse((const char *)sent, &st->req->sent_at);
            if (rc == -2) {
                gv_err_set(err, "attribute sentAt: '%s' has no UTC offset", (char *)sent);
                xmlFree(sent);
                return GV_FAULT_SCHEMA_VIOLATION;
            }
            xmlFree(sent);
        }
    }
    return GV_FAULT_NONE;
}

static gv_fault_t ac_end(void *ud, int depth, const char *name, const char *text, gv_err_t *err)
{
    struct ac_state *st = ud;
    char *dst = NULL;
    size_t size = 0;

    (void)err;
    if (depth != 1)
        return GV_FAULT_NONE;
    if (!strcmp(name, "ProviderBin")) {
        dst = st->req->provider_bin;
        size = sizeof st->req->provider_bin;
    } else if (!strcmp(name, "Account")) {
        dst = st->req->account;
        size = sizeof st->req->account;
    } else if (!strcmp(name, "Period")) {
        dst = st->req->period_text;
        size = sizeof st->req->period_text;
    }
    if (dst)
        snprintf(dst, size, "%s", text);
    return GV_FAULT_NONE;
}

gv_fault_t gv_msg_parse_account_check(const char *buf, size_t len, gv_account_check_req_t *req,
                                      gv_err_t *err)
{
    static const gv_xml_visitor_t visitor = { ac_start, ac_end };
    static const gv_xml_limits_t limits = { 64, 64 };
    struct ac_state st = { req, 0 };
    gv_fault_t f;

    memset(req, 0, sizeof *req);
    f = gv_xml_scan(buf, len, &limits, &visitor, &st, err);
    if (f != GV_FAULT_NONE)
        return f;
    /* The schema guarantees the shape; the period also needs a real month. */
    if (gv_period_parse(req->period_text, &req->period) < 0) {
        gv_err_set(err, "element Period: '%s' is not a valid period", req->period_text);
        return GV_FAULT_SCHEMA_VIOLATION;
    }
    return GV_FAULT_NONE;
}

/* Answers are small: a writer in memory, appended to out whole or not
 * at all (out is the caller's bounded buffer). */
static int finish(gv_xml_out_t *x, int failed, gv_buf_t *out)
{
    gv_err_t err;

    if (failed) {
        gv_xml_abandon(x);
        return -1;
    }
    return gv_xml_commit(x, NULL, out, &err);
}

int gv_msg_account_check_response(gv_buf_t *out, const char *request_id, const char *result,
                                  const gv_account_info_t *info, time_t now)
{
    char when[32];
    gv_err_t err;
    gv_xml_out_t *x = gv_xml_memory(&err);
    int failed;

    if (!x)
        return -1;
    gv_time_format_local(now, when);
    failed = gv_xml_start(x, "AccountCheckResponse") < 0 ||
             gv_xml_attr(x, "requestId", request_id) < 0 ||
             gv_xml_attr(x, "respondedAt", when) < 0 ||
             gv_xml_text_element(x, "Result", result) < 0;
    if (!failed && info)
        failed = gv_xml_start(x, "AccountInfo") < 0 ||
                 gv_xml_text_element(x, "Account", info->account) < 0 ||
                 gv_xml_text_element(x, "HolderMasked", info->holder_masked) < 0 ||
                 gv_xml_text_element(x, "AddressMasked", info->address_masked) < 0 ||
                 gv_xml_text_element(x, "Region", info->region) < 0 ||
                 gv_xml_text_element(x, "Metered", info->metered ? "true" : "false") < 0 ||
                 gv_xml_text_element(x, "ProviderName", info->provider_name) < 0 ||
                 gv_xml_end(x) < 0;
    return finish(x, failed || gv_xml_end(x) < 0, out);
}

int gv_msg_batch_receipt(gv_buf_t *out, const char *batch_id, const char *status,
                         const char *sha256, time_t received_at)
{
    char when[32];
    gv_err_t err;
    gv_xml_out_t *x = gv_xml_memory(&err);

    if (!x)
        return -1;
    gv_time_format_local(received_at, when);
    return finish(x,
                  gv_xml_start(x, "BatchReceipt") < 0 || gv_xml_attr(x, "batchId", batch_id) < 0 ||
                      gv_xml_attr(x, "status", status) < 0 ||
                      gv_xml_attr(x, "sha256", sha256) < 0 ||
                      gv_xml_attr(x, "receivedAt", when) < 0 || gv_xml_end(x) < 0,
                  out);
}

int gv_msg_fault(gv_buf_t *out, gv_fault_t code, const char *message, const char *request_id)
{
    gv_err_t err;
    gv_xml_out_t *x = gv_xml_memory(&err);

    if (!x)
        return -1;
    return finish(x,
                  gv_xml_start(x, "Fault") < 0 || gv_xml_attr_opt(x, "requestId", request_id) < 0 ||
                      gv_xml_text_element(x, "Code", gv_fault_name(code)) < 0 ||
                      gv_xml_text_element(x, "Message", message) < 0 || gv_xml_end(x) < 0,
                  out);
}
