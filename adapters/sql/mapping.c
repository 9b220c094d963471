/* mapping.c - loading a site mapping file. */
#include "config.h"
#include "mapping.h"
#include "buf.h"
#include "inifile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const account_params[] = { "account", "period_start", "period_end", NULL };
static const gv_col_spec_t account_columns[] = {
    { "account", GV_COL_TEXT, 0 },     /* canonical form as stored */
    { "holder", GV_COL_TEXT, 0 },      /* full name, surname first */
    { "address", GV_COL_TEXT, 0 },     /* street, house, flat (and settlement) */
    { "settlement", GV_COL_TEXT, 1 },  /* when the site keeps it apart */
    { "region", GV_COL_TEXT, 0 },      /* ISO 3166-2:KZ */
    { "household", GV_COL_INT, 0 },    /* 1 = household, tariff group 1 */
    { "closed_on", GV_COL_DATE, 0 },   /* NULL while open */
    { "metered", GV_COL_INT, 0 },      /* 1 = metered, 0 = billed by norm */
    { "residents", GV_COL_INT, 0 },    /* registered residents */
    { NULL, GV_COL_TEXT, 0 },
};

/* Voucher lists look their accounts up a chunk at a time: the same
 * columns, for a list of canonical accounts. */
static const char *const accounts_params[] = { "accounts", "period_start", "period_end", NULL };

/* Billing reads a chunk of accounts at once: :accounts is a list. */
static const char *const chunk_params[] = { "accounts", "first_account", "last_account", "period",
                                            "period_yyyymm", "period_start", "period_end", NULL };
static const gv_col_spec_t billing_columns[] = {
    { "account", GV_COL_TEXT, 0 },     /* canonical form, as :accounts held it */
    { "region", GV_COL_TEXT, 0 },      /* ISO 3166-2:KZ: selects price and norm */
    { "metered", GV_COL_INT, 0 },      /* 1 = metered (R14), 0 = by norm (R15) */
    { "residents", GV_COL_INT, 0 },    /* registered residents (R15) */
    { NULL, GV_COL_TEXT, 0 },
};
static const gv_col_spec_t reading_columns[] = {
    { "account", GV_COL_TEXT, 0 },
    { "meter", GV_COL_TEXT, 0 },       /* serial or id: a new one is a replacement */
    { "digits", GV_COL_INT, 0 },       /* register digits: rolls over at 10^n m3 */
    { "read_on", GV_COL_DATE, 0 },
    { "value_m3", GV_COL_DECIMAL, 0 }, /* register value, exact decimal */
    { "kind", GV_COL_TEXT, 1 },        /* ACTUAL, INSTALL, REMOVAL, ESTIMATED; absent = ACTUAL */
    { "seq", GV_COL_INT, 1 },          /* row order for readings of one day */
    { NULL, GV_COL_TEXT, 0 },
};
static const gv_col_spec_t bill_ref_columns[] = {
    { "account", GV_COL_TEXT, 0 },
    { "bill_ref", GV_COL_TEXT, 0 },    /* what the site calls the bill (its id) */
    { NULL, GV_COL_TEXT, 0 },
};

/* mapping check's sample accounts (without --sample): the first rows. */
static const char *const sample_params[] = { "period_start", "period_end", NULL };
static const gv_col_spec_t sample_columns[] = {
    { "account", GV_COL_TEXT, 0 },     /* as stored */
    { NULL, GV_COL_TEXT, 0 },
};

/* Reading a period's bills back (report --check): the whole period, no
 * list of accounts. */
static const char *const period_params[] = { "period", "period_yyyymm", "period_start",
                                             "period_end", NULL };
static const gv_col_spec_t bills_columns[] = {
    { "account", GV_COL_TEXT, 0 },        /* canonical form, as the site keeps it */
    { "voucher_id", GV_COL_TEXT, 0 },     /* the voucher the bill names; NULL = none */
    { "bill_ref", GV_COL_TEXT, 1 },       /* what [query.bill_ref] returns for it */
    { "volume_m3", GV_COL_DECIMAL, 0 },
    { "charge_tiyn", GV_COL_INT, 1 },     /* each amount in tiyn or in tenge: */
    { "charge_tenge", GV_COL_DECIMAL, 1 },/* exactly one of the two */
    { "discount_tiyn", GV_COL_INT, 1 },
    { "discount_tenge", GV_COL_DECIMAL, 1 },
    { "due_tiyn", GV_COL_INT, 1 },
    { "due_tenge", GV_COL_DECIMAL, 1 },
    { NULL, GV_COL_TEXT, 0 },
};

const char *const gv_bill_params[] = {
    "account", "voucher_id", "period", "period_yyyymm", "period_start", "period_end",
    "volume_m3", "price_tiyn", "price_tenge", "net_tiyn", "vat_tiyn", "charge_tiyn",
    "charge_tenge", "discount_tiyn", "discount_tenge", "minus_discount_tiyn", "due_tiyn",
    "due_tenge", "created_at", NULL
};

const gv_stmt_spec_t gv_stmt_specs[GV_STMT_COUNT] = {
    [GV_STMT_ACCOUNT] = { "query.account", "find an account and its attributes",
                          account_params, account_columns, 1 },
    [GV_STMT_BILLING_ACCOUNTS] = { "query.billing_accounts",
                                   "region, metering and residents of the accounts billed",
                                   chunk_params, billing_columns, 0 },
    [GV_STMT_READINGS] = { "query.readings", "meter readings of the accounts billed",
                           chunk_params, reading_columns, 0 },
    [GV_STMT_BILL_REF] = { "query.bill_ref", "the site's reference of the bills written",
                           chunk_params, bill_ref_columns, 0 },
    [GV_STMT_SAMPLE_ACCOUNTS] = { "query.sample_accounts",
                                  "accounts for `gasvoucher mapping check` to try",
                                  sample_params, sample_columns, 0 },
    [GV_STMT_BILLS] = { "query.bills", "the period's bills, read back for report --check",
                        period_params, bills_columns, 0 },
    [GV_STMT_ACCOUNTS] = { "query.accounts", "find many accounts at once (voucher lists)",
                           accounts_params, account_columns, 0 },
};

int gv_param_is_list(const char *name)
{
    return strcmp(name, "accounts") == 0;
}

/* [account] as read; the form is compiled once the whole file is in, since
 * strip and uppercase (which it depends on) may come after match. */
enum { OLD_DIGITS_ONLY, OLD_ZERO_PAD, OLD_TRIM_ZEROS, OLD_KEY_COUNT };
static const char *const old_account_keys[OLD_KEY_COUNT] = { "digits_only", "zero_pad",
                                                             "trim_zeros" };

struct account_keys {
    char *match, *output;
    int match_line, output_line, bind_line;
    unsigned max_length;            /* 0 = not set: GV_ACCOUNT_MAX */
    int old_line[OLD_KEY_COUNT];    /* removed keys, to say what replaces them */
    int digits_only;
    unsigned zero_pad;
    int trim_zeros;
};

struct load_state {
    gv_mapping_t *m;
    gv_errlist_t *errs;
    gv_buf_t sql[GV_STMT_COUNT];
    int sql_line[GV_STMT_COUNT];
    gv_buf_t wvalues[GV_MAX_WRITES];
    int winsert_line[GV_MAX_WRITES], wvalues_line[GV_MAX_WRITES];
    struct account_keys acct;
    int out_of_memory;          /* said once, in errs */
};

/* Running out of memory while loading is an error of the load like any
 * other: said once, with the line, and the mapping is not used. */
static void no_memory(struct load_state *st, const char *file, int line)
{
    if (!st->out_of_memory)
        gv_errlist_add(st->errs, "%s:%d: out of memory", file, line);
    st->out_of_memory = 1;
}

static char *copy(struct load_state *st, const char *file, int line, const char *s)
{
    char *c = strdup(s);

    if (!c)
        no_memory(st, file, line);
    return c;
}

/* Appends a line of a value that may span lines; the caller's words for
 * its limit when it is passed. */
static void append_line(struct load_state *st, const char *file, int line, gv_buf_t *b,
                        int cont, const char *value, const char *section, const char *too_long)
{
    if ((cont && gv_buf_puts(b, "\n") < 0) || gv_buf_puts(b, value) < 0) {
        if (errno == ENOMEM)
            no_memory(st, file, line);
        else
            gv_errlist_add(st->errs, "%s:%d: [%s] %s", file, line, section, too_long);
    }
}

static int find_spec(const char *section)
{
    for (int i = 0; i < GV_STMT_COUNT; i++)
        if (strcmp(gv_stmt_specs[i].section, section) == 0)
            return i;
    return -1;
}

static int parse_yesno(const char *v, int *out)
{
    if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcmp(v, "1"))
        *out = 1;
    else if (!strcasecmp(v, "no") || !strcasecmp(v, "false") || !strcmp(v, "0"))
        *out = 0;
    else
        return -1;
    return 0;
}

static int parse_uint(const char *v, unsigned max, unsigned *out)
{
    char *end;
    unsigned long n = strtoul(v, &end, 10);

    if (end == v || *end || n > max || v[0] == '-')
        return -1;
    *out = (unsigned)n;
    return 0;
}

static void set_form_text(struct load_state *st, const char *file, int line, const char *name,
                          const char *value, char **text, int *text_line)
{
    if (*text_line) {
        gv_errlist_add(st->errs, "%s:%d: [account] %s: set again (first set on line %d)", file,
                       line, name, *text_line);
        return;
    }
    *text_line = line;
    *text = copy(st, file, line, value);
}

static void on_account_key(struct load_state *st, const char *file, int line,
                           const char *name, const char *value)
{
    gv_account_rules_t *r = &st->m->account;
    struct account_keys *a = &st->acct;
    int b;

    for (int k = 0; k < OLD_KEY_COUNT; k++)
        if (!strcmp(name, old_account_keys[k])) {
            a->old_line[k] = line;
            if (k == OLD_DIGITS_ONLY && parse_yesno(value, &b) == 0)
                a->digits_only = b;
            else if (k == OLD_TRIM_ZEROS && parse_yesno(value, &b) == 0)
                a->trim_zeros = b;
            else if (k == OLD_ZERO_PAD && parse_uint(value, GV_ACCOUNT_MAX, &a->zero_pad) < 0)
                a->zero_pad = 0;
            return;
        }
    if (!strcmp(name, "strip")) {
        char tmp[256], *save = NULL, *tok;
        snprintf(tmp, sizeof tmp, "%s", value);
        r->strip = 0;
        for (tok = strtok_r(tmp, " \t,", &save); tok; tok = strtok_r(NULL, " \t,", &save)) {
            if (!strcmp(tok, "space"))
                r->strip |= GV_STRIP_SPACE;
            else if (!strcmp(tok, "dash"))
                r->strip |= GV_STRIP_DASH;
            else if (!strcmp(tok, "slash"))
                r->strip |= GV_STRIP_SLASH;
            else
                gv_errlist_add(st->errs, "%s:%d: [account] strip: expected space, dash or "
                               "slash, got '%s'", file, line, tok);
        }
    } else if (!strcmp(name, "uppercase")) {
        if (parse_yesno(value, &b) < 0)
            gv_errlist_add(st->errs, "%s:%d: [account] %s: expected yes or no, got '%s'", file,
                           line, name, value);
        else
            r->uppercase = b;
    } else if (!strcmp(name, "match")) {
        set_form_text(st, file, line, name, value, &a->match, &a->match_line);
    } else if (!strcmp(name, "output")) {
        set_form_text(st, file, line, name, value, &a->output, &a->output_line);
    } else if (!strcmp(name, "max_length")) {
        unsigned n;
        if (parse_uint(value, GV_ACCOUNT_MAX, &n) < 0 || n == 0)
            gv_errlist_add(st->errs, "%s:%d: [account] %s: expected a number from 1 to %d, "
                           "got '%s'", file, line, name, GV_ACCOUNT_MAX, value);
        else
            a->max_length = n;
    } else if (!strcmp(name, "bind_as")) {
        a->bind_line = line;
        if (!strcmp(value, "text"))
            st->m->account_bind = GV_BIND_TEXT;
        else if (!strcmp(value, "integer"))
            st->m->account_bind = GV_BIND_INTEGER;
        else
            gv_errlist_add(st->errs, "%s:%d: [account] bind_as: expected text or integer, "
                           "got '%s'", file, line, value);
    } else {
        gv_errlist_add(st->errs, "%s:%d: [account] unknown key '%s'", file, line, name);
    }
}

/* A mapping written for the keys match and output replaced: name each old
 * key and the exact lines that say the same. */
static void report_old_account_keys(struct load_state *st, const char *path)
{
    const struct account_keys *a = &st->acct;
    unsigned longest = a->max_length ? a->max_length : GV_ACCOUNT_MAX;
    int digits = a->digits_only == 1 || a->zero_pad || a->trim_zeros == 1;
    char match[64], output[32], keys[64] = "";

    snprintf(match, sizeof match, "number:%s{1,%u}", digits ? "digit" : "alnum", longest);
    if (a->zero_pad)
        snprintf(output, sizeof output, "{number:0%u}", a->zero_pad);
    else if (a->trim_zeros == 1)
        snprintf(output, sizeof output, "{number:int}");
    else
        snprintf(output, sizeof output, "{number}");
    for (int k = 0, n = 0; k < OLD_KEY_COUNT; k++) {
        int later = 0;
        if (!a->old_line[k])
            continue;
        for (int j = k + 1; j < OLD_KEY_COUNT; j++)
            later += a->old_line[j] != 0;
        snprintf(keys + strlen(keys), sizeof keys - strlen(keys), "%s%s",
                 n++ == 0 ? "" : later ? ", " : " and ", old_account_keys[k]);
    }
    for (int k = 0; k < OLD_KEY_COUNT; k++)
        if (a->old_line[k])
            gv_errlist_add(st->errs, "%s:%d: [account] %s was removed: the account form is "
                           "written as match and output; in place of %s write "
                           "\"match = %s\" and \"output = %s\"", path, a->old_line[k],
                           old_account_keys[k], keys, match, output);
}

/* Compiles [account] once every key is read. */
static void finish_account(struct load_state *st, const char *path)
{
    struct account_keys *a = &st->acct;
    gv_account_rules_t *r = &st->m->account;
    gv_account_form_err_t err;

    for (int k = 0; k < OLD_KEY_COUNT; k++)
        if (a->old_line[k]) {
            report_old_account_keys(st, path);
            goto done;
        }
    if (!a->match_line || !a->output_line) {
        gv_errlist_add(st->errs, "%s: [account] %s required: the site's account form, e.g. "
                       "\"match = number:digit{1,10}\" and \"output = {number:010}\"", path,
                       a->match_line ? "output is" : a->output_line ? "match is"
                                                                    : "match and output are");
        goto done;
    }
    if (gv_account_form_compile(a->match, a->output,
                                a->max_length ? a->max_length : GV_ACCOUNT_MAX, r, &err) < 0) {
        int at_match = err.key == GV_FORM_AT_MATCH;
        /* "match, column 3: ..." but "output can be 11 characters long" */
        gv_errlist_add(st->errs, "%s:%d: [account] %s%s%s", path,
                       at_match ? a->match_line : a->output_line, at_match ? "match" : "output",
                       strncmp(err.msg, "column ", 7) ? " " : ", ", err.msg);
        goto done;
    }
    /* An integer bind goes through strtoll: only digits, and no more than
     * a BIGINT holds whatever the digits are. */
    if (st->m->account_bind == GV_BIND_INTEGER && !r->output_digits)
        gv_errlist_add(st->errs, "%s:%d: [account] bind_as = integer needs an output of digits "
                       "only (output on line %d can write other characters)", path,
                       a->bind_line, a->output_line);
    else if (st->m->account_bind == GV_BIND_INTEGER && r->output_max > 18)
        gv_errlist_add(st->errs, "%s:%d: [account] bind_as = integer: output can be %u digits "
                       "long, more than the 18 a BIGINT always holds", path, a->bind_line,
                       r->output_max);
done:
    free(a->match);
    free(a->output);
    a->match = a->output = NULL;
}

static void free_markers(gv_mapping_t *m)
{
    if (m->settlement_markers) {
        for (char **p = m->settlement_markers; *p; p++)
            free(*p);
        free(m->settlement_markers);
        m->settlement_markers = NULL;
    }
}

/* [write.NAME] insert = ... / values = ...; both may span lines. */
static void on_write_key(struct load_state *st, const char *file, int line, const char *section,
                         const char *name, const char *value, int cont)
{
    gv_mapping_t *m = st->m;
    size_t i;

    for (i = 0; i < m->nwrites; i++)
        if (!strcmp(m->writes[i].name, section + 6))
            break;
    if (i == m->nwrites) {
        if (m->nwrites == GV_MAX_WRITES) {
            gv_errlist_add(st->errs, "%s:%d: [%s]: more than %d write sections", file, line,
                           section, GV_MAX_WRITES);
            return;
        }
        if (!section[6]) {
            gv_errlist_add(st->errs, "%s:%d: [write.]: a write section needs a name", file,
                           line);
            return;
        }
        if (!(m->writes[i].name = copy(st, file, line, section + 6)))
            return;
        m->writes[i].line = line;
        gv_buf_init(&st->wvalues[i], 64 * 1024);
        m->nwrites++;
    }
    gv_write_t *w = &m->writes[i];
    if (!strcmp(name, "insert")) {
        if (!cont && st->winsert_line[i]) {
            gv_errlist_add(st->errs, "%s:%d: [%s] insert: set again", file, line, section);
            return;
        }
        if (!cont) {
            st->winsert_line[i] = line;
            w->insert = copy(st, file, line, value);
        } else if (w->insert) {
            size_t n = strlen(w->insert) + strlen(value) + 2;
            char *t = malloc(n);
            if (!t) {
                no_memory(st, file, line);
                return;
            }
            snprintf(t, n, "%s\n%s", w->insert, value);
            free(w->insert);
            w->insert = t;
        }
    } else if (!strcmp(name, "values")) {
        if (!cont && st->wvalues_line[i]) {
            gv_errlist_add(st->errs, "%s:%d: [%s] values: set again", file, line, section);
            return;
        }
        if (!cont)
            st->wvalues_line[i] = line;
        append_line(st, file, line, &st->wvalues[i], cont, value, section, "values: too long");
    } else {
        gv_errlist_add(st->errs, "%s:%d: [%s] unknown key '%s' (expected insert or values)",
                       file, line, section, name);
    }
}

static void on_pair(void *user, const char *file, int line, const char *section,
                    const char *name, const char *value, int cont)
{
    struct load_state *st = user;
    int spec;

    if ((spec = find_spec(section)) >= 0) {
        if (strcmp(name, "sql") != 0) {
            gv_errlist_add(st->errs, "%s:%d: [%s] unknown key '%s' (expected sql)", file, line,
                           section, name);
            return;
        }
        if (!cont && st->sql_line[spec]) {
            gv_errlist_add(st->errs, "%s:%d: [%s] sql: set again (first set on line %d)", file,
                           line, section, st->sql_line[spec]);
            return;
        }
        if (!cont)
            st->sql_line[spec] = line;
        append_line(st, file, line, &st->sql[spec], cont, value, section,
                    "sql: statement too long");
        return;
    }
    if (!strncmp(section, "write.", 6)) {
        on_write_key(st, file, line, section, name, value, cont);
        return;
    }
    if (cont) {
        gv_errlist_add(st->errs, "%s:%d: [%s] %s: only sql values may span lines", file, line,
                       section, name);
        return;
    }
    if (!strcmp(section, "mapping")) {
        if (!strcmp(name, "name")) {
            free(st->m->name);
            st->m->name = copy(st, file, line, value);
        } else if (strcmp(name, "description") != 0) {
            gv_errlist_add(st->errs, "%s:%d: [mapping] unknown key '%s'", file, line, name);
        }
    } else if (!strcmp(section, "account")) {
        on_account_key(st, file, line, name, value);
    } else if (!strcmp(section, "mask")) {
        if (!strcmp(name, "settlement_markers")) {
            char tmp[GV_INI_MAX_LINE + 1], *save = NULL, *tok;
            size_t n = 0;
            snprintf(tmp, sizeof tmp, "%s", value);
            free_markers(st->m);
            st->m->settlement_markers = calloc(strlen(value) / 2 + 2, sizeof(char *));
            if (!st->m->settlement_markers) {
                no_memory(st, file, line);
                return;
            }
            for (tok = strtok_r(tmp, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save))
                if (!(st->m->settlement_markers[n++] = copy(st, file, line, tok)))
                    return;     /* the list ends at the NULL: freed as far as it goes */
        } else {
            gv_errlist_add(st->errs, "%s:%d: [mask] unknown key '%s'", file, line, name);
        }
    } else {
        gv_errlist_add(st->errs, "%s:%d: unknown section [%s]", file, line, section);
    }
}

/* Characters that may start and continue a parameter name. */
static int name_start(char c) { return (c >= 'a' && c <= 'z') || c == '_'; }
static int name_char(char c) { return name_start(c) || (c >= '0' && c <= '9'); }

int gv_sql_compile(const char *src, const char *const *allowed, gv_stmt_t *out, gv_err_t *err)
{
    gv_buf_t b;
    const char *p = src;

    gv_buf_init(&b, 1 << 20);
    out->nparams = 0;
    while (*p) {
        char c = *p;
        if (c == '\'' || c == '"' || c == '`') {      /* quoted: copy verbatim */
            const char *q = p + 1;
            while (*q && *q != c)
                q++;
            if (!*q) {
                gv_err_set(err, "unterminated quote %c", c);
                goto fail;
            }
            if (gv_buf_append(&b, p, (size_t)(q - p + 1)) < 0)
                goto full;
            p = q + 1;
        } else if (c == '-' && p[1] == '-') {          /* comment to end of line */
            while (*p && *p != '\n')
                p++;
        } else if (c == '/' && p[1] == '*') {          /* block comment */
            const char *e = strstr(p + 2, "*/");
            if (!e) {
                gv_err_set(err, "unterminated /* comment");
                goto fail;
            }
            if (gv_buf_puts(&b, " ") < 0)
                goto full;
            p = e + 2;
        } else if (c == ':' && p[1] == ':') {          /* PostgreSQL cast */
            if (gv_buf_puts(&b, "::") < 0)
                goto full;
            p += 2;
        } else if (c == ':' && name_start(p[1])) {
            const char *n = p + 1, *e = n;
            const char *const *a;
            while (name_char(*e))
                e++;
            for (a = allowed; *a; a++)
                if (strlen(*a) == (size_t)(e - n) && !strncmp(*a, n, (size_t)(e - n)))
                    break;
            if (!*a) {
                gv_err_set(err, "unknown parameter :%.*s", (int)(e - n), n);
                goto fail;
            }
            if (out->nparams == GV_STMT_MAX_PARAMS) {
                gv_err_set(err, "more than %d parameters", GV_STMT_MAX_PARAMS);
                goto fail;
            }
            out->params[out->nparams++] = *a;
            if (gv_param_is_list(*a)) {
                char mark = GV_SQL_LIST_MARK;
                if (gv_buf_append(&b, &mark, 1) < 0)
                    goto full;
            } else if (gv_buf_puts(&b, "?") < 0) {
                goto full;
            }
            p = e;
        } else if (c == '?') {
            gv_err_set(err, "use named parameters (:account), not '?'");
            goto fail;
        } else {
            if (gv_buf_append(&b, p, 1) < 0)
                goto full;
            p++;
        }
    }
    if (b.len == 0 || b.len >= b.max) {
        gv_err_set(err, b.len ? "statement too long" : "empty statement");
        goto fail;
    }
    out->sql = b.data;
    return 0;
full:
    gv_err_set(err, "%s", gv_buf_why("statement too long"));
fail:
    gv_buf_free(&b);
    return -1;
}

void gv_mapping_free(gv_mapping_t *m)
{
    if (!m)
        return;
    for (int i = 0; i < GV_STMT_COUNT; i++) {
        free(m->stmts[i].sql);
        free(m->stmts[i].source);
    }
    for (size_t i = 0; i < m->nwrites; i++) {
        free(m->writes[i].name);
        free(m->writes[i].insert);
        free(m->writes[i].values.sql);
        free(m->writes[i].values.source);
    }
    free_markers(m);
    free(m->name);
    free(m->path);
    free(m);
}

gv_mapping_t *gv_mapping_load(const char *path, gv_errlist_t *errs)
{
    struct load_state st;
    size_t before = errs->count;

    memset(&st, 0, sizeof st);
    st.errs = errs;
    st.m = calloc(1, sizeof *st.m);
    if (!st.m) {
        gv_errlist_add(errs, "%s: out of memory", path);
        return NULL;
    }
    for (int i = 0; i < GV_STMT_COUNT; i++)
        gv_buf_init(&st.sql[i], 64 * 1024);
    if (!(st.m->path = strdup(path)))
        no_memory(&st, path, 0);
    else
        gv_ini_parse(path, on_pair, &st, errs);

    if (st.out_of_memory)
        goto done;              /* what follows would only be its consequences */
    if (!st.m->name)
        gv_errlist_add(errs, "%s: [mapping] name is required", path);
    finish_account(&st, path);
    for (int i = 0; i < GV_STMT_COUNT; i++) {
        const gv_stmt_spec_t *spec = &gv_stmt_specs[i];
        gv_err_t err;
        if (!st.sql_line[i]) {
            if (spec->required)
                gv_errlist_add(errs, "%s: [%s] sql is required (%s)", path, spec->section,
                               spec->purpose);
            continue;
        }
        st.m->stmts[i].line = st.sql_line[i];
        st.m->stmts[i].source = st.sql[i].data;
        st.sql[i].data = NULL;
        if (gv_sql_compile(st.m->stmts[i].source ? st.m->stmts[i].source : "", spec->params,
                           &st.m->stmts[i], &err) < 0)
            gv_errlist_add(errs, "%s:%d: [%s] sql: %s", path, st.sql_line[i], spec->section,
                           err.msg);
    }
    for (size_t i = 0; i < st.m->nwrites; i++) {
        gv_write_t *w = &st.m->writes[i];
        gv_err_t err;
        if (!w->insert || !st.wvalues_line[i]) {
            gv_errlist_add(errs, "%s:%d: [write.%s] needs both insert and values", path,
                           w->line, w->name);
            continue;
        }
        if (strchr(w->insert, ':') || strchr(w->insert, '?'))
            gv_errlist_add(errs, "%s:%d: [write.%s] insert: parameters belong in values", path,
                           st.winsert_line[i], w->name);
        w->values.line = st.wvalues_line[i];
        w->values.source = st.wvalues[i].data;
        st.wvalues[i].data = NULL;
        if (gv_sql_compile(w->values.source, gv_bill_params, &w->values, &err) < 0)
            gv_errlist_add(errs, "%s:%d: [write.%s] values: %s", path, st.wvalues_line[i],
                           w->name, err.msg);
    }
done:
    free(st.acct.match);        /* finish_account's, when it ran: then NULL */
    free(st.acct.output);
    for (size_t i = 0; i < GV_MAX_WRITES; i++)
        gv_buf_free(&st.wvalues[i]);
    for (int i = 0; i < GV_STMT_COUNT; i++)
        gv_buf_free(&st.sql[i]);
    if (errs->count != before) {
        gv_mapping_free(st.m);
        return NULL;
    }
    return st.m;
}

int gv_stmt_expand(const gv_stmt_t *st, size_t nlist, gv_buf_t *out)
{
    gv_buf_reset(out);
    for (const char *p = st->sql; *p; p++) {
        if (*p != GV_SQL_LIST_MARK) {
            if (gv_buf_append(out, p, 1) < 0)
                return -1;
            continue;
        }
        for (size_t i = 0; i < nlist; i++)
            if (gv_buf_puts(out, i ? ", ?" : "?") < 0)
                return -1;
    }
    return 0;
}

int gv_write_expand(const gv_write_t *w, size_t nrows, gv_buf_t *out)
{
    gv_buf_reset(out);
    if (gv_buf_puts(out, w->insert) < 0 || gv_buf_puts(out, " VALUES ") < 0)
        return -1;
    for (size_t i = 0; i < nrows; i++)
        if ((i && gv_buf_puts(out, ", ") < 0) || gv_buf_puts(out, w->values.sql) < 0)
            return -1;
    return 0;
}
