/* test_sig.c - detached CMS signatures (wallet-interface.md, "Signatures").
 *
 * Every key and certificate is made here with the OpenSSL API, in a
 * temporary directory removed at the end: a CA, a second unrelated CA, an
 * intermediate, and signers good and bad (expired, without
 * digitalSignature, without keyUsage at all, RSA-1024, P-384).  Signatures
 * the module refuses to make (bad keys, SHA-1, two signers, attached
 * content) are made with raw CMS calls.  The openssl command line is used
 * both ways to show the signatures are ordinary CMS.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "sig.h"
#include "testutil.h"

#define DAY 86400LL
#define Y2019 1546300800LL      /* 2019-01-01T00:00:00Z */
#define Y2020 1577836800LL      /* 2020-01-01T00:00:00Z */
#define FEB2020 1580515200LL    /* 2020-02-01T00:00:00Z */
#define MID_JAN2020 1579046400LL /* 2020-01-15T00:00:00Z */

/* ---- fixture ------------------------------------------------------------ */

enum {
    L_EC,         /* P-256, by the CA, valid a year either side of now */
    L_RSA,        /* RSA-2048, by the CA */
    L_INTER,      /* P-256, by an intermediate of the CA */
    L_OTHER,      /* P-256, by an unrelated CA */
    L_EXPIRED,    /* P-256, by the CA, January 2020 only */
    L_NOKU_BIT,   /* keyUsage without digitalSignature */
    L_NOKU_EXT,   /* no keyUsage extension at all */
    L_RSA1024,
    L_P384,
    L_COUNT
};

typedef struct leaf {
    const char *name;
    const char *alg;       /* "EC" / "RSA" / "P384" / "RSA1024" */
    int issuer;            /* 0 ca, 1 ca2, 2 intermediate */
    long long nb, na;      /* validity; see T() */
    const char *ku;        /* keyUsage value, NULL for none */
    int usable;            /* gv_sig_signer_new accepts it */
    X509 *cert;
    EVP_PKEY *key;
    char *cert_path, *key_path;
    gv_sig_signer_t *signer;
} leaf_t;

static leaf_t leaves[L_COUNT] = {
    [L_EC] = { "ec", "EC", 0, -365 * DAY, 365 * DAY, "critical,digitalSignature,nonRepudiation", 1,
               NULL, NULL, NULL, NULL, NULL },
    [L_RSA] = { "rsa", "RSA", 0, -365 * DAY, 365 * DAY, "critical,digitalSignature", 1,
                NULL, NULL, NULL, NULL, NULL },
    [L_INTER] = { "inter-leaf", "EC", 2, -365 * DAY, 365 * DAY, "critical,digitalSignature", 1,
                  NULL, NULL, NULL, NULL, NULL },
    [L_OTHER] = { "other", "EC", 1, -365 * DAY, 365 * DAY, "critical,digitalSignature", 1,
                  NULL, NULL, NULL, NULL, NULL },
    [L_EXPIRED] = { "expired", "EC", 0, Y2020, FEB2020, "critical,digitalSignature", 1,
                    NULL, NULL, NULL, NULL, NULL },
    [L_NOKU_BIT] = { "noku-bit", "EC", 0, -365 * DAY, 365 * DAY, "critical,keyAgreement", 0,
                     NULL, NULL, NULL, NULL, NULL },
    [L_NOKU_EXT] = { "noku-ext", "EC", 0, -365 * DAY, 365 * DAY, NULL, 0,
                     NULL, NULL, NULL, NULL, NULL },
    [L_RSA1024] = { "rsa1024", "RSA1024", 0, -365 * DAY, 365 * DAY, "critical,digitalSignature", 0,
                    NULL, NULL, NULL, NULL, NULL },
    [L_P384] = { "p384", "P384", 0, -365 * DAY, 365 * DAY, "critical,digitalSignature", 0,
                 NULL, NULL, NULL, NULL, NULL },
};

static struct {
    time_t now;
    char *dir;
    X509 *ca[3];            /* ca, ca2, intermediate */
    EVP_PKEY *ca_key[3];
    char *ca_path;          /* the verifier's anchor: the CA only */
    char *ca2_path;
    char *both_path;        /* ca + ca2 */
    char *inter_path;       /* the intermediate, as a chain file */
    gv_sig_verifier_t *ver;
} fx;

/* Times in the tables: small values are offsets from now, values that
 * look like an epoch time are absolute. */
static time_t T(long long v)
{
    return v > 1000000000LL ? (time_t)v : fx.now + (time_t)v;
}

static EVP_PKEY *make_key(const char *alg)
{
    if (strcmp(alg, "EC") == 0)
        return EVP_EC_gen("P-256");
    if (strcmp(alg, "P384") == 0)
        return EVP_EC_gen("P-384");
    if (strcmp(alg, "RSA1024") == 0)
        return EVP_RSA_gen(1024);
    return EVP_RSA_gen(2048);
}

static void add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, ctx, nid, value);

    assert_non_null(e);
    assert_true(X509_add_ext(x, e, -1));
    X509_EXTENSION_free(e);
}

static X509 *make_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key,
                       time_t nb, time_t na, int ca, const char *ku, long serial)
{
    X509 *x = X509_new();
    X509_NAME *name = X509_NAME_new();
    X509V3_CTX ctx;

    assert_non_null(x);
    assert_non_null(name);
    assert_true(X509_set_version(x, X509_VERSION_3));
    assert_true(ASN1_INTEGER_set(X509_get_serialNumber(x), serial));
    assert_true(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                                           (const unsigned char *)"gasvoucher test", -1, -1, 0));
    assert_true(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn,
                                           -1, -1, 0));
    assert_true(X509_set_subject_name(x, name));
    assert_true(X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name));
    X509_NAME_free(name);
    assert_non_null(ASN1_TIME_set(X509_getm_notBefore(x), nb));
    assert_non_null(ASN1_TIME_set(X509_getm_notAfter(x), na));
    assert_true(X509_set_pubkey(x, key));
    X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
    add_ext(x, &ctx, NID_basic_constraints, ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
    if (ku)
        add_ext(x, &ctx, NID_key_usage, ku);
    add_ext(x, &ctx, NID_subject_key_identifier, "hash");
    if (issuer)
        add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always");
    assert_true(X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()) > 0);
    return x;
}

static char *write_pem(const char *file, X509 *x1, X509 *x2, EVP_PKEY *key)
{
    char *path = tu_path_in(fx.dir, file);
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    if (x1)
        assert_true(PEM_write_X509(f, x1));
    if (x2)
        assert_true(PEM_write_X509(f, x2));
    if (key)
        assert_true(PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL));
    assert_int_equal(fclose(f), 0);
    return path;
}

static void write_bytes(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");

    assert_non_null(f);
    if (len)
        assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static int setup(void **state)
{
    static const char *ca_names[3] = { "Test Wallet Root CA", "Unrelated CA",
                                       "Test Wallet Issuing CA" };
    gv_err_t err = { "" };
    (void)state;

    fx.now = time(NULL);
    fx.dir = tu_temp_dir();
    for (int i = 0; i < 3; i++) {
        fx.ca_key[i] = make_key("EC");
        assert_non_null(fx.ca_key[i]);
    }
    fx.ca[0] = make_cert(ca_names[0], fx.ca_key[0], NULL, NULL, Y2019, T(20 * 365 * DAY), 1,
                         "critical,keyCertSign,cRLSign", 1);
    fx.ca[1] = make_cert(ca_names[1], fx.ca_key[1], NULL, NULL, Y2019, T(20 * 365 * DAY), 1,
                         "critical,keyCertSign,cRLSign", 1);
    fx.ca[2] = make_cert(ca_names[2], fx.ca_key[2], fx.ca[0], fx.ca_key[0], Y2019,
                         T(10 * 365 * DAY), 1, "critical,keyCertSign,cRLSign", 2);
    fx.ca_path = write_pem("ca.pem", fx.ca[0], NULL, NULL);
    fx.ca2_path = write_pem("ca2.pem", fx.ca[1], NULL, NULL);
    fx.both_path = write_pem("both.pem", fx.ca[0], fx.ca[1], NULL);
    fx.inter_path = write_pem("inter.pem", fx.ca[2], NULL, NULL);

    for (int i = 0; i < L_COUNT; i++) {
        leaf_t *l = &leaves[i];
        char file[64];

        l->key = make_key(l->alg);
        assert_non_null(l->key);
        l->cert = make_cert(l->name, l->key, fx.ca[l->issuer], fx.ca_key[l->issuer], T(l->nb),
                            T(l->na), 0, l->ku, 100 + i);
        snprintf(file, sizeof file, "%s.pem", l->name);
        l->cert_path = write_pem(file, l->cert, NULL, NULL);
        snprintf(file, sizeof file, "%s.key", l->name);
        l->key_path = write_pem(file, NULL, NULL, l->key);
        if (l->usable) {
            l->signer = gv_sig_signer_new(l->cert_path, l->key_path,
                                          l->issuer == 2 ? fx.inter_path : NULL, &err);
            if (!l->signer)
                print_message("signer %s: %s\n", l->name, err.msg);
            assert_non_null(l->signer);
        }
    }
    fx.ver = gv_sig_verifier_new(fx.ca_path, &err);
    if (!fx.ver)
        print_message("verifier: %s\n", err.msg);
    assert_non_null(fx.ver);
    /* Raw signatures below stamp the clock: keep 'now' after key generation. */
    fx.now = time(NULL);
    return 0;
}

static int teardown(void **state)
{
    DIR *d;
    struct dirent *e;
    (void)state;

    gv_sig_verifier_free(fx.ver);
    for (int i = 0; i < L_COUNT; i++) {
        leaf_t *l = &leaves[i];
        gv_sig_signer_free(l->signer);
        X509_free(l->cert);
        EVP_PKEY_free(l->key);
        free(l->cert_path);
        free(l->key_path);
    }
    for (int i = 0; i < 3; i++) {
        X509_free(fx.ca[i]);
        EVP_PKEY_free(fx.ca_key[i]);
    }
    free(fx.ca_path);
    free(fx.ca2_path);
    free(fx.both_path);
    free(fx.inter_path);
    d = opendir(fx.dir);
    if (d) {
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
                char *p = tu_path_in(fx.dir, e->d_name);
                unlink(p);
                free(p);
            }
        }
        closedir(d);
    }
    tu_remove_dir(fx.dir);
    return 0;
}

/* ---- raw CMS, for signatures the module would never make ---------------- */

enum { RAW_ATTACHED = 1, RAW_NOATTR = 2, RAW_NOCERTS = 4, RAW_TWO = 8 };

static unsigned char *raw_sign(const leaf_t *l, const char *md, int opts, const void *data,
                               size_t len, size_t *outlen)
{
    unsigned int flags = CMS_BINARY | CMS_PARTIAL | CMS_NOSMIMECAP |
                         (opts & RAW_ATTACHED ? 0 : CMS_DETACHED);
    unsigned int sflags = CMS_BINARY | CMS_NOSMIMECAP | (opts & RAW_NOATTR ? CMS_NOATTR : 0) |
                          (opts & RAW_NOCERTS ? CMS_NOCERTS : 0);
    const EVP_MD *dg = EVP_get_digestbyname(md ? md : "SHA256");
    CMS_ContentInfo *cms = CMS_sign(NULL, NULL, NULL, NULL, flags);
    BIO *in = BIO_new_mem_buf(data, (int)len);
    unsigned char *der, *q;
    int n;

    assert_non_null(dg);
    assert_non_null(cms);
    assert_non_null(in);
    assert_non_null(CMS_add1_signer(cms, l->cert, l->key, dg, sflags));
    if (opts & RAW_TWO)
        assert_non_null(CMS_add1_signer(cms, leaves[L_RSA].cert, leaves[L_RSA].key,
                                        EVP_sha256(), sflags));
    assert_true(CMS_final(cms, in, NULL, CMS_BINARY));
    n = i2d_CMS_ContentInfo(cms, NULL);
    assert_true(n > 0);
    der = q = malloc((size_t)n);
    assert_non_null(der);
    assert_int_equal(i2d_CMS_ContentInfo(cms, &q), n);
    BIO_free(in);
    CMS_ContentInfo_free(cms);
    *outlen = (size_t)n;
    return der;
}

/* ---- the verification table --------------------------------------------- */

static const unsigned char content[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<VoucherBatch batchId=\"GVB-1-202601-1\">"
    "\r\n  <!-- bytes as they travel: CR LF, a NUL: \0 and \xff -->\n</VoucherBatch>\n";
#define CONTENT_LEN (sizeof content - 1)

typedef enum { M_NONE, M_CONTENT, M_SIGBYTE, M_TRUNCATE, M_TRAILING } mutate_t;

typedef struct vcase {
    const char *name;
    int leaf;
    int raw;              /* 1: raw_sign(md, opts), else the leaf's gv signer */
    const char *md;
    int opts;
    long long sign_at;    /* gv signer's signingTime, see T() */
    long long verify_at;
    mutate_t mutate;
    const char *expect;   /* NULL: must verify; else part of the message */
} vcase_t;

static const vcase_t vcases[] = {
    { "good EC", L_EC, 0, NULL, 0, 0, 0, M_NONE, NULL },
    { "good RSA", L_RSA, 0, NULL, 0, 0, 0, M_NONE, NULL },
    { "intermediate carried in the signature", L_INTER, 0, NULL, 0, 0, 0, M_NONE, NULL },
    { "signingTime within the skew", L_EC, 0, NULL, 0, 200, 0, M_NONE, NULL },
    { "signed long ago, cert still valid", L_EC, 0, NULL, 0, -100 * DAY, 0, M_NONE, NULL },
    { "no signed attributes", L_EC, 1, NULL, RAW_NOATTR, 0, 0, M_NONE, NULL },
    { "openssl-style raw EC", L_EC, 1, NULL, 0, 0, 0, M_NONE, NULL },

    { "tampered content EC", L_EC, 0, NULL, 0, 0, 0, M_CONTENT,
      "signature does not match the content" },
    { "tampered content RSA", L_RSA, 0, NULL, 0, 0, 0, M_CONTENT,
      "signature does not match the content" },
    { "tampered content, no signed attributes", L_EC, 1, NULL, RAW_NOATTR, 0, 0, M_CONTENT,
      "signature does not match the content" },
    { "tampered signature value", L_RSA, 0, NULL, 0, 0, 0, M_SIGBYTE,
      "signature value does not verify" },
    { "untrusted CA", L_OTHER, 0, NULL, 0, 0, 0, M_NONE,
      "signer not trusted: unable to get local issuer certificate" },
    { "intermediate not carried", L_INTER, 1, NULL, 0, 0, 0, M_NONE,
      "signer not trusted: unable to get local issuer certificate" },
    { "expired signer", L_EXPIRED, 0, NULL, 0, MID_JAN2020, 0, M_NONE,
      "signer certificate expired at 2020-02-01T00:00:00Z" },
    { "expired signer, received in time", L_EXPIRED, 0, NULL, 0, MID_JAN2020, MID_JAN2020 + 60,
      M_NONE, NULL },
    { "signer not yet valid", L_EC, 0, NULL, 0, -400 * DAY, -400 * DAY, M_NONE,
      "signer certificate not valid before " },
    { "signingTime in the future", L_EC, 0, NULL, 0, 3600, 0, M_NONE, "is in the future" },
    { "signingTime past the skew", L_EC, 0, NULL, 0, GV_SIG_CLOCK_SKEW + 5, 0, M_NONE,
      "is in the future" },
    { "signingTime before the certificate", L_EC, 0, NULL, 0, -400 * DAY, 0, M_NONE,
      "lies outside the signer certificate's validity" },
    { "no digitalSignature", L_NOKU_BIT, 1, NULL, 0, 0, 0, M_NONE,
      "keyUsage lacks digitalSignature" },
    { "no keyUsage", L_NOKU_EXT, 1, NULL, 0, 0, 0, M_NONE, "no keyUsage extension" },
    { "RSA-1024", L_RSA1024, 1, NULL, 0, 0, 0, M_NONE, "signer key is RSA-1024" },
    { "P-384", L_P384, 1, NULL, 0, 0, 0, M_NONE, "only P-256 is accepted" },
    { "SHA-1", L_EC, 1, "SHA1", 0, 0, 0, M_NONE, "digest must be SHA-256" },
    { "SHA-384", L_RSA, 1, "SHA384", 0, 0, 0, M_NONE, "digest must be SHA-256" },
    { "two signers", L_EC, 1, NULL, RAW_TWO, 0, 0, M_NONE, "exactly one signer required" },
    { "attached content", L_EC, 1, NULL, RAW_ATTACHED, 0, 0, M_NONE, "not detached" },
    { "signer certificate absent", L_EC, 1, NULL, RAW_NOCERTS, 0, 0, M_NONE,
      "signer certificate is not included" },
    { "truncated DER", L_EC, 0, NULL, 0, 0, 0, M_TRUNCATE, "signature is not DER CMS" },
    { "bytes after the DER", L_EC, 0, NULL, 0, 0, 0, M_TRAILING, "signature is not DER CMS" },
};

static unsigned char *make_sig(const vcase_t *c, size_t *len)
{
    const leaf_t *l = &leaves[c->leaf];
    unsigned char *der = NULL;
    gv_err_t err = { "" };

    if (c->raw)
        return raw_sign(l, c->md, c->opts, content, CONTENT_LEN, len);
    assert_non_null(l->signer);
    if (gv_sig_sign_mem(l->signer, content, CONTENT_LEN, T(c->sign_at), &der, len, &err) != 0)
        print_message("sign: %s\n", err.msg);
    assert_non_null(der);
    return der;
}

static int check_result(const vcase_t *c, const char *how, int rc, const gv_err_t *err,
                        const gv_sig_info_t *info)
{
    char fp[65];
    unsigned char md[32];
    unsigned int n;

    if (c->expect == NULL && rc != 0) {
        print_message("FAIL %s (%s): refused: %s\n", c->name, how, err->msg);
        return 1;
    }
    if (c->expect && (rc == 0 || !strstr(err->msg, c->expect))) {
        print_message("FAIL %s (%s): rc %d '%s', expected '%s'\n", c->name, how, rc,
                      rc ? err->msg : "", c->expect);
        return 1;
    }
    if (rc != 0)
        return 0;
    /* A good signature reports its signer. */
    assert_true(X509_digest(leaves[c->leaf].cert, EVP_sha256(), md, &n));
    for (unsigned int i = 0; i < n; i++)
        snprintf(fp + 2 * i, 3, "%02x", md[i]);
    if (strcmp(fp, info->fingerprint) || !strstr(info->subject, leaves[c->leaf].name) ||
        (!c->raw && info->signing_time != T(c->sign_at)) ||
        (c->raw && (c->opts & RAW_NOATTR) && info->signing_time != 0)) {
        print_message("FAIL %s (%s): info '%s' %s %lld\n", c->name, how, info->subject,
                      info->fingerprint, (long long)info->signing_time);
        return 1;
    }
    return 0;
}

static void test_verify_table(void **state)
{
    char *path = tu_path_in(fx.dir, "content.bin");
    unsigned char tampered[sizeof content];
    int failures = 0;
    (void)state;

    memcpy(tampered, content, sizeof content);
    tampered[40] ^= 0x01;

    for (size_t i = 0; i < TU_COUNT(vcases); i++) {
        const vcase_t *c = &vcases[i];
        size_t siglen = 0;
        unsigned char *sig = make_sig(c, &siglen);
        const unsigned char *data = c->mutate == M_CONTENT ? tampered : content;
        gv_sig_info_t info;
        gv_err_t err = { "" };
        int rc;

        switch (c->mutate) {
        case M_SIGBYTE:
            sig[siglen - 1] ^= 0x01;
            break;
        case M_TRUNCATE:
            siglen = siglen * 2 / 3;
            break;
        case M_TRAILING:
            sig = realloc(sig, siglen + 2);
            assert_non_null(sig);
            sig[siglen++] = 0;
            sig[siglen++] = 0;
            break;
        default:
            break;
        }

        rc = gv_sig_verify_mem(fx.ver, data, CONTENT_LEN, sig, siglen, T(c->verify_at), &info,
                               &err);
        failures += check_result(c, "mem", rc, &err, &info);

        write_bytes(path, data, CONTENT_LEN);
        err.msg[0] = '\0';
        rc = gv_sig_verify_file(fx.ver, path, sig, siglen, T(c->verify_at), &info, &err);
        failures += check_result(c, "file", rc, &err, &info);
        free(sig);
    }
    unlink(path);
    free(path);
    assert_int_equal(failures, 0);
}

/* A refusal still names who signed, for the log. */
static void test_refusal_names_signer(void **state)
{
    size_t len;
    unsigned char *sig = raw_sign(&leaves[L_OTHER], NULL, 0, content, CONTENT_LEN, &len);
    gv_sig_info_t info;
    gv_err_t err = { "" };
    (void)state;

    assert_int_equal(gv_sig_verify_mem(fx.ver, content, CONTENT_LEN, sig, len, fx.now, &info,
                                       &err), -1);
    assert_non_null(strstr(info.subject, "CN=other"));
    assert_int_equal(strlen(info.fingerprint), 64);
    free(sig);
}

static void test_not_a_signature(void **state)
{
    static const unsigned char garbage[] = "this is not a signature at all";
    gv_err_t err = { "" };
    unsigned char *der;
    int n;
    BIO *in;
    CMS_ContentInfo *data;
    (void)state;

    assert_int_equal(gv_sig_verify_mem(fx.ver, content, CONTENT_LEN, NULL, 0, fx.now, NULL,
                                       &err), -1);
    assert_string_equal(err.msg, "no signature");
    assert_int_equal(gv_sig_verify_mem(fx.ver, content, CONTENT_LEN, garbage, 0, fx.now, NULL,
                                       &err), -1);
    assert_string_equal(err.msg, "no signature");
    assert_int_equal(gv_sig_verify_mem(fx.ver, content, CONTENT_LEN, garbage, sizeof garbage - 1,
                                       fx.now, NULL, &err), -1);
    assert_string_equal(err.msg, "signature is not DER CMS");

    /* A certificate is DER but not CMS. */
    der = NULL;
    n = i2d_X509(leaves[L_EC].cert, &der);
    assert_true(n > 0);
    assert_int_equal(gv_sig_verify_mem(fx.ver, content, CONTENT_LEN, der, (size_t)n, fx.now,
                                       NULL, &err), -1);
    assert_string_equal(err.msg, "signature is not DER CMS");
    OPENSSL_free(der);

    /* CMS, but of type data. */
    in = BIO_new_mem_buf(content, (int)CONTENT_LEN);
    data = CMS_data_create(in, CMS_BINARY);
    assert_non_null(data);
    der = NULL;
    n = i2d_CMS_ContentInfo(data, &der);
    assert_true(n > 0);
    assert_int_equal(gv_sig_verify_mem(fx.ver, content, CONTENT_LEN, der, (size_t)n, fx.now,
                                       NULL, &err), -1);
    assert_non_null(strstr(err.msg, "not SignedData"));
    OPENSSL_free(der);
    CMS_ContentInfo_free(data);
    BIO_free(in);

    /* Missing content file: the check cannot be made, no verdict (-2). */
    assert_int_equal(gv_sig_verify_file(fx.ver, "/nonexistent/batch.xml", garbage, 4, fx.now,
                                        NULL, &err), -2);
    assert_non_null(strstr(err.msg, "cannot open /nonexistent/batch.xml"));
}

/* ---- signing ------------------------------------------------------------ */

static void test_sign_roundtrip(void **state)
{
    static const char crlf[] = "a\r\nb\r\n", lf[] = "a\nb\n";
    gv_sig_signer_t *s = leaves[L_EC].signer;
    gv_sig_info_t info;
    gv_err_t err = { "" };
    unsigned char *der = NULL;
    size_t len = 0;
    char *path = tu_path_in(fx.dir, "rt.bin");
    (void)state;

    /* Bytes are never canonicalised: CR LF and LF are different content. */
    assert_int_equal(gv_sig_sign_mem(s, crlf, strlen(crlf), fx.now, &der, &len, &err), 0);
    assert_int_equal(gv_sig_verify_mem(fx.ver, crlf, strlen(crlf), der, len, fx.now, &info, &err),
                     0);
    assert_int_equal(info.signing_time, fx.now);
    assert_int_equal(gv_sig_verify_mem(fx.ver, lf, strlen(lf), der, len, fx.now, NULL, &err), -1);
    assert_string_equal(err.msg, "signature does not match the content");
    free(der);

    /* Empty content is content. */
    assert_int_equal(gv_sig_sign_mem(s, NULL, 0, fx.now, &der, &len, &err), 0);
    assert_int_equal(gv_sig_verify_mem(fx.ver, "", 0, der, len, fx.now, NULL, &err), 0);
    assert_int_equal(gv_sig_verify_mem(fx.ver, "x", 1, der, len, fx.now, NULL, &err), -1);
    free(der);

    /* sign_file and sign_mem are interchangeable with verify_mem/_file. */
    write_bytes(path, content, CONTENT_LEN);
    assert_int_equal(gv_sig_sign_file(leaves[L_RSA].signer, path, fx.now, &der, &len, &err), 0);
    assert_int_equal(gv_sig_verify_mem(fx.ver, content, CONTENT_LEN, der, len, fx.now, NULL,
                                       &err), 0);
    assert_int_equal(gv_sig_verify_file(fx.ver, path, der, len, fx.now, NULL, &err), 0);
    free(der);
    assert_int_equal(gv_sig_sign_file(s, "/nonexistent/x", fx.now, &der, &len, &err), -1);
    assert_non_null(strstr(err.msg, "cannot open /nonexistent/x"));
    unlink(path);
    free(path);
}

static long max_rss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* 50 MB signs and verifies through the file, never held whole. */
static void test_large_file_streams(void **state)
{
    const size_t mb = 1024 * 1024, total = 50;
    char *path = tu_path_in(fx.dir, "big.bin");
    unsigned char *buf = malloc(mb);
    FILE *f = fopen(path, "wb");
    unsigned char *der = NULL;
    size_t len = 0;
    gv_err_t err = { "" };
    long before, after;
    (void)state;

    assert_non_null(buf);
    assert_non_null(f);
    for (size_t i = 0; i < total; i++) {
        for (size_t j = 0; j < mb; j++)
            buf[j] = (unsigned char)(i * 31 + j * 7 + (j >> 12));
        assert_int_equal(fwrite(buf, 1, mb, f), mb);
    }
    assert_int_equal(fclose(f), 0);
    free(buf);

    before = max_rss_kb();
    assert_int_equal(gv_sig_sign_file(leaves[L_EC].signer, path, fx.now, &der, &len, &err), 0);
    if (gv_sig_verify_file(fx.ver, path, der, len, fx.now, NULL, &err) != 0)
        fail_msg("%s", err.msg);
    after = max_rss_kb();
    print_message("peak RSS %ld kB before, %ld kB after 50 MB sign+verify\n", before, after);
    assert_true(after - before < 20 * 1024);

    /* One byte in the middle changes the answer. */
    f = fopen(path, "r+b");
    assert_non_null(f);
    assert_int_equal(fseek(f, (long)(25 * mb), SEEK_SET), 0);
    assert_int_equal(fputc(0x55 ^ (unsigned char)(25 * 31), f), 0x55 ^ (unsigned char)(25 * 31));
    assert_int_equal(fclose(f), 0);
    assert_int_equal(gv_sig_verify_file(fx.ver, path, der, len, fx.now, NULL, &err), -1);
    assert_string_equal(err.msg, "signature does not match the content");
    free(der);
    unlink(path);
    free(path);
}

static void test_signer_new_refuses(void **state)
{
    typedef struct {
        const char *name;
        int cert, key;        /* leaf indices; -1 = special path */
        const char *cert_override, *key_override;
        const char *expect;
    } scase_t;
    char *enc = tu_path_in(fx.dir, "encrypted.key");
    char *empty = tu_path_in(fx.dir, "empty.pem");
    const scase_t cases[] = {
        { "key of another cert", L_EC, L_RSA, NULL, NULL, "does not match the certificate" },
        { "RSA-1024", L_RSA1024, L_RSA1024, NULL, NULL, "signing key is RSA-1024" },
        { "P-384", L_P384, L_P384, NULL, NULL, "only P-256" },
        { "no digitalSignature", L_NOKU_BIT, L_NOKU_BIT, NULL, NULL, "lacks digitalSignature" },
        { "no keyUsage", L_NOKU_EXT, L_NOKU_EXT, NULL, NULL, "no keyUsage extension" },
        { "missing cert", L_EC, L_EC, "/nonexistent/c.pem", NULL,
          "cannot open /nonexistent/c.pem" },
        { "missing key", L_EC, L_EC, NULL, "/nonexistent/k.pem", "cannot open /nonexistent/k.pem" },
        { "cert file without cert", L_EC, L_EC, empty, NULL, "no PEM certificate" },
        { "encrypted key", L_EC, L_EC, NULL, enc, "no usable private key" },
        { "key file holds a cert", L_EC, L_EC, NULL, leaves[L_EC].cert_path,
          "no usable private key" },
    };
    FILE *f;
    int failures = 0;
    (void)state;

    tu_write_file(empty, "nothing here\n");
    f = fopen(enc, "w");
    assert_non_null(f);
    assert_true(PEM_write_PrivateKey(f, leaves[L_EC].key, EVP_aes_256_cbc(),
                                     (const unsigned char *)"secret", 6, NULL, NULL));
    assert_int_equal(fclose(f), 0);

    for (size_t i = 0; i < TU_COUNT(cases); i++) {
        const scase_t *c = &cases[i];
        gv_err_t err = { "" };
        gv_sig_signer_t *s = gv_sig_signer_new(
            c->cert_override ? c->cert_override : leaves[c->cert].cert_path,
            c->key_override ? c->key_override : leaves[c->key].key_path, NULL, &err);
        if (s || !strstr(err.msg, c->expect)) {
            print_message("FAIL %s: '%s', expected '%s'\n", c->name, s ? "accepted" : err.msg,
                          c->expect);
            failures++;
        }
        gv_sig_signer_free(s);
    }
    tu_remove(enc);
    tu_remove(empty);
    assert_int_equal(failures, 0);
}

/* The chain file may repeat the signer's certificate; it is included once. */
static void test_signer_chain_with_leaf(void **state)
{
    char *chain = write_pem("chain-dup.pem", leaves[L_INTER].cert, fx.ca[2], NULL);
    gv_err_t err = { "" };
    gv_sig_signer_t *s = gv_sig_signer_new(leaves[L_INTER].cert_path, leaves[L_INTER].key_path,
                                           chain, &err);
    unsigned char *der = NULL;
    size_t len;
    (void)state;

    if (!s)
        fail_msg("%s", err.msg);
    assert_int_equal(gv_sig_sign_mem(s, content, CONTENT_LEN, fx.now, &der, &len, &err), 0);
    assert_int_equal(gv_sig_verify_mem(fx.ver, content, CONTENT_LEN, der, len, fx.now, NULL,
                                       &err), 0);
    free(der);
    gv_sig_signer_free(s);
    tu_remove(chain);
}

static void test_verifier_new(void **state)
{
    gv_err_t err = { "" };
    gv_sig_verifier_t *v;
    char *empty = tu_path_in(fx.dir, "no-certs.pem");
    unsigned char *der;
    size_t len;
    (void)state;

    assert_null(gv_sig_verifier_new("/nonexistent/ca.pem", &err));
    assert_non_null(strstr(err.msg, "cannot open /nonexistent/ca.pem"));
    tu_write_file(empty, "# no certificates\n");
    assert_null(gv_sig_verifier_new(empty, &err));
    assert_non_null(strstr(err.msg, "no PEM certificate"));
    tu_remove(empty);

    /* Several anchors in one file: both CAs' signers are trusted. */
    v = gv_sig_verifier_new(fx.both_path, &err);
    assert_non_null(v);
    der = raw_sign(&leaves[L_OTHER], NULL, 0, content, CONTENT_LEN, &len);
    assert_int_equal(gv_sig_verify_mem(v, content, CONTENT_LEN, der, len, fx.now, NULL, &err), 0);
    assert_int_equal(gv_sig_verify_mem(fx.ver, content, CONTENT_LEN, der, len, fx.now, NULL, &err),
                     -1);
    free(der);
    gv_sig_verifier_free(v);

    /* An intermediate alone is an anchor: trust stops where configured. */
    v = gv_sig_verifier_new(fx.inter_path, &err);
    assert_non_null(v);
    der = raw_sign(&leaves[L_INTER], NULL, 0, content, CONTENT_LEN, &len);
    assert_int_equal(gv_sig_verify_mem(v, content, CONTENT_LEN, der, len, fx.now, NULL, &err), 0);
    free(der);
    der = raw_sign(&leaves[L_EC], NULL, 0, content, CONTENT_LEN, &len);
    assert_int_equal(gv_sig_verify_mem(v, content, CONTENT_LEN, der, len, fx.now, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "signer not trusted"));
    free(der);
    gv_sig_verifier_free(v);
}

/* ---- base64 ------------------------------------------------------------- */

static void test_base64_table(void **state)
{
    static const struct {
        const char *in;
        const char *out;    /* NULL: refused */
    } cases[] = {
        { "", "" },
        { "QQ==", "A" },
        { "QUI=", "AB" },
        { "QUJD", "ABC" },
        { "QUJDRA==", "ABCD" },
        { "QQ", NULL },            /* padding required */
        { "QQ=", NULL },
        { "Q Q==", NULL },         /* no whitespace anywhere */
        { "QQ==\n", NULL },
        { " QUJD", NULL },
        { "QUJD\r\n", NULL },
        { "QR==", NULL },          /* non-zero bits under the padding */
        { "QUJ=", NULL },
        { "=QQ=", NULL },
        { "QQ=A", NULL },
        { "Q===", NULL },
        { "====", NULL },
        { "QQ==QQ==", NULL },      /* padding only at the very end */
        { "-_-_", NULL },          /* URL-safe alphabet is not ours */
        { "QU.D", NULL },
    };
    int failures = 0;
    (void)state;

    for (size_t i = 0; i < TU_COUNT(cases); i++) {
        unsigned char *der = NULL;
        size_t len = 0;
        gv_err_t err = { "" };
        int rc = gv_sig_base64_decode(cases[i].in, &der, &len, &err);
        int good = cases[i].out ? rc == 0 && len == strlen(cases[i].out) &&
                                      memcmp(der, cases[i].out, len) == 0
                                : rc == -1 && strstr(err.msg, "invalid base64") != NULL;
        if (!good) {
            print_message("FAIL base64 '%s': rc %d len %zu err '%s'\n", cases[i].in, rc, len,
                          err.msg);
            failures++;
        }
        free(der);
    }
    assert_int_equal(failures, 0);
}

static void test_base64_roundtrip(void **state)
{
    unsigned char bytes[300];
    (void)state;

    for (size_t i = 0; i < sizeof bytes; i++)
        bytes[i] = (unsigned char)(i * 167 + 13);
    for (size_t n = 0; n <= sizeof bytes; n++) {
        char *b64 = gv_sig_base64_encode(bytes, n);
        unsigned char *der = NULL;
        size_t len = 0;
        gv_err_t err = { "" };
        unsigned char ref[4 * 101 + 1];

        assert_non_null(b64);
        assert_int_equal(strlen(b64), (n + 2) / 3 * 4);
        assert_null(strpbrk(b64, "\r\n "));
        /* Same text as OpenSSL's encoder. */
        assert_int_equal(EVP_EncodeBlock(ref, bytes, (int)n), (int)strlen(b64));
        assert_string_equal((char *)ref, b64);
        assert_int_equal(gv_sig_base64_decode(b64, &der, &len, &err), 0);
        assert_int_equal(len, n);
        assert_memory_equal(der, bytes, n);
        free(der);
        free(b64);
    }
}

/* A real signature goes through the header form unchanged. */
static void test_base64_signature(void **state)
{
    unsigned char *der = NULL, *back = NULL;
    size_t len = 0, blen = 0;
    gv_err_t err = { "" };
    char *b64;
    (void)state;

    assert_int_equal(gv_sig_sign_mem(leaves[L_EC].signer, content, CONTENT_LEN, fx.now, &der,
                                     &len, &err), 0);
    b64 = gv_sig_base64_encode(der, len);
    assert_non_null(b64);
    assert_int_equal(gv_sig_base64_decode(b64, &back, &blen, &err), 0);
    assert_int_equal(gv_sig_verify_mem(fx.ver, content, CONTENT_LEN, back, blen, fx.now, NULL,
                                       &err), 0);
    free(der);
    free(back);
    free(b64);
}

/* ---- the openssl command line, both ways --------------------------------- */

static int have_openssl(void)
{
    return system("command -v openssl >/dev/null 2>&1") == 0;
}

static int run(const char *cmd)
{
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_openssl_interop(void **state)
{
    static const int which[] = { L_EC, L_RSA, L_INTER };
    char *data = tu_path_in(fx.dir, "interop.xml");
    char *theirs = tu_path_in(fx.dir, "theirs.p7s");
    char *ours = tu_path_in(fx.dir, "ours.p7s");
    char *log = tu_path_in(fx.dir, "openssl.log");
    char *bad = tu_path_in(fx.dir, "interop-bad.xml");
    char cmd[4096];
    (void)state;

    if (!have_openssl()) {
        print_message("openssl not on PATH: interop skipped\n");
        skip();
    }
    write_bytes(data, content, CONTENT_LEN);
    write_bytes(bad, "tampered", 8);

    for (size_t i = 0; i < TU_COUNT(which); i++) {
        const leaf_t *l = &leaves[which[i]];
        unsigned char *der = NULL;
        size_t len = 0;
        gv_err_t err = { "" };
        gv_sig_info_t info;
        char *sig;

        /* theirs -> us */
        snprintf(cmd, sizeof cmd,
                 "openssl cms -sign -binary -outform DER -md sha256 -signer %s -inkey %s %s%s "
                 "-in %s -out %s 2>%s",
                 l->cert_path, l->key_path, l->issuer == 2 ? "-certfile " : "",
                 l->issuer == 2 ? fx.inter_path : "", data, theirs, log);
        assert_int_equal(run(cmd), 0);
        sig = tu_read_file(theirs, &len);
        if (gv_sig_verify_mem(fx.ver, content, CONTENT_LEN, (unsigned char *)sig, len,
                              time(NULL), &info, &err) != 0)
            fail_msg("%s: openssl's signature refused: %s", l->name, err.msg);
        assert_true(info.signing_time > 0);
        assert_int_equal(gv_sig_verify_file(fx.ver, data, (unsigned char *)sig, len, time(NULL),
                                            NULL, &err), 0);
        assert_int_equal(gv_sig_verify_file(fx.ver, bad, (unsigned char *)sig, len, time(NULL),
                                            NULL, &err), -1);
        free(sig);

        /* us -> theirs */
        assert_int_equal(gv_sig_sign_file(l->signer, data, time(NULL), &der, &len, &err), 0);
        write_bytes(ours, der, len);
        free(der);
        snprintf(cmd, sizeof cmd,
                 "openssl cms -verify -binary -inform DER -in %s -content %s -CAfile %s "
                 "-purpose any -out /dev/null 2>%s",
                 ours, data, fx.ca_path, log);
        if (run(cmd) != 0) {
            char *out = tu_read_file(log, NULL);
            fail_msg("%s: openssl refused our signature: %s", l->name, out);
        }
        /* and the check is not vacuous */
        snprintf(cmd, sizeof cmd,
                 "openssl cms -verify -binary -inform DER -in %s -content %s -CAfile %s "
                 "-purpose any -out /dev/null 2>%s",
                 ours, bad, fx.ca_path, log);
        assert_int_not_equal(run(cmd), 0);
    }
    tu_remove(data);
    tu_remove(theirs);
    tu_remove(ours);
    tu_remove(log);
    tu_remove(bad);
}

/* ---- threads ------------------------------------------------------------ */

typedef struct {
    const unsigned char *sig;
    size_t siglen;
    int failures;
} thr_t;

static void *thr_main(void *arg)
{
    thr_t *t = arg;

    for (int i = 0; i < 40; i++) {
        gv_err_t err;
        unsigned char *der = NULL;
        size_t len = 0;

        if (gv_sig_verify_mem(fx.ver, content, CONTENT_LEN, t->sig, t->siglen, fx.now, NULL,
                              &err) != 0)
            t->failures++;
        if (gv_sig_verify_mem(fx.ver, content, CONTENT_LEN - 1, t->sig, t->siglen, fx.now, NULL,
                              &err) != -1)
            t->failures++;
        if (gv_sig_sign_mem(leaves[i % 2 ? L_EC : L_RSA].signer, content, CONTENT_LEN, fx.now,
                            &der, &len, &err) != 0 ||
            gv_sig_verify_mem(fx.ver, content, CONTENT_LEN, der, len, fx.now, NULL, &err) != 0)
            t->failures++;
        free(der);
    }
    return NULL;
}

/* One verifier and one signer, shared read-only by several threads. */
static void test_threads_share(void **state)
{
    enum { N = 6 };
    pthread_t th[N];
    thr_t t[N];
    size_t len;
    unsigned char *sig = raw_sign(&leaves[L_EC], NULL, 0, content, CONTENT_LEN, &len);
    int failures = 0;
    (void)state;

    for (int i = 0; i < N; i++) {
        t[i] = (thr_t){ sig, len, 0 };
        assert_int_equal(pthread_create(&th[i], NULL, thr_main, &t[i]), 0);
    }
    for (int i = 0; i < N; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        failures += t[i].failures;
    }
    free(sig);
    assert_int_equal(failures, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_large_file_streams),
        cmocka_unit_test(test_verify_table),
        cmocka_unit_test(test_refusal_names_signer),
        cmocka_unit_test(test_not_a_signature),
        cmocka_unit_test(test_sign_roundtrip),
        cmocka_unit_test(test_signer_new_refuses),
        cmocka_unit_test(test_signer_chain_with_leaf),
        cmocka_unit_test(test_verifier_new),
        cmocka_unit_test(test_base64_table),
        cmocka_unit_test(test_base64_roundtrip),
        cmocka_unit_test(test_base64_signature),
        cmocka_unit_test(test_openssl_interop),
        cmocka_unit_test(test_threads_share),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
