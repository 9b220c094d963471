/* msg.c - AccountCheckRequest in, AccountCheckResponse and Fault out.
 *
 * Answers are written as text into a bounded buffer, every value escaped;
 * the tests validate each kind of answer against the XSD.
 */
#include "config.h"
#include "msg.h"

#include <string.h>

#define NS "urn:socialwallet:gas-voucher:v1"

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
        if (strcmp(name, "AccountCheckRequest") != 0 || !ns || strcmp((const char *)ns, NS)) {
            gv_err_set(err, "expected AccountCheckRequest in namespace %s, got %s", NS, name);
            return GV_FAULT_SCHEMA_VIOLATION;
        }
        st->root_seen = 1;
        id = xmlTextReaderGetAttribute(r, (const xmlChar *)"requestId");
        /* Kept for the Fault only whole: a cut id is not the caller's. */
        if (id && strlen((const char *)id) < sizeof st->req->request_id)
            strcpy(st->req->request_id, (const char *)id);
        xmlFree(id);
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

static int element(gv_buf_t *out, const char *indent, const char *name, const char *value)
{
    return gv_buf_printf(out, "%s<%s>", indent, name) || gv_buf_xml_escape(out, value) ||
           gv_buf_printf(out, "</%s>\n", name);
}

int gv_msg_account_check_response(gv_buf_t *out, const char *request_id, const char *result,
                                  const gv_account_info_t *info, time_t now)
{
    char when[32];

    gv_time_format_local(now, when);
    if (gv_buf_puts(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                         "<AccountCheckResponse xmlns=\"" NS "\" requestId=\"") ||
        gv_buf_xml_escape(out, request_id) ||
        gv_buf_printf(out, "\" respondedAt=\"%s\">\n", when) ||
        element(out, "  ", "Result", result))
        return -1;
    if (info) {
        if (gv_buf_puts(out, "  <AccountInfo>\n") ||
            element(out, "    ", "Account", info->account) ||
            element(out, "    ", "HolderMasked", info->holder_masked) ||
            element(out, "    ", "AddressMasked", info->address_masked) ||
            element(out, "    ", "Region", info->region) ||
            element(out, "    ", "Metered", info->metered ? "true" : "false") ||
            element(out, "    ", "ProviderName", info->provider_name) ||
            gv_buf_puts(out, "  </AccountInfo>\n"))
            return -1;
    }
    return gv_buf_puts(out, "</AccountCheckResponse>\n");
}

int gv_msg_batch_receipt(gv_buf_t *out, const char *batch_id, const char *status,
                         const char *sha256, time_t received_at)
{
    char when[32];

    gv_time_format_local(received_at, when);
    return gv_buf_puts(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<BatchReceipt xmlns=\"" NS
                            "\" batchId=\"") ||
           gv_buf_xml_escape(out, batch_id) || gv_buf_puts(out, "\" status=\"") ||
           gv_buf_puts(out, status) || gv_buf_puts(out, "\" sha256=\"") ||
           gv_buf_puts(out, sha256) || gv_buf_puts(out, "\" receivedAt=\"") ||
           gv_buf_puts(out, when) || gv_buf_puts(out, "\"/>\n");
}

int gv_msg_fault(gv_buf_t *out, gv_fault_t code, const char *message, const char *request_id)
{
    if (gv_buf_puts(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Fault xmlns=\"" NS "\""))
        return -1;
    if (request_id && *request_id &&
        (gv_buf_puts(out, " requestId=\"") || gv_buf_xml_escape(out, request_id) ||
         gv_buf_puts(out, "\"")))
        return -1;
    return gv_buf_puts(out, ">\n") || element(out, "  ", "Code", gv_fault_name(code)) ||
           element(out, "  ", "Message", message) || gv_buf_puts(out, "</Fault>\n");
}
