/* inject.h - failure injection, for tests only.
 *
 * A build configured with --enable-fault-injection (never a production
 * one) reads the environment variable
 *
 *     GV_FAULT=KIND:K[:SQLSTATE[:after]]
 *
 * and makes the K-th call of that kind in the process fail, once, the way
 * the real failure would:
 *
 *   odbc   a call into the ODBC driver manager (src/odbc/db.c, the only
 *          ODBC layer) whose failure the program sees: it is not made and
 *          returns SQL_ERROR, its diagnostic SQLSTATE (default HY000,
 *          permanent; 40001 a deadlock, 08S01 a lost connection); with
 *          :after it is made first, as when the answer is lost on its way
 *          back (a COMMIT carried out, the connection gone).  Not
 *          counted: SQLGetDiagRec (reading a failure) and the releases
 *          SQLFreeHandle and SQLDisconnect (nothing to do when they fail).
 *          GV_FAULT=odbc/NAME:K[:SQLSTATE[:after]] counts the calls of the
 *          function NAME only (odbc/SQLFetch:3:22018: the third fetch
 *          refused as a value the driver cannot convert);
 *   alloc  an allocation by gasvoucher's own code (malloc, calloc, realloc,
 *          strdup, strndup, through the macros below, which the build
 *          forces into every file): NULL with errno ENOMEM.  What libraries
 *          allocate for themselves is not counted: their failures reach
 *          gasvoucher as the failure of the library call;
 *   write  a write or an fsync of a file gasvoucher keeps: gv_write_all and
 *          gv_fsync_fd (fsutil.h), through which every durable file, the
 *          spool, the outbox and the XML documents go: -1 with errno ENOSPC
 *          (write) or EIO (fsync).
 *
 * The fault is named on stderr when it fires ("gasvoucher: injected fault:
 * odbc call 17 of the process: SQLExecute"); a process that ends without
 * reaching K says so ("... odbc:40 not reached: 31 calls"), which is how a
 * test stepping K = 1, 2, ... knows it has been through every call.  Calls
 * are counted across threads (a billing run reads on a second one), so
 * there the K-th call may differ between runs; each is named when it fails.
 *
 * Why hooks rather than an LD_PRELOAD shim: an interposed malloc, write or
 * fsync would count every library's calls (libxml2, OpenSSL, unixODBC and
 * the drivers), thousands a flow, too many to step through and not
 * gasvoucher's to handle; and the ODBC calls are in one file already.
 */
#ifndef GV_INJECT_H
#define GV_INJECT_H

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

typedef enum { GV_INJECT_ODBC, GV_INJECT_ALLOC, GV_INJECT_WRITE } gv_inject_kind_t;

#ifdef GV_FAULT_INJECTION

/* 1 when this call (what names it) is the one to fail. */
int gv_inject(gv_inject_kind_t kind, const char *what);
/* gv_inject(GV_INJECT_WRITE) for op ("write", "fsync") on file
 * descriptor fd, which names its file when it fires. */
int gv_inject_file(const char *op, int fd);
/* The SQLSTATE of the ODBC fault injected into the last call of this
 * thread, NULL when that call was made.  The next counted call clears it,
 * as a driver's diagnostics are cleared by the next call on a handle. */
const char *gv_inject_odbc_state(void);
/* 1 when the failing call is to be made first (:after). */
int gv_inject_odbc_after(void);

/* The allocations, each told where it was called from. */
void *gv_inject_malloc(size_t n, const char *file, int line);
void *gv_inject_calloc(size_t n, size_t size, const char *file, int line);
void *gv_inject_realloc(void *p, size_t n, const char *file, int line);
char *gv_inject_strdup(const char *s, const char *file, int line);
char *gv_inject_strndup(const char *s, size_t n, const char *file, int line);

/* Forced into every file by the build (-include), after the system's
 * declarations above; inject.c undoes them for itself. */
#undef malloc
#undef calloc
#undef realloc
#undef strdup
#undef strndup
#define malloc(n) gv_inject_malloc(n, __FILE__, __LINE__)
#define calloc(n, size) gv_inject_calloc(n, size, __FILE__, __LINE__)
#define realloc(p, n) gv_inject_realloc(p, n, __FILE__, __LINE__)
#define strdup(s) gv_inject_strdup(s, __FILE__, __LINE__)
#define strndup(s, n) gv_inject_strndup(s, n, __FILE__, __LINE__)

#else

#define gv_inject(kind, what) 0
#define gv_inject_file(op, fd) 0
#define gv_inject_odbc_state() ((const char *)NULL)
#define gv_inject_odbc_after() 0

#endif

#endif
