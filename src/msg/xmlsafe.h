/* xmlsafe.h - reading untrusted XML: streaming, validated, bounded.
 *
 * Every message is read with libxml2's xmlTextReader (never the whole
 * document in a tree) and validated against the wallet XSD as it streams.
 * Refused before libxml2 sees a byte: bytes that are not UTF-8, and any
 * <!DOCTYPE or <!ENTITY (so no DTD, no entity, no entity-expansion bomb
 * costs anything).  libxml2 is told never to load external entities or
 * touch the network, and a global entity loader refuses every load.
 * Depth and element count are bounded.
 */
#ifndef GV_XMLSAFE_H
#define GV_XMLSAFE_H

#include <stddef.h>

#include <libxml/xmlreader.h>

#include "err.h"
#include "fault.h"

typedef struct gv_xml_limits {
    int max_depth;          /* default 64 */
    size_t max_elements;    /* 0 = no limit */
} gv_xml_limits_t;

typedef struct gv_xml_visitor {
    /* An element opens; attributes are read from r.  Return GV_FAULT_NONE
     * to go on, or a fault (with err set) to stop. */
    gv_fault_t (*start)(void *ud, int depth, const char *name, xmlTextReaderPtr r,
                        gv_err_t *err);
    /* An element closes; text is its character content (leaf elements). */
    gv_fault_t (*end)(void *ud, int depth, const char *name, const char *text, gv_err_t *err);
} gv_xml_visitor_t;

/* Once per process, before threads: loads the compiled-in XSD and locks
 * down libxml2's loaders.  0 or -1. */
int gv_xml_init(gv_err_t *err);
void gv_xml_cleanup(void);

/* Reads and validates buf.  Returns GV_FAULT_NONE, or MALFORMED /
 * SCHEMA_VIOLATION / TOO_LARGE / whatever the visitor returned, with a
 * message in err. */
gv_fault_t gv_xml_scan(const char *buf, size_t len, const gv_xml_limits_t *lim,
                       const gv_xml_visitor_t *v, void *ud, gv_err_t *err);

/* The same over a file, streamed: memory does not grow with its size. */
gv_fault_t gv_xml_scan_file(const char *path, const gv_xml_limits_t *lim,
                            const gv_xml_visitor_t *v, void *ud, gv_err_t *err);
/* Checks a whole document against the XSD (for tests and for our own
 * outgoing messages).  0 when valid. */
int gv_xml_validate(const char *buf, size_t len, gv_err_t *err);

#endif
