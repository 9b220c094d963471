/* httpd.c - HTTP(S) listeners over libmicrohttpd.
 *
 * Limits, all from [wallet]: body size per endpoint (a refused body is read
 * and discarded up to discard_limit so the caller sees the answer), header
 * size, connections in all and per address, idle_timeout of silence, and a
 * request rate per client certificate.  libmicrohttpd itself only knows
 * silence, so a sweeper thread holds every connection of both listeners to
 * the clocks of its current phase: header_timeout to complete the headers,
 * body_timeout and body_min_rate while a body arrives, idle_timeout between
 * keep-alive requests.  A connection past its limit is shut down; the
 * metric gasvoucher_connections_cut_total counts why.
 */
#include "config.h"
#include "httpd.h"
#include "calendar.h"
#include "clock.h"
#include "fsutil.h"
#include "log.h"
#include "metrics.h"
#include "ratelimit.h"
#include "service.h"
#include "sig.h"
#include "tlsallow.h"

#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <limits.h>
#include <gnutls/x509.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* The clocks of one listener, in milliseconds (0 = that clock is off). */
struct listener {
    gv_server_t *srv;
    const char *name;            /* "wallet" or "ops", for logs and metrics */
    int64_t header_ms;           /* connect (or a keep-alive request line) to headers */
    int64_t body_ms;             /* complete headers to complete body */
    int64_t keepalive_ms;        /* end of a request to the next request line */
    size_t min_rate;             /* body bytes per second, over each window */
    int64_t rate_window_ms;
};

/* Where a connection is; each phase has its own clock (see sweeper_main). */
typedef enum {
    PHASE_HEADERS,               /* TLS handshake, request line and headers */
    PHASE_BODY,                  /* headers done, body arriving */
    PHASE_HANDLING,              /* body done: the answer is ours to make */
    PHASE_KEEPALIVE              /* a request ended; waiting for the next */
} phase_t;

/* One open connection on either listener.  The phase fields are written by
 * the connection's own thread and read by the sweeper, both under
 * srv->lock. */
struct conn {
    struct conn *prev, *next;
    const struct listener *listener;
    int fd;
    int64_t accepted_ms;
    int headers_done;
    phase_t phase;
    int64_t phase_ms;            /* when the current phase began */
    uint64_t body_bytes;         /* of the current request */
    int64_t window_ms;           /* start of the current rate window */
    uint64_t window_bytes;       /* body bytes received in it */
    char address[64];            /* the peer's address, for logs */
    char client[72];         /* "cert:<sha256 prefix>" or "ip:<address>" */
    char subject[160];       /* client certificate subject, for logs */
};

typedef enum { ROUTE_NONE, ROUTE_ACCOUNT_CHECK, ROUTE_BATCH } route_t;

struct request {
    route_t route;
    gv_fault_t refused;      /* decided from the headers alone */
    char refused_msg[160];
    long retry_after_s;
    gv_buf_t body;
    size_t discarded;
    int64_t started_us;
    struct conn *conn;
    /* A pushed batch streams to a file, never into memory. */
    int fd;
    char path[PATH_MAX];
    size_t received;
    unsigned char *sig;
    size_t siglen;
};

struct gv_server {
    pthread_mutex_t lock;
    gv_runtime_t *rt;                /* current configuration */
    const gv_conf_t *listen_conf;    /* the one the listeners started with */
    gv_runtime_t *listen_rt;
    struct MHD_Daemon *wallet;
    struct MHD_Daemon *ops;
    struct listener wallet_listener, ops_listener;
    char *tls_cert, *tls_key, *tls_ca;
    gv_ratelimit_t rate;
    atomic_int inflight;
    struct conn *conns;              /* under lock */
    pthread_t sweeper;
    atomic_int stopping;
    void (*batch_hook)(void *);      /* a new batch is stored */
    void *batch_hook_ud;
};

/* ---- time ---------------------------------------------------------- */

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t mono_ms(void)
{
    return mono_us() / 1000;
}

/* ---- per-thread adapter context ------------------------------------ */

struct worker {
    gv_runtime_t *rt;
    void *actx;
    gv_intake_t *intake;      /* opened when a batch first comes */
};

static pthread_key_t worker_key;
static pthread_once_t worker_once = PTHREAD_ONCE_INIT;

static void worker_free(void *p)
{
    struct worker *w = p;
    if (!w)
        return;
    if (w->actx)
        w->rt->adapter->close(w->actx);
    gv_intake_free(w->intake);
    gv_runtime_release(w->rt);
    free(w);
}

static void worker_key_init(void)
{
    pthread_key_create(&worker_key, worker_free);
}

/* The calling thread's adapter context for the current configuration;
 * one database connection per worker thread, never shared. */
static struct worker *worker_get(gv_server_t *srv)
{
    struct worker *w;
    gv_runtime_t *cur;
    gv_err_t err;

    pthread_once(&worker_once, worker_key_init);
    w = pthread_getspecific(worker_key);
    if (!w) {
        w = calloc(1, sizeof *w);
        if (!w)
            return NULL;
        pthread_setspecific(worker_key, w);
    }
    pthread_mutex_lock(&srv->lock);
    cur = srv->rt;
    if (w->rt != cur) {
        gv_runtime_acquire(cur);
        pthread_mutex_unlock(&srv->lock);
        if (w->actx)
            w->rt->adapter->close(w->actx);
        gv_intake_free(w->intake);
        w->intake = NULL;
        gv_runtime_release(w->rt);
        w->rt = cur;
        w->actx = cur->adapter->open(cur->conf, cur->map, &err);
        if (!w->actx)
            gv_log(GV_LOG_ERROR, "cannot open the billing adapter: %s", err.msg);
    } else {
        pthread_mutex_unlock(&srv->lock);
    }
    return w->actx ? w : NULL;
}

/* The calling worker's intake (spool, signatures, its own connection). */
static gv_intake_t *worker_intake(gv_server_t *srv)
{
    struct worker *w = worker_get(srv);
    gv_err_t err;

    if (!w)
        return NULL;
    if (!w->intake && !(w->intake = gv_intake_new(w->rt, &err)))
        gv_log(GV_LOG_ERROR, "cannot take in voucher lists: %s", err.msg);
    return w->intake;
}

/* ---- connections ----------------------------------------------------- */

/* The peer's numeric address, "?" when it cannot be had. */
static void peer_address(struct MHD_Connection *c, char *out, size_t outsz)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

    snprintf(out, outsz, "?");
    if (ci && ci->client_addr &&
        getnameinfo(ci->client_addr,
                    ci->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                          : sizeof(struct sockaddr_in),
                    out, (socklen_t)outsz, NULL, 0, NI_NUMERICHOST) != 0)
        snprintf(out, outsz, "?");
}

/* The subject as RFC 4514 writes it (most specific first, "CN=...,O=...,C=KZ"),
 * as `openssl x509 -subject -nameopt RFC2253` prints it: the form the log
 * shows and tls_client_allow lists. */
static int cert_subject(gnutls_x509_crt_t crt, char *out, size_t outsz)
{
    gnutls_datum_t dn = { NULL, 0 };
    int ok = gnutls_x509_crt_get_dn3(crt, &dn, 0) == 0 && dn.size < outsz;

    if (ok) {
        memcpy(out, dn.data, dn.size);
        out[dn.size] = '\0';
    }
    gnutls_free(dn.data);
    return ok ? 0 : -1;
}

static void client_identity(struct MHD_Connection *c, struct conn *k)
{
    const union MHD_ConnectionInfo *ci;

    ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    if (ci && ci->tls_session) {
        gnutls_session_t s = (gnutls_session_t)ci->tls_session;
        unsigned int n = 0;
        const gnutls_datum_t *certs = gnutls_certificate_get_peers(s, &n);
        if (certs && n > 0) {
            unsigned char fp[32];
            size_t fpsize = sizeof fp;
            gnutls_x509_crt_t crt;
            if (gnutls_fingerprint(GNUTLS_DIG_SHA256, &certs[0], fp, &fpsize) == 0) {
                int off = snprintf(k->client, sizeof k->client, "cert:");
                for (size_t i = 0; i < 16 && i < fpsize; i++)
                    off += snprintf(k->client + off, sizeof k->client - (size_t)off, "%02x",
                                    fp[i]);
            }
            if (gnutls_x509_crt_init(&crt) == 0) {
                if (gnutls_x509_crt_import(crt, &certs[0], GNUTLS_X509_FMT_DER) != 0 ||
                    cert_subject(crt, k->subject, sizeof k->subject) < 0)
                    k->subject[0] = '\0';
                gnutls_x509_crt_deinit(crt);
            }
            return;
        }
    }
    snprintf(k->client, sizeof k->client, "ip:%s", k->address);
}

/* ---- TLS: who may connect --------------------------------------------- */

/* The server whose wallet listener does TLS (one per process): GnuTLS
 * calls verify_client with the session only, and the session's own
 * pointer belongs to libmicrohttpd. */
static gv_server_t *_Atomic tls_server;

/* Runs in the handshake once the client's certificate has arrived: the
 * chain to tls_client_ca, valid now, for client authentication, and, with
 * tls_client_allow, named there.  Anything else fails the handshake, so
 * the connection never reaches HTTP. */
static int verify_client(gnutls_session_t s)
{
    gv_server_t *srv = atomic_load(&tls_server);
    gnutls_typed_vdata_st purpose = { .type = GNUTLS_DT_KEY_PURPOSE_OID,
                                      .data = (unsigned char *)GNUTLS_KP_TLS_WWW_CLIENT };
    const gnutls_datum_t *certs;
    unsigned int status = 0, n = 0;
    unsigned char fp[32];
    size_t fpsize = sizeof fp;
    char subject[512] = "", fphex[65];
    gnutls_x509_crt_t crt;
    gv_runtime_t *rt;
    int allowed;

    if (gnutls_certificate_verify_peers(s, &purpose, 1, &status) < 0 || status != 0)
        return -1;
    if (!srv)
        return -1;
    pthread_mutex_lock(&srv->lock);
    rt = gv_runtime_acquire(srv->rt);
    pthread_mutex_unlock(&srv->lock);
    if (!rt->tls_allow) {
        gv_runtime_release(rt);
        return 0;
    }
    certs = gnutls_certificate_get_peers(s, &n);
    if (!certs || n == 0 || gnutls_fingerprint(GNUTLS_DIG_SHA256, &certs[0], fp, &fpsize) != 0 ||
        fpsize != sizeof fp || gnutls_x509_crt_init(&crt) != 0) {
        gv_runtime_release(rt);
        return -1;
    }
    if (gnutls_x509_crt_import(crt, &certs[0], GNUTLS_X509_FMT_DER) != 0 ||
        cert_subject(crt, subject, sizeof subject) < 0)
        subject[0] = '\0';
    gnutls_x509_crt_deinit(crt);
    allowed = gv_tls_allow_match(rt->tls_allow, fp, subject[0] ? subject : NULL);
    if (!allowed) {
        gv_sha256_hex(fp, fphex);
        gv_log(GV_LOG_WARNING,
               "TLS handshake refused: client certificate subject '%s' sha256 %s is not in "
               "[wallet] tls_client_allow %s",
               subject, fphex, gv_tls_allow_path(rt->tls_allow));
    }
    gv_runtime_release(rt);
    return allowed ? 0 : -1;
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    const struct listener *l = cls;
    gv_server_t *srv = l->srv;
    struct conn *k;

    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci;
        k = calloc(1, sizeof *k);
        if (!k)
            return;
        ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        k->fd = ci ? ci->connect_fd : -1;
        k->accepted_ms = mono_ms();
        k->listener = l;
        k->phase = PHASE_HEADERS;
        k->phase_ms = k->accepted_ms;
        peer_address(c, k->address, sizeof k->address);
        ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
        if (ci && ci->tls_session) {
            /* libmicrohttpd only *requests* a client certificate.  Require
             * one, and check it during the handshake (verify_client), so
             * that a connection without a wallet certificate that is
             * allowed never reaches HTTP. */
            gnutls_session_t s = (gnutls_session_t)ci->tls_session;
            gnutls_certificate_server_set_request(s, GNUTLS_CERT_REQUIRE);
            gnutls_session_set_verify_function(s, verify_client);
        }
        pthread_mutex_lock(&srv->lock);
        k->next = srv->conns;
        if (srv->conns)
            srv->conns->prev = k;
        srv->conns = k;
        pthread_mutex_unlock(&srv->lock);
        *socket_context = k;
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
        k = *socket_context;
        if (!k)
            return;
        pthread_mutex_lock(&srv->lock);
        if (k->prev)
            k->prev->next = k->next;
        else
            srv->conns = k->next;
        if (k->next)
            k->next->prev = k->prev;
        pthread_mutex_unlock(&srv->lock);
        free(k);
        *socket_context = NULL;
    }
}

/* The connection's socket context, or NULL. */
static struct conn *conn_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

/* Moves k to phase p now (p == PHASE_BODY starts the rate window too). */
static void conn_phase(gv_server_t *srv, struct conn *k, phase_t p)
{
    if (!k)
        return;
    pthread_mutex_lock(&srv->lock);
    k->phase = p;
    k->phase_ms = mono_ms();
    if (p == PHASE_BODY) {
        k->body_bytes = 0;
        k->window_ms = k->phase_ms;
        k->window_bytes = 0;
    }
    pthread_mutex_unlock(&srv->lock);
}

static void conn_body_bytes(gv_server_t *srv, struct conn *k, size_t n)
{
    if (!k || !n)
        return;
    pthread_mutex_lock(&srv->lock);
    k->body_bytes += n;
    k->window_bytes += n;
    pthread_mutex_unlock(&srv->lock);
}

/* A request line has arrived.  The first request's headers are timed from
 * the accept (the TLS handshake included); a later keep-alive request's
 * from its request line.  Returning NULL leaves *req_cls to the handler. */
static void *on_request_line(void *cls, const char *uri, struct MHD_Connection *c)
{
    const struct listener *l = cls;
    struct conn *k = conn_of(c);

    (void)uri;
    if (k && k->phase == PHASE_KEEPALIVE)
        conn_phase(l->srv, k, PHASE_HEADERS);
    return NULL;
}

/* Why k must be cut at now, or GV_CUT_NONE.  Called under srv->lock.  A
 * window that met the rate starts the next one. */
static gv_cut_reason_t conn_overdue(struct conn *k, int64_t now)
{
    const struct listener *l = k->listener;
    int64_t in_phase = now - k->phase_ms;

    switch (k->phase) {
    case PHASE_HEADERS:
        return l->header_ms && in_phase > l->header_ms ? GV_CUT_HEADER_TIMEOUT : GV_CUT_NONE;
    case PHASE_KEEPALIVE:
        return l->keepalive_ms && in_phase > l->keepalive_ms ? GV_CUT_IDLE_TIMEOUT
                                                             : GV_CUT_NONE;
    case PHASE_BODY:
        if (l->body_ms && in_phase > l->body_ms)
            return GV_CUT_BODY_TIMEOUT;
        if (l->min_rate && now - k->window_ms >= l->rate_window_ms) {
            if (k->window_bytes * 1000 < (uint64_t)l->min_rate * (uint64_t)(now - k->window_ms))
                return GV_CUT_BODY_MIN_RATE;
            k->window_ms = now;
            k->window_bytes = 0;
        }
        return GV_CUT_NONE;
    case PHASE_HANDLING:
        return GV_CUT_NONE;
    }
    return GV_CUT_NONE;
}

/* Cuts connections of both listeners that overstay their phase's limit
 * (slowloris, slow bodies, dribbled keep-alives).  The fd stays valid while
 * we hold the lock: it is closed only after the CLOSED notification has
 * taken it off the list.  The log line is written after the lock is let go. */
static void *sweeper_main(void *arg)
{
    gv_server_t *srv = arg;

    while (!atomic_load(&srv->stopping)) {
        int64_t now = mono_ms();
        struct {
            const char *listener;
            gv_cut_reason_t why;
            char address[64];
            phase_t phase;
            int64_t ms;
            uint64_t bytes;
        } cut[16];
        size_t ncut = 0, more = 0;

        pthread_mutex_lock(&srv->lock);
        for (struct conn *k = srv->conns; k; k = k->next) {
            gv_cut_reason_t why;
            if (k->fd < 0 || (why = conn_overdue(k, now)) == GV_CUT_NONE)
                continue;
            shutdown(k->fd, SHUT_RDWR);
            k->fd = -1;
            gv_metrics_connection_cut(k->listener == &srv->ops_listener, why);
            if (ncut < sizeof cut / sizeof cut[0]) {
                cut[ncut].listener = k->listener->name;
                cut[ncut].why = why;
                memcpy(cut[ncut].address, k->address, sizeof cut[ncut].address);
                cut[ncut].phase = k->phase;
                cut[ncut].ms = now - k->phase_ms;
                cut[ncut].bytes = k->body_bytes;
                ncut++;
            } else {
                more++;
            }
        }
        pthread_mutex_unlock(&srv->lock);
        for (size_t i = 0; i < ncut; i++)
            gv_log(GV_LOG_WARNING, "%s listener: cut a slow connection from %s (%s: %s for "
                   "%.1f s, %llu body bytes)", cut[i].listener, cut[i].address,
                   gv_cut_reason_name(cut[i].why),
                   cut[i].phase == PHASE_BODY ? "body" :
                   cut[i].phase == PHASE_KEEPALIVE ? "between requests" : "headers",
                   (double)cut[i].ms / 1000.0, (unsigned long long)cut[i].bytes);
        if (more)
            gv_log(GV_LOG_WARNING, "%zu more slow connections cut", more);
        gv_log_flush();     /* the access lines of the last 0.2 s */
        usleep(200 * 1000);
    }
    return NULL;
}

/* ---- answers --------------------------------------------------------- */

static enum MHD_Result send_body(struct MHD_Connection *c, int status, const char *type,
                                 const char *body, size_t len, long retry_after_s)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    enum MHD_Result ret;

    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    if (retry_after_s > 0) {
        char v[24];
        snprintf(v, sizeof v, "%ld", retry_after_s);
        MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, v);
    }
    ret = MHD_queue_response(c, (unsigned int)status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result answer(gv_server_t *srv, struct MHD_Connection *c, struct request *rq,
                              gv_reply_t *reply)
{
    int64_t us = mono_us() - rq->started_us;
    const char *who = rq->conn ? rq->conn->client : "?";
    const char *subject = rq->conn && rq->conn->subject[0] ? rq->conn->subject : "-";
    enum MHD_Result ret;

    (void)srv;
    gv_metrics_request(reply->outcome, us);
    /* The same batchId with other bytes needs a person (spec section 2). */
    gv_log(reply->status == 409 ? GV_LOG_ERROR
           : reply->status >= 500 ? GV_LOG_WARNING : GV_LOG_INFO,
           "%s%s client=%s subject=\"%s\" %s status=%d ms=%.2f",
           reply->status == 409 ? "ALERT " : "",
           rq->route == ROUTE_BATCH ? "voucher-batch" : "account-check", who, subject,
           reply->summary, reply->status, (double)us / 1000.0);
    ret = send_body(c, reply->status, "application/xml; charset=utf-8", reply->body.data,
                    reply->body.len, reply->retry_after_s);
    return ret;
}

static enum MHD_Result answer_fault(gv_server_t *srv, struct MHD_Connection *c,
                                    struct request *rq, gv_fault_t f, const char *msg)
{
    gv_reply_t reply;
    enum MHD_Result ret;

    gv_reply_init(&reply);
    gv_reply_fault(&reply, f, msg, NULL);
    reply.retry_after_s = rq->retry_after_s;
    snprintf(reply.summary, sizeof reply.summary, "fault=%s (%s)", gv_fault_name(f), msg);
    ret = answer(srv, c, rq, &reply);
    gv_reply_free(&reply);
    return ret;
}

/* application/xml, optionally with parameters such as charset=utf-8. */
static int media_type_ok(const char *ct)
{
    const char *semi;
    size_t n;

    if (!ct)
        return 0;
    while (*ct == ' ')
        ct++;
    semi = strchr(ct, ';');
    n = semi ? (size_t)(semi - ct) : strlen(ct);
    while (n && ct[n - 1] == ' ')
        n--;
    if (n != 15 || strncasecmp(ct, "application/xml", 15) != 0)
        return 0;
    if (semi) {
        const char *p = semi + 1;
        while (*p == ' ')
            p++;
        if (strncasecmp(p, "charset=", 8) == 0) {
            p += 8;
            if (*p == '"')
                p++;
            if (strncasecmp(p, "utf-8", 5) != 0)
                return 0;
        }
    }
    return 1;
}

/* ---- the wallet listener ------------------------------------------- */

static void headers_done(struct MHD_Connection *c, struct request *rq)
{
    struct conn *k = conn_of(c);

    rq->conn = k;
    if (k && !k->headers_done) {
        k->headers_done = 1;
        client_identity(c, k);
    }
}

static enum MHD_Result add_header_size(void *cls, enum MHD_ValueKind kind, const char *key,
                                       const char *value)
{
    size_t *total = cls;
    (void)kind;
    *total += strlen(key) + (value ? strlen(value) : 0) + 4;   /* ": " and CRLF */
    return MHD_YES;
}

/* Bytes of the request line and headers, as received. */
static size_t header_bytes(struct MHD_Connection *c, const char *url, const char *method)
{
    size_t total = strlen(method) + strlen(url) + 12;
    MHD_get_connection_values(c, MHD_HEADER_KIND, add_header_size, &total);
    return total;
}

static void refuse(struct request *rq, gv_fault_t f, const char *msg)
{
    rq->refused = f;
    snprintf(rq->refused_msg, sizeof rq->refused_msg, "%s", msg);
}

static size_t body_limit(const gv_conf_t *lc, const struct request *rq)
{
    return rq->route == ROUTE_BATCH ? lc->batch_body_limit : lc->account_check_body_limit;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Removes what a refused or finished push left in the spool's tmp. */
static void drop_batch_file(struct request *rq)
{
    char *slash;

    if (rq->fd >= 0)
        close(rq->fd);
    rq->fd = -1;
    if (!rq->path[0])
        return;
    unlink(rq->path);
    if ((slash = strrchr(rq->path, '/'))) {
        *slash = '\0';
        rmdir(rq->path);
    }
    rq->path[0] = '\0';
}

/* From the headers of a push: the signature, and a file for the body. */
static void start_batch(gv_server_t *srv, struct MHD_Connection *c, struct request *rq)
{
    const char *b64 = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Signature");
    gv_intake_t *in;
    gv_err_t err;
    size_t n;

    if (!b64 || !*b64) {
        refuse(rq, GV_FAULT_BAD_SIGNATURE, "no X-Signature header");
        return;
    }
    if (gv_sig_base64_decode(b64, &rq->sig, &rq->siglen, &err) < 0) {
        refuse(rq, GV_FAULT_BAD_SIGNATURE, "X-Signature is not base64");
        return;
    }
    if (!(in = worker_intake(srv))) {
        rq->retry_after_s = 5;
        refuse(rq, GV_FAULT_UNAVAILABLE, "voucher lists cannot be taken in now");
        return;
    }
    if (gv_intake_tmpdir(in, rq->path, sizeof rq->path - 16, &err) < 0) {
        gv_log(GV_LOG_ERROR, "spooling a pushed batch: %s", err.msg);
        refuse(rq, GV_FAULT_INTERNAL, "internal error");
        return;
    }
    n = strlen(rq->path);
    snprintf(rq->path + n, sizeof rq->path - n, "/body.xml");
    if ((rq->fd = open(rq->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640)) < 0) {
        gv_log(GV_LOG_ERROR, "spooling a pushed batch: %s: %s", rq->path, strerror(errno));
        refuse(rq, GV_FAULT_INTERNAL, "internal error");
        rq->path[n] = '\0';
        rmdir(rq->path);
        rq->path[0] = '\0';
    }
}

static enum MHD_Result finish_batch(gv_server_t *srv, struct MHD_Connection *c,
                                    struct request *rq)
{
    gv_intake_t *in = worker_intake(srv);
    gv_reply_t reply;
    enum MHD_Result ret;
    int received = 0;

    if (rq->fd >= 0)
        close(rq->fd);
    rq->fd = -1;
    if (!in) {
        rq->retry_after_s = 5;
        return answer_fault(srv, c, rq, GV_FAULT_UNAVAILABLE, "voucher lists cannot be taken in now");
    }
    gv_reply_init(&reply);
    /* gv_intake_receive takes the file: moved into the spool or removed. */
    /* The moment of receipt: the last byte is in.  Its signature is checked
     * at this instant, which is also its receivedAt (one clock: clock.h). */
    gv_service_voucher_batch(in, rq->path, rq->sig, rq->siglen, gv_clock_now(), &reply,
                             &received);
    rq->path[0] = '\0';
    ret = answer(srv, c, rq, &reply);
    gv_reply_free(&reply);
    if (received && srv->batch_hook)
        srv->batch_hook(srv->batch_hook_ud);
    return ret;
}

void gv_server_set_batch_hook(gv_server_t *srv, void (*fn)(void *), void *ud)
{
    srv->batch_hook = fn;
    srv->batch_hook_ud = ud;
}

static enum MHD_Result on_wallet_request(void *cls, struct MHD_Connection *c, const char *url,
                                         const char *method, const char *version,
                                         const char *upload, size_t *upload_size,
                                         void **req_cls)
{
    gv_server_t *srv = cls;
    struct request *rq = *req_cls;
    const gv_conf_t *lc = srv->listen_conf;

    (void)version;
    if (!rq) {
        const char *len_hdr;
        int64_t retry_ms = 0;

        rq = calloc(1, sizeof *rq);
        if (!rq)
            return MHD_NO;
        *req_cls = rq;
        atomic_fetch_add(&srv->inflight, 1);
        rq->started_us = mono_us();
        rq->fd = -1;
        headers_done(c, rq);
        conn_phase(srv, rq->conn, PHASE_BODY);
        gv_buf_init(&rq->body, lc->account_check_body_limit);

        if (header_bytes(c, url, method) > lc->header_limit)
            refuse(rq, GV_FAULT_TOO_LARGE, "request headers over the configured limit");
        else if (!strcmp(url, "/v1/account-check") && !strcmp(method, "POST"))
            rq->route = ROUTE_ACCOUNT_CHECK;
        else if (!strcmp(url, "/v1/voucher-batches") && !strcmp(method, "POST"))
            rq->route = ROUTE_BATCH;
        else
            refuse(rq, GV_FAULT_NOT_FOUND, "no such path");

        if (!rq->refused &&
            !gv_ratelimit_take(&srv->rate, rq->conn ? rq->conn->client : "?", mono_ms(),
                               &retry_ms)) {
            refuse(rq, GV_FAULT_RATE_LIMITED, "request rate over the configured limit");
            rq->retry_after_s = (long)((retry_ms + 999) / 1000);
        }
        if (!rq->refused &&
            !media_type_ok(MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                       MHD_HTTP_HEADER_CONTENT_TYPE)))
            refuse(rq, GV_FAULT_UNSUPPORTED_MEDIA_TYPE, "Content-Type must be application/xml");
        if (!rq->refused && rq->route == ROUTE_BATCH)
            start_batch(srv, c, rq);
        len_hdr = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (len_hdr) {
            unsigned long long n = strtoull(len_hdr, NULL, 10);
            if (!rq->refused && n > body_limit(lc, rq))
                refuse(rq, GV_FAULT_TOO_LARGE, "body over the configured limit");
            /* More than we are willing to read and throw away: answer now;
             * libmicrohttpd closes the connection after the answer. */
            if (rq->refused && n > lc->discard_limit)
                return answer_fault(srv, c, rq, rq->refused, rq->refused_msg);
        }
        return MHD_YES;
    }
    conn_body_bytes(srv, rq->conn, *upload_size);
    if (*upload_size && rq->route == ROUTE_BATCH && !rq->refused) {
        if (rq->received + *upload_size > lc->batch_body_limit) {
            refuse(rq, GV_FAULT_TOO_LARGE, "body over the configured limit");
            drop_batch_file(rq);
        } else if (write_all(rq->fd, upload, *upload_size) < 0) {
            gv_log(GV_LOG_ERROR, "spooling a pushed batch: %s: %s", rq->path, strerror(errno));
            refuse(rq, GV_FAULT_INTERNAL, "internal error");
            drop_batch_file(rq);
        } else {
            rq->received += *upload_size;
            *upload_size = 0;
            return MHD_YES;
        }
    }
    if (*upload_size) {
        if (!rq->refused && gv_buf_append(&rq->body, upload, *upload_size) < 0) {
            refuse(rq, GV_FAULT_TOO_LARGE, "body over the configured limit");
            gv_buf_free(&rq->body);
        }
        if (rq->refused) {
            rq->discarded += *upload_size;
            if (rq->discarded > lc->discard_limit)
                return MHD_NO;     /* close: not worth reading any further */
        }
        *upload_size = 0;
        return MHD_YES;
    }
    conn_phase(srv, rq->conn, PHASE_HANDLING);
    if (rq->refused)
        return answer_fault(srv, c, rq, rq->refused, rq->refused_msg);
    if (rq->route == ROUTE_BATCH)
        return finish_batch(srv, c, rq);

    {
        struct worker *w = worker_get(srv);
        gv_reply_t reply;
        enum MHD_Result ret;

        if (!w) {
            rq->retry_after_s = 1;
            return answer_fault(srv, c, rq, GV_FAULT_UNAVAILABLE, "adapter unavailable");
        }
        gv_reply_init(&reply);
        gv_service_account_check(w->rt, w->actx, rq->body.data ? rq->body.data : "",
                                 rq->body.len, gv_clock_now(), mono_ms(), &reply);
        ret = answer(srv, c, rq, &reply);
        gv_reply_free(&reply);
        return ret;
    }
}

static void on_wallet_completed(void *cls, struct MHD_Connection *c, void **req_cls,
                                enum MHD_RequestTerminationCode toe)
{
    gv_server_t *srv = cls;
    struct request *rq = *req_cls;

    (void)toe;
    conn_phase(srv, conn_of(c), PHASE_KEEPALIVE);
    if (!rq)
        return;
    drop_batch_file(rq);
    free(rq->sig);
    gv_buf_free(&rq->body);
    free(rq);
    *req_cls = NULL;
    atomic_fetch_sub(&srv->inflight, 1);
}

/* ---- the operations listener --------------------------------------- */

#define OPS_DISCARD_LIMIT 4096
#define OPS_IDLE_TIMEOUT 10      /* seconds */

static enum MHD_Result on_ops_request(void *cls, struct MHD_Connection *c, const char *url,
                                      const char *method, const char *version,
                                      const char *upload, size_t *upload_size, void **req_cls)
{
    gv_server_t *srv = cls;
    static int marker;
    struct conn *k = conn_of(c);

    (void)version;
    (void)upload;
    if (!*req_cls) {
        *req_cls = &marker;
        conn_phase(srv, k, PHASE_BODY);
        return MHD_YES;
    }
    if (*upload_size) {
        /* Nothing here takes a body: a little is read and thrown away so
         * the 404 is seen; more closes the connection. */
        conn_body_bytes(srv, k, *upload_size);
        if (k && k->body_bytes > OPS_DISCARD_LIMIT)
            return MHD_NO;
        *upload_size = 0;
        return MHD_YES;
    }
    conn_phase(srv, k, PHASE_HANDLING);
    if (strcmp(method, "GET") != 0)
        return send_body(c, 404, "text/plain", "not found\n", 10, 0);
    if (!strcmp(url, "/healthz"))
        return send_body(c, 200, "text/plain", "ok\n", 3, 0);
    if (!strcmp(url, "/readyz")) {
        struct worker *w = worker_get(srv);
        gv_db_error_t e;
        if (w && w->rt->adapter->ping(w->actx, mono_ms(), &e) == 0)
            return send_body(c, 200, "text/plain", "ready\n", 6, 0);
        return send_body(c, 503, "text/plain", "billing database unreachable\n", 29, 1);
    }
    if (!strcmp(url, "/metrics")) {
        struct worker *w = worker_get(srv);
        gv_db_error_t e;
        gv_buf_t b;
        enum MHD_Result ret;
        gv_metrics_set_database_up(w && w->rt->adapter->ping(w->actx, mono_ms(), &e) == 0);
        gv_buf_init(&b, 1 << 20);
        if (gv_metrics_render(&b) < 0) {
            gv_buf_free(&b);
            return MHD_NO;
        }
        ret = send_body(c, 200, "text/plain; version=0.0.4", b.data, b.len, 0);
        gv_buf_free(&b);
        return ret;
    }
    return send_body(c, 404, "text/plain", "not found\n", 10, 0);
}

static void on_ops_completed(void *cls, struct MHD_Connection *c, void **req_cls,
                             enum MHD_RequestTerminationCode toe)
{
    (void)toe;
    *req_cls = NULL;
    conn_phase(cls, conn_of(c), PHASE_KEEPALIVE);
}

/* ---- start and stop ---------------------------------------------------- */

/* libmicrohttpd's format strings are printf's (the attribute lets clang
 * check the call below). */
__attribute__((format(printf, 2, 0)))
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    char line[512];
    (void)cls;
    vsnprintf(line, sizeof line, fmt, ap);
    line[strcspn(line, "\n")] = '\0';
    gv_log(GV_LOG_DEBUG, "http: %s", line);
}

static char *read_file(const char *path, gv_err_t *err)
{
    FILE *f = fopen(path, "rb");
    char *data = NULL;
    long n;

    if (!f) {
        gv_err_set(err, "%s: %s", path, strerror(errno));
        return NULL;
    }
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && n < (1 << 20) &&
        fseek(f, 0, SEEK_SET) == 0 && (data = malloc((size_t)n + 1)) &&
        fread(data, 1, (size_t)n, f) == (size_t)n) {
        data[n] = '\0';
    } else {
        free(data);
        data = NULL;
        gv_err_set(err, "%s: cannot read", path);
    }
    fclose(f);
    return data;
}

static int resolve(const gv_hostport_t *hp, struct sockaddr_storage *ss, gv_err_t *err)
{
    struct addrinfo hints, *res = NULL;
    char port[8];
    int rc;

    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    snprintf(port, sizeof port, "%d", hp->port);
    rc = getaddrinfo(hp->host, port, &hints, &res);
    if (rc != 0 || !res) {
        gv_err_set(err, "cannot resolve listen address %s: %s", hp->host, gai_strerror(rc));
        return -1;
    }
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    return 0;
}

/* Stops whichever listener runs and frees everything srv owns. */
static void server_free(gv_server_t *srv)
{
    gv_server_t *self = srv;

    atomic_compare_exchange_strong(&tls_server, &self, NULL);
    if (srv->wallet)
        MHD_stop_daemon(srv->wallet);
    if (srv->ops)
        MHD_stop_daemon(srv->ops);
    gv_ratelimit_destroy(&srv->rate);
    gv_runtime_release(srv->rt);
    gv_runtime_release(srv->listen_rt);
    free(srv->tls_cert);
    free(srv->tls_key);
    free(srv->tls_ca);
    pthread_mutex_destroy(&srv->lock);
    free(srv);
}

gv_server_t *gv_server_start(gv_runtime_t *rt, gv_err_t *err)
{
    gv_server_t *srv = calloc(1, sizeof *srv);
    const gv_conf_t *conf = rt->conf;
    struct sockaddr_storage wallet_addr, ops_addr;
    unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
                         MHD_USE_ERROR_LOG;
    struct MHD_OptionItem tls_opts[5];
    int nt = 0;

    if (!srv) {
        gv_err_set(err, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&srv->lock, NULL);
    srv->rt = gv_runtime_acquire(rt);
    srv->listen_rt = gv_runtime_acquire(rt);
    srv->listen_conf = conf;
    gv_ratelimit_init(&srv->rate, conf->rate_limit, conf->rate_burst);
    srv->wallet_listener = (struct listener){
        .srv = srv, .name = "wallet",
        .header_ms = conf->header_timeout * 1000, .body_ms = conf->body_timeout * 1000,
        .keepalive_ms = conf->idle_timeout * 1000, .min_rate = conf->body_min_rate,
        .rate_window_ms = conf->body_rate_window * 1000,
    };
    /* The same clocks on the ops listener, whose silence limit is its own. */
    srv->ops_listener = srv->wallet_listener;
    srv->ops_listener.name = "ops";
    srv->ops_listener.keepalive_ms = OPS_IDLE_TIMEOUT * 1000;
    if (resolve(&conf->wallet_listen, &wallet_addr, err) < 0 ||
        resolve(&conf->ops_listen, &ops_addr, err) < 0)
        goto fail;
    if (conf->wallet_tls) {
        if (!(srv->tls_cert = read_file(conf->tls_cert, err)) ||
            !(srv->tls_key = read_file(conf->tls_key, err)) ||
            !(srv->tls_ca = read_file(conf->tls_client_ca, err)))
            goto fail;
        flags |= MHD_USE_TLS;
        tls_opts[nt++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0, srv->tls_cert };
        tls_opts[nt++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, srv->tls_key };
        tls_opts[nt++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_TRUST, 0, srv->tls_ca };
        /* Versions and ciphers are ours to choose, not the library's. */
        tls_opts[nt++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_PRIORITIES, 0,
                                                  (void *)conf->tls_priorities };
        atomic_store(&tls_server, srv);
    }
    tls_opts[nt] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };

    srv->wallet = MHD_start_daemon(
        flags, 0, NULL, NULL, on_wallet_request, srv,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&wallet_addr,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)conf->threads,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned int)conf->max_connections,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)conf->max_connections_per_ip,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)conf->idle_timeout,
        /* headers and the read buffer share this pool */
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(conf->header_limit + 8192),
        MHD_OPTION_NOTIFY_COMPLETED, on_wallet_completed, srv,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, &srv->wallet_listener,
        MHD_OPTION_URI_LOG_CALLBACK, on_request_line, &srv->wallet_listener,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
        MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u,
        MHD_OPTION_ARRAY, tls_opts,
        MHD_OPTION_END);
    if (!srv->wallet) {
        gv_err_set(err, "cannot listen on %s:%d for the wallet (address in use, or bad TLS "
                        "certificate or key?)", conf->wallet_listen.host, conf->wallet_listen.port);
        goto fail;
    }
    srv->ops = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0, NULL, NULL,
        on_ops_request, srv,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ops_addr,
        MHD_OPTION_CONNECTION_LIMIT, 64u,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)conf->max_connections_per_ip,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)OPS_IDLE_TIMEOUT,
        MHD_OPTION_NOTIFY_COMPLETED, on_ops_completed, srv,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, &srv->ops_listener,
        MHD_OPTION_URI_LOG_CALLBACK, on_request_line, &srv->ops_listener,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
        MHD_OPTION_END);
    if (!srv->ops) {
        gv_err_set(err, "cannot listen on %s:%d for operations", conf->ops_listen.host,
                   conf->ops_listen.port);
        goto fail;
    }
    if (pthread_create(&srv->sweeper, NULL, sweeper_main, srv) != 0) {
        gv_err_set(err, "cannot start the connection sweeper");
        goto fail;
    }
    return srv;
fail:
    server_free(srv);
    return NULL;
}

void gv_server_swap(gv_server_t *srv, gv_runtime_t *rt)
{
    gv_runtime_t *old;

    pthread_mutex_lock(&srv->lock);
    old = srv->rt;
    srv->rt = gv_runtime_acquire(rt);
    pthread_mutex_unlock(&srv->lock);
    gv_runtime_release(old);
}

void gv_server_stop(gv_server_t *srv)
{
    int64_t deadline = mono_ms() + srv->listen_conf->drain_timeout * 1000;

    /* Stop accepting; requests already in flight finish. */
    MHD_quiesce_daemon(srv->wallet);
    while (atomic_load(&srv->inflight) > 0 && mono_ms() < deadline)
        usleep(20 * 1000);
    if (atomic_load(&srv->inflight) > 0)
        gv_log(GV_LOG_WARNING, "stopping with %d requests still in flight",
               atomic_load(&srv->inflight));
    atomic_store(&srv->stopping, 1);
    pthread_join(srv->sweeper, NULL);
    server_free(srv);
}
