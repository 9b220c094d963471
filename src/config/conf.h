/* conf.h - gasvoucher.conf: one INI file, checked whole at load.
 *
 * Every key is listed in one table in conf.c with its type, limits and
 * default; contrib/gasvoucher.conf.sample documents each, and `make check`
 * verifies that the sample loads and names every key in the table.  An
 * unknown key, a bad value or a missing required key is an error naming
 * file, line and key; the caller refuses to run on any error.
 */
#ifndef GV_CONF_H
#define GV_CONF_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "err.h"

#define GV_MAX_REGIONS 32

/* The wallet listener's TLS: 1.3 and 1.2 only, AEAD ciphers only (GCM,
 * ChaCha20-Poly1305), ECDHE key exchange (forward secrecy), the server's
 * order of preference. */
#define GV_TLS_PRIORITIES                                                                  \
    "SECURE128:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:+AES-256-GCM:+AES-128-GCM:" \
    "+CHACHA20-POLY1305:-MAC-ALL:+AEAD:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:%SERVER_PRECEDENCE"

typedef struct gv_hostport {
    char host[256];
    int port;
} gv_hostport_t;

typedef enum { GV_LOG_DEBUG, GV_LOG_INFO, GV_LOG_WARNING, GV_LOG_ERROR } gv_log_level_t;

typedef struct gv_conf {
    char *path;

    /* [provider] */
    char *provider_bin;
    char *provider_name;

    /* [database] */
    char *db_connection;
    char *intake_connection;    /* for voucher lists; NULL = db_connection */
    char *mapping_path;
    long db_login_timeout;      /* seconds */
    long db_query_timeout;      /* seconds */
    long db_reconnect_min_ms;
    long db_reconnect_max_ms;

    /* [wallet] listener for the wallet's calls */
    gv_hostport_t wallet_listen;
    int wallet_tls;
    char *tls_cert;
    char *tls_key;
    char *tls_client_ca;
    char *tls_priorities;       /* GnuTLS priority string: versions and ciphers */
    char *tls_client_allow;     /* allow-list of client certificates; NULL = any from the CA */
    long threads;
    long max_connections;
    long max_connections_per_ip;
    size_t header_limit;
    size_t account_check_body_limit;
    size_t batch_body_limit;
    size_t discard_limit;
    long header_timeout;        /* seconds from accept (or a keep-alive request line) to headers */
    long idle_timeout;
    long body_timeout;          /* seconds from complete headers to complete body */
    size_t body_min_rate;       /* body bytes per second over each window; 0 = off */
    long body_rate_window;      /* seconds */
    long rate_limit;            /* requests per second per client; 0 = off */
    long rate_burst;
    long drain_timeout;

    /* [ops] listener for /healthz, /readyz, /metrics */
    gv_hostport_t ops_listen;

    /* [pilot] */
    int32_t pilot_start;        /* days since epoch */
    int32_t pilot_end;
    char pilot_regions[GV_MAX_REGIONS][6];
    size_t pilot_region_count;

    /* [intake] activated-voucher lists */
    char *spool_dir;            /* batches as received, results as sent */
    char *inbox_dir;            /* SFTP drops; NULL = not watched */
    long inbox_interval;        /* seconds between looks at the inbox */
    int pull;                   /* the daemon pulls lists from the wallet */
    long pull_interval;         /* seconds between pulls while a list is due */
    long pull_days;             /* days after the due day a period is still pulled */
    /* [billing] */
    char *billing_program;      /* program parameters (params.h); NULL = cannot bill */
    long billing_chunk;         /* vouchers per transaction */
    long billing_retries;       /* tries of a chunk after a deadlock or serialisation failure */
    long billing_reconnect_for; /* seconds a run keeps reconnecting before it gives up */
    /* [report] */
    char *report_lang;          /* ru | kk | en; NULL = the locale's */
    /* [signing] */
    char *wallet_signing_ca;    /* trust anchor for the wallet's signatures */
    char *signing_cert;         /* the provider's signing certificate and key */
    char *signing_key;
    char *signing_chain;        /* intermediates sent along; NULL = none */
    /* [outbound] calls to the wallet */
    char *outbound_url;
    char *outbound_ca;
    char *outbound_cert;
    char *outbound_key;
    long outbound_connect_timeout;  /* seconds */
    long outbound_timeout;          /* seconds, whole transfer */
    long retry_min;                 /* seconds, first back-off */
    long retry_max;                 /* seconds, back-off cap */
    long outbox_interval;           /* seconds between looks at the outbox */
    /* [time] */
    char *time_zone;
    int time_allow_pinned_now;  /* GASVOUCHER_NOW / --now may move "now" (tests, demos) */

    /* [cluster] nodes sharing one database */
#define GV_NODE_NAME_MAX 64
    char *node_name;            /* this node in leases and logs; NULL = the host name */
    long lease_ttl;             /* seconds a lease lives without renewal */

    /* [log] */
    gv_log_level_t log_level;
} gv_conf_t;

/* Loads and checks path.  Returns a new configuration, or NULL with every
 * problem in errs.  Free with gv_conf_free. */
gv_conf_t *gv_conf_load(const char *path, gv_errlist_t *errs);
void gv_conf_free(gv_conf_t *conf);

/* The database layer's options from [database]. */
gv_db_opts_t gv_conf_db_opts(const gv_conf_t *conf);
int gv_conf_region_in_pilot(const gv_conf_t *conf, const char *region);
int gv_hostport_is_loopback(const gv_hostport_t *hp);

/* A pinned "now" (source: "--now" or "GASVOUCHER_NOW", value as given):
 * -1 with err saying why when [time] allow_pinned_now is off; 0 when it is
 * on, with err holding the warning every use must log. */
int gv_conf_pinned_now(const gv_conf_t *conf, const char *source, const char *value,
                       gv_err_t *err);

/* For the documentation check: the i-th "section.key", NULL past the end. */
const char *gv_conf_key_name(size_t i, char *buf, size_t bufsz);

#endif
