/* sig.c - detached CMS SignedData over exact bytes, with OpenSSL 3.
 *
 * OpenSSL's CMS_verify() would check the chain itself, but against the
 * clock, for the S/MIME signing purpose and with an error that says little.
 * So verification takes the pieces apart: the structure and the policy
 * are checked first (cheap, and a 1 GB file is not hashed for a signer we
 * would refuse anyway), the chain with our own X509_STORE_CTX at the
 * moment of receipt, and only then the content is streamed through the
 * digest.  Every refusal gets its own message.
 *
 * Signing uses CMS_PARTIAL so the signingTime attribute can be set to the
 * caller's moment before the signature is computed (OpenSSL would
 * otherwise stamp the clock), and feeds the content itself so a read
 * error fails the signature instead of signing a truncated file.
 */
#include "config.h"
#include "sig.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define MIN_RSA_BITS 2048
#define CHUNK 65536          /* streaming read size */

struct gv_sig_verifier {
    X509_STORE *store;       /* read-only after creation; OpenSSL locks it */
};

struct gv_sig_signer {
    X509 *cert;
    EVP_PKEY *key;
    STACK_OF(X509) *chain;   /* never NULL, may be empty */
};

/* ---- small helpers ------------------------------------------------------ */

/* The most recent OpenSSL reason, for failures that are not the input's
 * fault and so have no message of our own. */
static const char *ossl_reason(void)
{
    const char *r = ERR_reason_error_string(ERR_peek_last_error());
    return r ? r : "unknown OpenSSL error";
}

/* fopen ourselves rather than BIO_new_file so errno is the one from open. */
static BIO *open_file(const char *path, gv_err_t *err)
{
    FILE *f;
    BIO *b;

    if (!path) {
        gv_err_set(err, "no file name given");
        return NULL;
    }
    f = fopen(path, "rb");
    if (!f) {
        gv_err_set(err, "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    b = BIO_new_fp(f, BIO_CLOSE);
    if (!b) {
        fclose(f);
        gv_err_set(err, "cannot open %s: %s", path, ossl_reason());
    }
    return b;
}

/* A PEM read that returned NULL because the file simply ran out of
 * blocks, as opposed to a damaged block. */
static int pem_at_end(void)
{
    unsigned long e = ERR_peek_last_error();
    return ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE;
}

/* Keys are read unattended: an encrypted key must fail, not prompt on a
 * terminal the daemon does not have. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf; (void)size; (void)rwflag; (void)u;
    return -1;
}

static int asn1_to_time_t(const ASN1_TIME *t, time_t *out)
{
    struct tm tm;

    if (!t || !ASN1_TIME_to_tm(t, &tm))
        return -1;
    *out = timegm(&tm);
    return 0;
}

static void fmt_time(time_t t, char out[32])
{
    struct tm tm;

    if (!gmtime_r(&t, &tm) || !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(out, 32, "@%lld", (long long)t);
}

/* RFC 2253 but with UTF-8 left as is: subjects are Kazakh and Russian. */
static void subject_of(X509 *x, char *out, size_t size)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *p;
    long n;
    size_t len;

    out[0] = '\0';
    if (!b)
        return;
    if (X509_NAME_print_ex(b, X509_get_subject_name(x), 0,
                           XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0 &&
        (n = BIO_get_mem_data(b, &p)) > 0) {
        len = (size_t)n < size - 1 ? (size_t)n : size - 1;
        /* never leave half a UTF-8 character at the cut */
        if ((size_t)n > len)
            while (len > 0 && ((unsigned char)p[len] & 0xC0) == 0x80)
                len--;
        memcpy(out, p, len);
        out[len] = '\0';
    }
    BIO_free(b);
}

static void fingerprint_of(X509 *x, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;

    out[0] = '\0';
    if (!X509_digest(x, EVP_sha256(), md, &n) || n != 32)
        return;
    for (unsigned int i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static int is_p256(const char *group)
{
    return strcmp(group, SN_X9_62_prime256v1) == 0 || strcmp(group, "P-256") == 0 ||
           strcmp(group, "secp256r1") == 0;
}

/* The parts of the wallet's rules for a signing certificate that do not
 * depend on time; shared by both sides so we never produce a signature
 * the other side refuses.  who: "signer" or "signing". */
static int check_cert_policy(X509 *x, const char *who, gv_err_t *err)
{
    EVP_PKEY *pk = X509_get0_pubkey(x);
    uint32_t xf;

    if (!pk) {
        gv_err_set(err, "%s certificate has an unreadable public key", who);
        return -1;
    }
    if (EVP_PKEY_is_a(pk, "RSA") || EVP_PKEY_is_a(pk, "RSA-PSS")) {
        int bits = EVP_PKEY_get_bits(pk);
        if (bits < MIN_RSA_BITS) {
            gv_err_set(err, "%s key is RSA-%d: RSA keys must have at least %d bits", who, bits,
                       MIN_RSA_BITS);
            return -1;
        }
    } else if (EVP_PKEY_is_a(pk, "EC")) {
        char group[80];
        size_t glen = 0;
        if (!EVP_PKEY_get_group_name(pk, group, sizeof group, &glen))
            snprintf(group, sizeof group, "an unnamed curve");
        if (!is_p256(group)) {
            gv_err_set(err, "%s key is ECDSA on %s: only P-256 is accepted", who, group);
            return -1;
        }
    } else {
        const char *t = EVP_PKEY_get0_type_name(pk);
        gv_err_set(err, "%s key type %s is not accepted (RSA >= %d bits or ECDSA P-256)", who,
                   t ? t : "unknown", MIN_RSA_BITS);
        return -1;
    }
    xf = X509_get_extension_flags(x);
    if (xf & EXFLAG_INVALID) {
        gv_err_set(err, "%s certificate has malformed extensions", who);
        return -1;
    }
    /* An absent keyUsage would allow any use; the wallet's profile always
     * sets it, so its absence means a certificate not meant for this. */
    if (!(xf & EXFLAG_KUSAGE)) {
        gv_err_set(err, "%s certificate has no keyUsage extension (digitalSignature required)",
                   who);
        return -1;
    }
    if (!(X509_get_key_usage(x) & KU_DIGITAL_SIGNATURE)) {
        gv_err_set(err, "%s certificate keyUsage lacks digitalSignature", who);
        return -1;
    }
    return 0;
}

/* Frees a BIO chain down to, not including, the caller's content BIO. */
static void free_upto(BIO *b, BIO *upto)
{
    while (b && b != upto) {
        BIO *next = BIO_pop(b);
        BIO_free(b);
        b = next;
    }
}

/* ---- verifier ----------------------------------------------------------- */

gv_sig_verifier_t *gv_sig_verifier_new(const char *ca_file, gv_err_t *err)
{
    gv_sig_verifier_t *v = NULL;
    BIO *in;
    X509 *x;
    int n = 0;

    ERR_clear_error();
    in = open_file(ca_file, err);
    if (!in)
        goto fail;
    v = calloc(1, sizeof *v);
    if (!v || !(v->store = X509_STORE_new())) {
        gv_err_set(err, "out of memory");
        goto fail;
    }
    while ((x = PEM_read_bio_X509(in, NULL, NULL, NULL)) != NULL) {
        int ok;
        /* OpenSSL parses extensions into a cache on first use; do it now,
         * single-threaded, so concurrent verifications only read. */
        X509_check_purpose(x, -1, 0);
        ok = X509_STORE_add_cert(v->store, x);
        X509_free(x);
        if (!ok) {
            gv_err_set(err, "%s: cannot add certificate %d: %s", ca_file, n + 1, ossl_reason());
            goto fail;
        }
        n++;
    }
    if (!pem_at_end()) {
        gv_err_set(err, "%s: certificate %d is damaged: %s", ca_file, n + 1, ossl_reason());
        goto fail;
    }
    if (n == 0) {
        gv_err_set(err, "%s: no PEM certificate in the file", ca_file);
        goto fail;
    }
    /* Whatever the operator configured is the anchor, even an
     * intermediate: trust stops there, it need not reach a root. */
    X509_STORE_set_flags(v->store, X509_V_FLAG_PARTIAL_CHAIN);
    BIO_free(in);
    ERR_clear_error();
    return v;

fail:
    BIO_free(in);
    gv_sig_verifier_free(v);
    ERR_clear_error();
    return NULL;
}

void gv_sig_verifier_free(gv_sig_verifier_t *v)
{
    if (!v)
        return;
    X509_STORE_free(v->store);
    free(v);
}

/* Validity of the signer and its signingTime, against 'at'. */
static int check_times(X509 *signer, CMS_SignerInfo *si, time_t at, gv_sig_info_t *info,
                       gv_err_t *err)
{
    time_t nb, na, st;
    char s1[32], s2[32], s3[32];
    int idx;

    if (asn1_to_time_t(X509_get0_notBefore(signer), &nb) < 0 ||
        asn1_to_time_t(X509_get0_notAfter(signer), &na) < 0) {
        gv_err_set(err, "signer certificate has a malformed validity period");
        return -1;
    }
    fmt_time(at, s3);
    /* Same boundaries as X509_verify_cert: notAfter itself is expired. */
    if (nb > at) {
        fmt_time(nb, s1);
        gv_err_set(err, "signer certificate not valid before %s (received %s)", s1, s3);
        return -1;
    }
    if (na <= at) {
        fmt_time(na, s1);
        gv_err_set(err, "signer certificate expired at %s (received %s)", s1, s3);
        return -1;
    }

    idx = CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, -1);
    if (idx < 0)
        return 0;
    {
        X509_ATTRIBUTE *a = CMS_signed_get_attr(si, idx);
        ASN1_TYPE *t = a && X509_ATTRIBUTE_count(a) == 1 ? X509_ATTRIBUTE_get0_type(a, 0) : NULL;
        int ty = t ? ASN1_TYPE_get(t) : -1;

        if (CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, idx) >= 0 ||
            (ty != V_ASN1_UTCTIME && ty != V_ASN1_GENERALIZEDTIME) ||
            !ASN1_TIME_check(t->value.utctime) ||
            asn1_to_time_t(t->value.utctime, &st) < 0) {
            gv_err_set(err, "signingTime attribute is malformed");
            return -1;
        }
    }
    if (info)
        info->signing_time = st;
    fmt_time(st, s1);
    if (st < nb || st > na) {
        fmt_time(nb, s2);
        fmt_time(na, s3);
        gv_err_set(err, "signingTime %s lies outside the signer certificate's validity "
                   "(%s to %s)", s1, s2, s3);
        return -1;
    }
    if (st > at + GV_SIG_CLOCK_SKEW) {
        fmt_time(at, s2);
        gv_err_set(err, "signingTime %s is in the future (received %s)", s1, s2);
        return -1;
    }
    return 0;
}

/* The chain, with a context of our own per call: the shared store is only
 * read, so concurrent verifications do not interfere. */
static int check_chain(const gv_sig_verifier_t *v, CMS_ContentInfo *cms, X509 *signer,
                       time_t at, gv_err_t *err)
{
    STACK_OF(X509) *certs = CMS_get1_certs(cms);
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    int rc = -1;

    if (!ctx || !X509_STORE_CTX_init(ctx, v->store, signer, certs)) {
        gv_err_set(err, "cannot check the signer's chain: %s", ossl_reason());
        goto done;
    }
    X509_STORE_CTX_set_time(ctx, 0, at);
    /* The wallet's signing certificates need not carry the S/MIME
     * extended key usage; keyUsage was checked by the policy. */
    X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_ANY);
    if (X509_verify_cert(ctx) <= 0) {
        int e = X509_STORE_CTX_get_error(ctx);
        int depth = X509_STORE_CTX_get_error_depth(ctx);
        X509 *bad = X509_STORE_CTX_get_current_cert(ctx);
        char subj[256];

        if (depth > 0 && bad) {
            subject_of(bad, subj, sizeof subj);
            gv_err_set(err, "signer not trusted: %s (issuer at depth %d: %s)",
                       X509_verify_cert_error_string(e), depth, subj);
        } else {
            gv_err_set(err, "signer not trusted: %s", X509_verify_cert_error_string(e));
        }
        goto done;
    }
    rc = 0;

done:
    X509_STORE_CTX_free(ctx);
    sk_X509_pop_free(certs, X509_free);
    return rc;
}

/* Reads the whole content through the digest BIOs.  -1 on a read error:
 * a short read must never look like a shorter, validly signed file; -2
 * when out of memory. */
static int pump(BIO *from, BIO *to)
{
    char *buf = malloc(CHUNK);
    int n, rc = 0;

    if (!buf)
        return -2;
    while ((n = BIO_read(from, buf, CHUNK)) > 0) {
        if (to && BIO_write(to, buf, n) != n) {
            rc = -1;
            break;
        }
    }
    if (n < 0)
        rc = -1;
    free(buf);
    return rc;
}

/* content: a BIO positioned at the first byte; what: for messages. */
static int verify_bio(const gv_sig_verifier_t *v, BIO *content, const char *what,
                      const unsigned char *sig, size_t siglen, time_t at,
                      gv_sig_info_t *info, gv_err_t *err)
{
    CMS_ContentInfo *cms = NULL;
    STACK_OF(CMS_SignerInfo) *sis;
    CMS_SignerInfo *si;
    ASN1_OCTET_STRING **pos;
    X509_ALGOR *dig = NULL;
    const ASN1_OBJECT *obj = NULL;
    X509 *signer = NULL;
    BIO *cmsbio = NULL;
    const unsigned char *p = sig;
    char name[80];
    int nsig, n, rc = -1;

    if (!sig || siglen == 0) {
        gv_err_set(err, "no signature");
        return -1;
    }
    if (siglen > LONG_MAX) {
        gv_err_set(err, "signature is not DER CMS: %zu bytes is too large", siglen);
        return -1;
    }
    cms = d2i_CMS_ContentInfo(NULL, &p, (long)siglen);
    if (!cms) {
        gv_err_set(err, "signature is not DER CMS");
        goto done;
    }
    if (p != sig + siglen) {
        gv_err_set(err, "signature is not DER CMS: %zu bytes follow its end",
                   siglen - (size_t)(p - sig));
        goto done;
    }
    if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed) {
        OBJ_obj2txt(name, sizeof name, CMS_get0_type(cms), 0);
        gv_err_set(err, "signature is CMS %s, not SignedData", name);
        goto done;
    }
    /* Embedded content would be a second, unchecked copy of the message. */
    pos = CMS_get0_content(cms);
    if (!pos || *pos) {
        gv_err_set(err, "signature is not detached: it carries content of its own");
        goto done;
    }
    if (OBJ_obj2nid(CMS_get0_eContentType(cms)) != NID_pkcs7_data) {
        OBJ_obj2txt(name, sizeof name, CMS_get0_eContentType(cms), 0);
        gv_err_set(err, "signed content type must be id-data, not %s", name);
        goto done;
    }
    sis = CMS_get0_SignerInfos(cms);
    nsig = sis ? sk_CMS_SignerInfo_num(sis) : 0;
    if (nsig != 1) {
        gv_err_set(err, "exactly one signer required, the signature has %d", nsig);
        goto done;
    }
    si = sk_CMS_SignerInfo_value(sis, 0);
    CMS_SignerInfo_get0_algs(si, NULL, NULL, &dig, NULL);
    if (dig)
        X509_ALGOR_get0(&obj, NULL, NULL, dig);
    if (!obj || OBJ_obj2nid(obj) != NID_sha256) {
        if (obj)
            OBJ_obj2txt(name, sizeof name, obj, 0);
        gv_err_set(err, "digest must be SHA-256, not %s", obj ? name : "missing");
        goto done;
    }
    /* Only certificates inside the signature are searched: the wallet
     * sends its own, and the store holds anchors, not signers. */
    if (CMS_set1_signers_certs(cms, NULL, 0) < 0) {
        gv_err_set(err, "signature certificates are malformed");
        goto done;
    }
    CMS_SignerInfo_get0_algs(si, NULL, &signer, NULL, NULL);
    if (!signer) {
        gv_err_set(err, "signer certificate is not included in the signature");
        goto done;
    }
    if (info) {
        subject_of(signer, info->subject, sizeof info->subject);
        fingerprint_of(signer, info->fingerprint);
    }
    if (check_cert_policy(signer, "signer", err) < 0 ||
        check_times(signer, si, at, info, err) < 0 ||
        check_chain(v, cms, signer, at, err) < 0)
        goto done;

    /* With signed attributes the key signs them, and they hold the
     * content's digest: two separate failures, two messages. */
    if (CMS_signed_get_attr_count(si) >= 0 && CMS_SignerInfo_verify(si) <= 0) {
        gv_err_set(err, "signature value does not verify with the signer's key");
        goto done;
    }
    cmsbio = CMS_dataInit(cms, content);
    if (!cmsbio) {
        gv_err_set(err, "cannot start the digest: %s", ossl_reason());
        goto done;
    }
    if ((n = pump(cmsbio, NULL)) < 0) {
        /* Not a verdict on the signature: the check could not be made. */
        gv_err_set(err, "cannot read %s%s", what, n == -2 ? ": out of memory" : "");
        rc = -2;
        goto done;
    }
    if (CMS_SignerInfo_verify_content(si, cmsbio) <= 0) {
        gv_err_set(err, "signature does not match the content");
        goto done;
    }
    rc = 0;

done:
    free_upto(cmsbio, content);
    CMS_ContentInfo_free(cms);
    ERR_clear_error();   /* the queue is per thread: leave nothing for others */
    return rc;
}

int gv_sig_verify_mem(const gv_sig_verifier_t *v, const void *data, size_t len,
                      const unsigned char *sig, size_t siglen, time_t at,
                      gv_sig_info_t *info, gv_err_t *err)
{
    BIO *b;
    int rc;

    if (info)
        memset(info, 0, sizeof *info);
    if (!v || (!data && len)) {
        gv_err_set(err, "gv_sig_verify_mem: no verifier or no data");
        return -1;
    }
    if (len > INT_MAX) {
        gv_err_set(err, "content of %zu bytes is too large to verify in memory", len);
        return -1;
    }
    b = BIO_new_mem_buf(data ? data : "", (int)len);
    if (!b) {
        gv_err_set(err, "out of memory");
        ERR_clear_error();
        return -2;
    }
    rc = verify_bio(v, b, "the content", sig, siglen, at, info, err);
    BIO_free(b);
    return rc;
}

int gv_sig_verify_file(const gv_sig_verifier_t *v, const char *path,
                       const unsigned char *sig, size_t siglen, time_t at,
                       gv_sig_info_t *info, gv_err_t *err)
{
    BIO *b;
    int rc;

    if (info)
        memset(info, 0, sizeof *info);
    if (!v) {
        gv_err_set(err, "gv_sig_verify_file: no verifier");
        return -1;
    }
    b = open_file(path, err);
    if (!b) {
        ERR_clear_error();
        return -2;              /* our own copy of the bytes: not the signature's fault */
    }
    rc = verify_bio(v, b, path, sig, siglen, at, info, err);
    BIO_free(b);
    return rc;
}

/* ---- signer ------------------------------------------------------------- */

static int has_cert(STACK_OF(X509) *sk, X509 *x)
{
    for (int i = 0; i < sk_X509_num(sk); i++)
        if (X509_cmp(sk_X509_value(sk, i), x) == 0)
            return 1;
    return 0;
}

gv_sig_signer_t *gv_sig_signer_new(const char *cert_file, const char *key_file,
                                   const char *chain_file, gv_err_t *err)
{
    gv_sig_signer_t *s;
    BIO *in = NULL;
    X509 *x;
    gv_err_t perr;

    ERR_clear_error();
    s = calloc(1, sizeof *s);
    if (!s || !(s->chain = sk_X509_new_null())) {
        gv_err_set(err, "out of memory");
        goto fail;
    }

    if (!(in = open_file(cert_file, err)))
        goto fail;
    s->cert = PEM_read_bio_X509(in, NULL, no_passphrase, NULL);
    if (!s->cert) {
        gv_err_set(err, "%s: no PEM certificate in the file", cert_file);
        goto fail;
    }
    BIO_free(in);

    if (!(in = open_file(key_file, err)))
        goto fail;
    s->key = PEM_read_bio_PrivateKey(in, NULL, no_passphrase, NULL);
    if (!s->key) {
        gv_err_set(err, "%s: no usable private key (an unencrypted PEM key is expected)",
                   key_file);
        goto fail;
    }
    BIO_free(in);
    in = NULL;

    if (!X509_check_private_key(s->cert, s->key)) {
        gv_err_set(err, "%s: the key does not match the certificate in %s", key_file, cert_file);
        goto fail;
    }
    if (check_cert_policy(s->cert, "signing", &perr) < 0) {
        gv_err_set(err, "%s: %s", cert_file, perr.msg);
        goto fail;
    }

    if (chain_file) {
        if (!(in = open_file(chain_file, err)))
            goto fail;
        while ((x = PEM_read_bio_X509(in, NULL, no_passphrase, NULL)) != NULL) {
            /* CMS refuses a certificate twice, and the signer's own
             * certificate is often left in a chain file. */
            if (X509_cmp(x, s->cert) == 0 || has_cert(s->chain, x)) {
                X509_free(x);
                continue;
            }
            if (!sk_X509_push(s->chain, x)) {
                X509_free(x);
                gv_err_set(err, "out of memory");
                goto fail;
            }
        }
        if (!pem_at_end()) {
            gv_err_set(err, "%s: a certificate is damaged: %s", chain_file, ossl_reason());
            goto fail;
        }
        BIO_free(in);
        in = NULL;
    }
    ERR_clear_error();
    return s;

fail:
    BIO_free(in);
    gv_sig_signer_free(s);
    ERR_clear_error();
    return NULL;
}

void gv_sig_signer_free(gv_sig_signer_t *s)
{
    if (!s)
        return;
    X509_free(s->cert);
    EVP_PKEY_free(s->key);
    sk_X509_pop_free(s->chain, X509_free);
    free(s);
}

static int sign_bio(const gv_sig_signer_t *s, BIO *content, const char *what, time_t at,
                    unsigned char **der, size_t *derlen, gv_err_t *err)
{
    const unsigned int flags = CMS_BINARY | CMS_DETACHED | CMS_PARTIAL | CMS_NOSMIMECAP;
    CMS_ContentInfo *cms = NULL;
    CMS_SignerInfo *si;
    ASN1_TIME *st = NULL;
    BIO *cmsbio = NULL;
    unsigned char *buf = NULL, *q;
    int n, rc = -1;

    cms = CMS_sign(NULL, NULL, NULL, NULL, flags);
    if (!cms) {
        gv_err_set(err, "cannot start a signature: %s", ossl_reason());
        goto done;
    }
    /* s is shared by threads: CMS only takes references (atomic counts)
     * to the certificate and key, nothing in s changes. */
    si = CMS_add1_signer(cms, s->cert, s->key, EVP_sha256(), flags);
    if (!si) {
        gv_err_set(err, "cannot add the signer: %s", ossl_reason());
        goto done;
    }
    for (int i = 0; i < sk_X509_num(s->chain); i++) {
        if (!CMS_add1_cert(cms, sk_X509_value(s->chain, i))) {
            gv_err_set(err, "cannot add a chain certificate: %s", ossl_reason());
            goto done;
        }
    }
    st = ASN1_TIME_set(NULL, at);
    if (!st || CMS_signed_add1_attr_by_NID(si, NID_pkcs9_signingTime, ASN1_STRING_type(st),
                                           st, -1) <= 0) {
        gv_err_set(err, "cannot set signingTime: %s", ossl_reason());
        goto done;
    }
    /* Detached: the bottom of this chain is a null BIO, the content only
     * passes through the digest. */
    cmsbio = CMS_dataInit(cms, NULL);
    if (!cmsbio) {
        gv_err_set(err, "cannot start the digest: %s", ossl_reason());
        goto done;
    }
    if ((n = pump(content, cmsbio)) < 0) {
        gv_err_set(err, "cannot read %s%s", what, n == -2 ? ": out of memory" : "");
        goto done;
    }
    (void)BIO_flush(cmsbio);
    if (!CMS_dataFinal(cms, cmsbio)) {
        gv_err_set(err, "cannot compute the signature: %s", ossl_reason());
        goto done;
    }
    n = i2d_CMS_ContentInfo(cms, NULL);
    if (n <= 0 || !(buf = malloc((size_t)n))) {
        gv_err_set(err, "cannot encode the signature: %s",
                   n <= 0 ? ossl_reason() : "out of memory");
        goto done;
    }
    q = buf;
    if (i2d_CMS_ContentInfo(cms, &q) != n) {
        gv_err_set(err, "cannot encode the signature: %s", ossl_reason());
        goto done;
    }
    *der = buf;
    *derlen = (size_t)n;
    buf = NULL;
    rc = 0;

done:
    free(buf);
    BIO_free_all(cmsbio);
    ASN1_TIME_free(st);
    CMS_ContentInfo_free(cms);
    ERR_clear_error();
    return rc;
}

int gv_sig_sign_mem(const gv_sig_signer_t *s, const void *data, size_t len, time_t at,
                    unsigned char **der, size_t *derlen, gv_err_t *err)
{
    BIO *b;
    int rc;

    if (!s || !der || !derlen || (!data && len)) {
        gv_err_set(err, "gv_sig_sign_mem: missing argument");
        return -1;
    }
    if (len > INT_MAX) {
        gv_err_set(err, "content of %zu bytes is too large to sign in memory", len);
        return -1;
    }
    b = BIO_new_mem_buf(data ? data : "", (int)len);
    if (!b) {
        gv_err_set(err, "out of memory");
        ERR_clear_error();
        return -1;
    }
    rc = sign_bio(s, b, "the content", at, der, derlen, err);
    BIO_free(b);
    return rc;
}

int gv_sig_sign_file(const gv_sig_signer_t *s, const char *path, time_t at,
                     unsigned char **der, size_t *derlen, gv_err_t *err)
{
    BIO *b;
    int rc;

    if (!s || !der || !derlen) {
        gv_err_set(err, "gv_sig_sign_file: missing argument");
        return -1;
    }
    b = open_file(path, err);
    if (!b) {
        ERR_clear_error();
        return -1;
    }
    rc = sign_bio(s, b, path, at, der, derlen, err);
    BIO_free(b);
    return rc;
}

/* ---- base64 ------------------------------------------------------------- */

static const char b64chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *gv_sig_base64_encode(const unsigned char *der, size_t len)
{
    char *out, *o;
    size_t i;

    if (len > (SIZE_MAX - 1) / 4 * 3 - 3)
        return NULL;
    out = o = malloc((len + 2) / 3 * 4 + 1);
    if (!out)
        return NULL;
    for (i = 0; i + 3 <= len; i += 3) {
        uint32_t w = (uint32_t)der[i] << 16 | (uint32_t)der[i + 1] << 8 | der[i + 2];
        *o++ = b64chars[w >> 18];
        *o++ = b64chars[(w >> 12) & 63];
        *o++ = b64chars[(w >> 6) & 63];
        *o++ = b64chars[w & 63];
    }
    if (len - i == 1) {
        uint32_t w = (uint32_t)der[i] << 16;
        *o++ = b64chars[w >> 18];
        *o++ = b64chars[(w >> 12) & 63];
        *o++ = '=';
        *o++ = '=';
    } else if (len - i == 2) {
        uint32_t w = (uint32_t)der[i] << 16 | (uint32_t)der[i + 1] << 8;
        *o++ = b64chars[w >> 18];
        *o++ = b64chars[(w >> 12) & 63];
        *o++ = b64chars[(w >> 6) & 63];
        *o++ = '=';
    }
    *o = '\0';
    return out;
}

static int b64val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/* Strict so that one signature has one spelling: a header value that
 * decodes must be the one the sender produced. */
int gv_sig_base64_decode(const char *b64, unsigned char **der, size_t *len, gv_err_t *err)
{
    size_t n, pad = 0, o = 0;
    unsigned char *out;

    if (!b64 || !der || !len) {
        gv_err_set(err, "invalid base64: no input");
        return -1;
    }
    n = strlen(b64);
    if (n % 4) {
        gv_err_set(err, "invalid base64: length %zu is not a multiple of 4", n);
        return -1;
    }
    if (n >= 1 && b64[n - 1] == '=')
        pad++;
    if (n >= 2 && b64[n - 2] == '=')
        pad++;
    out = malloc(n / 4 * 3 + 1);
    if (!out) {
        gv_err_set(err, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i += 4) {
        int v[4];
        int last = i + 4 == n;
        for (int j = 0; j < 4; j++) {
            if (last && (size_t)j >= 4 - pad) {
                v[j] = 0;
                continue;
            }
            v[j] = b64val((unsigned char)b64[i + (size_t)j]);
            if (v[j] < 0) {
                gv_err_set(err, "invalid base64: unexpected character at offset %zu",
                           i + (size_t)j);
                free(out);
                return -1;
            }
        }
        if (last && ((pad == 1 && (v[2] & 3)) || (pad == 2 && (v[1] & 15)))) {
            gv_err_set(err, "invalid base64: non-zero bits before the padding");
            free(out);
            return -1;
        }
        out[o++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
        if (!(last && pad == 2))
            out[o++] = (unsigned char)((v[1] & 15) << 4 | v[2] >> 2);
        if (!(last && pad >= 1))
            out[o++] = (unsigned char)((v[2] & 3) << 6 | v[3]);
    }
    *der = out;
    *len = o;
    return 0;
}
