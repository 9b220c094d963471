/* tlsallow.h - the wallet listener's allow-list of client certificates.
 *
 * For a site whose wallet CA also issues certificates to others: on top of
 * the chain to [wallet] tls_client_ca, a client certificate must be named
 * in [wallet] tls_client_allow, one per line, by its SHA-256 fingerprint
 * or by its subject:
 *
 *     # the wallet's production client
 *     sha256 3F:2A:...:9C          (64 hex digits, colons optional)
 *     subject CN=wallet-client,O=Social Wallet,C=KZ
 *
 * A subject is the RFC 4514 string gasvoucherd logs for a connection (as
 * `openssl x509 -noout -subject -nameopt RFC2253` prints it), compared
 * exactly.  The file is read with the configuration, so SIGHUP reloads it.
 */
#ifndef GV_TLSALLOW_H
#define GV_TLSALLOW_H

#include <stddef.h>

#include "err.h"

typedef struct gv_tls_allow gv_tls_allow_t;

/* Reads and checks the file; NULL with every problem (file and line) in
 * errs.  Free with gv_tls_allow_free. */
gv_tls_allow_t *gv_tls_allow_load(const char *path, gv_errlist_t *errs);
void gv_tls_allow_free(gv_tls_allow_t *allow);

/* Whether a certificate with this SHA-256 fingerprint and subject is
 * listed (by either). */
int gv_tls_allow_match(const gv_tls_allow_t *allow, const unsigned char sha256[32],
                       const char *subject);
const char *gv_tls_allow_path(const gv_tls_allow_t *allow);
size_t gv_tls_allow_count(const gv_tls_allow_t *allow);

#endif
