/* httpd.h - the wallet listener and the operations listener
 * (libmicrohttpd; TLS through GnuTLS with a client certificate required at
 * the handshake). */
#ifndef GV_HTTPD_H
#define GV_HTTPD_H

#include "err.h"
#include "runtime.h"

typedef struct gv_server gv_server_t;

/* Starts both listeners with rt's [wallet] and [ops] settings. */
gv_server_t *gv_server_start(gv_runtime_t *rt, gv_err_t *err);
/* Puts a newly loaded configuration in place (SIGHUP).  Listener settings
 * (addresses, certificates, threads) take effect only at restart. */
void gv_server_swap(gv_server_t *srv, gv_runtime_t *rt);
/* fn(ud) is called (from a worker thread) after a pushed batch is stored,
 * so processing can start. */
void gv_server_set_batch_hook(gv_server_t *srv, void (*fn)(void *), void *ud);
/* Stops accepting, waits up to drain_timeout for requests in flight, then
 * stops everything and frees srv. */
void gv_server_stop(gv_server_t *srv);

#endif
