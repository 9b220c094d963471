/* walletclient.c - outbound HTTPS to the wallet over libcurl (see walletclient.h). */
#include "config.h"
#include "walletclient.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_CONNECT_TIMEOUT_MS 10000L
#define DEFAULT_TIMEOUT_MS 60000L
#define DEFAULT_LOW_SPEED_SECS 30L
#define DEFAULT_MAX_BODY ((size_t)64 * 1024 * 1024)
#define SNIPPET_BYTES 200               /* of a non-2xx body, into the error message */
#define RETRY_AFTER_MAX_S 86400L        /* a wallet asking for more than a day is wrong */

struct gv_wallet_client {
    CURL *h;
    char *base_url;                     /* without trailing '/' */
    size_t max_body;
    char errbuf[CURL_ERROR_SIZE];
};

/* What one request learnt.  The response fields are reset at every status
 * line, so an interim 1xx never leaks its headers into the final answer. */
typedef struct xfer {
    long status;                        /* of the last status line seen */
    char *sig;                          /* X-Signature, malloc'd */
    int sig_count;
    long retry_after_s;                 /* -1 when absent */
    /* body */
    FILE *out;                          /* GET: where a 2xx body goes; NULL for POST */
    size_t max_body;                    /* GET cap */
    size_t body_bytes;
    int over_cap;
    char snippet[SNIPPET_BYTES];        /* start of a non-2xx body */
    size_t snippet_len;
    /* upload */
    FILE *in;
    curl_off_t in_size, in_sent;
    /* a local failure (disk, file) that aborted the transfer */
    char local_msg[256];
} xfer_t;

/* ---- small pure helpers ----------------------------------------------- */

const char *gv_wc_result_name(gv_wc_result_t r)
{
    switch (r) {
    case GV_WC_OK: return "ok";
    case GV_WC_RETRY: return "retry";
    case GV_WC_REFUSED: return "refused";
    case GV_WC_LOCAL: return "local failure";
    }
    return "?";
}

/* Server-supplied bytes go into log lines: printable ASCII only, so a body
 * cannot forge log records or smuggle terminal escapes. */
static void sanitise(char *dst, size_t dstlen, const char *src, size_t n)
{
    size_t o = 0;

    if (dstlen == 0)
        return;
    for (size_t i = 0; i < n && o + 1 < dstlen; i++) {
        unsigned char ch = (unsigned char)src[i];
        if (ch == '\r' || ch == '\n' || ch == '\t')
            ch = ' ';
        else if (ch < 0x20 || ch > 0x7e)
            ch = '?';
        dst[o++] = (char)ch;
    }
    while (o > 0 && dst[o - 1] == ' ')
        o--;
    dst[o] = '\0';
}

/* splitmix64: a tiny, well-mixed hash, so neighbouring seeds and attempts
 * get unrelated jitter. */
static uint64_t mix64(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

long gv_backoff_delay_s(long min_s, long max_s, unsigned attempt, unsigned long seed)
{
    long d;
    uint64_t frac;

    if (min_s < 1)
        min_s = 1;
    if (max_s < min_s)
        max_s = min_s;
    if (attempt < 1)
        attempt = 1;
    /* Doubling stops at the cap, so no attempt number can overflow. */
    d = min_s;
    for (unsigned i = 1; i < attempt && d < max_s; i++)
        d = d > max_s / 2 ? max_s : d * 2;
    if (d > max_s)
        d = max_s;
    /* 0..1000 thousandths of 10%; split so d * frac cannot overflow. */
    frac = mix64((uint64_t)seed ^ mix64(attempt)) % 1001;
    return d - (long)((uint64_t)d / 10000 * frac + (uint64_t)d % 10000 * frac / 10000);
}

/* Caller-built paths end up in the request line: no controls, no spaces,
 * no non-ASCII (escape query values with gv_wallet_escape). */
static int path_ok(const char *p)
{
    if (!p || p[0] != '/')
        return 0;
    for (; *p; p++)
        if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f || *p == '#')
            return 0;
    return 1;
}

/* The signature goes into a header line: base64 alphabet only, so it can
 * never split the header. */
static int b64_ok(const char *s)
{
    if (!s || !*s)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
              *s == '+' || *s == '/' || *s == '='))
            return 0;
    return 1;
}

static const char *errno_text(long e)
{
    switch (e) {
    case ECONNREFUSED: return "connection refused";
    case ECONNRESET: return "connection reset";
    case EHOSTUNREACH: return "host unreachable";
    case ENETUNREACH: return "network unreachable";
    case ETIMEDOUT: return "connect timed out";
    default: return NULL;
    }
}

/* ---- process and client lifetime --------------------------------------- */

int gv_wallet_client_global_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

void gv_wallet_client_global_cleanup(void)
{
    curl_global_cleanup();
}

/* Parses base_url with libcurl's own parser (the one that will use it), so
 * "http://127.0.0.1:80@evil.example/" is seen for what it is.  Sets *plain
 * for an http:// URL, which is allowed only to a loopback host: the local
 * TLS-terminating proxy of the spec. */
static int check_base_url(const char *url, int *plain, gv_err_t *err)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *part = NULL;
    int ok = 0;

    if (!u) {
        gv_err_set(err, "wallet client: out of memory");
        return -1;
    }
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
        gv_err_set(err, "wallet base_url \"%s\" is not a URL", url);
        goto out;
    }
    if (curl_url_get(u, CURLUPART_USER, &part, 0) == CURLUE_OK ||
        curl_url_get(u, CURLUPART_PASSWORD, &part, 0) == CURLUE_OK ||
        curl_url_get(u, CURLUPART_QUERY, &part, 0) == CURLUE_OK ||
        curl_url_get(u, CURLUPART_FRAGMENT, &part, 0) == CURLUE_OK) {
        gv_err_set(err, "wallet base_url \"%s\": user name, password, query or fragment not allowed", url);
        goto out;
    }
    if (strcasecmp(scheme, "https") == 0) {
        *plain = 0;
    } else if (strcasecmp(scheme, "http") == 0 &&
               (strcmp(host, "127.0.0.1") == 0 || strcmp(host, "[::1]") == 0 ||
                strcasecmp(host, "localhost") == 0)) {
        *plain = 1;
    } else {
        gv_err_set(err, "wallet base_url \"%s\": must be https:// (http:// only to 127.0.0.1, [::1] "
                        "or localhost)", url);
        goto out;
    }
    ok = 1;
out:
    curl_free(part);
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);
    return ok ? 0 : -1;
}

/* Checked at start-up because libcurl would only notice at the first
 * handshake, hours later, in the middle of a delivery. */
static int readable(const char *what, const char *path, gv_err_t *err)
{
    FILE *f;

    if (!path || !*path) {
        gv_err_set(err, "wallet client: %s not configured (required for https)", what);
        return -1;
    }
    f = fopen(path, "rb");
    if (!f) {
        gv_err_set(err, "wallet client: %s %s: %s", what, path, strerror(errno));
        return -1;
    }
    fclose(f);
    return 0;
}

/* Every option is checked: a libcurl that silently ignored, say, the TLS
 * minimum would be worse than one that refuses to start. */
#define SET(opt, val)                                                                    \
    do {                                                                                 \
        CURLcode set_rc_ = curl_easy_setopt(c->h, opt, val);                             \
        if (set_rc_ != CURLE_OK) {                                                       \
            gv_err_set(err, "wallet client: setting %s: %s", #opt,                       \
                       curl_easy_strerror(set_rc_));                                     \
            goto fail;                                                                   \
        }                                                                                \
    } while (0)

gv_wallet_client_t *gv_wallet_client_new(const gv_wallet_client_opts_t *o, gv_err_t *err)
{
    gv_wallet_client_t *c = NULL;
    const curl_version_info_data *vi = curl_version_info(CURLVERSION_NOW);
    int plain = 0;
    size_t n;

    if (!o || !o->base_url) {
        gv_err_set(err, "wallet client: no base_url");
        return NULL;
    }
    if (check_base_url(o->base_url, &plain, err) != 0)
        return NULL;
    if (!plain) {
        if (!(vi->features & CURL_VERSION_SSL)) {
            gv_err_set(err, "wallet client: libcurl %s has no TLS support", vi->version);
            return NULL;
        }
        if (readable("ca_file", o->ca_file, err) != 0 ||
            readable("cert_file", o->cert_file, err) != 0 ||
            readable("key_file", o->key_file, err) != 0)
            return NULL;
    }

    c = calloc(1, sizeof *c);
    if (!c || !(c->base_url = strdup(o->base_url)) || !(c->h = curl_easy_init())) {
        gv_err_set(err, "wallet client: out of memory");
        goto fail;
    }
    n = strlen(c->base_url);
    while (n > 0 && c->base_url[n - 1] == '/')
        c->base_url[--n] = '\0';
    c->max_body = o->max_body ? o->max_body : DEFAULT_MAX_BODY;

    SET(CURLOPT_ERRORBUFFER, c->errbuf);
    SET(CURLOPT_NOSIGNAL, 1L);          /* no SIGALRM for DNS timeouts: we run in threads */
#if LIBCURL_VERSION_NUM >= 0x075500
    SET(CURLOPT_PROTOCOLS_STR, plain ? "http" : "https");
#else
    SET(CURLOPT_PROTOCOLS, plain ? (long)CURLPROTO_HTTP : (long)CURLPROTO_HTTPS);
#endif
    /* A redirect would move a signed delivery somewhere we did not
     * configure; the answer is reported (REFUSED) instead. */
    SET(CURLOPT_FOLLOWLOCATION, 0L);
    SET(CURLOPT_SSL_VERIFYPEER, 1L);
    SET(CURLOPT_SSL_VERIFYHOST, 2L);
    SET(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
    if (!plain) {
        SET(CURLOPT_CAINFO, o->ca_file);
        /* Trust the wallet CA only: a distribution libcurl may carry a
         * compiled-in CA directory (all public CAs) next to CAINFO. */
        SET(CURLOPT_CAPATH, (char *)NULL);
        SET(CURLOPT_SSLCERTTYPE, "PEM");
        SET(CURLOPT_SSLCERT, o->cert_file);
        SET(CURLOPT_SSLKEYTYPE, "PEM");
        SET(CURLOPT_SSLKEY, o->key_file);
    }
    /* An explicit proxy or none: an http_proxy inherited from some shell
     * must not reroute deliveries. */
    SET(CURLOPT_PROXY, o->proxy ? o->proxy : "");
    SET(CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms > 0 ? o->connect_timeout_ms
                                                              : DEFAULT_CONNECT_TIMEOUT_MS);
    SET(CURLOPT_TIMEOUT_MS, o->timeout_ms > 0 ? o->timeout_ms : DEFAULT_TIMEOUT_MS);
    /* A stalled peer is caught long before the whole-transfer timeout of a
     * large batch. */
    SET(CURLOPT_LOW_SPEED_LIMIT, 1L);
    SET(CURLOPT_LOW_SPEED_TIME, o->low_speed_secs > 0 ? o->low_speed_secs : DEFAULT_LOW_SPEED_SECS);
    SET(CURLOPT_TCP_KEEPALIVE, 1L);
    SET(CURLOPT_USERAGENT, "gasvoucher/" PACKAGE_VERSION);
    /* No CURLOPT_ACCEPT_ENCODING: bodies arrive as sent, so the size cap
     * counts what is stored and no decompression bomb can inflate. */
    return c;

fail:
    gv_wallet_client_free(c);
    return NULL;
}

#undef SET

void gv_wallet_client_free(gv_wallet_client_t *c)
{
    if (!c)
        return;
    if (c->h)
        curl_easy_cleanup(c->h);
    free(c->base_url);
    free(c);
}

char *gv_wallet_escape(gv_wallet_client_t *c, const char *s)
{
    char *e, *copy;

    if (!c || !s)
        return NULL;
    e = curl_easy_escape(c->h, s, 0);
    if (!e)
        return NULL;
    /* curl's memory must go back through curl_free(); callers get plain
     * malloc'd memory like everything else in the project. */
    copy = strdup(e);
    curl_free(e);
    return copy;
}

/* ---- callbacks ---------------------------------------------------------- */

/* When line is "name: value", returns value without surrounding blanks and
 * the line end, its length in *vlen.  line is not NUL-terminated. */
static const char *header_value(const char *line, size_t len, const char *name, size_t *vlen)
{
    size_t n = strlen(name);
    const char *v, *end = line + len;

    if (len <= n || strncasecmp(line, name, n) != 0 || line[n] != ':')
        return NULL;
    v = line + n + 1;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
        end--;
    *vlen = (size_t)(end - v);
    return v;
}

/* Digits only, saturating at limit; -1 when not a number. */
static long long parse_digits(const char *v, size_t n, long long limit)
{
    long long x = 0;

    if (n == 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9')
            return -1;
        if (x < limit)
            x = x * 10 + (v[i] - '0');
    }
    return x > limit ? limit : x;
}

static void parse_retry_after(xfer_t *x, const char *v, size_t n)
{
    long long s = parse_digits(v, n, RETRY_AFTER_MAX_S);
    char date[64];
    time_t t, now;

    if (s < 0 && n < sizeof date) {     /* the HTTP-date form */
        memcpy(date, v, n);
        date[n] = '\0';
        t = curl_getdate(date, NULL);
        now = time(NULL);
        if (t != (time_t)-1)
            s = t <= now ? 0 : (t - now > RETRY_AFTER_MAX_S ? RETRY_AFTER_MAX_S : t - now);
    }
    if (s >= 0)
        x->retry_after_s = (long)s;
}

static size_t on_header(char *line, size_t size, size_t nitems, void *ud)
{
    xfer_t *x = ud;
    size_t len = size * nitems, vlen;
    const char *v;

    if (len > 5 && memcmp(line, "HTTP/", 5) == 0) {
        const char *sp = memchr(line, ' ', len);
        long long st = sp ? parse_digits(sp + 1, len - (size_t)(sp + 1 - line) >= 3 ? 3 : 0, 999)
                          : -1;
        x->status = st > 0 ? (long)st : 0;
        free(x->sig);
        x->sig = NULL;
        x->sig_count = 0;
        x->retry_after_s = -1;
        return len;
    }
    if ((v = header_value(line, len, "X-Signature", &vlen))) {
        x->sig_count++;
        free(x->sig);
        x->sig = strndup(v, vlen);
        if (!x->sig) {
            snprintf(x->local_msg, sizeof x->local_msg, "out of memory");
            return 0;
        }
    } else if ((v = header_value(line, len, "Retry-After", &vlen))) {
        parse_retry_after(x, v, vlen);
    } else if (x->out && x->status >= 200 && x->status < 300 &&
               (v = header_value(line, len, "Content-Length", &vlen))) {
        /* Refuse before a byte of an announced over-size body is written
         * (CURLOPT_MAXFILESIZE does the same; this does not depend on which
         * libcurl version applies it how). */
        long long cl = parse_digits(v, vlen, (long long)SIZE_MAX / 2);
        if (cl >= 0 && (unsigned long long)cl > x->max_body) {
            x->over_cap = 1;
            return 0;
        }
    }
    return len;
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *ud)
{
    xfer_t *x = ud;
    size_t len = size * nmemb;

    if (x->out && x->status >= 200 && x->status < 300) {
        /* Content-Length may be absent (chunked) or lie: count what arrives. */
        if (len > x->max_body - x->body_bytes) {
            x->over_cap = 1;
            return 0;
        }
        if (fwrite(p, 1, len, x->out) != len) {
            snprintf(x->local_msg, sizeof x->local_msg, "writing the answer: %s", strerror(errno));
            return 0;
        }
        x->body_bytes += len;
        return len;
    }
    /* Not a success: keep the start for the error message, drop the rest. */
    if (x->snippet_len < sizeof x->snippet) {
        size_t take = sizeof x->snippet - x->snippet_len;
        if (take > len)
            take = len;
        memcpy(x->snippet + x->snippet_len, p, take);
        x->snippet_len += take;
    }
    return len;
}

/* Sends exactly in_size bytes: a file that grows while we send is cut at the
 * announced Content-Length, one that shrinks aborts the request rather than
 * leaving the wallet waiting for bytes that never come. */
static size_t on_read(char *buf, size_t size, size_t nitems, void *ud)
{
    xfer_t *x = ud;
    size_t want = size * nitems, got;
    curl_off_t left = x->in_size - x->in_sent;

    if (left <= 0)
        return 0;
    if ((curl_off_t)want > left)
        want = (size_t)left;
    got = fread(buf, 1, want, x->in);
    if (got == 0) {
        snprintf(x->local_msg, sizeof x->local_msg, "reading the body file: %s",
                 ferror(x->in) ? strerror(errno) : "it shrank while being sent");
        return CURL_READFUNC_ABORT;
    }
    x->in_sent += (curl_off_t)got;
    return got;
}

/* libcurl rewinds the body when it resends on a fresh connection because
 * a reused one turned out dead; without this, that resend fails. */
static int on_seek(void *ud, curl_off_t offset, int origin)
{
    xfer_t *x = ud;

    if (origin != SEEK_SET || offset < 0 || offset > x->in_size ||
        fseeko(x->in, (off_t)offset, SEEK_SET) != 0)
        return CURL_SEEKFUNC_CANTSEEK;
    x->in_sent = offset;
    return CURL_SEEKFUNC_OK;
}

/* ---- one request ---------------------------------------------------------- */

/* libcurl's detail (errbuf) names the symptom, which can be obscure (a
 * client certificate refused under TLS 1.3 shows up as a failed read after
 * the handshake); the curl code's text names the stage.  Both go in. */
static void describe_curl_error(gv_wallet_client_t *c, CURLcode rc, char *out, size_t outlen)
{
    char msg[2 * CURL_ERROR_SIZE + 64], base[CURL_ERROR_SIZE + 128];
    const char *et;
    long os_errno = 0;
    curl_off_t us = 0;

    if (c->errbuf[0] && strstr(c->errbuf, curl_easy_strerror(rc)))
        snprintf(base, sizeof base, "%s [curl %d]", c->errbuf, (int)rc);
    else if (c->errbuf[0])
        snprintf(base, sizeof base, "%s [curl %d: %s]", c->errbuf, (int)rc, curl_easy_strerror(rc));
    else
        snprintf(base, sizeof base, "curl %d: %s", (int)rc, curl_easy_strerror(rc));
    if (rc == CURLE_OPERATION_TIMEDOUT) {
        curl_easy_getinfo(c->h, CURLINFO_TOTAL_TIME_T, &us);
        snprintf(msg, sizeof msg, "timed out after %.1f s (%s)", (double)us / 1e6, base);
    } else if (rc == CURLE_COULDNT_CONNECT &&
               curl_easy_getinfo(c->h, CURLINFO_OS_ERRNO, &os_errno) == CURLE_OK &&
               (et = errno_text(os_errno))) {
        snprintf(msg, sizeof msg, "%s (%s)", base, et);
    } else {
        snprintf(msg, sizeof msg, "%s", base);
    }
    sanitise(out, outlen, msg, strlen(msg));
}

/* Performs the prepared request and sorts the outcome into OK / RETRY /
 * REFUSED, the one place where that policy lives. */
static gv_wc_result_t perform(gv_wallet_client_t *c, const char *method, const char *url,
                              xfer_t *x, long *http_status, long *retry_after_s, gv_err_t *err)
{
    CURLcode rc;
    long status;
    char text[2 * CURL_ERROR_SIZE + 64];
    char body[SNIPPET_BYTES + 1];

    c->errbuf[0] = '\0';
    x->status = 0;
    x->retry_after_s = -1;
    if (curl_easy_setopt(c->h, CURLOPT_URL, url) != CURLE_OK ||
        curl_easy_setopt(c->h, CURLOPT_HEADERFUNCTION, on_header) != CURLE_OK ||
        curl_easy_setopt(c->h, CURLOPT_HEADERDATA, x) != CURLE_OK ||
        curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, on_body) != CURLE_OK ||
        curl_easy_setopt(c->h, CURLOPT_WRITEDATA, x) != CURLE_OK) {
        gv_err_set(err, "%s %s: cannot set up the request", method, url);
        return GV_WC_REFUSED;
    }
    rc = curl_easy_perform(c->h);

    /* A 1xx is not an answer. */
    status = x->status >= 200 ? x->status : 0;
    if (http_status)
        *http_status = status;

    /* Our side failed (disk full, body file gone): nothing the wallet said;
     * trying again later does not touch the wallet before the local problem
     * is fixed, and the delivery is never lost. */
    if (x->local_msg[0]) {
        gv_err_set(err, "%s %s: %s", method, url, x->local_msg);
        return GV_WC_LOCAL;
    }
    if (status >= 200 && status < 300) {
        if (x->out && (x->over_cap || rc == CURLE_FILESIZE_EXCEEDED)) {
            gv_err_set(err, "%s %s: answer larger than %zu bytes", method, url, x->max_body);
            return GV_WC_REFUSED;
        }
        if (rc != CURLE_OK) {
            /* The answer broke off after its status: the same request can
             * succeed next time. */
            describe_curl_error(c, rc, text, sizeof text);
            gv_err_set(err, "%s %s: HTTP %ld, then %s", method, url, status, text);
            return GV_WC_RETRY;
        }
        if (x->sig_count > 1) {
            /* Two signatures for one body: which one would we verify? */
            gv_err_set(err, "%s %s: %d X-Signature headers in the answer", method, url,
                       x->sig_count);
            return GV_WC_REFUSED;
        }
        return GV_WC_OK;
    }
    if (status) {
        gv_wc_result_t r;
        /* The status decides even when the transfer then failed (a 413
         * while we were still sending, a body cut off): it is the answer. */
        sanitise(body, sizeof body, x->snippet, x->snippet_len);
        if ((status == 429 || status == 503) && x->retry_after_s >= 0 && retry_after_s)
            *retry_after_s = x->retry_after_s;
        if (status == 408 || status == 429 || status >= 500)
            r = GV_WC_RETRY;
        else
            r = GV_WC_REFUSED;      /* 3xx (not followed) and the other 4xx */
        gv_err_set(err, "%s %s: HTTP %ld%s%s%s", method, url, status,
                   status >= 300 && status < 400 ? " (redirects are not followed)" : "",
                   body[0] ? ": " : "", body);
        return r;
    }

    /* No answer at all.  Network errors and timeouts are transient.  So,
     * deliberately, are TLS failures (unknown CA, name mismatch, our
     * certificate refused): they usually mean a configuration problem, but
     * the wallet may be mid-way through a certificate rotation, and a
     * delivery marked refused would be lost while retries only cost a log
     * line per back-off step until someone fixes the trust files. */
    describe_curl_error(c, rc, text, sizeof text);
    if (rc == CURLE_OK)
        snprintf(text, sizeof text, "no HTTP status in the answer");
    gv_err_set(err, "%s %s: %s", method, url, text);
    return rc == CURLE_URL_MALFORMAT ? GV_WC_REFUSED : GV_WC_RETRY;
}

/* curl_off_t is signed: a cap beyond its range means no Content-Length
 * check by libcurl (the write callback still counts). */
_Static_assert(sizeof(curl_off_t) == sizeof(int64_t), "curl_off_t is 64 bits");
static curl_off_t max_filesize(size_t cap)
{
    return (uint64_t)cap > (uint64_t)INT64_MAX ? 0 : (curl_off_t)cap;
}

static char *join_url(const gv_wallet_client_t *c, const char *path)
{
    size_t a = strlen(c->base_url), b = strlen(path);
    char *u = malloc(a + b + 1);

    if (u) {
        memcpy(u, c->base_url, a);
        memcpy(u + a, path, b + 1);
    }
    return u;
}

gv_wc_result_t gv_wallet_post_file(gv_wallet_client_t *c, const char *path,
                                   const char *body_file, const char *sig_b64,
                                   long *http_status, long *retry_after_s, gv_err_t *err)
{
    xfer_t x;
    struct stat st;
    struct curl_slist *hdrs = NULL, *tmp;
    char *url = NULL, *sig_hdr = NULL;
    /* "Expect:" removes libcurl's Expect: 100-continue, which would stall
     * every large POST for a second on servers that never send a 100. */
    const char *lines[] = { "Content-Type: application/xml", NULL, "Expect:" };
    int fd = -1;
    gv_wc_result_t r = GV_WC_LOCAL;

    memset(&x, 0, sizeof x);
    if (http_status)
        *http_status = 0;
    if (retry_after_s)
        *retry_after_s = 0;
    if (!c || !path_ok(path) || !body_file) {
        gv_err_set(err, "wallet POST: bad arguments (path \"%s\")", path ? path : "(null)");
        return GV_WC_REFUSED;
    }
    if (!b64_ok(sig_b64)) {
        gv_err_set(err, "wallet POST %s: signature missing or not base64", path);
        return GV_WC_REFUSED;
    }
    if (!(url = join_url(c, path))) {
        gv_err_set(err, "wallet POST %s: out of memory", path);
        return GV_WC_LOCAL;
    }

    fd = open(body_file, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) != 0) {
        gv_err_set(err, "POST %s: body file %s: %s", url, body_file, strerror(errno));
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        gv_err_set(err, "POST %s: body file %s: not a regular file", url, body_file);
        goto out;
    }
    if (!(x.in = fdopen(fd, "rb"))) {
        gv_err_set(err, "POST %s: body file %s: %s", url, body_file, strerror(errno));
        goto out;
    }
    fd = -1;                            /* x.in owns it now */
    x.in_size = (curl_off_t)st.st_size;

    sig_hdr = malloc(strlen("X-Signature: ") + strlen(sig_b64) + 1);
    if (!sig_hdr)
        goto oom;
    strcpy(sig_hdr, "X-Signature: ");
    strcat(sig_hdr, sig_b64);
    lines[1] = sig_hdr;
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        if (!(tmp = curl_slist_append(hdrs, lines[i])))
            goto oom;
        hdrs = tmp;
    }

    if (curl_easy_setopt(c->h, CURLOPT_POST, 1L) != CURLE_OK ||
        curl_easy_setopt(c->h, CURLOPT_POSTFIELDSIZE_LARGE, x.in_size) != CURLE_OK ||
        curl_easy_setopt(c->h, CURLOPT_READFUNCTION, on_read) != CURLE_OK ||
        curl_easy_setopt(c->h, CURLOPT_READDATA, &x) != CURLE_OK ||
        curl_easy_setopt(c->h, CURLOPT_SEEKFUNCTION, on_seek) != CURLE_OK ||
        curl_easy_setopt(c->h, CURLOPT_SEEKDATA, &x) != CURLE_OK ||
        curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, hdrs) != CURLE_OK ||
        /* The answer to a POST is discarded after SNIPPET_BYTES, so no cap. */
        curl_easy_setopt(c->h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)0) != CURLE_OK) {
        gv_err_set(err, "POST %s: cannot set up the request", url);
        r = GV_WC_REFUSED;
        goto out;
    }
    r = perform(c, "POST", url, &x, http_status, retry_after_s, err);
    goto out;

oom:
    gv_err_set(err, "POST %s: out of memory", url);
    r = GV_WC_LOCAL;
out:
    /* The handle outlives this call: leave no pointer into our stack or
     * into the freed header list. */
    curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, (struct curl_slist *)NULL);
    curl_easy_setopt(c->h, CURLOPT_READDATA, (void *)NULL);
    curl_easy_setopt(c->h, CURLOPT_SEEKDATA, (void *)NULL);
    curl_easy_setopt(c->h, CURLOPT_HEADERDATA, (void *)NULL);
    curl_easy_setopt(c->h, CURLOPT_WRITEDATA, (void *)NULL);
    curl_slist_free_all(hdrs);
    if (x.in)
        fclose(x.in);
    else if (fd >= 0)
        close(fd);
    free(x.sig);
    free(sig_hdr);
    free(url);
    return r;
}

gv_wc_result_t gv_wallet_get_file(gv_wallet_client_t *c, const char *path_and_query,
                                  const char *out_file, char **sig_b64, long *http_status,
                                  gv_err_t *err)
{
    xfer_t x;
    struct curl_slist *hdrs = NULL;
    char *url = NULL;
    int fd;
    gv_wc_result_t r = GV_WC_RETRY;

    memset(&x, 0, sizeof x);
    if (sig_b64)
        *sig_b64 = NULL;
    if (http_status)
        *http_status = 0;
    if (!c || !path_ok(path_and_query) || !out_file) {
        gv_err_set(err, "wallet GET: bad arguments (path \"%s\")",
                   path_and_query ? path_and_query : "(null)");
        return GV_WC_REFUSED;
    }
    if (!(url = join_url(c, path_and_query))) {
        gv_err_set(err, "wallet GET %s: out of memory", path_and_query);
        return GV_WC_RETRY;
    }
    /* 0600: batches hold account numbers of real people. */
    fd = open(out_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || !(x.out = fdopen(fd, "wb"))) {
        gv_err_set(err, "GET %s: %s: %s", url, out_file, strerror(errno));
        if (fd >= 0)
            close(fd);
        free(url);
        if (fd >= 0)
            unlink(out_file);
        return GV_WC_RETRY;
    }
    x.max_body = c->max_body;

    if (!(hdrs = curl_slist_append(NULL, "Accept: application/xml"))) {
        gv_err_set(err, "GET %s: out of memory", url);
        goto out;
    }
    if (curl_easy_setopt(c->h, CURLOPT_HTTPGET, 1L) != CURLE_OK ||
        curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, hdrs) != CURLE_OK ||
        curl_easy_setopt(c->h, CURLOPT_MAXFILESIZE_LARGE, max_filesize(c->max_body)) != CURLE_OK) {
        gv_err_set(err, "GET %s: cannot set up the request", url);
        r = GV_WC_REFUSED;
        goto out;
    }
    r = perform(c, "GET", url, &x, http_status, NULL, err);

out:
    curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, (struct curl_slist *)NULL);
    curl_easy_setopt(c->h, CURLOPT_HEADERDATA, (void *)NULL);
    curl_easy_setopt(c->h, CURLOPT_WRITEDATA, (void *)NULL);
    curl_slist_free_all(hdrs);
    if (r == GV_WC_OK) {
        /* "Written" has to mean on disk: the caller verifies, then renames
         * the file into place and acknowledges. */
        if (fflush(x.out) != 0 || fsync(fileno(x.out)) != 0) {
            gv_err_set(err, "GET %s: writing %s: %s", url, out_file, strerror(errno));
            r = GV_WC_RETRY;
        }
    }
    if (fclose(x.out) != 0 && r == GV_WC_OK) {
        gv_err_set(err, "GET %s: closing %s: %s", url, out_file, strerror(errno));
        r = GV_WC_RETRY;
    }
    if (r == GV_WC_OK) {
        if (sig_b64) {
            *sig_b64 = x.sig;
            x.sig = NULL;
        }
    } else {
        unlink(out_file);           /* never a partial file */
    }
    free(x.sig);
    free(url);
    return r;
}
