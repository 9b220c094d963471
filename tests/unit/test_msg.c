/* test_msg.c - reading an AccountCheckRequest safely (every hostile or
 * invalid body gets the exact Fault of wallet-interface.md "Errors") and
 * writing answers that validate against the wallet XSD. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "calendar.h"
#include "fault.h"
#include "msg.h"
#include "xmlsafe.h"
#include "testutil.h"

#define NS "urn:socialwallet:gas-voucher:v1"
#define RID "3f1c2a7e-9b4d-4e2a-8c61-0d5e7f9a1b23"
#define DECL "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"

/* A request with the given parts; NULL = the example's value. */
static char *request(const char *root, const char *ns, const char *attrs, const char *body)
{
    char *out = malloc(8192);

    assert_non_null(out);
    snprintf(out, 8192,
             DECL "<%s xmlns=\"%s\" %s>\n%s</%s>\n", root ? root : "AccountCheckRequest",
             ns ? ns : NS,
             attrs ? attrs : "requestId=\"" RID "\" sentAt=\"2025-09-07T09:15:02+05:00\"",
             body ? body
                  : "  <ProviderBin>990340001234</ProviderBin>\n"
                    "  <Account>0012345678</Account>\n"
                    "  <Period>2025-09</Period>\n",
             root ? root : "AccountCheckRequest");
    return out;
}

static char *with_account(const char *account)
{
    char body[1024];
    snprintf(body, sizeof body,
             "<ProviderBin>990340001234</ProviderBin><Account>%s</Account>"
             "<Period>2025-09</Period>", account);
    return request(NULL, NULL, NULL, body);
}

static char *with_period(const char *period)
{
    char body[1024];
    snprintf(body, sizeof body,
             "<ProviderBin>990340001234</ProviderBin><Account>0012345678</Account>"
             "<Period>%s</Period>", period);
    return request(NULL, NULL, NULL, body);
}

static char *with_sent_at(const char *sent_at)
{
    char attrs[256];
    snprintf(attrs, sizeof attrs, "requestId=\"" RID "\" sentAt=\"%s\"", sent_at);
    return request(NULL, NULL, attrs, NULL);
}

static gv_fault_t parse(const char *buf, size_t len, gv_account_check_req_t *req, gv_err_t *err)
{
    err->msg[0] = '\0';
    return gv_msg_parse_account_check(buf, len, req, err);
}

static int group_setup(void **state)
{
    gv_err_t err;
    (void)state;

    if (gv_time_init("Asia/Almaty") != 0)
        return -1;
    return gv_xml_init(&err);
}

static int group_teardown(void **state)
{
    (void)state;
    gv_xml_cleanup();
    return 0;
}

/* ---- valid requests ---------------------------------------------------------- */

static void test_parse_example(void **state)
{
    char *path = tu_testdata_path("account-check-request.xml");
    size_t len;
    char *buf = tu_read_file(path, &len);
    gv_account_check_req_t req;
    gv_err_t err;
    time_t sent;
    (void)state;

    assert_int_equal(parse(buf, len, &req, &err), GV_FAULT_NONE);
    assert_string_equal(req.request_id, RID);
    assert_string_equal(req.provider_bin, "990340001234");
    assert_string_equal(req.account, "0012345678");
    assert_string_equal(req.period_text, "2025-09");
    assert_int_equal(req.period.year, 2025);
    assert_int_equal(req.period.month, 9);
    assert_int_equal(gv_datetime_parse("2025-09-07T09:15:02+05:00", &sent), 0);
    assert_int_equal(req.sent_at, sent);
    free(buf);
    free(path);
}

static void test_parse_valid_variants(void **state)
{
    static const struct {
        const char *name;
        const char *doc;
        const char *account;
        const char *sent_at;
    } t[] = {
        { "no declaration",
          "<AccountCheckRequest xmlns=\"" NS "\" requestId=\"" RID "\" "
          "sentAt=\"2025-09-06T19:00:00Z\"><ProviderBin>990340001234</ProviderBin>"
          "<Account>12345678</Account><Period>2025-09</Period></AccountCheckRequest>",
          "12345678", "2025-09-06T19:00:00Z" },
        { "UTF-8 byte order mark",
          "\xef\xbb\xbf" DECL "<AccountCheckRequest xmlns=\"" NS "\" requestId=\"" RID "\" "
          "sentAt=\"2025-09-07T09:15:02+05:00\"><ProviderBin>990340001234</ProviderBin>"
          "<Account>0012 345-678</Account><Period>2025-09</Period></AccountCheckRequest>",
          "0012 345-678", "2025-09-07T09:15:02+05:00" },
        { "lowercase utf-8 declaration",
          "<?xml version=\"1.0\" encoding=\"utf-8\"?><AccountCheckRequest xmlns=\"" NS
          "\" requestId=\"" RID "\" sentAt=\"2025-09-07T09:15:02.250+05:00\">"
          "<ProviderBin>990340001234</ProviderBin><Account>AB/12</Account>"
          "<Period>2025-09</Period></AccountCheckRequest>",
          "AB/12", "2025-09-07T09:15:02+05:00" },
        { "namespace prefix",
          "<gv:AccountCheckRequest xmlns:gv=\"" NS "\" requestId=\"" RID "\" "
          "sentAt=\"2025-09-07T04:15:02-00:00\"><gv:ProviderBin>990340001234</gv:ProviderBin>"
          "<gv:Account>0012345678</gv:Account><gv:Period>2025-09</gv:Period>"
          "</gv:AccountCheckRequest>",
          "0012345678", "2025-09-07T09:15:02+05:00" },
        { "comments and whitespace",
          DECL "<!-- hello -->\n<AccountCheckRequest xmlns=\"" NS "\"\n  requestId=\"" RID
          "\"\n  sentAt=\"2025-09-07T09:15:02+05:00\">\n  <!-- c -->\n"
          "  <ProviderBin>990340001234</ProviderBin>\n  <Account>0012345678</Account>\n"
          "  <Period>2025-09</Period>\n</AccountCheckRequest>\n",
          "0012345678", "2025-09-07T09:15:02+05:00" },
    };
    (void)state;

    for (size_t i = 0; i < TU_COUNT(t); i++) {
        gv_account_check_req_t req;
        gv_err_t err;
        gv_fault_t f = parse(t[i].doc, strlen(t[i].doc), &req, &err);
        time_t sent;

        if (f != GV_FAULT_NONE)
            fail_msg("%s: %s (%s)", t[i].name, gv_fault_name(f), err.msg);
        assert_string_equal(req.request_id, RID);
        assert_string_equal(req.account, t[i].account);
        assert_int_equal(gv_datetime_parse(t[i].sent_at, &sent), 0);
        assert_int_equal(req.sent_at, sent);
    }
}

/* ---- hostile and invalid bodies ------------------------------------------------ */

typedef struct {
    const char *name;
    char *doc;        /* malloc'd */
    size_t len;       /* 0 = strlen, except for the empty body */
    gv_fault_t fault;
} bad_case_t;

static char *xdup(const char *s)
{
    char *p = strdup(s);
    assert_non_null(p);
    return p;
}

static char *deep(int depth, const char *root_open, const char *root_close)
{
    size_t cap = (size_t)depth * 16 + 1024;
    char *out = malloc(cap), *o;

    assert_non_null(out);
    o = out + sprintf(out, DECL "%s", root_open);
    for (int i = 0; i < depth; i++)
        o += sprintf(o, "<x>");
    for (int i = 0; i < depth; i++)
        o += sprintf(o, "</x>");
    sprintf(o, "%s", root_close);
    return out;
}

static const char billion_laughs[] =
    DECL
    "<!DOCTYPE lolz [\n"
    " <!ENTITY lol \"lol\">\n"
    " <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
    " <!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
    " <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
    " <!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">\n"
    " <!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">\n"
    " <!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">\n"
    " <!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">\n"
    " <!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">\n"
    " <!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">\n"
    "]>\n"
    "<AccountCheckRequest xmlns=\"" NS "\" requestId=\"" RID "\" "
    "sentAt=\"2025-09-07T09:15:02+05:00\"><ProviderBin>990340001234</ProviderBin>"
    "<Account>&lol9;</Account><Period>2025-09</Period></AccountCheckRequest>\n";

static const char xxe[] =
    DECL
    "<!DOCTYPE AccountCheckRequest [\n"
    "  <!ENTITY xxe SYSTEM \"file:///etc/passwd\">\n"
    "]>\n"
    "<AccountCheckRequest xmlns=\"" NS "\" requestId=\"" RID "\" "
    "sentAt=\"2025-09-07T09:15:02+05:00\"><ProviderBin>990340001234</ProviderBin>"
    "<Account>&xxe;</Account><Period>2025-09</Period></AccountCheckRequest>\n";

static const char xxe_parameter[] =
    DECL
    "<!DOCTYPE r [ <!ENTITY % ext SYSTEM \"http://127.0.0.1:1/x.dtd\"> %ext; ]>\n"
    "<AccountCheckRequest xmlns=\"" NS "\"/>\n";

static void test_bad_bodies(void **state)
{
    bad_case_t t[] = {
        /* MALFORMED */
        { "not well-formed: unclosed root",
          xdup(DECL "<AccountCheckRequest xmlns=\"" NS "\" requestId=\"" RID "\" "
                   "sentAt=\"2025-09-07T09:15:02+05:00\"><ProviderBin>990340001234</ProviderBin>"
                   "<Account>0012345678</Account><Period>2025-09</Period>"),
          0, GV_FAULT_MALFORMED },
        { "not well-formed: mismatched tag",
          xdup(DECL "<AccountCheckRequest xmlns=\"" NS "\" requestId=\"" RID "\" "
                   "sentAt=\"2025-09-07T09:15:02+05:00\"><ProviderBin>990340001234</ProviderBin>"
                   "<Account>0012345678</Acount><Period>2025-09</Period>"
                   "</AccountCheckRequest>"),
          0, GV_FAULT_MALFORMED },
        { "not well-formed: wrong root closed",
          request(NULL, NULL, NULL, "<ProviderBin>990340001234</ProviderBin></Foo>"), 0,
          GV_FAULT_MALFORMED },
        { "not well-formed: text", xdup("account=0012345678&period=2025-09"), 0,
          GV_FAULT_MALFORMED },
        { "not well-formed: JSON", xdup("{\"account\": \"0012345678\"}"), 0,
          GV_FAULT_MALFORMED },
        { "not well-formed: two roots",
          xdup("<AccountCheckRequest xmlns=\"" NS "\"/><AccountCheckRequest xmlns=\"" NS
              "\"/>"), 0, GV_FAULT_MALFORMED },
        { "not well-formed: valid request, then a second root",
          request(NULL, NULL, NULL, NULL), 0, GV_FAULT_COUNT + 1 },      /* filled below */
        { "not well-formed: unquoted attribute",
          xdup("<AccountCheckRequest xmlns=\"" NS "\" requestId=" RID "/>"), 0,
          GV_FAULT_MALFORMED },
        { "not well-formed: undeclared entity", with_account("00&foo;12"), 0,
          GV_FAULT_MALFORMED },
        { "not well-formed: bare ampersand", with_account("00&12"), 0, GV_FAULT_MALFORMED },
        { "not well-formed: NUL byte", NULL, 0, GV_FAULT_MALFORMED },   /* filled below */
        { "empty body", xdup(""), 0, GV_FAULT_MALFORMED },
        { "whitespace only", xdup("  \n\t "), 0, GV_FAULT_MALFORMED },
        { "declaration only", xdup(DECL), 0, GV_FAULT_MALFORMED },
        { "invalid UTF-8: 0xFF", with_account("0012\xff" "345678"), 0, GV_FAULT_MALFORMED },
        { "invalid UTF-8: overlong slash", with_account("0012\xc0\xaf" "345678"), 0,
          GV_FAULT_MALFORMED },
        { "invalid UTF-8: surrogate", with_account("0012\xed\xa0\x80" "345678"), 0,
          GV_FAULT_MALFORMED },
        { "invalid UTF-8: truncated sequence", with_account("0012345678\xd0"), 0,
          GV_FAULT_MALFORMED },
        { "invalid UTF-8: Latin-1 in a comment",
          xdup(DECL "<!-- caf\xe9 -->\n<AccountCheckRequest xmlns=\"" NS "\"/>"), 0,
          GV_FAULT_MALFORMED },
        { "UTF-16 body", NULL, 0, GV_FAULT_MALFORMED },                  /* filled below */
        { "ISO-8859-1 declaration",
          xdup("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<AccountCheckRequest xmlns=\"" NS
              "\" requestId=\"" RID "\" sentAt=\"2025-09-07T09:15:02+05:00\">"
              "<ProviderBin>990340001234</ProviderBin><Account>0012345678</Account>"
              "<Period>2025-09</Period></AccountCheckRequest>"),
          0, GV_FAULT_MALFORMED },
        { "windows-1251 declaration",
          xdup("<?xml version='1.0' encoding='windows-1251'?>\n<AccountCheckRequest xmlns=\"" NS
              "\" requestId=\"" RID "\" sentAt=\"2025-09-07T09:15:02+05:00\">"
              "<ProviderBin>990340001234</ProviderBin><Account>0012345678</Account>"
              "<Period>2025-09</Period></AccountCheckRequest>"),
          0, GV_FAULT_MALFORMED },
        { "US-ASCII declaration",
          xdup("<?xml version=\"1.0\" encoding=\"US-ASCII\"?>\n<AccountCheckRequest xmlns=\"" NS
              "\" requestId=\"" RID "\" sentAt=\"2025-09-07T09:15:02+05:00\">"
              "<ProviderBin>990340001234</ProviderBin><Account>0012345678</Account>"
              "<Period>2025-09</Period></AccountCheckRequest>"),
          0, GV_FAULT_MALFORMED },
        { "DOCTYPE without entities",
          xdup(DECL "<!DOCTYPE AccountCheckRequest>\n<AccountCheckRequest xmlns=\"" NS "\" "
                   "requestId=\"" RID "\" sentAt=\"2025-09-07T09:15:02+05:00\">"
                   "<ProviderBin>990340001234</ProviderBin><Account>0012345678</Account>"
                   "<Period>2025-09</Period></AccountCheckRequest>"),
          0, GV_FAULT_MALFORMED },
        { "DOCTYPE with external DTD",
          xdup(DECL "<!DOCTYPE AccountCheckRequest SYSTEM \"http://127.0.0.1:1/x.dtd\">\n"
                   "<AccountCheckRequest xmlns=\"" NS "\"/>"),
          0, GV_FAULT_MALFORMED },
        { "XXE file:///etc/passwd", xdup(xxe), 0, GV_FAULT_MALFORMED },
        { "XXE parameter entity", xdup(xxe_parameter), 0, GV_FAULT_MALFORMED },
        { "billion laughs", xdup(billion_laughs), 0, GV_FAULT_MALFORMED },
        { "nesting 70 deep in the root",
          deep(70, "<AccountCheckRequest xmlns=\"" NS "\" requestId=\"" RID
                   "\" sentAt=\"2025-09-07T09:15:02+05:00\">", "</AccountCheckRequest>"),
          0, GV_FAULT_MALFORMED },
        { "nesting 70 deep in an unknown root", deep(70, "<r>", "</r>"), 0,
          GV_FAULT_MALFORMED },
        { "nesting 1000 deep", deep(1000, "<r>", "</r>"), 0, GV_FAULT_MALFORMED },
        /* SCHEMA_VIOLATION */
        { "wrong root: VoucherBatch",
          request("VoucherBatch", NULL,
                  "batchId=\"GVB-990340001234-202509-001\" providerBin=\"990340001234\" "
                  "period=\"2025-09\" createdAt=\"2025-09-30T10:00:00+05:00\" part=\"1\" "
                  "parts=\"1\" voucherCount=\"0\"", ""),
          0, GV_FAULT_SCHEMA_VIOLATION },
        { "wrong root: AccountCheckResponse",
          request("AccountCheckResponse", NULL,
                  "requestId=\"" RID "\" respondedAt=\"2025-09-07T09:15:02+05:00\"",
                  "<Result>FOUND</Result>"),
          0, GV_FAULT_SCHEMA_VIOLATION },
        { "wrong root: unknown", xdup("<Hello/>"), 0, GV_FAULT_SCHEMA_VIOLATION },
        { "missing Account",
          request(NULL, NULL, NULL,
                  "<ProviderBin>990340001234</ProviderBin><Period>2025-09</Period>"),
          0, GV_FAULT_SCHEMA_VIOLATION },
        { "missing Period",
          request(NULL, NULL, NULL,
                  "<ProviderBin>990340001234</ProviderBin><Account>1</Account>"),
          0, GV_FAULT_SCHEMA_VIOLATION },
        { "empty root", request(NULL, NULL, NULL, ""), 0, GV_FAULT_SCHEMA_VIOLATION },
        { "elements out of order",
          request(NULL, NULL, NULL,
                  "<Account>1</Account><ProviderBin>990340001234</ProviderBin>"
                  "<Period>2025-09</Period>"),
          0, GV_FAULT_SCHEMA_VIOLATION },
        { "extra element",
          request(NULL, NULL, NULL,
                  "<ProviderBin>990340001234</ProviderBin><Account>1</Account>"
                  "<Period>2025-09</Period><Extra/>"),
          0, GV_FAULT_SCHEMA_VIOLATION },
        { "Account repeated",
          request(NULL, NULL, NULL,
                  "<ProviderBin>990340001234</ProviderBin><Account>1</Account>"
                  "<Account>2</Account><Period>2025-09</Period>"),
          0, GV_FAULT_SCHEMA_VIOLATION },
        { "nested element in Account", with_account("<x>1</x>"), 0,
          GV_FAULT_SCHEMA_VIOLATION },
        { "Period 2025-13", with_period("2025-13"), 0, GV_FAULT_SCHEMA_VIOLATION },
        { "Period 2025-00", with_period("2025-00"), 0, GV_FAULT_SCHEMA_VIOLATION },
        { "Period 2025-9", with_period("2025-9"), 0, GV_FAULT_SCHEMA_VIOLATION },
        { "Period empty", with_period(""), 0, GV_FAULT_SCHEMA_VIOLATION },
        { "sentAt without offset", with_sent_at("2025-09-07T09:15:02"), 0,
          GV_FAULT_SCHEMA_VIOLATION },
        { "sentAt a date", with_sent_at("2025-09-07"), 0, GV_FAULT_SCHEMA_VIOLATION },
        { "sentAt garbage", with_sent_at("yesterday"), 0, GV_FAULT_SCHEMA_VIOLATION },
        { "sentAt missing", request(NULL, NULL, "requestId=\"" RID "\"", NULL), 0,
          GV_FAULT_SCHEMA_VIOLATION },
        { "requestId missing", request(NULL, NULL, "sentAt=\"2025-09-07T09:15:02+05:00\"", NULL),
          0, GV_FAULT_SCHEMA_VIOLATION },
        { "requestId not a UUID",
          request(NULL, NULL, "requestId=\"42\" sentAt=\"2025-09-07T09:15:02+05:00\"", NULL), 0,
          GV_FAULT_SCHEMA_VIOLATION },
        { "unknown attribute",
          request(NULL, NULL,
                  "requestId=\"" RID "\" sentAt=\"2025-09-07T09:15:02+05:00\" debug=\"1\"", NULL),
          0, GV_FAULT_SCHEMA_VIOLATION },
        { "ProviderBin 11 digits",
          request(NULL, NULL, NULL,
                  "<ProviderBin>99034000123</ProviderBin><Account>1</Account>"
                  "<Period>2025-09</Period>"),
          0, GV_FAULT_SCHEMA_VIOLATION },
        { "Account SQL injection", with_account("0012345678'; DROP TABLE abonent; --"), 0,
          GV_FAULT_SCHEMA_VIOLATION },
        { "Account with a quote", with_account("1' OR '1'='1"), 0, GV_FAULT_SCHEMA_VIOLATION },
        { "Account with an escaped ampersand", with_account("1&amp;2"), 0,
          GV_FAULT_SCHEMA_VIOLATION },
        { "Account with a character reference", with_account("12&#x3B;34"), 0,
          GV_FAULT_SCHEMA_VIOLATION },
        { "Account empty", with_account(""), 0, GV_FAULT_SCHEMA_VIOLATION },
        { "Account 33 characters", with_account("123456789012345678901234567890123"), 0,
          GV_FAULT_SCHEMA_VIOLATION },
        { "Account Cyrillic", with_account("абв"), 0, GV_FAULT_SCHEMA_VIOLATION },
        { "wrong namespace", request(NULL, "urn:socialwallet:gas-voucher:v2", NULL, NULL), 0,
          GV_FAULT_SCHEMA_VIOLATION },
        { "no namespace",
          xdup("<AccountCheckRequest requestId=\"" RID "\" sentAt=\"2025-09-07T09:15:02+05:00\">"
              "<ProviderBin>990340001234</ProviderBin><Account>1</Account>"
              "<Period>2025-09</Period></AccountCheckRequest>"),
          0, GV_FAULT_SCHEMA_VIOLATION },
        /* more than the request's element limit */
        { "too many elements", NULL, 0, GV_FAULT_COUNT },               /* filled below */
    };
    int failures = 0;
    (void)state;

    for (size_t i = 0; i < TU_COUNT(t); i++) {
        if (!strcmp(t[i].name, "not well-formed: NUL byte")) {
            char *d = with_account("0012X345678");
            t[i].len = strlen(d);
            *strchr(d, 'X') = '\0';
            t[i].doc = d;
        } else if (!strcmp(t[i].name, "UTF-16 body")) {
            static const char text[] = "<AccountCheckRequest xmlns=\"" NS "\"/>";
            char *d = malloc(2 * sizeof text + 2);
            assert_non_null(d);
            d[0] = '\xff';
            d[1] = '\xfe';
            for (size_t k = 0; k < sizeof text - 1; k++) {
                d[2 + 2 * k] = text[k];
                d[3 + 2 * k] = '\0';
            }
            t[i].len = 2 * (sizeof text - 1) + 2;
            t[i].doc = d;
        } else if (t[i].fault == GV_FAULT_COUNT + 1) {
            size_t n = strlen(t[i].doc);
            t[i].doc = realloc(t[i].doc, n + 32);
            assert_non_null(t[i].doc);
            strcat(t[i].doc, "<AccountCheckRequest/>\n");
            t[i].fault = GV_FAULT_MALFORMED;
        } else if (!strcmp(t[i].name, "too many elements")) {
            char body[4096] = "<ProviderBin>990340001234</ProviderBin><Account>1</Account>"
                              "<Period>2025-09</Period>";
            for (int k = 0; k < 80; k++)
                strcat(body, "<Period>2025-09</Period>");
            t[i].doc = request(NULL, NULL, NULL, body);
        }
    }

    for (size_t i = 0; i < TU_COUNT(t); i++) {
        gv_account_check_req_t req;
        gv_err_t err;
        size_t len = t[i].len ? t[i].len : strlen(t[i].doc);
        int64_t t0 = tu_now_ms();
        gv_fault_t f = parse(t[i].doc, len, &req, &err);
        int64_t took = tu_now_ms() - t0;
        int ok = t[i].fault == GV_FAULT_COUNT ? f == GV_FAULT_TOO_LARGE ||
                                                     f == GV_FAULT_SCHEMA_VIOLATION
                                              : f == t[i].fault;

        if (!ok) {
            print_message("FAIL %s: %s (%s), expected %s\n", t[i].name, gv_fault_name(f),
                          err.msg, gv_fault_name(t[i].fault));
            failures++;
        } else if (err.msg[0] == '\0') {
            print_message("FAIL %s: %s without a message\n", t[i].name, gv_fault_name(f));
            failures++;
        }
        if (took > 1000) {
            print_message("FAIL %s: took %lld ms\n", t[i].name, (long long)took);
            failures++;
        }
        /* nothing from outside the message ever reaches the answer */
        if (strstr(err.msg, "root:") || strstr(req.account, "root") ||
            strstr(req.account, "lol")) {
            print_message("FAIL %s: leaked '%s' / '%s'\n", t[i].name, err.msg, req.account);
            failures++;
        }
        free(t[i].doc);
    }
    assert_int_equal(failures, 0);
}

/* A thread reads every message with the same reader and validation
 * context: a message after a refused one is read as if it came first,
 * and a refused one is refused the same way each time. */
static void test_reader_reused_after_faults(void **state)
{
    char *path = tu_testdata_path("account-check-request.xml");
    size_t len;
    char *good = tu_read_file(path, &len);
    char *bad[] = {
        xdup(DECL "<AccountCheckRequest xmlns=\"" NS "\" requestId=\"" RID "\" "
                 "sentAt=\"2025-09-07T09:15:02+05:00\"><ProviderBin>990340001234</ProviderBin>"),
        request(NULL, NULL, NULL, "<ProviderBin>99034000123X</ProviderBin>"
                "<Account>0012345678</Account><Period>2025-09</Period>"),
        request(NULL, NULL, NULL, "<ProviderBin>990340001234</ProviderBin>"
                "<Account>0012345678</Account><Period>2025-09</Period><Extra/>"),
        xdup("{\"account\": \"0012345678\"}"),
        xdup(""),
    };
    (void)state;

    for (int round = 0; round < 3; round++)
        for (size_t i = 0; i < TU_COUNT(bad); i++) {
            gv_account_check_req_t req, again;
            gv_err_t err, err2;
            gv_fault_t f = parse(bad[i], strlen(bad[i]), &req, &err);
            assert_int_not_equal(f, GV_FAULT_NONE);
            assert_int_equal(parse(good, len, &req, &err2), GV_FAULT_NONE);
            assert_string_equal(req.account, "0012345678");
            assert_string_equal(req.period_text, "2025-09");
            assert_int_equal(parse(bad[i], strlen(bad[i]), &again, &err2), f);
            assert_string_equal(err2.msg, err.msg);
        }
    for (size_t i = 0; i < TU_COUNT(bad); i++)
        free(bad[i]);
    free(good);
    free(path);
}

/* The requestId is kept for the Fault when it could be read. */
static void test_fault_keeps_request_id(void **state)
{
    char *docs[] = {
        with_period("2025-13"),
        with_sent_at("2025-09-07T09:15:02"),
        with_account("1'2"),
        request(NULL, NULL, NULL, "<ProviderBin>990340001234</ProviderBin>"),
    };
    int failures = 0;
    (void)state;

    for (size_t i = 0; i < TU_COUNT(docs); i++) {
        gv_account_check_req_t req;
        gv_err_t err;
        gv_fault_t f = parse(docs[i], strlen(docs[i]), &req, &err);
        if (f != GV_FAULT_SCHEMA_VIOLATION || strcmp(req.request_id, RID) != 0) {
            print_message("FAIL case %zu: %s (%s), requestId '%s'\n", i, gv_fault_name(f),
                          err.msg, req.request_id);
            failures++;
        }
        free(docs[i]);
    }
    assert_int_equal(failures, 0);
}

static void test_billion_laughs_fast(void **state)
{
    gv_account_check_req_t req;
    gv_err_t err;
    int64_t t0 = tu_now_ms();
    (void)state;

    for (int i = 0; i < 100; i++)
        assert_int_equal(parse(billion_laughs, strlen(billion_laughs), &req, &err),
                         GV_FAULT_MALFORMED);
    assert_true(tu_now_ms() - t0 < 1000);
}

/* ---- answers ---------------------------------------------------------------- */

static void assert_valid(const gv_buf_t *b)
{
    gv_err_t err;

    assert_non_null(b->data);
    err.msg[0] = '\0';
    if (gv_xml_validate(b->data, b->len, &err) != 0)
        fail_msg("invalid (%s):\n%s", err.msg, b->data);
}

static void test_response_found(void **state)
{
    gv_account_info_t info = {
        .account = "0012345678",
        .holder_masked = "Ахметова А. Б.",
        .address_masked = "г. Алматы, ул. Ж***, д. **, кв. **",
        .region = "KZ-75",
        .metered = 1,
        .provider_name = "АО \"QazaqGaz Aimaq\" & <Co> 'Almaty'",
    };
    gv_buf_t b;
    time_t now;
    (void)state;

    assert_int_equal(gv_datetime_parse("2025-09-07T04:15:02Z", &now), 0);
    gv_buf_init(&b, 65536);
    assert_int_equal(gv_msg_account_check_response(&b, RID, "FOUND", &info, now), 0);
    assert_valid(&b);
    assert_non_null(strstr(b.data, "requestId=\"" RID "\""));
    assert_non_null(strstr(b.data, "respondedAt=\"2025-09-07T09:15:02+05:00\""));
    assert_non_null(strstr(b.data, "<Result>FOUND</Result>"));
    assert_non_null(strstr(b.data, "<Account>0012345678</Account>"));
    assert_non_null(strstr(b.data, "<HolderMasked>Ахметова А. Б.</HolderMasked>"));
    assert_non_null(strstr(b.data, "<Region>KZ-75</Region>"));
    assert_non_null(strstr(b.data, "<Metered>true</Metered>"));
    assert_non_null(strstr(b.data, "<ProviderName>АО &quot;QazaqGaz Aimaq&quot; &amp; "
                                   "&lt;Co&gt; 'Almaty'</ProviderName>"));
    assert_null(strstr(b.data, "<Co>"));
    gv_buf_free(&b);

    info.metered = 0;
    info.address_masked = "a < b & c > \"d\"";
    info.holder_masked = "O'Brien K.";
    gv_buf_init(&b, 65536);
    assert_int_equal(gv_msg_account_check_response(&b, RID, "FOUND", &info, now), 0);
    assert_valid(&b);
    assert_non_null(strstr(b.data, "<Metered>false</Metered>"));
    assert_non_null(strstr(b.data, "a &lt; b &amp; c &gt; &quot;d&quot;"));
    gv_buf_free(&b);
}

static void test_response_other_results(void **state)
{
    static const char *const results[] = { "NOT_FOUND", "CLOSED", "NOT_HOUSEHOLD",
                                           "REGION_NOT_IN_PILOT" };
    time_t now;
    (void)state;

    assert_int_equal(gv_datetime_parse("2026-02-28T23:59:59+05:00", &now), 0);
    for (size_t i = 0; i < TU_COUNT(results); i++) {
        gv_buf_t b;
        char want[64];

        gv_buf_init(&b, 65536);
        assert_int_equal(gv_msg_account_check_response(&b, RID, results[i], NULL, now), 0);
        assert_valid(&b);
        snprintf(want, sizeof want, "<Result>%s</Result>", results[i]);
        assert_non_null(strstr(b.data, want));
        assert_null(strstr(b.data, "AccountInfo"));
        assert_non_null(strstr(b.data, "respondedAt=\"2026-02-28T23:59:59+05:00\""));
        gv_buf_free(&b);
    }
}

/* A buffer too small for the answer fails instead of truncating. */
static void test_response_buffer_limit(void **state)
{
    gv_buf_t b;
    (void)state;

    gv_buf_init(&b, 64);
    assert_int_equal(gv_msg_account_check_response(&b, RID, "NOT_FOUND", NULL, 0), -1);
    gv_buf_free(&b);
    gv_buf_init(&b, 64);
    assert_int_equal(gv_msg_fault(&b, GV_FAULT_INTERNAL, "internal error", RID), -1);
    gv_buf_free(&b);
}

/* A failed append says why (errno, gv_buf_why) and leaves the buffer's
 * failed flag up until a reset, so a text built of many appends, each of
 * which may fail, is checked once at the end (store/bills.c's statements
 * lost a piece silently before). */
static void test_buf_failure_is_told(void **state)
{
    gv_buf_t b;
    (void)state;

    gv_buf_init(&b, 8);
    assert_int_equal(gv_buf_puts(&b, "SELECT"), 0);
    assert_false(b.failed);
    errno = 0;
    assert_int_equal(gv_buf_puts(&b, " a FROM t"), -1);
    assert_int_equal(errno, E2BIG);
    assert_string_equal(gv_buf_why("statement too long"), "statement too long");
    assert_string_equal(b.data, "SELECT");      /* as it was */
    assert_int_equal(gv_buf_puts(&b, " 1"), 0);  /* fits: appended, still failed */
    assert_true(b.failed);
    gv_buf_reset(&b);
    assert_false(b.failed);
    errno = ENOMEM;
    assert_string_equal(gv_buf_why("statement too long"), "out of memory");
    gv_buf_free(&b);
}

/* Reads <Code> and <Message> back out of a Fault. */
struct fault_read {
    char code[64];
    char message[1024];
};

static gv_fault_t fr_end(void *ud, int depth, const char *name, const char *text, gv_err_t *err)
{
    struct fault_read *fr = ud;
    (void)err;
    if (depth == 1 && !strcmp(name, "Code"))
        snprintf(fr->code, sizeof fr->code, "%s", text);
    else if (depth == 1 && !strcmp(name, "Message"))
        snprintf(fr->message, sizeof fr->message, "%s", text);
    return GV_FAULT_NONE;
}

static void test_fault_every_code(void **state)
{
    static const struct {
        gv_fault_t code;
        const char *name;
        int status;
    } t[] = {
        { GV_FAULT_MALFORMED, "MALFORMED", 400 },
        { GV_FAULT_SCHEMA_VIOLATION, "SCHEMA_VIOLATION", 400 },
        { GV_FAULT_BAD_SIGNATURE, "BAD_SIGNATURE", 400 },
        { GV_FAULT_WRONG_PROVIDER, "WRONG_PROVIDER", 403 },
        { GV_FAULT_BATCH_CONFLICT, "BATCH_CONFLICT", 409 },
        { GV_FAULT_TOO_LARGE, "TOO_LARGE", 413 },
        { GV_FAULT_NOT_FOUND, "NOT_FOUND", 404 },
        { GV_FAULT_UNSUPPORTED_MEDIA_TYPE, "UNSUPPORTED_MEDIA_TYPE", 415 },
        { GV_FAULT_RATE_LIMITED, "RATE_LIMITED", 429 },
        { GV_FAULT_UNAVAILABLE, "UNAVAILABLE", 503 },
        { GV_FAULT_INTERNAL, "INTERNAL", 500 },
    };
    static const char *const request_ids[] = { RID, NULL, "", "not-a-uuid \"<&>'" };
    static const char message[] = "element <Account>: 'a & b' is \"bad\" > 0; ]]> ok";
    static const gv_xml_visitor_t visitor = { NULL, fr_end };
    (void)state;

    assert_int_equal(TU_COUNT(t), GV_FAULT_COUNT - 1);
    for (size_t i = 0; i < TU_COUNT(t); i++) {
        assert_string_equal(gv_fault_name(t[i].code), t[i].name);
        assert_int_equal(gv_fault_http_status(t[i].code), t[i].status);
        for (size_t k = 0; k < TU_COUNT(request_ids); k++) {
            gv_buf_t b;
            gv_err_t err;
            struct fault_read fr;
            char want[128];

            gv_buf_init(&b, 65536);
            assert_int_equal(gv_msg_fault(&b, t[i].code, message, request_ids[k]), 0);
            assert_valid(&b);
            /* the text reads back exactly */
            memset(&fr, 0, sizeof fr);
            assert_int_equal(gv_xml_scan(b.data, b.len, NULL, &visitor, &fr, &err),
                             GV_FAULT_NONE);
            assert_string_equal(fr.code, t[i].name);
            assert_string_equal(fr.message, message);
            if (request_ids[k] && *request_ids[k] && request_ids[k][0] != 'n') {
                snprintf(want, sizeof want, "requestId=\"%s\"", request_ids[k]);
                assert_non_null(strstr(b.data, want));
            } else if (!request_ids[k] || !*request_ids[k]) {
                assert_null(strstr(b.data, "requestId"));
            } else {
                assert_non_null(
                    strstr(b.data, "requestId=\"not-a-uuid &quot;&lt;&amp;&gt;'\""));
            }
            gv_buf_free(&b);
        }
    }
    assert_string_equal(gv_fault_name(GV_FAULT_COUNT), "INTERNAL");
    assert_int_equal(gv_fault_http_status(GV_FAULT_COUNT), 500);
}

/* A Fault echoes what the caller sent (its requestId, values quoted in
 * the message): bytes that are not UTF-8 and characters XML cannot carry
 * come out as U+FFFD, so the Fault stays valid (found by fuzz_account_check
 * and fuzz_batch_csv: a requestId cut inside a character, a control byte in
 * a CSV field). */
static void test_fault_of_any_bytes(void **state)
{
    static const struct {
        const char *in, *out;
    } t[] = {
        { "id \x10GV-1", "id \xEF\xBF\xBDGV-1" },
        { "cut \xD0", "cut \xEF\xBF\xBD" },
        { "\xD0\xB6\xD0", "\xD0\xB6\xEF\xBF\xBD" },
        { "overlong \xC0\xAF", "overlong \xEF\xBF\xBD\xEF\xBF\xBD" },
        { "surrogate \xED\xA0\x80", "surrogate \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD" },
        { "not a char \xEF\xBF\xBF", "not a char \xEF\xBF\xBD" },
        { "tab\tlf\ncr\r<&>", "tab\tlf\ncr\r<&>" },
        { "\xF0\x9F\x94\x91 \xD0\x96", "\xF0\x9F\x94\x91 \xD0\x96" },
    };
    static const gv_xml_visitor_t visitor = { NULL, fr_end };
    (void)state;

    for (size_t i = 0; i < TU_COUNT(t); i++) {
        gv_buf_t b;
        gv_err_t err;
        struct fault_read fr;

        gv_buf_init(&b, 65536);
        assert_int_equal(gv_msg_fault(&b, GV_FAULT_SCHEMA_VIOLATION, t[i].in, t[i].in), 0);
        err.msg[0] = '\0';
        if (gv_xml_validate(b.data, b.len, &err) != 0)
            fail_msg("case %zu: %s\n%s", i, err.msg, b.data);
        memset(&fr, 0, sizeof fr);
        assert_int_equal(gv_xml_scan(b.data, b.len, NULL, &visitor, &fr, &err), GV_FAULT_NONE);
        assert_string_equal(fr.message, t[i].out);
        gv_buf_free(&b);
    }
}

/* A requestId too long to keep is not echoed cut short: a cut id is
 * nobody's, and cut inside a character it is not even UTF-8. */
static void test_fault_long_request_id(void **state)
{
    char attrs[512], id[256] = "";
    gv_account_check_req_t req;
    gv_err_t err;
    char *doc;
    (void)state;

    for (int i = 0; i < 30; i++)
        strcat(id, "\xD0\xB6");
    snprintf(attrs, sizeof attrs, "requestId=\"%s\" sentAt=\"2025-09-07T09:15:02+05:00\"", id);
    doc = request(NULL, NULL, attrs, NULL);
    assert_int_equal(parse(doc, strlen(doc), &req, &err), GV_FAULT_SCHEMA_VIOLATION);
    assert_string_equal(req.request_id, "");
    free(doc);
}

/* The examples shipped with the interface validate; each kind of message
 * is checked by the same XSD. */
static void test_examples_validate(void **state)
{
    static const char *const files[] = {
        "account-check-request.xml", "account-check-response-found.xml",
        "account-check-response-not-found.xml", "batch-receipt.xml", "fault.xml",
        "redemption-report.xml", "voucher-batch-index.xml", "voucher-batch-result.xml",
        "voucher-batch.xml",
    };
    (void)state;

    for (size_t i = 0; i < TU_COUNT(files); i++) {
        char *path = tu_testdata_path(files[i]);
        size_t len;
        char *buf = tu_read_file(path, &len);
        gv_err_t err;

        err.msg[0] = '\0';
        if (gv_xml_validate(buf, len, &err) != 0)
            fail_msg("%s: %s", files[i], err.msg);
        free(buf);
        free(path);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_example),
        cmocka_unit_test(test_parse_valid_variants),
        cmocka_unit_test(test_bad_bodies),
        cmocka_unit_test(test_reader_reused_after_faults),
        cmocka_unit_test(test_fault_keeps_request_id),
        cmocka_unit_test(test_billion_laughs_fast),
        cmocka_unit_test(test_response_found),
        cmocka_unit_test(test_response_other_results),
        cmocka_unit_test(test_response_buffer_limit),
        cmocka_unit_test(test_buf_failure_is_told),
        cmocka_unit_test(test_fault_every_code),
        cmocka_unit_test(test_fault_of_any_bytes),
        cmocka_unit_test(test_fault_long_request_id),
        cmocka_unit_test(test_examples_validate),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
