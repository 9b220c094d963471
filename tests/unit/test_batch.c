/* test_batch.c - reading a VoucherBatch (wallet-interface.md section 2),
 * XML and CSV: what comes out of a good batch, every refusal with its fault
 * and a message naming what, chunk boundaries of the streaming checks, a
 * big batch, the R7 content hash and the form a file name says.
 * Batch files are written to a mkdtemp folder at run time. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batch.h"
#include "calendar.h"
#include "xmlsafe.h"
#include "testutil.h"

#define OWN_BIN "990340001234"

static char *tmp;     /* the folder every batch file of this run goes in */

/* ---- set-up ------------------------------------------------------------ */

static void empty_tmp(void)
{
    DIR *d = opendir(tmp);
    struct dirent *e;

    if (!d)
        return;
    while ((e = readdir(d)) != NULL) {
        char *p;
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        p = tu_path_in(tmp, e->d_name);
        unlink(p);
        free(p);
    }
    closedir(d);
}

static int group_setup(void **state)
{
    gv_err_t err;
    (void)state;

    if (gv_time_init("Asia/Almaty") != 0)
        return -1;
    if (gv_xml_init(&err) != 0) {
        print_message("gv_xml_init: %s\n", err.msg);
        return -1;
    }
    tmp = tu_temp_dir();
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    empty_tmp();
    tu_remove_dir(tmp);
    tmp = NULL;
    gv_xml_cleanup();
    return 0;
}

/* Each test starts with an empty folder, whatever the last one left. */
static int test_setup(void **state)
{
    (void)state;
    empty_tmp();
    return 0;
}

/* Writes len bytes as tmp/name; returns the malloc'd path. */
static char *put(const char *name, const void *data, size_t len)
{
    char *path = tu_path_in(tmp, name);
    FILE *f = fopen(path, "wb");

    assert_non_null(f);
    if (len)
        assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    return path;
}

/* ---- collecting what the reader hands out ------------------------------ */

typedef struct {
    gv_voucher_in_t *v;
    size_t n, cap;
    long calls;
    long stop_at;            /* > 0: answer stop_fault at this call */
    gv_fault_t stop_fault;
    int head_mismatch;       /* the head passed to fn changed its batch_id */
    char head_batch_id[GV_BATCH_ID_LEN + 1];
} collect_t;

static gv_fault_t collect_fn(void *ud, const gv_batch_head_t *head, const gv_voucher_in_t *v,
                             gv_err_t *err)
{
    collect_t *c = ud;

    c->calls++;
    if (c->calls == 1)
        snprintf(c->head_batch_id, sizeof c->head_batch_id, "%s", head->batch_id);
    else if (strcmp(c->head_batch_id, head->batch_id) != 0)
        c->head_mismatch = 1;
    if (c->stop_at && c->calls == c->stop_at) {
        gv_err_set(err, "stopped by the callback at %ld", c->calls);
        return c->stop_fault;
    }
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 16;
        c->v = realloc(c->v, c->cap * sizeof *c->v);
        assert_non_null(c->v);
    }
    c->v[c->n++] = *v;
    return GV_FAULT_NONE;
}

static void collect_free(collect_t *c)
{
    free(c->v);
    memset(c, 0, sizeof *c);
}

static gv_fault_t read_into(const char *path, gv_batch_form_t form, gv_batch_head_t *head,
                            collect_t *c, gv_err_t *err)
{
    memset(err, 0, sizeof *err);
    return gv_batch_read(path, form, OWN_BIN, head, c ? collect_fn : NULL, c, err);
}

static time_t instant(const char *s)
{
    time_t t;
    if (gv_datetime_parse(s, &t) != 0)
        fail_msg("cannot parse %s", s);
    return t;
}

typedef struct {
    const char *id;
    const char *account;
    const char *activated;
    const char *channel;
    const char *assistance;
    int has_nominal;
    int64_t nominal;
} want_voucher_t;

static void check_vouchers(const collect_t *c, const want_voucher_t *w, size_t n)
{
    assert_int_equal(c->n, n);
    assert_int_equal(c->head_mismatch, 0);
    for (size_t i = 0; i < n; i++) {
        const gv_voucher_in_t *v = &c->v[i];
        assert_int_equal(v->position, (long)i + 1);
        assert_string_equal(v->id, w[i].id);
        assert_string_equal(v->account, w[i].account);
        assert_string_equal(v->activated_text, w[i].activated);
        assert_int_equal(v->activated, instant(w[i].activated));
        assert_string_equal(v->channel, w[i].channel);
        assert_string_equal(v->assistance, w[i].assistance);
        assert_int_equal(v->has_nominal, w[i].has_nominal);
        if (w[i].has_nominal)
            assert_int_equal(v->nominal_tiyn, w[i].nominal);
        assert_true(v->line > 0);
        if (i > 0)   /* exact lines: test_xml_voucher_lines, test_csv_good */
            assert_true(v->line >= c->v[i - 1].line);
    }
}

/* ---- XML: the spec's example ------------------------------------------ */

static const want_voucher_t example_vouchers[] = {
    { "GV-202509-000001", "0012345678", "2025-09-08T14:02:11+05:00", "EGOV_MOBILE", "TSA", 0, 0 },
    { "GV-202509-000002", "12345679", "2025-09-29T23:59:59+05:00", "PSC", "HOUSING", 0, 0 },
    { "GV-202509-000003", "0012345678", "2025-09-12T10:00:00+05:00", "EGOV_MOBILE", "TSA", 0, 0 },
    { "GV-202509-000004", "0099999999", "2025-09-06T18:59:59Z", "EGOV_MOBILE", "TSA", 0, 0 },
};

static char *example_copy(const char *name)
{
    char *src = tu_testdata_path("voucher-batch.xml");
    size_t len;
    char *text = tu_read_file(src, &len);
    char *path = put(name, text, len);

    free(text);
    free(src);
    return path;
}

static void test_xml_example(void **state)
{
    char *path = example_copy("GVB-990340001234-202509-001.xml");
    gv_batch_head_t head;
    collect_t c = { 0 };
    gv_err_t err;
    gv_fault_t f;
    (void)state;

    f = read_into(path, GV_FORM_XML, &head, &c, &err);
    if (f)
        print_message("refused: %s: %s\n", gv_fault_name(f), err.msg);
    assert_int_equal(f, GV_FAULT_NONE);
    assert_string_equal(head.batch_id, "GVB-990340001234-202509-001");
    assert_string_equal(head.provider_bin, OWN_BIN);
    assert_string_equal(head.period_text, "2025-09");
    assert_int_equal(head.period.year, 2025);
    assert_int_equal(head.period.month, 9);
    assert_string_equal(head.created_at, "2025-09-30T00:05:00+05:00");
    assert_int_equal(head.part, 1);
    assert_int_equal(head.parts, 1);
    assert_int_equal(head.voucher_count, 4);
    assert_string_equal(c.head_batch_id, "GVB-990340001234-202509-001");
    check_vouchers(&c, example_vouchers, TU_COUNT(example_vouchers));
    /* the fourth is the 6th, local: the instant is kept, not the day */
    assert_int_equal(gv_time_local_day(c.v[3].activated), gv_days_from_civil(2025, 9, 6));
    collect_free(&c);

    /* fn may be NULL: check only */
    f = read_into(path, GV_FORM_XML, &head, NULL, &err);
    assert_int_equal(f, GV_FAULT_NONE);
    assert_int_equal(head.voucher_count, 4);
    tu_remove(path);
}

/* ---- XML: building batches --------------------------------------------- */

#define XDECL "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
#define XNS "urn:socialwallet:gas-voucher:v1"
#define XHEAD(bid, bin, per, part, parts, count)                                          \
    "<VoucherBatch xmlns=\"" XNS "\" batchId=\"" bid "\" providerBin=\"" bin            \
    "\" period=\"" per "\" createdAt=\"2025-09-30T00:05:00+05:00\" part=\"" part        \
    "\" parts=\"" parts "\" voucherCount=\"" count "\">\n"
#define XVF(id, acc, at, ch, as, extra)                                                   \
    "  <Voucher id=\"" id "\"><Account>" acc "</Account><ActivatedAt>" at               \
    "</ActivatedAt><Channel>" ch "</Channel><AssistanceType>" as "</AssistanceType>" extra \
    "</Voucher>\n"
#define XV(id, acc, at) XVF(id, acc, at, "EGOV_MOBILE", "TSA", "")
#define XEND "</VoucherBatch>\n"
#define BID "GVB-990340001234-202509-001"
#define XOK(count) XDECL XHEAD(BID, OWN_BIN, "2025-09", "1", "1", count)
#define V1 XV("GV-202509-000001", "0012345678", "2025-09-08T14:02:11+05:00")
#define V2 XV("GV-202509-000002", "12345679", "2025-09-29T23:59:59+05:00")
#define GOOD2 XOK("2") V1 V2 XEND

static void test_xml_nominal_and_spelling(void **state)
{
    static const char doc[] =
        XOK("4")
        XVF("GV-202509-000001", "0012345678", "2025-09-08T14:02:11+05:00", "EGOV_MOBILE", "TSA",
            "<NominalTiyn>150000</NominalTiyn>")
        XVF("GV-202509-000002", "12 345-679/A", "2025-09-29T23:59:59+05:00", "PSC",
            "HOUSING", "<NominalTiyn>0</NominalTiyn>")
        XVF("GV-202509-00000000000000000003", "0012345678", "2025-09-06T19:00:00.250Z",
            "PSC", "TSA", "<NominalTiyn>9223372036854775807</NominalTiyn>")
        "  <!-- a comment between vouchers -->\n"
        XV("GV-202509-ABCD", "a", "2025-09-10T00:00:00-03:00")
        XEND;
    static const want_voucher_t want[] = {
        { "GV-202509-000001", "0012345678", "2025-09-08T14:02:11+05:00", "EGOV_MOBILE", "TSA", 1,
          150000 },
        { "GV-202509-000002", "12 345-679/A", "2025-09-29T23:59:59+05:00", "PSC", "HOUSING", 1,
          0 },
        { "GV-202509-00000000000000000003", "0012345678", "2025-09-06T19:00:00.250Z", "PSC",
          "TSA", 1, INT64_MAX },
        { "GV-202509-ABCD", "a", "2025-09-10T00:00:00-03:00", "EGOV_MOBILE", "TSA", 0, 0 },
    };
    char *path = put("b.xml", doc, sizeof doc - 1);
    gv_batch_head_t head;
    collect_t c = { 0 };
    gv_err_t err;
    gv_fault_t f;
    (void)state;

    f = read_into(path, GV_FORM_XML, &head, &c, &err);
    if (f)
        print_message("refused: %s: %s\n", gv_fault_name(f), err.msg);
    assert_int_equal(f, GV_FAULT_NONE);
    assert_int_equal(head.voucher_count, 4);
    check_vouchers(&c, want, TU_COUNT(want));
    collect_free(&c);
    tu_remove(path);
}

/* A voucher's line is the line its <Voucher> element is on, and a message
 * about a voucher names that line. */
static void test_xml_voucher_lines(void **state)
{
    static const char doc[] =
        XDECL                                                                /* line 1 */
        XHEAD(BID, OWN_BIN, "2025-09", "1", "1", "3")                        /* line 2 */
        V1                                                                   /* line 3 */
        "\n\n"                                                               /* 4, 5 */
        V2                                                                   /* line 6 */
        XV("GV-202509-000003", "1", "2025-09-10T10:00:00")                   /* line 7 */
        "\n\n\n\n\n\n\n\n" XEND;                                             /* 8-16 */
    static const long example_lines[] = { 5, 11, 17, 23 };
    char *path = example_copy("lines.xml");
    char *bad = put("lines-bad.xml", doc, sizeof doc - 1);
    gv_batch_head_t head;
    collect_t c = { 0 };
    gv_err_t err;
    int failures = 0;
    (void)state;

    assert_int_equal(read_into(path, GV_FORM_XML, &head, &c, &err), GV_FAULT_NONE);
    assert_int_equal(c.n, 4);
    for (size_t i = 0; i < 4; i++)
        if (c.v[i].line != example_lines[i]) {
            print_message("FAIL voucher-batch.xml: %s is on line %ld, reported line %ld\n",
                          c.v[i].id, example_lines[i], c.v[i].line);
            failures++;
        }
    collect_free(&c);

    assert_int_equal(read_into(bad, GV_FORM_XML, &head, &c, &err), GV_FAULT_SCHEMA_VIOLATION);
    assert_non_null(strstr(err.msg, "has no UTC offset"));
    if (strncmp(err.msg, "line 7:", 7) != 0) {
        print_message("FAIL the voucher without an offset is on line 7: '%s'\n", err.msg);
        failures++;
    }
    collect_free(&c);
    tu_remove(path);
    tu_remove(bad);
    assert_int_equal(failures, 0);
}

/* Documents that are fine, though written differently. */
static void test_xml_accepted_variants(void **state)
{
    static const struct {
        const char *name;
        const char *doc;
        long count;
    } t[] = {
        { "no XML declaration", XHEAD(BID, OWN_BIN, "2025-09", "1", "1", "2") V1 V2 XEND, 2 },
        { "encoding in lower case",
          "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n" XHEAD(BID, OWN_BIN, "2025-09", "1", "1",
                                                               "2") V1 V2 XEND,
          2 },
        { "a byte-order mark", "\xEF\xBB\xBF" GOOD2, 2 },
        { "no vouchers", XOK("0") XEND, 0 },
        { "empty root element",
          XDECL "<VoucherBatch xmlns=\"" XNS "\" batchId=\"" BID "\" providerBin=\"" OWN_BIN
                "\" period=\"2025-09\" createdAt=\"2025-09-30T00:05:00Z\" part=\"1\" "
                "parts=\"1\" voucherCount=\"0\"/>\n",
          0 },
        { "part 2 of 2", XDECL XHEAD("GVB-990340001234-202509-002", OWN_BIN, "2025-09", "2", "2",
                                     "1") V1 XEND,
          1 },
        { "namespace prefix",
          XDECL "<w:VoucherBatch xmlns:w=\"" XNS "\" batchId=\"" BID "\" providerBin=\"" OWN_BIN
                "\" period=\"2025-09\" createdAt=\"2025-09-30T00:05:00+05:00\" part=\"1\" "
                "parts=\"1\" voucherCount=\"1\"><w:Voucher id=\"GV-202509-0001\">"
                "<w:Account>1</w:Account><w:ActivatedAt>2025-09-08T14:02:11+05:00"
                "</w:ActivatedAt><w:Channel>PSC</w:Channel><w:AssistanceType>TSA"
                "</w:AssistanceType></w:Voucher></w:VoucherBatch>\n",
          1 },
        { "Cyrillic comment before the root",
          XDECL "<!-- \xd0\xa1\xd0\xbf\xd0\xb8\xd1\x81\xd0\xbe\xd0\xba -->\n" XHEAD(
              BID, OWN_BIN, "2025-09", "1", "1", "2") V1 V2 XEND,
          2 },
    };
    int failures = 0;
    (void)state;

    for (size_t i = 0; i < TU_COUNT(t); i++) {
        char *path = put("v.xml", t[i].doc, strlen(t[i].doc));
        gv_batch_head_t head;
        collect_t c = { 0 };
        gv_err_t err;
        gv_fault_t f = read_into(path, GV_FORM_XML, &head, &c, &err);

        if (f != GV_FAULT_NONE || head.voucher_count != t[i].count ||
            (long)c.n != t[i].count) {
            print_message("FAIL %s: %s (%s), %ld vouchers\n", t[i].name, gv_fault_name(f),
                          err.msg, head.voucher_count);
            failures++;
        }
        collect_free(&c);
        tu_remove(path);
    }
    assert_int_equal(failures, 0);
}

/* A valid document that ends with a comment holding a non-ASCII character
 * at every distance from the end of the file.  Every one must be accepted
 * (the precheck keeps the last bytes of the file for a second look). */
static void test_xml_non_ascii_near_end(void **state)
{
    static const struct {
        const char *name;
        const char *seq;
    } chars[] = {
        { "2-byte", "\xd0\xb6" },             /* ж */
        { "3-byte", "\xe2\x82\xac" },         /* € */
        { "4-byte", "\xf0\x9f\x98\x80" },     /* U+1F600 */
    };
    int failures = 0;
    (void)state;

    for (size_t k = 0; k < TU_COUNT(chars); k++)
        for (int after = 0; after <= 12; after++) {
            char doc[2048];
            int n = snprintf(doc, sizeof doc, "%s<!--%s%*s-->\n", GOOD2, chars[k].seq, after,
                             "");
            char *path = put("tail.xml", doc, (size_t)n);
            gv_batch_head_t head;
            gv_err_t err;
            gv_fault_t f = read_into(path, GV_FORM_XML, &head, NULL, &err);
            if (f != GV_FAULT_NONE) {
                print_message("FAIL %s char followed by %d bytes (file %d bytes, char at %d): "
                              "%s: %s\n",
                              chars[k].name, after + 4, n,
                              n - after - 4 - (int)strlen(chars[k].seq), gv_fault_name(f),
                              err.msg);
                failures++;
            }
            tu_remove(path);
        }
    assert_int_equal(failures, 0);
}

/* ---- XML: refusals ----------------------------------------------------- */

typedef struct {
    const char *name;
    const char *file;       /* NULL: a default name for the form */
    const char *content;
    size_t len;             /* 0: strlen(content) */
    gv_fault_t fault;
    const char *needle;     /* must be in the message; NULL: any */
} refusal_t;

#define S_V GV_FAULT_SCHEMA_VIOLATION
#define MAL GV_FAULT_MALFORMED
#define WRP GV_FAULT_WRONG_PROVIDER

static const refusal_t xml_refusals[] = {
    { "voucherCount says more", NULL, XOK("3") V1 V2 XEND, 0, S_V,
      "voucherCount says 3 but the batch holds 2" },
    { "voucherCount says fewer", NULL, XOK("1") V1 V2 XEND, 0, S_V,
      "voucherCount says 1 but the batch holds 2" },
    { "voucherCount says some, none there", NULL, XOK("1") XEND, 0, S_V,
      "voucherCount says 1 but the batch holds 0" },
    { "batchId BIN is not providerBin", NULL,
      XDECL XHEAD("GVB-990340001235-202509-001", OWN_BIN, "2025-09", "1", "1", "2") V1 V2 XEND,
      0, S_V, "names BIN 990340001235 but providerBin is 990340001234" },
    { "batchId month is not period", NULL,
      XDECL XHEAD("GVB-990340001234-202510-001", OWN_BIN, "2025-09", "1", "1", "2") V1 V2 XEND,
      0, S_V, "names period 2025-10 but period is 2025-09" },
    { "batchId year is not period", NULL,
      XDECL XHEAD("GVB-990340001234-202609-001", OWN_BIN, "2025-09", "1", "1", "2") V1 V2 XEND,
      0, S_V, "names period 2026-09 but period is 2025-09" },
    { "batchId month 13", NULL,
      XDECL XHEAD("GVB-990340001234-202513-001", OWN_BIN, "2025-09", "1", "1", "2") V1 V2 XEND,
      0, S_V, "GVB-990340001234-202513-001" },
    { "providerBin is another provider", NULL,
      XDECL XHEAD("GVB-111111111111-202509-001", "111111111111", "2025-09", "1", "1", "2") V1 V2
          XEND,
      0, WRP, "111111111111" },
    { "part > parts", NULL,
      XDECL XHEAD(BID, OWN_BIN, "2025-09", "3", "2", "2") V1 V2 XEND, 0, S_V, "part 3 of 2" },
    { "part 0", NULL, XDECL XHEAD(BID, OWN_BIN, "2025-09", "0", "2", "2") V1 V2 XEND, 0, S_V,
      NULL },
    { "ActivatedAt without offset", NULL,
      XOK("2") XV("GV-202509-000001", "0012345678", "2025-09-08T14:02:11") V2 XEND, 0, S_V,
      "'2025-09-08T14:02:11' has no UTC offset" },
    { "ActivatedAt 31 September", NULL,
      XOK("2") XV("GV-202509-000001", "0012345678", "2025-09-31T14:02:11+05:00") V2 XEND, 0,
      S_V, NULL },
    { "createdAt without offset", NULL,
      XDECL "<VoucherBatch xmlns=\"" XNS "\" batchId=\"" BID "\" providerBin=\"" OWN_BIN
            "\" period=\"2025-09\" createdAt=\"2025-09-30T00:05:00\" part=\"1\" parts=\"1\" "
            "voucherCount=\"2\">" V1 V2 XEND,
      0, S_V, "createdAt" },
    { "voucher id pattern", NULL,
      XOK("2") XV("GV-2025X9-000001", "0012345678", "2025-09-08T14:02:11+05:00") V2 XEND, 0,
      S_V, "GV-2025X9-000001" },
    { "voucher id lower case", NULL,
      XOK("2") XV("GV-202509-00a1", "0012345678", "2025-09-08T14:02:11+05:00") V2 XEND, 0, S_V,
      "GV-202509-00a1" },
    { "voucher id tail too short", NULL,
      XOK("2") XV("GV-202509-001", "0012345678", "2025-09-08T14:02:11+05:00") V2 XEND, 0, S_V,
      "GV-202509-001" },
    { "voucher id tail 21 chars", NULL,
      XOK("2") XV("GV-202509-000000000000000000001", "0012345678", "2025-09-08T14:02:11+05:00")
          V2 XEND,
      0, S_V, NULL },
    { "voucher id missing", NULL,
      XOK("1") "<Voucher><Account>1</Account><ActivatedAt>2025-09-08T14:02:11+05:00"
               "</ActivatedAt><Channel>PSC</Channel><AssistanceType>TSA</AssistanceType>"
               "</Voucher>" XEND,
      0, S_V, NULL },
    { "account with '_'", NULL,
      XOK("2") XV("GV-202509-000001", "0012_345678", "2025-09-08T14:02:11+05:00") V2 XEND, 0,
      S_V, "0012_345678" },
    { "account 33 characters", NULL,
      XOK("2") XV("GV-202509-000001", "123456789012345678901234567890123",
                  "2025-09-08T14:02:11+05:00") V2 XEND,
      0, S_V, NULL },
    { "account empty", NULL,
      XOK("2") XV("GV-202509-000001", "", "2025-09-08T14:02:11+05:00") V2 XEND, 0, S_V, NULL },
    { "channel SMS", NULL,
      XOK("1") XVF("GV-202509-000001", "1", "2025-09-08T14:02:11+05:00", "SMS", "TSA", "") XEND,
      0, S_V, "SMS" },
    { "assistance lower case", NULL,
      XOK("1") XVF("GV-202509-000001", "1", "2025-09-08T14:02:11+05:00", "PSC", "tsa", "") XEND,
      0, S_V, "tsa" },
    { "NominalTiyn -5", NULL,
      XOK("1") XVF("GV-202509-000001", "1", "2025-09-08T14:02:11+05:00", "PSC", "TSA",
                   "<NominalTiyn>-5</NominalTiyn>") XEND,
      0, S_V, NULL },
    { "NominalTiyn 12a", NULL,
      XOK("1") XVF("GV-202509-000001", "1", "2025-09-08T14:02:11+05:00", "PSC", "TSA",
                   "<NominalTiyn>12a</NominalTiyn>") XEND,
      0, S_V, NULL },
    { "elements out of order", NULL,
      XOK("1") "<Voucher id=\"GV-202509-0001\"><ActivatedAt>2025-09-08T14:02:11+05:00"
               "</ActivatedAt><Account>1</Account><Channel>PSC</Channel>"
               "<AssistanceType>TSA</AssistanceType></Voucher>" XEND,
      0, S_V, NULL },
    { "unknown element", NULL,
      XOK("1") XVF("GV-202509-000001", "1", "2025-09-08T14:02:11+05:00", "PSC", "TSA",
                   "<Region>KZ-75</Region>") XEND,
      0, S_V, NULL },
    { "missing voucherCount", NULL,
      XDECL "<VoucherBatch xmlns=\"" XNS "\" batchId=\"" BID "\" providerBin=\"" OWN_BIN
            "\" period=\"2025-09\" createdAt=\"2025-09-30T00:05:00+05:00\" part=\"1\" "
            "parts=\"1\">" V1 XEND,
      0, S_V, NULL },
    { "no namespace", NULL,
      XDECL "<VoucherBatch batchId=\"" BID "\" providerBin=\"" OWN_BIN
            "\" period=\"2025-09\" createdAt=\"2025-09-30T00:05:00+05:00\" part=\"1\" "
            "parts=\"1\" voucherCount=\"0\"></VoucherBatch>\n",
      0, S_V, NULL },
    { "root is an AccountCheckRequest", NULL,
      XDECL "<AccountCheckRequest xmlns=\"" XNS "\"\n"
            "    requestId=\"3f1c2a7e-9b4d-4e2a-8c61-0d5e7f9a1b23\" "
            "sentAt=\"2025-09-07T09:15:02+05:00\">\n"
            "  <ProviderBin>990340001234</ProviderBin>\n"
            "  <Account>0012345678</Account>\n"
            "  <Period>2025-09</Period>\n"
            "</AccountCheckRequest>\n",
      0, S_V, "AccountCheckRequest" },
    { "root is unknown", NULL, XDECL "<Batch xmlns=\"" XNS "\"/>\n", 0, S_V, NULL },
    { "empty file", NULL, "", 0, MAL, NULL },
    { "only the declaration", NULL, XDECL, 0, MAL, NULL },
    { "truncated in a voucher", NULL,
      XOK("2") "  <Voucher id=\"GV-202509-000001\"><Account>0012345678</Account><Activ", 0, MAL,
      NULL },
    { "truncated before the root's end", NULL, XOK("2") V1 V2, 0, MAL, NULL },
    { "mismatched tags", NULL,
      XOK("1") "  <Voucher id=\"GV-202509-000001\"><Account>1</Channel></Voucher>" XEND, 0, MAL,
      NULL },
    { "two roots", NULL, GOOD2 XHEAD(BID, OWN_BIN, "2025-09", "1", "1", "0") XEND, 0, MAL,
      NULL },
    { "unescaped '&'", NULL,
      XOK("1") XV("GV-202509-000001", "1&2", "2025-09-08T14:02:11+05:00") XEND, 0, MAL, NULL },
    { "invalid UTF-8: 0xFF", NULL, XDECL "<!-- \xff -->\n" XOK("2") V1 V2 XEND, 0, MAL,
      "not UTF-8" },
    { "invalid UTF-8: overlong '/'", NULL, XDECL "<!-- \xc0\xaf -->\n" XOK("2") V1 V2 XEND, 0,
      MAL, "not UTF-8" },
    { "invalid UTF-8: surrogate", NULL, XDECL "<!-- \xed\xa0\x80 -->\n" XOK("2") V1 V2 XEND, 0,
      MAL, "not UTF-8" },
    { "invalid UTF-8: Latin-1 in an account", NULL,
      XOK("1") XV("GV-202509-000001", "12\xe9", "2025-09-08T14:02:11+05:00") XEND, 0, MAL,
      "not UTF-8" },
    { "invalid UTF-8: cut at the end", NULL, GOOD2 "<!-- -->\xd0", 0, MAL, "not UTF-8" },
    { "a DOCTYPE", NULL,
      XDECL "<!DOCTYPE VoucherBatch [ <!ELEMENT VoucherBatch ANY> ]>\n" XHEAD(
          BID, OWN_BIN, "2025-09", "1", "1", "2") V1 V2 XEND,
      0, MAL, "DOCTYPE" },
    { "a DOCTYPE with an entity", NULL,
      XDECL "<!DOCTYPE x [ <!ENTITY a \"0012345678\"> ]>\n" XOK("1")
            XV("GV-202509-000001", "&a;", "2025-09-08T14:02:11+05:00") XEND,
      0, MAL, "DOCTYPE" },
    { "a DOCTYPE in a comment", NULL, XDECL "<!-- <!DOCTYPE -->\n" XOK("2") V1 V2 XEND, 0, MAL,
      "DOCTYPE" },
    { "an ENTITY declaration alone", NULL, XDECL "<!-- <!ENTITY -->\n" XOK("2") V1 V2 XEND, 0,
      MAL, "ENTITY" },
    { "encoding ISO-8859-1", NULL,
      "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n" XHEAD(BID, OWN_BIN, "2025-09", "1",
                                                                "1", "2") V1 V2 XEND,
      0, MAL, "encoding" },
    { "encoding windows-1251", NULL,
      "<?xml version=\"1.0\" encoding=\"windows-1251\"?>\n" XHEAD(BID, OWN_BIN, "2025-09", "1",
                                                                  "1", "2") V1 V2 XEND,
      0, MAL, "encoding" },
    { "a NUL byte", NULL, XDECL "<!-- \0 -->\n" XOK("2") V1 V2 XEND,
      sizeof(XDECL "<!-- \0 -->\n" XOK("2") V1 V2 XEND) - 1, MAL, NULL },
};

static int run_refusals(const refusal_t *t, size_t n, gv_batch_form_t form,
                        const char *default_name)
{
    int failures = 0;

    for (size_t i = 0; i < n; i++) {
        const refusal_t *r = &t[i];
        char *path = put(r->file ? r->file : default_name, r->content,
                         r->len ? r->len : strlen(r->content));
        gv_batch_head_t head;
        collect_t c = { 0 };
        gv_err_t err;
        gv_fault_t f = read_into(path, form, &head, &c, &err);

        if (f != r->fault || (r->needle && !strstr(err.msg, r->needle)) || !err.msg[0]) {
            print_message("FAIL %s: got %s '%s', expected %s containing '%s'\n", r->name,
                          gv_fault_name(f), err.msg, gv_fault_name(r->fault),
                          r->needle ? r->needle : "");
            failures++;
        } else if (getenv("GV_TEST_VERBOSE")) {
            print_message("  ok %s: %s: %s\n", r->name, gv_fault_name(f), err.msg);
        }
        collect_free(&c);
        tu_remove(path);
    }
    return failures;
}

static void test_xml_refusals(void **state)
{
    (void)state;
    assert_int_equal(run_refusals(xml_refusals, TU_COUNT(xml_refusals), GV_FORM_XML, "r.xml"),
                     0);
}

/* A callback's fault stops the reading and is the answer. */
static void test_xml_callback_stops(void **state)
{
    char *path = example_copy("stop.xml");
    gv_batch_head_t head;
    collect_t c = { 0 };
    gv_err_t err;
    (void)state;

    c.stop_at = 2;
    c.stop_fault = GV_FAULT_INTERNAL;
    assert_int_equal(read_into(path, GV_FORM_XML, &head, &c, &err), GV_FAULT_INTERNAL);
    assert_int_equal(c.calls, 2);
    assert_int_equal(c.n, 1);
    assert_non_null(strstr(err.msg, "stopped by the callback"));
    collect_free(&c);
    tu_remove(path);
}

/* ---- XML: the 1 MiB chunks of the precheck ------------------------------ */

#define MIB 1048576L

/* A valid batch after a comment of ASCII padding that holds seq with its
 * first byte at file offset at; the file is a little over size bytes.
 * inside: the comment is inside VoucherBatch, else before the root. */
static char *padded_doc(long at, const char *seq, long size, int inside, size_t *len)
{
    const char *pre = inside ? XOK("2") "<!--" : XDECL "<!--";
    const char *post = inside ? "-->\n" V1 V2 XEND : "-->\n" XHEAD(BID, OWN_BIN, "2025-09", "1",
                                                                   "1", "2") V1 V2 XEND;
    size_t pl = strlen(pre), sl = strlen(seq), ql = strlen(post);
    char *buf = malloc((size_t)size + pl + sl + ql + 16);
    size_t n = 0;

    assert_non_null(buf);
    assert_true((size_t)at >= pl);
    memcpy(buf, pre, pl);
    n = pl;
    memset(buf + n, 'a', (size_t)at - n);
    n = (size_t)at;
    memcpy(buf + n, seq, sl);
    n += sl;
    if ((long)n < size) {
        memset(buf + n, 'b', (size_t)size - n);
        n = (size_t)size;
    }
    memcpy(buf + n, post, ql);
    n += ql;
    *len = n;
    return buf;
}

static void test_xml_chunk_boundary_utf8(void **state)
{
    static const struct {
        const char *name;
        const char *seq;
        long at;
    } t[] = {
        /* around the first chunk's end (1 MiB) */
        { "2-byte before 1 MiB", "\xd0\xb6", MIB - 2 },
        { "2-byte straddling 1 MiB", "\xd0\xb6", MIB - 1 },
        { "2-byte at 1 MiB", "\xd0\xb6", MIB },
        { "3-byte straddling 1 MiB (1+2)", "\xe2\x82\xac", MIB - 1 },
        { "3-byte straddling 1 MiB (2+1)", "\xe2\x82\xac", MIB - 2 },
        { "4-byte straddling 1 MiB (1+3)", "\xf0\x9f\x98\x80", MIB - 1 },
        { "4-byte straddling 1 MiB (3+1)", "\xf0\x9f\x98\x80", MIB - 3 },
        /* around the first read's end (1 MiB + 8) */
        { "2-byte before 1 MiB+8", "\xd0\xb6", MIB + 6 },
        { "2-byte straddling 1 MiB+8", "\xd0\xb6", MIB + 7 },
        { "2-byte at 1 MiB+8", "\xd0\xb6", MIB + 8 },
        { "3-byte straddling 1 MiB+8 (1+2)", "\xe2\x82\xac", MIB + 7 },
        { "3-byte straddling 1 MiB+8 (2+1)", "\xe2\x82\xac", MIB + 6 },
        { "4-byte straddling 1 MiB+8 (1+3)", "\xf0\x9f\x98\x80", MIB + 7 },
        { "4-byte straddling 1 MiB+8 (3+1)", "\xf0\x9f\x98\x80", MIB + 5 },
        /* the second chunk's end (2 MiB + 8 read so far) */
        { "2-byte straddling 2 MiB", "\xd0\xb6", 2 * MIB - 1 },
        { "2-byte straddling 2 MiB+8", "\xd0\xb6", 2 * MIB + 7 },
    };
    int failures = 0;
    (void)state;

    for (int inside = 0; inside <= 1; inside++)
        for (size_t i = 0; i < TU_COUNT(t); i++) {
            size_t len;
            char *doc = padded_doc(t[i].at, t[i].seq, t[i].at + 64 * 1024, inside, &len);
            char *path = put("chunk.xml", doc, len);
            gv_batch_head_t head;
            collect_t c = { 0 };
            gv_err_t err;
            gv_fault_t f = read_into(path, GV_FORM_XML, &head, &c, &err);

            if (f != GV_FAULT_NONE || c.n != 2) {
                print_message("FAIL %s (comment %s the root, file %zu bytes): %s: %s\n",
                              t[i].name, inside ? "inside" : "before", len, gv_fault_name(f),
                              err.msg);
                failures++;
            }
            collect_free(&c);
            free(doc);
            tu_remove(path);
        }
    assert_int_equal(failures, 0);
}

/* The case: Cyrillic text padding, every character 2 bytes, in
 * both alignments, so one of them has a character across offset 1 MiB. */
static void test_xml_cyrillic_padding(void **state)
{
    int failures = 0;
    (void)state;

    for (int shift = 0; shift <= 1; shift++) {
        const char *pre = XDECL "<!-- ";
        const char *post = " -->\n" XHEAD(BID, OWN_BIN, "2025-09", "1", "1", "2") V1 V2 XEND;
        size_t pl = strlen(pre), ql = strlen(post), n, total = (size_t)MIB + 100000;
        char *buf = malloc(total + ql + 8);
        char *path;
        gv_batch_head_t head;
        collect_t c = { 0 };
        gv_err_t err;
        gv_fault_t f;
        long straddle = -1;

        assert_non_null(buf);
        memcpy(buf, pre, pl);
        n = pl;
        if (shift)
            buf[n++] = ' ';
        while (n + 2 <= total) {
            if (n < (size_t)MIB && n + 1 >= (size_t)MIB)
                straddle = (long)n;
            buf[n++] = '\xd0';
            buf[n++] = '\xb6';
        }
        memcpy(buf + n, post, ql);
        n += ql;
        path = put("cyr.xml", buf, n);
        f = read_into(path, GV_FORM_XML, &head, &c, &err);
        if (f != GV_FAULT_NONE || c.n != 2) {
            print_message("FAIL Cyrillic padding, %s: %s: %s\n",
                          straddle == MIB - 1 ? "a character across offset 1048576"
                                              : "characters aligned on offset 1048576",
                          gv_fault_name(f), err.msg);
            failures++;
        }
        collect_free(&c);
        free(buf);
        tu_remove(path);
    }
    assert_int_equal(failures, 0);
}

/* "<!DOCTYPE" and "<!ENTITY" cut by a chunk's end are still seen. */
static void test_xml_chunk_boundary_doctype(void **state)
{
    static const long offsets[] = {
        MIB - 9, MIB - 8, MIB - 5, MIB - 1, MIB, MIB + 1, MIB + 4, MIB + 7, MIB + 8,
        MIB + 9, 2 * MIB - 4, 2 * MIB + 4,
    };
    static const char *const words[] = { "<!DOCTYPE", "<!ENTITY" };
    int failures = 0;
    (void)state;

    for (size_t w = 0; w < TU_COUNT(words); w++)
        for (size_t i = 0; i < TU_COUNT(offsets); i++) {
            size_t len;
            char *doc = padded_doc(offsets[i], words[w], offsets[i] + 64 * 1024, 0, &len);
            char *path = put("doctype.xml", doc, len);
            gv_batch_head_t head;
            gv_err_t err;
            gv_fault_t f = read_into(path, GV_FORM_XML, &head, NULL, &err);

            if (f != GV_FAULT_MALFORMED || !strstr(err.msg, words[w] + 2)) {
                print_message("FAIL %s at offset %ld: %s: %s\n", words[w], offsets[i],
                              gv_fault_name(f), err.msg);
                failures++;
            }
            free(doc);
            tu_remove(path);
        }
    assert_int_equal(failures, 0);
}

/* ---- XML: a big batch --------------------------------------------------- */

typedef struct {
    long seen;
    int bad;
} big_t;

static gv_fault_t big_fn(void *ud, const gv_batch_head_t *head, const gv_voucher_in_t *v,
                         gv_err_t *err)
{
    big_t *b = ud;
    char id[32], acc[16];

    (void)head;
    (void)err;
    b->seen++;
    snprintf(id, sizeof id, "GV-202509-%06ld", b->seen);
    snprintf(acc, sizeof acc, "%010ld", b->seen);
    if (v->position != b->seen || strcmp(v->id, id) != 0 || strcmp(v->account, acc) != 0 ||
        v->activated != 1757300000 + b->seen % 1000000) {
        if (b->bad++ < 5)
            print_message("voucher %ld: position %ld id %s account %s\n", b->seen, v->position,
                          v->id, v->account);
    }
    return GV_FAULT_NONE;
}

static void write_big_xml(const char *path, long n, long claimed)
{
    FILE *f = fopen(path, "wb");

    assert_non_null(f);
    fprintf(f, XDECL "<VoucherBatch xmlns=\"" XNS "\" batchId=\"" BID "\" providerBin=\"" OWN_BIN
                     "\" period=\"2025-09\" createdAt=\"2025-09-30T00:05:00+05:00\" part=\"1\" "
                     "parts=\"1\" voucherCount=\"%ld\">\n",
            claimed);
    for (long i = 1; i <= n; i++) {
        char at[32];
        gv_time_format_local((time_t)(1757300000 + i % 1000000), at);
        fprintf(f,
                "<Voucher id=\"GV-202509-%06ld\"><Account>%010ld</Account><ActivatedAt>%s"
                "</ActivatedAt><Channel>%s</Channel><AssistanceType>%s</AssistanceType>"
                "</Voucher>\n",
                i, i, at, i % 2 ? "EGOV_MOBILE" : "PSC", i % 3 ? "TSA" : "HOUSING");
    }
    fputs(XEND, f);
    assert_int_equal(fclose(f), 0);
}

static void test_xml_big(void **state)
{
    const long n = 200000;
    char *path = tu_path_in(tmp, "GVB-990340001234-202509-001.xml");
    gv_batch_head_t head;
    big_t b = { 0, 0 };
    gv_err_t err;
    gv_fault_t f;
    int64_t t0;
    (void)state;

    write_big_xml(path, n, n);
    t0 = tu_now_ms();
    memset(&err, 0, sizeof err);
    f = gv_batch_read(path, GV_FORM_XML, OWN_BIN, &head, big_fn, &b, &err);
    print_message("  %ld vouchers read in %lld ms\n", n, (long long)(tu_now_ms() - t0));
    if (f)
        print_message("refused: %s: %s\n", gv_fault_name(f), err.msg);
    assert_int_equal(f, GV_FAULT_NONE);
    assert_int_equal(b.seen, n);
    assert_int_equal(b.bad, 0);
    assert_int_equal(head.voucher_count, n);

    /* one voucher fewer than claimed: refused, after fn saw them all */
    write_big_xml(path, n - 1, n);
    b.seen = 0;
    f = gv_batch_read(path, GV_FORM_XML, OWN_BIN, &head, big_fn, &b, &err);
    assert_int_equal(f, GV_FAULT_SCHEMA_VIOLATION);
    assert_non_null(strstr(err.msg, "voucherCount says 200000 but the batch holds 199999"));
    tu_remove(path);
}

/* ---- CSV ---------------------------------------------------------------- */

#define CSVNAME "GVB-990340001234-202509-002.csv"
#define CH "voucher_id,account,activated_at,channel,assistance_type,nominal_tiyn"
#define CR1 "GV-202509-000001,0012345678,2025-09-08T14:02:11+05:00,EGOV_MOBILE,TSA,"
#define CR2 "\"GV-202509-000002\",\"12 345-679/A\",2025-09-29T23:59:59+05:00,PSC,HOUSING,150000"
#define CR3 "GV-202509-000003,\"0012345678\",\"2025-09-06T19:00:00Z\",\"EGOV_MOBILE\",\"TSA\",\"\""
#define CR4 "GV-202509-ABCD,a,2025-09-10T00:00:00-03:00,PSC,TSA,0"

static const want_voucher_t csv_want[] = {
    { "GV-202509-000001", "0012345678", "2025-09-08T14:02:11+05:00", "EGOV_MOBILE", "TSA", 0, 0 },
    { "GV-202509-000002", "12 345-679/A", "2025-09-29T23:59:59+05:00", "PSC", "HOUSING", 1,
      150000 },
    { "GV-202509-000003", "0012345678", "2025-09-06T19:00:00Z", "EGOV_MOBILE", "TSA", 0, 0 },
    { "GV-202509-ABCD", "a", "2025-09-10T00:00:00-03:00", "PSC", "TSA", 1, 0 },
};

static void test_csv_good(void **state)
{
    static const struct {
        const char *name;
        const char *text;
    } t[] = {
        { "CRLF", CH "\r\n" CR1 "\r\n" CR2 "\r\n" CR3 "\r\n" CR4 "\r\n" },
        { "LF only", CH "\n" CR1 "\n" CR2 "\n" CR3 "\n" CR4 "\n" },
        { "no line end at the end", CH "\r\n" CR1 "\r\n" CR2 "\r\n" CR3 "\r\n" CR4 },
        { "mixed line ends", CH "\n" CR1 "\r\n" CR2 "\n" CR3 "\r\n" CR4 "\n" },
        { "quoted header", "\"voucher_id\",\"account\",\"activated_at\",\"channel\","
                           "\"assistance_type\",\"nominal_tiyn\"\r\n" CR1 "\r\n" CR2 "\r\n" CR3
                           "\r\n" CR4 "\r\n" },
    };
    int failures = 0;
    (void)state;

    for (size_t i = 0; i < TU_COUNT(t); i++) {
        char *path = put(CSVNAME, t[i].text, strlen(t[i].text));
        gv_batch_head_t head;
        collect_t c = { 0 };
        gv_err_t err;
        gv_fault_t f = read_into(path, GV_FORM_CSV, &head, &c, &err);

        if (f != GV_FAULT_NONE) {
            print_message("FAIL %s: %s: %s\n", t[i].name, gv_fault_name(f), err.msg);
            failures++;
        } else {
            assert_string_equal(head.batch_id, "GVB-990340001234-202509-002");
            assert_string_equal(head.provider_bin, OWN_BIN);
            assert_string_equal(head.period_text, "2025-09");
            assert_int_equal(head.period.year, 2025);
            assert_int_equal(head.period.month, 9);
            assert_string_equal(head.created_at, "");
            assert_int_equal(head.part, 2);
            assert_int_equal(head.parts, 0);
            assert_int_equal(head.voucher_count, 4);
            check_vouchers(&c, csv_want, TU_COUNT(csv_want));
            assert_int_equal(c.v[0].line, 2);   /* the header is record 1 */
            assert_int_equal(c.v[3].line, 5);
        }
        collect_free(&c);
        tu_remove(path);
    }
    assert_int_equal(failures, 0);
}

static void test_csv_header_only(void **state)
{
    char *path = put("GVB-990340001234-202512-017.csv", CH "\r\n", strlen(CH "\r\n"));
    gv_batch_head_t head;
    collect_t c = { 0 };
    gv_err_t err;
    (void)state;

    assert_int_equal(read_into(path, GV_FORM_CSV, &head, &c, &err), GV_FAULT_NONE);
    assert_int_equal(head.voucher_count, 0);
    assert_int_equal(head.part, 17);
    assert_int_equal(head.period.month, 12);
    assert_int_equal(c.n, 0);
    collect_free(&c);
    tu_remove(path);
}

/* Many records, so the reading crosses its 64 KiB buffers. */
static void test_csv_many(void **state)
{
    const long n = 20000;
    char *path = tu_path_in(tmp, CSVNAME);
    FILE *f = fopen(path, "wb");
    gv_batch_head_t head;
    big_t b = { 0, 0 };
    gv_err_t err;
    gv_fault_t fault;
    (void)state;

    assert_non_null(f);
    fputs(CH "\r\n", f);
    for (long i = 1; i <= n; i++) {
        char at[32];
        gv_time_format_local((time_t)(1757300000 + i % 1000000), at);
        fprintf(f, i % 2 ? "GV-202509-%06ld,%010ld,%s,PSC,TSA,\r\n"
                         : "\"GV-202509-%06ld\",\"%010ld\",\"%s\",PSC,TSA,\"\"\r\n",
                i, i, at);
    }
    assert_int_equal(fclose(f), 0);
    memset(&err, 0, sizeof err);
    fault = gv_batch_read(path, GV_FORM_CSV, OWN_BIN, &head, big_fn, &b, &err);
    if (fault)
        print_message("refused: %s: %s\n", gv_fault_name(fault), err.msg);
    assert_int_equal(fault, GV_FAULT_NONE);
    assert_int_equal(b.seen, n);
    assert_int_equal(b.bad, 0);
    assert_int_equal(head.voucher_count, n);
    tu_remove(path);
}

/* A non-ASCII character across the reader's 64 KiB buffers is still one
 * character: the record is refused for its account (SCHEMA_VIOLATION), not
 * as bytes that are not UTF-8 (MALFORMED). */
static void test_csv_utf8_across_buffers(void **state)
{
    static const long offsets[] = { 65534, 65535, 65536, 131071 };
    int failures = 0;
    (void)state;

    for (size_t i = 0; i < TU_COUNT(offsets); i++) {
        char *buf = malloc(200000);
        size_t n = 0;
        long rec = 1;
        char *path;
        gv_batch_head_t head;
        gv_err_t err;
        gv_fault_t f;
        const char *pre = "GV-202509-999999,";

        assert_non_null(buf);
        n = (size_t)snprintf(buf, 200000, "%s\r\n", CH);
        /* whole records (64 bytes) while far from the offset, then one
         * whose account length brings the last record's account (digits,
         * then the character) to the offset with a field under 48 bytes */
        while ((long)n + 136 < offsets[i]) {
            rec++;
            n += (size_t)snprintf(buf + n, 200000 - n,
                                  "GV-202509-%06ld,%010ld,2025-09-08T14:02:11+05:00,PSC,TSA,\r\n",
                                  rec, rec);
        }
        {
            long r = offsets[i] - (long)n;
            long a = r - 76 < 1 ? 1 : r - 76 > 32 ? 32 : r - 76;
            n += (size_t)snprintf(buf + n, 200000 - n, "GV-202509-999998,%0*d,", (int)a, 0);
            n += (size_t)snprintf(buf + n, 200000 - n,
                                  "2025-09-08T14:02:11+05:00,PSC,TSA,\r\n");
        }
        memcpy(buf + n, pre, strlen(pre));
        n += strlen(pre);
        assert_true((long)n <= offsets[i] && offsets[i] - (long)n <= 40);
        while (n < (size_t)offsets[i])
            buf[n++] = '1';
        memcpy(buf + n, "\xd0\xb6,2025-09-08T14:02:11+05:00,PSC,TSA,\r\n", 39);
        n += 39;
        path = put(CSVNAME, buf, n);
        f = read_into(path, GV_FORM_CSV, &head, NULL, &err);
        if (f != GV_FAULT_SCHEMA_VIOLATION || !strstr(err.msg, "account")) {
            print_message("FAIL char at offset %ld: %s: %s\n", offsets[i], gv_fault_name(f),
                          err.msg);
            failures++;
        }
        free(buf);
        tu_remove(path);
    }
    assert_int_equal(failures, 0);
}

#define CSV_BAD(row) CH "\r\n" CR1 "\r\n" row "\r\n"
#define ROW(id, acc, at, ch, as, nom) id "," acc "," at "," ch "," as "," nom
#define ROW_ID(id) ROW(id, "1", "2025-09-08T14:02:11+05:00", "PSC", "TSA", "")
#define ROW_ACC(acc) ROW("GV-202509-000009", acc, "2025-09-08T14:02:11+05:00", "PSC", "TSA", "")
#define ROW_AT(at) ROW("GV-202509-000009", "1", at, "PSC", "TSA", "")
#define ROW_CH(ch) ROW("GV-202509-000009", "1", "2025-09-08T14:02:11+05:00", ch, "TSA", "")
#define ROW_AS(as) ROW("GV-202509-000009", "1", "2025-09-08T14:02:11+05:00", "PSC", as, "")
#define ROW_NOM(nom) ROW("GV-202509-000009", "1", "2025-09-08T14:02:11+05:00", "PSC", "TSA", nom)

static const refusal_t csv_refusals[] = {
    /* quoting (RFC 4180, strict) */
    { "unterminated quote at the end", NULL,
      CH "\r\n" "GV-202509-000001,\"0012345678,2025-09-08T14:02:11+05:00,PSC,TSA,\r\n", 0, MAL,
      NULL },
    { "unterminated quote, more lines after", NULL,
      CH "\r\n" "\"abc,1,2025-09-08T14:02:11+05:00,PSC,TSA,\r\n" CR1 "\r\n" CR1 "\r\n", 0, MAL,
      NULL },
    { "quote inside an unquoted field", NULL, CSV_BAD(ROW_ACC("0012\"345678")), 0, MAL, NULL },
    { "text after a closing quote", NULL, CSV_BAD(ROW_ACC("\"0012\"345678")), 0, MAL, NULL },
    { "quote in the header", NULL,
      "voucher_id,acc\"ount,activated_at,channel,assistance_type,nominal_tiyn\r\n" CR1 "\r\n", 0,
      MAL, NULL },
    /* the header */
    { "wrong header name", NULL,
      "voucher_id,account,activated_at,channel,assistance,nominal_tiyn\r\n" CR1 "\r\n", 0, S_V,
      "header field 5 is 'assistance'" },
    { "header in upper case", NULL,
      "VOUCHER_ID,ACCOUNT,ACTIVATED_AT,CHANNEL,ASSISTANCE_TYPE,NOMINAL_TIYN\r\n" CR1 "\r\n", 0,
      S_V, "header field 1" },
    { "header fields in another order", NULL,
      "account,voucher_id,activated_at,channel,assistance_type,nominal_tiyn\r\n" CR1 "\r\n", 0,
      S_V, "header field 1 is 'account'" },
    { "header with a space", NULL,
      "voucher_id, account,activated_at,channel,assistance_type,nominal_tiyn\r\n" CR1 "\r\n", 0,
      S_V, "header field 2" },
    { "header with 5 fields", NULL,
      "voucher_id,account,activated_at,channel,assistance_type\r\n" CR1 "\r\n", 0, S_V,
      "5 fields, expected 6" },
    { "no header", NULL, CR1 "\r\n", 0, S_V, "header field 1" },
    /* field counts */
    { "a record with 5 fields", NULL,
      CSV_BAD("GV-202509-000009,1,2025-09-08T14:02:11+05:00,PSC,TSA"), 0, S_V,
      "record 3: 5 fields, expected 6" },
    { "a record with 7 fields", NULL,
      CSV_BAD("GV-202509-000009,1,2025-09-08T14:02:11+05:00,PSC,TSA,,x"), 0, S_V,
      "record 3: 7 fields, expected 6" },
    { "a record with a trailing comma", NULL, CSV_BAD(CR1 ","), 0, S_V, "7 fields" },
    { "a record of one field", NULL, CSV_BAD("GV-202509-000009"), 0, S_V, "1 fields" },
    /* voucher_id */
    { "voucher id lower case", NULL, CSV_BAD(ROW_ID("GV-202509-00a1")), 0, S_V,
      "voucher_id 'GV-202509-00a1'" },
    { "voucher id tail 3 chars", NULL, CSV_BAD(ROW_ID("GV-202509-001")), 0, S_V,
      "voucher_id 'GV-202509-001'" },
    { "voucher id tail 21 chars", NULL, CSV_BAD(ROW_ID("GV-202509-000000000000000000001")), 0,
      S_V, "voucher_id" },
    { "voucher id 5-digit period", NULL, CSV_BAD(ROW_ID("GV-20259-000001")), 0, S_V,
      "voucher_id" },
    { "voucher id no prefix", NULL, CSV_BAD(ROW_ID("202509-000001")), 0, S_V, "voucher_id" },
    { "voucher id with a space", NULL, CSV_BAD(ROW_ID("GV-202509-0001 ")), 0, S_V,
      "voucher_id" },
    { "voucher id empty", NULL, CSV_BAD(ROW_ID("")), 0, S_V, "voucher_id" },
    { "voucher id too long for a field", NULL,
      CSV_BAD(ROW_ID("GV-202509-00000000000000000000000000000000000000000001")), 0, S_V,
      "too long" },
    /* account */
    { "account with '_'", NULL, CSV_BAD(ROW_ACC("0012_345678")), 0, S_V,
      "account '0012_345678'" },
    { "account with '.'", NULL, CSV_BAD(ROW_ACC("0012.345678")), 0, S_V, "account" },
    { "account with a tab", NULL, CSV_BAD(ROW_ACC("0012\t345678")), 0, S_V, "account" },
    { "account empty", NULL, CSV_BAD(ROW_ACC("")), 0, S_V, "account" },
    { "account 33 characters", NULL, CSV_BAD(ROW_ACC("123456789012345678901234567890123")), 0,
      S_V, "account" },
    { "account Cyrillic", NULL, CSV_BAD(ROW_ACC("0012\xd0\x90")), 0, S_V, "account" },
    { "account with a quoted comma", NULL, CSV_BAD(ROW_ACC("\"12,34\"")), 0, S_V, "account" },
    { "account with a quoted quote", NULL, CSV_BAD(ROW_ACC("\"12\"\"34\"")), 0, S_V,
      "account" },
    /* activated_at */
    { "activated_at without offset", NULL, CSV_BAD(ROW_AT("2025-09-08T14:02:11")), 0, S_V,
      "activated_at '2025-09-08T14:02:11' has no UTC offset" },
    { "activated_at 31 September", NULL, CSV_BAD(ROW_AT("2025-09-31T14:02:11+05:00")), 0, S_V,
      "is not a dateTime" },
    { "activated_at a date", NULL, CSV_BAD(ROW_AT("2025-09-08")), 0, S_V, "activated_at" },
    { "activated_at empty", NULL, CSV_BAD(ROW_AT("")), 0, S_V, "activated_at" },
    { "activated_at with a space", NULL, CSV_BAD(ROW_AT(" 2025-09-08T14:02:11+05:00")), 0, S_V,
      "activated_at" },
    /* channel, assistance */
    { "channel EGOV", NULL, CSV_BAD(ROW_CH("EGOV")), 0, S_V, "channel 'EGOV'" },
    { "channel lower case", NULL, CSV_BAD(ROW_CH("egov_mobile")), 0, S_V, "channel" },
    { "channel with a space", NULL, CSV_BAD(ROW_CH(" PSC")), 0, S_V, "channel" },
    { "channel empty", NULL, CSV_BAD(ROW_CH("")), 0, S_V, "channel" },
    { "assistance lower case", NULL, CSV_BAD(ROW_AS("tsa")), 0, S_V, "assistance_type 'tsa'" },
    { "assistance with a space", NULL, CSV_BAD(ROW_AS("TSA ")), 0, S_V, "assistance_type" },
    { "assistance other", NULL, CSV_BAD(ROW_AS("PENSION")), 0, S_V, "assistance_type" },
    /* nominal_tiyn */
    { "nominal -5", NULL, CSV_BAD(ROW_NOM("-5")), 0, S_V, "nominal_tiyn '-5'" },
    { "nominal 12a", NULL, CSV_BAD(ROW_NOM("12a")), 0, S_V, "nominal_tiyn '12a'" },
    { "nominal +5", NULL, CSV_BAD(ROW_NOM("+5")), 0, S_V, "nominal_tiyn" },
    { "nominal 1.5", NULL, CSV_BAD(ROW_NOM("1.5")), 0, S_V, "nominal_tiyn" },
    { "nominal with a space", NULL, CSV_BAD(ROW_NOM(" 5")), 0, S_V, "nominal_tiyn" },
    { "nominal too big", NULL, CSV_BAD(ROW_NOM("99999999999999999999")), 0, S_V,
      "nominal_tiyn" },
    /* bytes */
    { "a byte-order mark", NULL, "\xEF\xBB\xBF" CH "\r\n" CR1 "\r\n", 0, MAL, "byte-order mark" },
    { "invalid UTF-8: 0xFF", NULL, CSV_BAD(ROW_ACC("12\xff")), 0, MAL, "not UTF-8" },
    { "invalid UTF-8: Latin-1", NULL, CSV_BAD(ROW_ACC("12\xe9")), 0, MAL, "not UTF-8" },
    { "invalid UTF-8: overlong", NULL, CSV_BAD(ROW_ACC("12\xc0\xaf")), 0, MAL, "not UTF-8" },
    { "invalid UTF-8: cut at the end", NULL, CH "\r\n" CR1 "\r\n\xd0", 0, MAL, "not UTF-8" },
    { "a NUL byte", NULL, CH "\r\n" "GV-202509-000001,00\0" "12,x",
      sizeof(CH "\r\n" "GV-202509-000001,00\0" "12,x") - 1, MAL, "NUL" },
    /* the file's name */
    { "not named <batchId>.csv", "batch.csv", CH "\r\n" CR1 "\r\n", 0, S_V,
      "named <batchId>.csv" },
    { "sequence of 2 digits", "GVB-990340001234-202509-02.csv", CH "\r\n" CR1 "\r\n", 0, S_V,
      "named <batchId>.csv" },
    { "month 13", "GVB-990340001234-202513-001.csv", CH "\r\n" CR1 "\r\n", 0, S_V,
      "named <batchId>.csv" },
    { "month 00", "GVB-990340001234-202500-001.csv", CH "\r\n" CR1 "\r\n", 0, S_V,
      "named <batchId>.csv" },
    { "lower-case prefix", "gvb-990340001234-202509-001.csv", CH "\r\n" CR1 "\r\n", 0, S_V,
      "named <batchId>.csv" },
    { "letter in the BIN", "GVB-99034000123X-202509-001.csv", CH "\r\n" CR1 "\r\n", 0, S_V,
      "named <batchId>.csv" },
    { "extension .txt", "GVB-990340001234-202509-001.txt", CH "\r\n" CR1 "\r\n", 0, S_V,
      "named <batchId>.csv" },
    { "no dot before csv", "GVB-990340001234-202509-001xcsv", CH "\r\n" CR1 "\r\n", 0, S_V,
      "named <batchId>.csv" },
    { "BIN in the name is another provider's", "GVB-111111111111-202509-001.csv",
      CH "\r\n" CR1 "\r\n", 0, WRP, "111111111111" },
    /* empty */
    { "empty file", NULL, "", 0, S_V, "empty" },
    { "only a line end", NULL, "\r\n", 0, S_V, "empty" },
};

static void test_csv_refusals(void **state)
{
    (void)state;
    assert_int_equal(run_refusals(csv_refusals, TU_COUNT(csv_refusals), GV_FORM_CSV, CSVNAME),
                     0);
}

static void test_csv_callback_stops(void **state)
{
    static const char text[] = CH "\r\n" CR1 "\r\n" CR2 "\r\n" CR3 "\r\n";
    char *path = put(CSVNAME, text, sizeof text - 1);
    gv_batch_head_t head;
    collect_t c = { 0 };
    gv_err_t err;
    (void)state;

    c.stop_at = 2;
    c.stop_fault = GV_FAULT_INTERNAL;
    assert_int_equal(read_into(path, GV_FORM_CSV, &head, &c, &err), GV_FAULT_INTERNAL);
    assert_int_equal(c.calls, 2);
    assert_non_null(strstr(err.msg, "stopped by the callback"));
    collect_free(&c);
    tu_remove(path);
}

/* A missing file is not the wallet's fault. */
static void test_missing_file(void **state)
{
    char *xml = tu_path_in(tmp, "absent.xml");
    char *csv = tu_path_in(tmp, CSVNAME);
    gv_batch_head_t head;
    gv_err_t err;
    (void)state;

    assert_int_equal(read_into(xml, GV_FORM_XML, &head, NULL, &err), GV_FAULT_INTERNAL);
    assert_non_null(strstr(err.msg, "absent.xml"));
    assert_int_equal(read_into(csv, GV_FORM_CSV, &head, NULL, &err), GV_FAULT_INTERNAL);
    free(xml);
    free(csv);
}

/* ---- the content hash (R7) ---------------------------------------------- */

static gv_voucher_in_t base_voucher(void)
{
    gv_voucher_in_t v;

    memset(&v, 0, sizeof v);
    v.position = 1;
    v.line = 7;
    snprintf(v.id, sizeof v.id, "GV-202509-000001");
    snprintf(v.account, sizeof v.account, "0012345678");
    snprintf(v.activated_text, sizeof v.activated_text, "2025-09-08T14:02:11+05:00");
    v.activated = instant(v.activated_text);
    snprintf(v.channel, sizeof v.channel, "EGOV_MOBILE");
    snprintf(v.assistance, sizeof v.assistance, "TSA");
    return v;
}

static int is_hex64(const char *s)
{
    if (strlen(s) != 64)
        return 0;
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
            return 0;
    return 1;
}

static void test_content_hash(void **state)
{
    static const char *const spellings[] = {
        "2025-09-08T14:02:11+05:00", "2025-09-08T09:02:11Z", "2025-09-08T09:02:11+00:00",
        "2025-09-08T15:02:11+06:00", "2025-09-08T06:02:11-03:00", "2025-09-08T09:02:11.999Z",
    };
    gv_voucher_in_t b = base_voucher(), v;
    char h0[65], h[65], hs[8][65];
    size_t nh = 0;
    (void)state;

    gv_voucher_content_hash(&b, h0);
    assert_true(is_hex64(h0));

    /* the instant, not its spelling; not the id, position, line */
    for (size_t i = 0; i < TU_COUNT(spellings); i++) {
        v = b;
        snprintf(v.activated_text, sizeof v.activated_text, "%s", spellings[i]);
        v.activated = instant(spellings[i]);
        gv_voucher_content_hash(&v, h);
        if (strcmp(h, h0) != 0)
            fail_msg("%s hashes differently from %s", spellings[i], b.activated_text);
    }
    v = b;
    snprintf(v.id, sizeof v.id, "GV-202509-999999");
    v.position = 42;
    v.line = 99;
    gv_voucher_content_hash(&v, h);
    assert_string_equal(h, h0);

    /* every field of the content changes it */
#define VARIANT(stmt)                                  \
    do {                                               \
        v = b;                                         \
        stmt;                                          \
        gv_voucher_content_hash(&v, hs[nh]);           \
        assert_string_not_equal(hs[nh], h0);           \
        for (size_t k = 0; k < nh; k++)                \
            assert_string_not_equal(hs[nh], hs[k]);    \
        nh++;                                          \
    } while (0)
    VARIANT(snprintf(v.account, sizeof v.account, "12345678"));     /* as typed */
    VARIANT(v.activated += 1);
    VARIANT(snprintf(v.channel, sizeof v.channel, "PSC"));
    VARIANT(snprintf(v.assistance, sizeof v.assistance, "HOUSING"));
    VARIANT((v.has_nominal = 1, v.nominal_tiyn = 0));
    VARIANT((v.has_nominal = 1, v.nominal_tiyn = 150000));
    VARIANT((v.has_nominal = 1, v.nominal_tiyn = 150001));
    VARIANT(snprintf(v.account, sizeof v.account, "0012345678 "));
#undef VARIANT
    /* without a face value the number is ignored */
    v = b;
    v.nominal_tiyn = 5;
    gv_voucher_content_hash(&v, h);
    assert_string_equal(h, h0);
}

/* The same voucher read from the XML and the CSV form has the same hash. */
static void test_content_hash_across_forms(void **state)
{
    static const char csv[] =
        CH "\r\n"
        "GV-202509-000001,0012345678,2025-09-08T09:02:11Z,EGOV_MOBILE,TSA,\r\n"
        "GV-202509-000002,12345679,2025-09-29T18:59:59Z,PSC,HOUSING,\r\n"
        "GV-202509-000003,0012345678,2025-09-12T10:00:00+05:00,EGOV_MOBILE,TSA,\r\n"
        "GV-202509-000004,0099999999,2025-09-07T00:59:59+06:00,EGOV_MOBILE,TSA,\r\n";
    char *xml_path = example_copy("x.xml");
    char *csv_path = put("GVB-990340001234-202509-001.csv", csv, sizeof csv - 1);
    gv_batch_head_t hx, hc;
    collect_t cx = { 0 }, cc = { 0 };
    gv_err_t err;
    (void)state;

    assert_int_equal(read_into(xml_path, GV_FORM_XML, &hx, &cx, &err), GV_FAULT_NONE);
    assert_int_equal(read_into(csv_path, GV_FORM_CSV, &hc, &cc, &err), GV_FAULT_NONE);
    assert_int_equal(cx.n, 4);
    assert_int_equal(cc.n, 4);
    for (size_t i = 0; i < 4; i++) {
        char a[65], b[65];
        gv_voucher_content_hash(&cx.v[i], a);
        gv_voucher_content_hash(&cc.v[i], b);
        assert_string_equal(cx.v[i].id, cc.v[i].id);
        if (strcmp(a, b) != 0)
            fail_msg("voucher %s: XML and CSV hash differently", cx.v[i].id);
    }
    assert_string_equal(hx.batch_id, hc.batch_id);
    collect_free(&cx);
    collect_free(&cc);
    tu_remove(xml_path);
    tu_remove(csv_path);
}

/* ---- gv_batch_form_of --------------------------------------------------- */

static void test_form_of(void **state)
{
    static const struct {
        const char *path;
        int rc;
        gv_batch_form_t form;
    } t[] = {
        { "GVB-990340001234-202509-001.xml", 0, GV_FORM_XML },
        { "GVB-990340001234-202509-001.csv", 0, GV_FORM_CSV },
        { "/var/spool/gv/inbox/GVB-990340001234-202509-001.csv", 0, GV_FORM_CSV },
        { "dir.csv/batch.xml", 0, GV_FORM_XML },
        { "a.xml", 0, GV_FORM_XML },
        { "a.csv", 0, GV_FORM_CSV },
        { "x.csv.xml", 0, GV_FORM_XML },
        { ".xml", -1, 0 },
        { ".csv", -1, 0 },
        { "xml", -1, 0 },
        { "", -1, 0 },
        { "a.XML", -1, 0 },
        { "a.CSV", -1, 0 },
        { "a.xml.p7s", -1, 0 },
        { "a.csvx", -1, 0 },
        { "a.txt", -1, 0 },
        { "a.xml ", -1, 0 },
        { "a_xml", -1, 0 },
        { "dir.xml/batch", -1, 0 },
    };
    (void)state;

    for (size_t i = 0; i < TU_COUNT(t); i++) {
        gv_batch_form_t form = (gv_batch_form_t)77;
        int rc = gv_batch_form_of(t[i].path, &form);
        if (rc != t[i].rc || (rc == 0 && form != t[i].form))
            fail_msg("'%s': rc %d form %d, expected rc %d form %d", t[i].path, rc, (int)form,
                     t[i].rc, (int)t[i].form);
    }
}

int main(void)
{
#define T(f) cmocka_unit_test_setup(f, test_setup)
    const struct CMUnitTest tests[] = {
        T(test_xml_example),
        T(test_xml_nominal_and_spelling),
        T(test_xml_voucher_lines),
        T(test_xml_accepted_variants),
        T(test_xml_non_ascii_near_end),
        T(test_xml_refusals),
        T(test_xml_callback_stops),
        T(test_xml_chunk_boundary_utf8),
        T(test_xml_cyrillic_padding),
        T(test_xml_chunk_boundary_doctype),
        T(test_xml_big),
        T(test_csv_good),
        T(test_csv_header_only),
        T(test_csv_many),
        T(test_csv_utf8_across_buffers),
        T(test_csv_refusals),
        T(test_csv_callback_stops),
        T(test_missing_file),
        T(test_content_hash),
        T(test_content_hash_across_forms),
        T(test_form_of),
    };
#undef T
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
