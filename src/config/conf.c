/* conf.c - loading and checking gasvoucher.conf. */
#include "config.h"
#include "conf.h"
#include "calendar.h"
#include "inifile.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <gnutls/gnutls.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef enum {
    K_STRING, K_PATH, K_LONG, K_SIZE, K_BOOL, K_BIN, K_DATE, K_REGIONS, K_HOSTPORT,
    K_LOGLEVEL
} key_type_t;

typedef struct key_def {
    const char *section;
    const char *name;
    key_type_t type;
    size_t offset;
    long min, max;          /* K_LONG, K_SIZE */
    const char *def;        /* default text, parsed like a value; NULL = none */
    int required;
} key_def_t;

#define F(x) offsetof(gv_conf_t, x)
static const key_def_t keys[] = {
    { "provider", "bin",  K_BIN,    F(provider_bin),  0, 0, NULL, 1 },
    { "provider", "name", K_STRING, F(provider_name), 0, 0, NULL, 1 },

    { "database", "connection",       K_STRING, F(db_connection),       0, 0, NULL, 1 },
    { "database", "intake_connection", K_STRING, F(intake_connection), 0, 0, NULL, 0 },
    { "database", "mapping",          K_PATH,   F(mapping_path),        0, 0, NULL, 1 },
    { "database", "login_timeout",    K_LONG,   F(db_login_timeout),    1, 300, "5", 0 },
    { "database", "query_timeout",    K_LONG,   F(db_query_timeout),    1, 3600, "5", 0 },
    { "database", "reconnect_min_ms", K_LONG,   F(db_reconnect_min_ms), 10, 60000, "100", 0 },
    { "database", "reconnect_max_ms", K_LONG,   F(db_reconnect_max_ms), 10, 600000, "5000", 0 },

    { "wallet", "listen",                   K_HOSTPORT, F(wallet_listen), 0, 0, "0.0.0.0:8443", 0 },
    { "wallet", "tls",                      K_BOOL,  F(wallet_tls),     0, 0, "yes", 0 },
    { "wallet", "tls_cert",                 K_PATH,  F(tls_cert),       0, 0, NULL, 0 },
    { "wallet", "tls_key",                  K_PATH,  F(tls_key),        0, 0, NULL, 0 },
    { "wallet", "tls_client_ca",            K_PATH,  F(tls_client_ca),  0, 0, NULL, 0 },
    { "wallet", "tls_priorities",           K_STRING, F(tls_priorities), 0, 0, GV_TLS_PRIORITIES, 0 },
    { "wallet", "tls_client_allow",         K_PATH,  F(tls_client_allow), 0, 0, NULL, 0 },
    { "wallet", "threads",                  K_LONG,  F(threads),        1, 256, "2", 0 },
    { "wallet", "max_connections",          K_LONG,  F(max_connections), 1, 100000, "2048", 0 },
    { "wallet", "max_connections_per_ip",   K_LONG,  F(max_connections_per_ip), 0, 100000, "256", 0 },
    { "wallet", "header_limit",             K_SIZE,  F(header_limit),   1024, 1L << 20, "8K", 0 },
    { "wallet", "account_check_body_limit", K_SIZE,  F(account_check_body_limit), 256, 1L << 30, "16K", 0 },
    { "wallet", "batch_body_limit",         K_SIZE,  F(batch_body_limit), 1024, LONG_MAX, "64M", 0 },
    { "wallet", "discard_limit",            K_SIZE,  F(discard_limit),  0, 1L << 30, "1M", 0 },
    { "wallet", "header_timeout",           K_LONG,  F(header_timeout), 1, 3600, "10", 0 },
    { "wallet", "idle_timeout",             K_LONG,  F(idle_timeout),   1, 3600, "60", 0 },
    { "wallet", "body_timeout",             K_LONG,  F(body_timeout),   1, 86400, "120", 0 },
    { "wallet", "body_min_rate",            K_SIZE,  F(body_min_rate),  0, 1L << 30, "1K", 0 },
    { "wallet", "body_rate_window",         K_LONG,  F(body_rate_window), 1, 3600, "10", 0 },
    { "wallet", "rate_limit",               K_LONG,  F(rate_limit),     0, 1000000, "100", 0 },
    { "wallet", "rate_burst",               K_LONG,  F(rate_burst),     1, 1000000, "200", 0 },
    { "wallet", "drain_timeout",            K_LONG,  F(drain_timeout),  0, 3600, "10", 0 },

    { "ops", "listen", K_HOSTPORT, F(ops_listen), 0, 0, "127.0.0.1:9464", 0 },

    { "pilot", "start",   K_DATE,    F(pilot_start),   0, 0, "2025-08-28", 0 },
    { "pilot", "end",     K_DATE,    F(pilot_end),     0, 0, "2026-06-30", 0 },
    { "pilot", "regions", K_REGIONS, F(pilot_regions), 0, 0,
      "KZ-71 KZ-75 KZ-79 KZ-11 KZ-15 KZ-19 KZ-23 KZ-63 KZ-31 KZ-33 KZ-27 KZ-35 KZ-39 "
      "KZ-43 KZ-47 KZ-61 KZ-62", 0 },

    { "intake", "spool_dir",      K_PATH, F(spool_dir),      0, 0, "/var/lib/gasvoucher", 0 },
    { "intake", "inbox_dir",      K_PATH, F(inbox_dir),      0, 0, NULL, 0 },
    { "intake", "inbox_interval", K_LONG, F(inbox_interval), 1, 86400, "10", 0 },
    { "intake", "pull",           K_BOOL, F(pull),           0, 0, "no", 0 },
    { "intake", "pull_interval",  K_LONG, F(pull_interval),  10, 86400, "900", 0 },
    { "intake", "pull_days",      K_LONG, F(pull_days),      0, 60, "10", 0 },

    { "billing", "program",       K_PATH, F(billing_program),   0, 0, NULL, 0 },
    { "billing", "chunk",         K_LONG, F(billing_chunk),     1, 5000, "500", 0 },
    { "billing", "retries",       K_LONG, F(billing_retries),   0, 100, "5", 0 },
    { "billing", "reconnect_for", K_LONG, F(billing_reconnect_for), 0, 86400, "300", 0 },

    { "report", "lang", K_STRING, F(report_lang), 0, 0, NULL, 0 },

    { "signing", "wallet_ca", K_PATH, F(wallet_signing_ca), 0, 0, NULL, 0 },
    { "signing", "cert",      K_PATH, F(signing_cert),      0, 0, NULL, 0 },
    { "signing", "key",       K_PATH, F(signing_key),       0, 0, NULL, 0 },
    { "signing", "chain",     K_PATH, F(signing_chain),     0, 0, NULL, 0 },

    { "outbound", "url",             K_STRING, F(outbound_url),  0, 0, NULL, 0 },
    { "outbound", "tls_ca",          K_PATH,   F(outbound_ca),   0, 0, NULL, 0 },
    { "outbound", "tls_cert",        K_PATH,   F(outbound_cert), 0, 0, NULL, 0 },
    { "outbound", "tls_key",         K_PATH,   F(outbound_key),  0, 0, NULL, 0 },
    { "outbound", "connect_timeout", K_LONG,   F(outbound_connect_timeout), 1, 600, "10", 0 },
    { "outbound", "timeout",         K_LONG,   F(outbound_timeout), 1, 3600, "60", 0 },
    { "outbound", "retry_min",       K_LONG,   F(retry_min),     1, 86400, "30", 0 },
    { "outbound", "retry_max",       K_LONG,   F(retry_max),     1, 604800, "3600", 0 },
    { "outbound", "outbox_interval", K_LONG,   F(outbox_interval), 1, 3600, "5", 0 },

    { "time", "zone", K_STRING, F(time_zone), 0, 0, GV_TIMEZONE, 0 },
    { "time", "allow_pinned_now", K_BOOL, F(time_allow_pinned_now), 0, 0, "no", 0 },

    { "cluster", "node",      K_STRING, F(node_name), 0, 0, NULL, 0 },
    { "cluster", "lease_ttl", K_LONG,   F(lease_ttl), 5, 86400, "120", 0 },

    { "log", "level", K_LOGLEVEL, F(log_level), 0, 0, "info", 0 },
};
#define NKEYS (sizeof keys / sizeof keys[0])

struct load_state {
    gv_conf_t *conf;
    gv_errlist_t *errs;
    char *dir;                 /* directory of the file, for relative paths */
    int seen[NKEYS];           /* line where each key was set; 0 = not set */
};

static const key_def_t *find_key(const char *section, const char *name, size_t *idx)
{
    for (size_t i = 0; i < NKEYS; i++)
        if (strcmp(keys[i].section, section) == 0 && strcmp(keys[i].name, name) == 0) {
            *idx = i;
            return &keys[i];
        }
    return NULL;
}

static int known_section(const char *section)
{
    for (size_t i = 0; i < NKEYS; i++)
        if (strcmp(keys[i].section, section) == 0)
            return 1;
    return 0;
}

static int parse_long(const char *v, long *out)
{
    char *end;
    long n;

    errno = 0;
    n = strtol(v, &end, 10);
    if (errno || end == v || *end)
        return -1;
    *out = n;
    return 0;
}

static int parse_size(const char *v, long *out)
{
    char *end;
    long n, mult = 1;

    errno = 0;
    n = strtol(v, &end, 10);
    if (errno || end == v || n < 0)
        return -1;
    if (*end == 'K' || *end == 'k')
        mult = 1L << 10;
    else if (*end == 'M' || *end == 'm')
        mult = 1L << 20;
    else if (*end == 'G' || *end == 'g')
        mult = 1L << 30;
    else if (*end)
        return -1;
    if (*end && end[1])
        return -1;
    if (n > LONG_MAX / mult)
        return -1;
    *out = n * mult;
    return 0;
}

static int parse_hostport(const char *v, gv_hostport_t *hp)
{
    const char *colon;
    long port;
    size_t hl;

    if (v[0] == '[') {
        const char *close = strchr(v, ']');
        if (!close || close[1] != ':')
            return -1;
        hl = (size_t)(close - v - 1);
        v++;
        colon = close + 1;
    } else {
        colon = strrchr(v, ':');
        if (!colon)
            return -1;
        hl = (size_t)(colon - v);
    }
    if (hl == 0 || hl >= sizeof hp->host || parse_long(colon + 1, &port) < 0 || port < 0 ||
        port > 65535)
        return -1;
    memcpy(hp->host, v, hl);
    hp->host[hl] = '\0';
    hp->port = (int)port;
    return 0;
}

/* Only literal loopback addresses (127.0.0.0/8, ::1) and "localhost":
 * a host name that merely starts with "127." may resolve anywhere. */
int gv_hostport_is_loopback(const gv_hostport_t *hp)
{
    struct in_addr a4;
    struct in6_addr a6;

    if (inet_pton(AF_INET, hp->host, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, hp->host, &a6) == 1)
        return IN6_IS_ADDR_LOOPBACK(&a6);
    return strcmp(hp->host, "localhost") == 0;
}

static int valid_region(const char *r)
{
    return strlen(r) == 5 && r[0] == 'K' && r[1] == 'Z' && r[2] == '-' && r[3] >= '0' &&
           r[3] <= '9' && r[4] >= '0' && r[4] <= '9';
}

/* Parses one value into the configuration; returns NULL or a message. */
static const char *set_value(struct load_state *st, const key_def_t *k, const char *v,
                             char *msg, size_t msgsz)
{
    char *field = (char *)st->conf + k->offset;
    long n;

    switch (k->type) {
    case K_STRING:
    case K_PATH: {
        char **dst = (char **)field;
        char *copy;
        if (!*v)
            return "must not be empty";
        if (k->type == K_PATH && v[0] != '/' && st->dir) {
            size_t len = strlen(st->dir) + strlen(v) + 2;
            copy = malloc(len);
            if (copy)
                snprintf(copy, len, "%s/%s", st->dir, v);
        } else {
            copy = strdup(v);
        }
        if (!copy)
            return "out of memory";
        free(*dst);
        *dst = copy;
        return NULL;
    }
    case K_LONG:
    case K_SIZE:
        if ((k->type == K_LONG ? parse_long(v, &n) : parse_size(v, &n)) < 0 || n < k->min ||
            n > k->max) {
            snprintf(msg, msgsz, "expected a whole number%s from %ld to %ld, got '%s'",
                     k->type == K_SIZE ? " of bytes (suffix K, M or G allowed)" : "", k->min,
                     k->max, v);
            return msg;
        }
        if (k->type == K_LONG)
            *(long *)field = n;
        else
            *(size_t *)field = (size_t)n;
        return NULL;
    case K_BOOL:
        if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcmp(v, "1"))
            *(int *)field = 1;
        else if (!strcasecmp(v, "no") || !strcasecmp(v, "false") || !strcmp(v, "0"))
            *(int *)field = 0;
        else {
            snprintf(msg, msgsz, "expected yes or no, got '%s'", v);
            return msg;
        }
        return NULL;
    case K_BIN: {
        size_t len = strlen(v);
        if (len != 12 || strspn(v, "0123456789") != 12) {
            snprintf(msg, msgsz, "expected a 12-digit BIN, got '%s'", v);
            return msg;
        }
        free(*(char **)field);
        *(char **)field = strdup(v);
        return *(char **)field ? NULL : "out of memory";
    }
    case K_DATE:
        if (gv_date_parse(v, (int32_t *)field) < 0) {
            snprintf(msg, msgsz, "expected a date YYYY-MM-DD, got '%s'", v);
            return msg;
        }
        return NULL;
    case K_REGIONS: {
        char tmp[GV_INI_MAX_LINE + 1];
        char *save = NULL, *tok;
        size_t count = 0;
        snprintf(tmp, sizeof tmp, "%s", v);
        for (tok = strtok_r(tmp, " \t,", &save); tok; tok = strtok_r(NULL, " \t,", &save)) {
            if (!valid_region(tok)) {
                snprintf(msg, msgsz, "expected ISO 3166-2:KZ codes like KZ-75, got '%s'", tok);
                return msg;
            }
            if (count == GV_MAX_REGIONS)
                return "too many regions";
            memcpy(st->conf->pilot_regions[count++], tok, 6);
        }
        if (count == 0)
            return "must list at least one region";
        st->conf->pilot_region_count = count;
        return NULL;
    }
    case K_HOSTPORT:
        if (parse_hostport(v, (gv_hostport_t *)field) < 0) {
            snprintf(msg, msgsz, "expected host:port (e.g. 127.0.0.1:8443), got '%s'", v);
            return msg;
        }
        return NULL;
    case K_LOGLEVEL: {
        static const char *const names[] = { "debug", "info", "warning", "error" };
        for (int i = 0; i < 4; i++)
            if (!strcasecmp(v, names[i])) {
                *(gv_log_level_t *)field = (gv_log_level_t)i;
                return NULL;
            }
        snprintf(msg, msgsz, "expected debug, info, warning or error, got '%s'", v);
        return msg;
    }
    }
    return "unknown type";
}

static void on_pair(void *user, const char *file, int line, const char *section,
                    const char *name, const char *value, int cont)
{
    struct load_state *st = user;
    const key_def_t *k;
    size_t idx;
    char msg[512];
    const char *problem;

    if (cont) {
        gv_errlist_add(st->errs, "%s:%d: [%s] %s: values are one line in this file", file,
                       line, section, name);
        return;
    }
    if (!known_section(section)) {
        gv_errlist_add(st->errs, "%s:%d: unknown section [%s]", file, line, section);
        return;
    }
    k = find_key(section, name, &idx);
    if (!k) {
        gv_errlist_add(st->errs, "%s:%d: [%s] unknown key '%s'", file, line, section, name);
        return;
    }
    if (st->seen[idx]) {
        gv_errlist_add(st->errs, "%s:%d: [%s] %s: set again (first set on line %d)", file,
                       line, section, name, st->seen[idx]);
        return;
    }
    st->seen[idx] = line;
    problem = set_value(st, k, value, msg, sizeof msg);
    if (problem)
        gv_errlist_add(st->errs, "%s:%d: [%s] %s: %s", file, line, section, name, problem);
}

void gv_conf_free(gv_conf_t *conf)
{
    if (!conf)
        return;
    for (size_t i = 0; i < NKEYS; i++)
        if (keys[i].type == K_STRING || keys[i].type == K_PATH || keys[i].type == K_BIN)
            free(*(char **)((char *)conf + keys[i].offset));
    free(conf->path);
    free(conf);
}

gv_conf_t *gv_conf_load(const char *path, gv_errlist_t *errs)
{
    struct load_state st;
    size_t before = errs->count;
    const char *slash;
    char msg[512];

    memset(&st, 0, sizeof st);
    st.errs = errs;
    st.conf = calloc(1, sizeof *st.conf);
    if (!st.conf) {
        gv_errlist_add(errs, "%s: out of memory", path);
        return NULL;
    }
    st.conf->path = strdup(path);
    slash = strrchr(path, '/');
    st.dir = slash ? strndup(path, (size_t)(slash - path)) : strdup(".");

    gv_ini_parse(path, on_pair, &st, errs);

    for (size_t i = 0; i < NKEYS; i++) {
        if (st.seen[i])
            continue;
        if (keys[i].def) {
            const char *p = set_value(&st, &keys[i], keys[i].def, msg, sizeof msg);
            if (p)   /* a broken default is a bug, but say so rather than crash */
                gv_errlist_add(errs, "%s: [%s] %s: default: %s", path, keys[i].section,
                               keys[i].name, p);
        } else if (keys[i].required) {
            gv_errlist_add(errs, "%s: [%s] %s is required", path, keys[i].section,
                           keys[i].name);
        }
    }

    /* Rules between keys. */
    if (st.conf->wallet_tls) {
        static const char *const need[] = { "tls_cert", "tls_key", "tls_client_ca" };
        char **vals[] = { &st.conf->tls_cert, &st.conf->tls_key, &st.conf->tls_client_ca };
        gnutls_priority_t prio;
        const char *bad = NULL;
        for (int i = 0; i < 3; i++)
            if (!*vals[i])
                gv_errlist_add(errs, "%s: [wallet] %s is required when tls = yes", path,
                               need[i]);
        /* GnuTLS says where in the string it stopped understanding. */
        if (st.conf->tls_priorities) {
            if (gnutls_priority_init2(&prio, st.conf->tls_priorities, &bad, 0) < 0)
                gv_errlist_add(errs, "%s: [wallet] tls_priorities: not a GnuTLS priority string "
                                     "(stopped at '%s')", path, bad ? bad : "");
            else
                gnutls_priority_deinit(prio);
        }
    } else if (!gv_hostport_is_loopback(&st.conf->wallet_listen)) {
        gv_errlist_add(errs,
                       "%s: [wallet] tls = no is allowed only on a loopback address "
                       "(behind a local TLS-terminating proxy), not on '%s'",
                       path, st.conf->wallet_listen.host);
    }
    if (st.conf->db_reconnect_min_ms > st.conf->db_reconnect_max_ms)
        gv_errlist_add(errs, "%s: [database] reconnect_min_ms is larger than reconnect_max_ms",
                       path);
    {
        size_t zi;
        find_key("time", "zone", &zi);
        /* An empty or bad value was reported when read and left it NULL. */
        if (st.conf->time_zone && !gv_time_zone_exists(st.conf->time_zone)) {
            if (st.seen[zi])
                gv_errlist_add(errs, "%s:%d: [time] zone: '%s' is not in the tz database",
                               path, st.seen[zi], st.conf->time_zone);
            else
                gv_errlist_add(errs, "%s: [time] zone: '%s' is not in the tz database", path,
                               st.conf->time_zone);
        }
    }
    if (st.conf->pilot_start > st.conf->pilot_end)
        gv_errlist_add(errs, "%s: [pilot] start is after end", path);
    if (st.conf->node_name) {
        const char *c = st.conf->node_name;
        while (*c && (isalnum((unsigned char)*c) || strchr("._-", *c)))
            c++;
        if (*c || c - st.conf->node_name > GV_NODE_NAME_MAX)
            gv_errlist_add(errs,
                           "%s: [cluster] node: '%s' is not a node name (at most %d letters, "
                           "digits, '.', '_' or '-')",
                           path, st.conf->node_name, GV_NODE_NAME_MAX);
    }
    /* A call to the wallet is not renewed while it is in flight: it must
     * end before another node may take the lease over. */
    if (st.conf->outbound_url &&
        st.conf->lease_ttl <= st.conf->outbound_connect_timeout + st.conf->outbound_timeout)
        gv_errlist_add(errs,
                       "%s: [cluster] lease_ttl (%ld s) must be longer than [outbound] "
                       "connect_timeout + timeout (%ld s)",
                       path, st.conf->lease_ttl,
                       st.conf->outbound_connect_timeout + st.conf->outbound_timeout);

    free(st.dir);
    if (errs->count != before) {
        gv_conf_free(st.conf);
        return NULL;
    }
    return st.conf;
}

int gv_conf_region_in_pilot(const gv_conf_t *conf, const char *region)
{
    for (size_t i = 0; i < conf->pilot_region_count; i++)
        if (strcmp(conf->pilot_regions[i], region) == 0)
            return 1;
    return 0;
}

int gv_conf_pinned_now(const gv_conf_t *conf, const char *source, const char *value,
                       gv_err_t *err)
{
    if (!conf->time_allow_pinned_now) {
        gv_err_set(err,
                   "%s pins \"now\" at %s, but [time] allow_pinned_now is off in %s: a pinned "
                   "clock would backdate bills, results and signatures (set it to yes for tests "
                   "and demonstrations only)",
                   source, value, conf->path);
        return -1;
    }
    gv_err_set(err,
               "\"now\" is pinned at %s by %s ([time] allow_pinned_now = yes): what is "
               "judged, billed, signed and written to the trail carries that time, not the "
               "clock's",
               value, source);
    return 0;
}

const char *gv_conf_key_name(size_t i, char *buf, size_t bufsz)
{
    if (i >= NKEYS)
        return NULL;
    snprintf(buf, bufsz, "%s.%s", keys[i].section, keys[i].name);
    return buf;
}

gv_db_opts_t gv_conf_db_opts(const gv_conf_t *conf)
{
    gv_db_opts_t opts = {
        .login_timeout_s = conf->db_login_timeout,
        .query_timeout_s = conf->db_query_timeout,
        .reconnect_min_ms = conf->db_reconnect_min_ms,
        .reconnect_max_ms = conf->db_reconnect_max_ms,
    };
    return opts;
}
