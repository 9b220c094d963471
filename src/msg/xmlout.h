/* xmlout.h - the one way gasvoucher writes XML: libxml2's xmlTextWriter,
 * every value escaped by it, into a durable file (results, redemption
 * reports) or into memory (answers).
 *
 * A file is written to PATH.tmp, fsync'd and renamed into place by
 * gv_xml_commit, so a reader sees the whole document or none; the SHA-256
 * of its bytes comes back for the outbox.
 */
#ifndef GV_XMLOUT_H
#define GV_XMLOUT_H

#include <stdint.h>

#include "buf.h"
#include "err.h"

#define GV_WALLET_NS "urn:socialwallet:gas-voucher:v1"

typedef struct gv_xml_out gv_xml_out_t;

/* A document to path (via path.tmp); NULL with err on failure. */
gv_xml_out_t *gv_xml_file(const char *path, gv_err_t *err);
/* A document into memory; gv_xml_finish appends it to out. */
gv_xml_out_t *gv_xml_memory(gv_err_t *err);

/* Elements and attributes; the first element carries the wallet's
 * namespace.  Each returns 0, or -1 (the document is then abandoned). */
int gv_xml_start(gv_xml_out_t *x, const char *element);
int gv_xml_attr(gv_xml_out_t *x, const char *name, const char *value);
int gv_xml_attr_int(gv_xml_out_t *x, const char *name, int64_t value);
/* An attribute only when value is not empty. */
int gv_xml_attr_opt(gv_xml_out_t *x, const char *name, const char *value);
/* <name>text</name> */
int gv_xml_text_element(gv_xml_out_t *x, const char *name, const char *text);
int gv_xml_end(gv_xml_out_t *x);

/* After a call that failed: why, for the caller's message ("out of
 * memory", the failed write's error, or "the XML writer failed"). */
const char *gv_xml_why(const gv_xml_out_t *x);

/* File: ends the document, makes it durable at its path and writes the
 * SHA-256 of its bytes to sha256 (NULL: not needed).  Memory: appends
 * the document to out.  Frees x either way. */
int gv_xml_commit(gv_xml_out_t *x, char sha256[65], gv_buf_t *out, gv_err_t *err);
/* Drops an unfinished document (and its temporary file). */
void gv_xml_abandon(gv_xml_out_t *x);

#endif
