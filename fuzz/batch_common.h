/* batch_common.h - one driver for both batch forms (fuzz_batch_xml.c,
 * fuzz_batch_csv.c): the promises of gv_batch_read, whatever the bytes. */
#ifndef GV_FUZZ_BATCH_COMMON_H
#define GV_FUZZ_BATCH_COMMON_H

#include "fuzz.h"

#include "batch.h"
#include "buf.h"
#include "calendar.h"
#include "msg.h"
#include "xmlsafe.h"

#include <string.h>

#define FUZZ_OWN_BIN "990340001234"

struct seen {
    long count;
};

static gv_fault_t on_voucher(void *ud, const gv_batch_head_t *head, const gv_voucher_in_t *v,
                             gv_err_t *err)
{
    struct seen *s = ud;
    time_t again;
    char hash[65];

    (void)err;
    GV_FUZZ_CHECK(v->position == ++s->count, "voucher %ld at position %ld", s->count,
                  v->position);
    GV_FUZZ_CHECK(memchr(v->id, 0, sizeof v->id) && memchr(v->account, 0, sizeof v->account) &&
                  memchr(v->activated_text, 0, sizeof v->activated_text) &&
                  memchr(v->channel, 0, sizeof v->channel) &&
                  memchr(v->assistance, 0, sizeof v->assistance), "an unterminated field");
    GV_FUZZ_CHECK(v->id[0] && v->account[0] && v->channel[0] && v->assistance[0],
                  "voucher %ld with an empty field", v->position);
    GV_FUZZ_CHECK(gv_datetime_parse(v->activated_text, &again) == 0 && again == v->activated,
                  "activated '%s' is not the instant read", v->activated_text);
    GV_FUZZ_CHECK(!v->has_nominal || v->nominal_tiyn >= 0, "face value %lld",
                  (long long)v->nominal_tiyn);
    GV_FUZZ_CHECK(memchr(head->batch_id, 0, sizeof head->batch_id), "batchId");
    gv_voucher_content_hash(v, hash);
    GV_FUZZ_CHECK(strlen(hash) == 64, "hash");
    return GV_FAULT_NONE;
}

static void fuzz_batch(const char *path, gv_batch_form_t form)
{
    gv_batch_head_t head;
    gv_err_t err = { { 0 } }, verr;
    struct seen s = { 0 };
    gv_buf_t out;
    gv_fault_t f;

    memset(&head, 0, sizeof head);
    f = gv_batch_read(path, form, FUZZ_OWN_BIN, &head, on_voucher, &s, &err);
    if (f == GV_FAULT_NONE) {
        GV_FUZZ_CHECK(head.voucher_count == s.count, "voucherCount %ld, %ld seen",
                      head.voucher_count, s.count);
        GV_FUZZ_CHECK(!strcmp(head.provider_bin, FUZZ_OWN_BIN), "another provider's batch");
        GV_FUZZ_CHECK(head.period.month >= 1 && head.period.month <= 12, "month");
        GV_FUZZ_CHECK(strlen(head.batch_id) == GV_BATCH_ID_LEN, "batchId '%s'", head.batch_id);
        return;
    }
    /* The refusal travels back to the wallet in a Fault: it must be one. */
    GV_FUZZ_CHECK(err.msg[0], "refused (%s) without a message", gv_fault_name(f));
    gv_buf_init(&out, 64 * 1024);
    GV_FUZZ_CHECK(gv_msg_fault(&out, f, err.msg, NULL) == 0, "fault too large");
    GV_FUZZ_CHECK(gv_xml_validate(out.data, out.len, &verr) == 0,
                  "the Fault is not valid: %s\n%.*s", verr.msg, (int)out.len, out.data);
    gv_buf_free(&out);
}

#endif
