/* sig.h - detached CMS signatures over exact bytes (wallet-interface.md,
 * "Signatures").
 *
 * Batches and replies are signed as detached CMS SignedData (RFC 5652,
 * DER) over the body exactly as it travels: no canonicalisation, no line
 * ending games, so the SHA-256 that identifies a batch and the bytes that
 * were signed are the same bytes.  Everything cryptographic sits behind
 * this header so that a GOST implementation (the national CA's keys) can
 * replace sig.c alone; callers never see an OpenSSL type.
 *
 * The policy lives here, not in callers: SHA-256 digest; RSA of 2048 bits
 * or more, or ECDSA on P-256; exactly one signer whose certificate travels
 * in the signature, carries keyUsage with digitalSignature, is valid at the
 * moment the bytes arrived and chains to a configured trust anchor; a
 * signingTime, when present, inside that validity and not in the future.
 *
 * Verifiers and signers are immutable after creation and may be shared by
 * any number of threads at once.
 */
#ifndef GV_SIG_H
#define GV_SIG_H

#include <stddef.h>
#include <time.h>

#include "err.h"

/* How far a signingTime may lie after the moment of receipt: clocks of two
 * organisations are never quite in step. */
#define GV_SIG_CLOCK_SKEW 300

/* ---- verifying ---------------------------------------------------------- */

/* The trust anchor(s) for the wallet's signing certificates. */
typedef struct gv_sig_verifier gv_sig_verifier_t;

/* ca_file: PEM, one or more certificates.  Every certificate in it is a
 * trust anchor, self-signed or not (so an intermediate of the national CA
 * may be pinned on its own).  NULL with err set when the file cannot be
 * read or holds no certificate. */
gv_sig_verifier_t *gv_sig_verifier_new(const char *ca_file, gv_err_t *err);
void gv_sig_verifier_free(gv_sig_verifier_t *v);

typedef struct gv_sig_info {
    char subject[256];      /* signer's subject, RFC 2253, truncated if long */
    char fingerprint[65];   /* SHA-256 of the signer certificate's DER, hex */
    time_t signing_time;    /* the signingTime attribute, 0 if absent */
} gv_sig_info_t;

/* Verifies sig (DER CMS, detached) over data.  at: when the bytes were
 * received, seconds since the epoch; every time check uses it, never the
 * clock.  Returns 0 when good; -1 with err naming what failed; -2 when the
 * check could not be made (the content could not be read, out of memory):
 * no verdict on the signature, try again.  info (may
 * be NULL) is zeroed first and then filled as far as the check got, also on
 * failure, so a refusal can be logged with the signer's name. */
int gv_sig_verify_mem(const gv_sig_verifier_t *v, const void *data, size_t len,
                      const unsigned char *sig, size_t siglen, time_t at,
                      gv_sig_info_t *info, gv_err_t *err);

/* The same over a file's content, read in small pieces (files may be
 * large).  The cheap checks run before the file is read. */
int gv_sig_verify_file(const gv_sig_verifier_t *v, const char *path,
                       const unsigned char *sig, size_t siglen, time_t at,
                       gv_sig_info_t *info, gv_err_t *err);

/* ---- signing ------------------------------------------------------------ */

/* The provider's signing key and certificate, plus optional intermediates. */
typedef struct gv_sig_signer gv_sig_signer_t;

/* cert_file, key_file: PEM (the key unencrypted); chain_file: PEM
 * certificates to include beside the signer's, or NULL.  Refuses a key
 * that does not match the certificate and a certificate the wallet would
 * refuse for its key type, size or key usage (validity is not checked:
 * that depends on the moment of signing). */
gv_sig_signer_t *gv_sig_signer_new(const char *cert_file, const char *key_file,
                                   const char *chain_file, gv_err_t *err);
void gv_sig_signer_free(gv_sig_signer_t *s);

/* Detached DER CMS, SHA-256, signingTime = at, signer certificate (and the
 * chain) included.  *der is malloc'd; free() it.  0 or -1. */
int gv_sig_sign_mem(const gv_sig_signer_t *s, const void *data, size_t len, time_t at,
                    unsigned char **der, size_t *derlen, gv_err_t *err);
int gv_sig_sign_file(const gv_sig_signer_t *s, const char *path, time_t at,
                     unsigned char **der, size_t *derlen, gv_err_t *err);

/* ---- X-Signature header ------------------------------------------------- */

/* Standard alphabet with padding, one line.  malloc'd, NUL-terminated;
 * NULL only when out of memory. */
char *gv_sig_base64_encode(const unsigned char *der, size_t len);

/* Strict: standard alphabet, padding required, no whitespace, no
 * non-canonical trailing bits.  "" decodes to zero bytes.  *der is
 * malloc'd (never NULL on success).  0 or -1. */
int gv_sig_base64_decode(const char *b64, unsigned char **der, size_t *len, gv_err_t *err);

#endif
