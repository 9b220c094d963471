/* walletclient.h - the adapter's outbound HTTPS client to the wallet.
 *
 * The adapter talks to the wallet in two directions: it pulls voucher
 * batches (GET, spec section 2, "pull") and delivers what it owes the wallet
 * (POST of VoucherBatchResult and RedemptionReport, sections 2 and 3,
 * "Outbound delivery").  Both carry signed XML of arbitrary size, so bodies
 * stream from and to files, never through memory, and every GET answer has a
 * hard size cap.
 *
 * The transport is fixed here, not left to callers: mutual TLS (peer and
 * host verification always on, TLS 1.2 or newer, our client certificate),
 * https only (plain http only to a loopback TLS-terminating proxy), no
 * redirects, bounded connect / total / stall times.  A caller cannot get any
 * of that wrong because it cannot choose.
 *
 * Every result is classified once, here, into OK, RETRY (try again later:
 * network, timeout, 5xx, 408, 429, TLS failures), REFUSED (a 4xx the wallet
 * will give again for the same bytes, an over-size answer, a bad argument)
 * or LOCAL (this side failed: memory, the body or answer file; the wallet
 * said nothing): the delivery queue only has to obey.  Back-off arithmetic for that queue is
 * gv_backoff_delay_s().
 *
 * A gv_wallet_client_t wraps one libcurl easy handle so that connections
 * (and TLS sessions) are reused between requests; it is not thread-safe:
 * one per thread.  Call gv_wallet_client_global_init() once per process
 * before any thread creates a client.
 */
#ifndef GV_WALLETCLIENT_H
#define GV_WALLETCLIENT_H

#include <stddef.h>

#include "err.h"

typedef struct gv_wallet_client_opts {
    const char *base_url;        /* e.g. https://wallet.example.kz ; no trailing slash needed */
    const char *ca_file;         /* CA bundle that signs the wallet's server cert (PEM); required for https */
    const char *cert_file, *key_file;  /* our TLS client certificate (mutual TLS); required for https */
    long connect_timeout_ms;     /* default (<= 0) 10000 */
    long timeout_ms;             /* whole transfer, default (<= 0) 60000 */
    long low_speed_secs;         /* abort when < 1 byte/s for this long; default (<= 0) 30 */
    size_t max_body;             /* size cap for GETs: bigger answers are refused mid-transfer
                                    (also checked against Content-Length up front);
                                    default (0) 64 MiB, the spec's default batch limit */
    const char *proxy;           /* NULL: no proxy at all, http(s)_proxy in the environment is
                                    ignored; else a libcurl proxy URL */
} gv_wallet_client_opts_t;

typedef struct gv_wallet_client gv_wallet_client_t;

/* Once per process, before any client exists / after the last is freed.
 * Returns 0, or -1 when libcurl cannot initialise. */
int gv_wallet_client_global_init(void);
void gv_wallet_client_global_cleanup(void);

/* Validates the options (URL scheme and host, readable CA / certificate /
 * key files) so a misconfiguration fails at start-up, not at the first
 * delivery.  NULL with err set on failure. */
gv_wallet_client_t *gv_wallet_client_new(const gv_wallet_client_opts_t *o, gv_err_t *err);
void gv_wallet_client_free(gv_wallet_client_t *c);

typedef enum {
    GV_WC_OK,
    GV_WC_RETRY,    /* network error, timeout, TLS failure, 5xx, 429, 408: try again later */
    GV_WC_REFUSED,  /* 3xx, 4xx other than 408/429, answer over max_body, bad argument:
                       permanent, do not hammer */
    GV_WC_LOCAL,    /* our side failed (out of memory, the body or answer file): no
                       verdict of the wallet's; try again once it is fixed */
} gv_wc_result_t;

const char *gv_wc_result_name(gv_wc_result_t r);

/* POST the body of body_file (streamed from disk, not read whole; sent with
 * a Content-Length) with Content-Type: application/xml and
 * X-Signature: sig_b64.  path starts with '/', e.g. "/v1/voucher-batch-results".
 * *http_status gets the final status (0 when no answer).  *retry_after_s
 * gets the Retry-After of a 429/503 in seconds (either form, capped at one
 * day), else 0.  On anything but OK, err says what happened ("... Connection
 * refused", "timed out after 60.0 s", "HTTP 503: <first 200 bytes of the
 * body, printable ASCII>").  http_status and retry_after_s may be NULL. */
gv_wc_result_t gv_wallet_post_file(gv_wallet_client_t *c, const char *path,
                                   const char *body_file, const char *sig_b64,
                                   long *http_status, long *retry_after_s, gv_err_t *err);

/* GET into out_file (created mode 0600 or truncated; written as it streams;
 * flushed and fsync'd on success; removed on any failure, so no partial file
 * is ever left).  *sig_b64 gets the X-Signature response header (malloc'd,
 * NULL when absent); a 2xx with a body over max_body is GV_WC_REFUSED,
 * "answer larger than N bytes".  sig_b64 and http_status may be NULL. */
gv_wc_result_t gv_wallet_get_file(gv_wallet_client_t *c, const char *path_and_query,
                                  const char *out_file, char **sig_b64, long *http_status,
                                  gv_err_t *err);

/* URL-escapes a query value (curl_easy_escape wrapper).  malloc'd (free()
 * it, not curl_free()); NULL when out of memory. */
char *gv_wallet_escape(gv_wallet_client_t *c, const char *s);

/* Pure: the delay before attempt n (1-based; 0 counts as 1) of a capped
 * exponential back-off, min(max_s, min_s * 2^(n-1)), less a deterministic
 * jitter of 0..10% derived from 'seed' and n (so tests are repeatable and
 * deliveries seeded differently spread out).  The jitter only shortens, so
 * max_s is never exceeded.  min_s < 1 counts as 1 (a zero back-off would
 * hammer the wallet); max_s < min_s counts as min_s. */
long gv_backoff_delay_s(long min_s, long max_s, unsigned attempt, unsigned long seed);

#endif
