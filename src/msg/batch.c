/* batch.c - reading VoucherBatch files, XML and CSV. */
#include "config.h"
#include "batch.h"
#include "utf8.h"
#include "xmlsafe.h"

#include <csv.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

int gv_batch_form_of(const char *path, gv_batch_form_t *form)
{
    size_t n = strlen(path);

    if (n > 4 && strcmp(path + n - 4, ".xml") == 0)
        *form = GV_FORM_XML;
    else if (n > 4 && strcmp(path + n - 4, ".csv") == 0)
        *form = GV_FORM_CSV;
    else
        return -1;
    return 0;
}

/* ---- what both forms share ------------------------------------------- */

static int all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

/* GVB-<bin 12>-<YYYYMM>-<seq 3>: fills bin, period and seq; -1 if not. */
static int parse_batch_id(const char *id, char bin[13], gv_period_t *p, long *seq)
{
    if (strlen(id) != GV_BATCH_ID_LEN || strncmp(id, "GVB-", 4) != 0 || id[16] != '-' ||
        id[23] != '-' || !all_digits(id + 4, 12) || !all_digits(id + 17, 6) ||
        !all_digits(id + 24, 3))
        return -1;
    memcpy(bin, id + 4, 12);
    bin[12] = '\0';
    p->year = atoi((char[]){ id[17], id[18], id[19], id[20], 0 });
    p->month = atoi((char[]){ id[21], id[22], 0 });
    *seq = atol(id + 24);
    return p->month >= 1 && p->month <= 12 ? 0 : -1;
}

/* The checks of the batch as a whole that the schema cannot make. */
static gv_fault_t check_head(const gv_batch_head_t *h, const char *own_bin, gv_err_t *err)
{
    char bin[13];
    gv_period_t p;
    long seq;

    if (parse_batch_id(h->batch_id, bin, &p, &seq) < 0) {
        gv_err_set(err, "batchId '%s' is not GVB-<BIN>-<YYYYMM>-<NNN>", h->batch_id);
        return GV_FAULT_SCHEMA_VIOLATION;
    }
    if (strcmp(bin, h->provider_bin) != 0) {
        gv_err_set(err, "batchId %s names BIN %s but providerBin is %s", h->batch_id, bin,
                   h->provider_bin);
        return GV_FAULT_SCHEMA_VIOLATION;
    }
    if (p.year != h->period.year || p.month != h->period.month) {
        gv_err_set(err, "batchId %s names period %04d-%02d but period is %s (R6)", h->batch_id,
                   p.year, p.month, h->period_text);
        return GV_FAULT_SCHEMA_VIOLATION;
    }
    if (h->parts && h->part > h->parts) {
        gv_err_set(err, "part %ld of %ld", h->part, h->parts);
        return GV_FAULT_SCHEMA_VIOLATION;
    }
    if (own_bin && strcmp(h->provider_bin, own_bin) != 0) {
        gv_err_set(err, "batch %s is for provider %s, not this provider (%s)", h->batch_id,
                   h->provider_bin, own_bin);
        return GV_FAULT_WRONG_PROVIDER;
    }
    return GV_FAULT_NONE;
}

/* Copies s into out without the blanks xs:token-like types collapse. */
static int copy_trimmed(char *out, size_t outsz, const char *s)
{
    size_t n;

    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
        n--;
    if (n >= outsz)
        return -1;
    memcpy(out, s, n);
    out[n] = '\0';
    return 0;
}

static gv_fault_t parse_instant(const char *text, time_t *t, const char *what, long line,
                                gv_err_t *err)
{
    int rc = gv_datetime_parse(text, t);

    if (rc == -2) {
        gv_err_set(err, "line %ld: %s '%s' has no UTC offset", line, what, text);
        return GV_FAULT_SCHEMA_VIOLATION;
    }
    if (rc < 0) {
        gv_err_set(err, "line %ld: %s '%s' is not a dateTime", line, what, text);
        return GV_FAULT_SCHEMA_VIOLATION;
    }
    return GV_FAULT_NONE;
}

void gv_voucher_content_hash(const gv_voucher_in_t *v, char out[65])
{
    char text[256];
    unsigned char md[32];
    unsigned int mdlen = 0;
    int n;

    /* Fields joined with a byte no field can hold; the instant, not its
     * spelling, so "+05:00" and "Z" forms of one moment are one content. */
    n = snprintf(text, sizeof text, "%s\x1f%lld\x1f%s\x1f%s\x1f%s%lld", v->account,
                 (long long)v->activated, v->channel, v->assistance, v->has_nominal ? "n" : "-",
                 v->has_nominal ? (long long)v->nominal_tiyn : 0LL);
    EVP_Digest(text, (size_t)n, md, &mdlen, EVP_sha256(), NULL);
    /* A table, not snprintf: this runs for every voucher of a list. */
    for (unsigned i = 0; i < 32; i++) {
        out[2 * i] = "0123456789abcdef"[md[i] >> 4];
        out[2 * i + 1] = "0123456789abcdef"[md[i] & 15];
    }
    out[64] = '\0';
}

/* ---- XML -------------------------------------------------------------- */

struct xml_state {
    const char *own_bin;
    gv_batch_head_t *head;
    gv_voucher_fn fn;
    void *ud;
    long claimed_count;
    gv_voucher_in_t v;
    int in_voucher;
};

static int attr(xmlTextReaderPtr r, const char *name, char *out, size_t outsz)
{
    xmlChar *val = xmlTextReaderGetAttribute(r, (const xmlChar *)name);
    int rc = -1;

    if (val && strlen((const char *)val) < outsz) {
        strcpy(out, (const char *)val);
        rc = 0;
    }
    xmlFree(val);
    return rc;
}

static gv_fault_t xml_start(void *ud, int depth, const char *name, xmlTextReaderPtr r,
                            gv_err_t *err)
{
    struct xml_state *st = ud;
    gv_batch_head_t *h = st->head;
    char num[32];
    /* The element's own line: the parser's line is where it has read
     * ahead to. */
    long line = xmlGetLineNo(xmlTextReaderCurrentNode(r));

    if (depth == 0) {
        time_t created;
        gv_fault_t f;
        if (strcmp(name, "VoucherBatch") != 0) {
            gv_err_set(err, "line %ld: the root element is %s, not VoucherBatch", line, name);
            return GV_FAULT_SCHEMA_VIOLATION;
        }
        /* The schema has checked every attribute's form already. */
        if (attr(r, "batchId", h->batch_id, sizeof h->batch_id) < 0 ||
            attr(r, "providerBin", h->provider_bin, sizeof h->provider_bin) < 0 ||
            attr(r, "period", h->period_text, sizeof h->period_text) < 0 ||
            attr(r, "createdAt", h->created_at, sizeof h->created_at) < 0 ||
            gv_period_parse(h->period_text, &h->period) < 0) {
            gv_err_set(err, "line %ld: VoucherBatch attributes missing or malformed", line);
            return GV_FAULT_SCHEMA_VIOLATION;
        }
        if ((f = parse_instant(h->created_at, &created, "createdAt", line, err)))
            return f;
        if (attr(r, "part", num, sizeof num) < 0 || (h->part = atol(num)) < 1 ||
            attr(r, "parts", num, sizeof num) < 0 || (h->parts = atol(num)) < 1 ||
            attr(r, "voucherCount", num, sizeof num) < 0 || (st->claimed_count = atol(num)) < 0) {
            gv_err_set(err, "line %ld: part, parts or voucherCount out of range", line);
            return GV_FAULT_SCHEMA_VIOLATION;
        }
        return check_head(h, st->own_bin, err);
    }
    if (depth == 1 && strcmp(name, "Voucher") == 0) {
        memset(&st->v, 0, sizeof st->v);
        st->v.line = line;
        st->v.position = h->voucher_count + 1;
        if (attr(r, "id", st->v.id, sizeof st->v.id) < 0) {
            gv_err_set(err, "line %ld: Voucher id missing or too long", line);
            return GV_FAULT_SCHEMA_VIOLATION;
        }
        st->in_voucher = 1;
    }
    return GV_FAULT_NONE;
}

static gv_fault_t xml_end(void *ud, int depth, const char *name, const char *text,
                          gv_err_t *err)
{
    struct xml_state *st = ud;
    gv_voucher_in_t *v = &st->v;
    int bad = 0;

    if (depth == 2 && st->in_voucher) {
        if (strcmp(name, "Account") == 0)
            bad = snprintf(v->account, sizeof v->account, "%s", text) >= (int)sizeof v->account;
        else if (strcmp(name, "ActivatedAt") == 0)
            bad = copy_trimmed(v->activated_text, sizeof v->activated_text, text);
        else if (strcmp(name, "Channel") == 0)
            bad = copy_trimmed(v->channel, sizeof v->channel, text);
        else if (strcmp(name, "AssistanceType") == 0)
            bad = copy_trimmed(v->assistance, sizeof v->assistance, text);
        else if (strcmp(name, "NominalTiyn") == 0) {
            char num[32];
            char *endp;
            bad = copy_trimmed(num, sizeof num, text);
            if (!bad) {
                errno = 0;
                v->nominal_tiyn = strtoll(num, &endp, 10);
                bad = errno || *endp || v->nominal_tiyn < 0;
                v->has_nominal = 1;
            }
        }
        if (bad) {
            gv_err_set(err, "line %ld: voucher %s: %s is malformed", v->line, v->id, name);
            return GV_FAULT_SCHEMA_VIOLATION;
        }
        return GV_FAULT_NONE;
    }
    if (depth == 1 && strcmp(name, "Voucher") == 0) {
        gv_fault_t f = parse_instant(v->activated_text, &v->activated, "ActivatedAt", v->line,
                                     err);
        st->in_voucher = 0;
        if (f)
            return f;
        st->head->voucher_count++;
        return st->fn ? st->fn(st->ud, st->head, v, err) : GV_FAULT_NONE;
    }
    if (depth == 0 && st->head->voucher_count != st->claimed_count) {
        gv_err_set(err, "voucherCount says %ld but the batch holds %ld vouchers",
                   st->claimed_count, st->head->voucher_count);
        return GV_FAULT_SCHEMA_VIOLATION;
    }
    return GV_FAULT_NONE;
}

static gv_fault_t read_xml(const char *path, const char *own_bin, gv_batch_head_t *head,
                           gv_voucher_fn fn, void *ud, gv_err_t *err)
{
    static const gv_xml_visitor_t visitor = { xml_start, xml_end };
    struct xml_state st = { own_bin, head, fn, ud, -1, { 0 }, 0 };
    gv_xml_limits_t lim = { 64, 0 };

    return gv_xml_scan_file(path, &lim, &visitor, &st, err);
}

/* ---- CSV -------------------------------------------------------------- */

enum { CSV_FIELDS = 6 };
static const char *const csv_header[CSV_FIELDS] = {
    "voucher_id", "account", "activated_at", "channel", "assistance_type", "nominal_tiyn",
};

struct csv_state {
    gv_batch_head_t *head;
    gv_voucher_fn fn;
    void *ud;
    gv_err_t *err;
    gv_fault_t fault;
    long record;                    /* 1 = the header */
    int nfield;
    char field[CSV_FIELDS][48];
    int too_long;
};

static void csv_field(void *data, size_t len, void *ud)
{
    struct csv_state *st = ud;

    if (st->fault)
        return;
    if (st->nfield < CSV_FIELDS) {
        if (len >= sizeof st->field[0]) {
            st->too_long = st->nfield + 1;
            len = 0;
        }
        memcpy(st->field[st->nfield], data ? data : "", len);
        st->field[st->nfield][len] = '\0';
    }
    st->nfield++;
}

static int matches_voucher_id(const char *s)
{
    size_t n = strlen(s);

    if (n < 14 || n > 30 || strncmp(s, "GV-", 3) != 0 || !all_digits(s + 3, 6) || s[9] != '-')
        return 0;
    for (size_t i = 10; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'Z')))
            return 0;
    return 1;
}

static int matches_account(const char *s)
{
    size_t n = strlen(s);

    if (n < 1 || n > 32)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= 'a' && s[i] <= 'z') || s[i] == '-' || s[i] == '/' || s[i] == ' '))
            return 0;
    return 1;
}

static gv_fault_t csv_voucher(struct csv_state *st)
{
    gv_voucher_in_t v;
    long line = st->record;
    gv_fault_t fault;

    memset(&v, 0, sizeof v);
    v.line = line;
    v.position = st->head->voucher_count + 1;
    if (!matches_voucher_id(st->field[0])) {
        gv_err_set(st->err, "record %ld: voucher_id '%s' is not GV-YYYYMM-XXXX", line,
                   st->field[0]);
        return GV_FAULT_SCHEMA_VIOLATION;
    }
    strcpy(v.id, st->field[0]);
    if (!matches_account(st->field[1])) {
        gv_err_set(st->err, "record %ld: account '%s' is not 1-32 of [0-9A-Za-z -/]", line,
                   st->field[1]);
        return GV_FAULT_SCHEMA_VIOLATION;
    }
    strcpy(v.account, st->field[1]);
    strcpy(v.activated_text, st->field[2]);
    if ((fault = parse_instant(v.activated_text, &v.activated, "activated_at", line, st->err)))
        return fault;
    if (strcmp(st->field[3], "EGOV_MOBILE") != 0 && strcmp(st->field[3], "PSC") != 0) {
        gv_err_set(st->err, "record %ld: channel '%s' is not EGOV_MOBILE or PSC", line,
                   st->field[3]);
        return GV_FAULT_SCHEMA_VIOLATION;
    }
    strcpy(v.channel, st->field[3]);
    if (strcmp(st->field[4], "TSA") != 0 && strcmp(st->field[4], "HOUSING") != 0) {
        gv_err_set(st->err, "record %ld: assistance_type '%s' is not TSA or HOUSING", line,
                   st->field[4]);
        return GV_FAULT_SCHEMA_VIOLATION;
    }
    strcpy(v.assistance, st->field[4]);
    if (st->field[5][0]) {
        char *end;
        errno = 0;
        v.nominal_tiyn = strtoll(st->field[5], &end, 10);
        if (errno || *end || !all_digits(st->field[5], strlen(st->field[5]))) {
            gv_err_set(st->err, "record %ld: nominal_tiyn '%s' is not a whole number of tiyn",
                       line, st->field[5]);
            return GV_FAULT_SCHEMA_VIOLATION;
        }
        v.has_nominal = 1;
    }
    st->head->voucher_count++;
    return st->fn ? st->fn(st->ud, st->head, &v, st->err) : GV_FAULT_NONE;
}

static void csv_record(int term, void *ud)
{
    struct csv_state *st = ud;

    (void)term;
    if (st->fault)
        return;
    st->record++;
    if (st->nfield != CSV_FIELDS) {
        gv_err_set(st->err, "record %ld: %d fields, expected %d", st->record, st->nfield,
                   CSV_FIELDS);
        st->fault = GV_FAULT_SCHEMA_VIOLATION;
    } else if (st->too_long) {
        gv_err_set(st->err, "record %ld: field %d is too long", st->record, st->too_long);
        st->fault = GV_FAULT_SCHEMA_VIOLATION;
    } else if (st->record == 1) {
        for (int i = 0; i < CSV_FIELDS; i++)
            if (strcmp(st->field[i], csv_header[i]) != 0) {
                gv_err_set(st->err, "record 1: header field %d is '%s', expected '%s'", i + 1,
                           st->field[i], csv_header[i]);
                st->fault = GV_FAULT_SCHEMA_VIOLATION;
                break;
            }
    } else {
        st->fault = csv_voucher(st);
    }
    st->nfield = 0;
    st->too_long = 0;
}

static int no_space(unsigned char c)
{
    (void)c;
    return 0;          /* every byte of a field counts: nothing is trimmed */
}

static gv_fault_t read_csv(const char *path, const char *own_bin, gv_batch_head_t *head,
                           gv_voucher_fn fn, void *ud, gv_err_t *err)
{
    struct csv_state st = { head, fn, ud, err, GV_FAULT_NONE, 0, 0, { { 0 } }, 0 };
    struct csv_parser p;
    const char *base = strrchr(path, '/');
    char buf[65536];
    char carry[4];
    size_t ncarry = 0, offset = 0;
    int fd;
    gv_period_t period;
    long seq;

    base = base ? base + 1 : path;
    if (strlen(base) != GV_BATCH_ID_LEN + 4 || strcmp(base + GV_BATCH_ID_LEN, ".csv") != 0) {
        gv_err_set(err, "%s: a CSV batch is named <batchId>.csv", base);
        return GV_FAULT_SCHEMA_VIOLATION;
    }
    memcpy(head->batch_id, base, GV_BATCH_ID_LEN);
    head->batch_id[GV_BATCH_ID_LEN] = '\0';
    if (parse_batch_id(head->batch_id, head->provider_bin, &period, &seq) < 0) {
        gv_err_set(err, "%s: a CSV batch is named <batchId>.csv", base);
        return GV_FAULT_SCHEMA_VIOLATION;
    }
    /* The CSV form carries no header of its own: the batchId says it all. */
    head->period = period;
    snprintf(head->period_text, sizeof head->period_text, "%04d-%02d", period.year,
             period.month);
    head->part = seq;
    head->parts = 0;
    {
        gv_fault_t f = check_head(head, own_bin, err);
        if (f)
            return f;
    }
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
        gv_err_set(err, "%s: %s", path, strerror(errno));
        return GV_FAULT_INTERNAL;
    }
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
        close(fd);
        gv_err_set(err, "out of memory");
        return GV_FAULT_INTERNAL;
    }
    csv_set_space_func(&p, no_space);
    for (;;) {
        ssize_t n;
        size_t len, ok, bad;
        memcpy(buf, carry, ncarry);
        n = read(fd, buf + ncarry, sizeof buf - ncarry);
        if (n < 0) {
            gv_err_set(err, "%s: %s", path, strerror(errno));
            st.fault = GV_FAULT_INTERNAL;
            break;
        }
        len = ncarry + (size_t)n;
        if (offset == 0 && len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) {
            gv_err_set(err, "the file starts with a byte-order mark (CSV batches have none)");
            st.fault = GV_FAULT_MALFORMED;
            break;
        }
        ok = n == 0 ? len : gv_utf8_complete_prefix(buf, len);
        if (!gv_utf8_valid(buf, ok, &bad)) {
            gv_err_set(err, "not UTF-8: bad byte at offset %zu", offset + bad);
            st.fault = GV_FAULT_MALFORMED;
            break;
        }
        if (memchr(buf, '\0', ok)) {
            gv_err_set(err, "a NUL byte in the file");
            st.fault = GV_FAULT_MALFORMED;
            break;
        }
        if (csv_parse(&p, buf, ok, csv_field, csv_record, &st) != ok) {
            gv_err_set(err, "record %ld: %s", st.record + 1, csv_strerror(csv_error(&p)));
            st.fault = GV_FAULT_MALFORMED;
            break;
        }
        if (st.fault)
            break;
        if (n == 0) {
            if (csv_fini(&p, csv_field, csv_record, &st) != 0) {
                gv_err_set(err, "record %ld: %s at the end of the file", st.record + 1,
                           csv_strerror(csv_error(&p)));
                st.fault = GV_FAULT_MALFORMED;
            }
            break;
        }
        ncarry = len - ok;
        memcpy(carry, buf + ok, ncarry);
        offset += ok;
    }
    csv_free(&p);
    close(fd);
    if (st.fault == GV_FAULT_NONE && st.record < 1) {
        gv_err_set(err, "the file is empty: no header line");
        st.fault = GV_FAULT_SCHEMA_VIOLATION;
    }
    return st.fault;
}

gv_fault_t gv_batch_read(const char *path, gv_batch_form_t form, const char *own_bin,
                         gv_batch_head_t *head, gv_voucher_fn fn, void *ud, gv_err_t *err)
{
    memset(head, 0, sizeof *head);
    return form == GV_FORM_XML ? read_xml(path, own_bin, head, fn, ud, err)
                               : read_csv(path, own_bin, head, fn, ud, err);
}
