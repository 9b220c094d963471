/* xmlsafe.c - secure streaming XML reading and XSD validation. */
#include "config.h"
#include "xmlsafe.h"
#include "utf8.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/xmlschemas.h>

extern const unsigned char gv_xsd_data[];
extern const size_t gv_xsd_size;

static xmlSchemaPtr schema;

#define READER_OPTIONS \
    (XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_NOWARNING | XML_PARSE_NOERROR)

/* A thread's reader and validation context for messages in memory, made
 * once and set up again for each message (making them was most of the
 * cost of reading an account check).  Freed when the thread ends. */
typedef struct reuse {
    xmlTextReaderPtr r;
    xmlSchemaValidCtxtPtr v;
} reuse_t;

static pthread_key_t reuse_key;
static pthread_once_t reuse_once = PTHREAD_ONCE_INIT;

static void reuse_free(void *p)
{
    reuse_t *u = p;

    if (!u)
        return;
    if (u->r)
        xmlFreeTextReader(u->r);
    if (u->v)
        xmlSchemaFreeValidCtxt(u->v);
    free(u);
}

static void reuse_key_init(void)
{
    pthread_key_create(&reuse_key, reuse_free);
}

/* The calling thread's reader, set up for buf; NULL when one cannot be
 * had (the caller then makes its own). */
static reuse_t *reuse_for(const char *buf, size_t len)
{
    reuse_t *u;

    pthread_once(&reuse_once, reuse_key_init);
    if (!(u = pthread_getspecific(reuse_key))) {
        if (!(u = calloc(1, sizeof *u)))
            return NULL;
        if (!(u->v = xmlSchemaNewValidCtxt(schema)) ||
            !(u->r = xmlReaderForMemory(buf, (int)len, NULL, NULL, READER_OPTIONS)) ||
            pthread_setspecific(reuse_key, u) != 0) {
            reuse_free(u);
            return NULL;
        }
        return u;
    }
    if (xmlReaderNewMemory(u->r, buf, (int)len, NULL, NULL, READER_OPTIONS) != 0) {
        pthread_setspecific(reuse_key, NULL);
        reuse_free(u);
        return NULL;
    }
    return u;
}


static xmlParserInputPtr refuse_loader(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
    (void)url; (void)id; (void)ctxt;
    return NULL;     /* nothing is ever loaded from outside the message */
}

static void silent(void *ctx, const char *msg, ...)
{
    (void)ctx; (void)msg;
}

int gv_xml_init(gv_err_t *err)
{
    xmlSchemaParserCtxtPtr pctxt;

    xmlInitParser();
    xmlSetGenericErrorFunc(NULL, silent);
    pctxt = xmlSchemaNewMemParserCtxt((const char *)gv_xsd_data, (int)gv_xsd_size);
    if (!pctxt) {
        gv_err_set(err, "cannot read the compiled-in wallet XSD");
        return -1;
    }
    schema = xmlSchemaParse(pctxt);
    xmlSchemaFreeParserCtxt(pctxt);
    if (!schema) {
        gv_err_set(err, "the compiled-in wallet XSD does not parse");
        return -1;
    }
    xmlSetExternalEntityLoader(refuse_loader);
    return 0;
}

void gv_xml_cleanup(void)
{
    /* This thread's reader (other threads' went with them). */
    pthread_once(&reuse_once, reuse_key_init);
    reuse_free(pthread_getspecific(reuse_key));
    pthread_setspecific(reuse_key, NULL);
    if (schema)
        xmlSchemaFree(schema);
    schema = NULL;
    xmlCleanupParser();
}

struct scan_state {
    gv_fault_t fault;
    gv_err_t *err;
};

static void record(struct scan_state *st, gv_fault_t f, const xmlError *e)
{
    char msg[600];
    size_t n;

    /* The first problem is the one reported, except that a document that
     * is not well-formed is MALFORMED even when validation complained
     * first (the validator sees an unknown root before the parser sees
     * the nesting or the broken end). */
    if (st->fault != GV_FAULT_NONE &&
        !(st->fault == GV_FAULT_SCHEMA_VIOLATION && f == GV_FAULT_MALFORMED))
        return;
    snprintf(msg, sizeof msg, "line %d: %s", e->line, e->message ? e->message : "error");
    n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
        msg[--n] = '\0';
    st->fault = f;
    gv_err_set(st->err, "%s", msg);
}

/* The reader passes validation errors through its own handler too, so
 * the error's domain, not the handler, says which fault it is. */
static void on_error(void *ud, xmlErrorPtr e)
{
    record(ud, e->domain == XML_FROM_SCHEMASV || e->domain == XML_FROM_SCHEMASP ||
                       e->domain == XML_FROM_VALID
                   ? GV_FAULT_SCHEMA_VIOLATION
                   : GV_FAULT_MALFORMED,
           e);
}

/* The declared encoding, when there is one, must be UTF-8. */
static int declared_encoding_ok(xmlTextReaderPtr r)
{
    const xmlChar *enc = xmlTextReaderConstEncoding(r);
    return !enc || !strcasecmp((const char *)enc, "UTF-8");
}

/* Reads r to the end, validating with vctxt, calling the visitor.  Both
 * are the caller's. */
static gv_fault_t scan_with(xmlTextReaderPtr r, xmlSchemaValidCtxtPtr vctxt,
                            const gv_xml_limits_t *lim, const gv_xml_visitor_t *v, void *ud,
                            gv_err_t *err)
{
    struct scan_state st = { GV_FAULT_NONE, err };
    size_t elements = 0;
    int max_depth = lim && lim->max_depth ? lim->max_depth : 64;
    char text[4096];
    size_t text_len = 0;
    int rc = 0, checked_encoding = 0;

    if (!r || !vctxt) {
        gv_err_set(err, "out of memory");
        st.fault = GV_FAULT_INTERNAL;
        goto done;
    }
    xmlTextReaderSetStructuredErrorHandler(r, on_error, &st);
    xmlSchemaSetValidStructuredErrors(vctxt, on_error, &st);
    if (xmlTextReaderSchemaValidateCtxt(r, vctxt, 0) != 0) {
        gv_err_set(err, "cannot start schema validation");
        st.fault = GV_FAULT_INTERNAL;
        goto done;
    }
    /* After a schema violation, reading goes on (without the visitor) only
     * to see whether the document is also not well-formed. */
    while ((st.fault == GV_FAULT_NONE || st.fault == GV_FAULT_SCHEMA_VIOLATION) &&
           (rc = xmlTextReaderRead(r)) == 1) {
        const gv_xml_visitor_t *vis = st.fault == GV_FAULT_NONE ? v : NULL;
        int type = xmlTextReaderNodeType(r);
        int depth = xmlTextReaderDepth(r);
        const char *name;

        if (!checked_encoding) {
            checked_encoding = 1;
            if (!declared_encoding_ok(r)) {
                gv_err_set(err, "the XML declaration names an encoding other than UTF-8");
                st.fault = GV_FAULT_MALFORMED;
                break;
            }
        }
        if (depth >= max_depth) {
            gv_err_set(err, "nesting deeper than %d", max_depth);
            st.fault = GV_FAULT_MALFORMED;
            break;
        }
        if (st.fault != GV_FAULT_NONE && type != XML_READER_TYPE_DOCUMENT_TYPE &&
            type != XML_READER_TYPE_ENTITY_REFERENCE) {
            /* The root's attributes still let a Fault name the requestId. */
            if (type == XML_READER_TYPE_ELEMENT && depth == 0 && v && v->start) {
                gv_err_t ignored;
                v->start(ud, depth, (const char *)xmlTextReaderConstLocalName(r), r, &ignored);
            }
            continue;
        }
        switch (type) {
        case XML_READER_TYPE_DOCUMENT_TYPE:
        case XML_READER_TYPE_ENTITY_REFERENCE:
        case XML_READER_TYPE_ENTITY:
            gv_err_set(err, "DTDs and entities are not allowed");
            st.fault = GV_FAULT_MALFORMED;
            break;
        case XML_READER_TYPE_ELEMENT:
            if (lim && lim->max_elements && ++elements > lim->max_elements) {
                gv_err_set(err, "more than %zu elements", lim->max_elements);
                st.fault = GV_FAULT_TOO_LARGE;
                break;
            }
            name = (const char *)xmlTextReaderConstLocalName(r);
            text_len = 0;
            text[0] = '\0';
            if (vis && vis->start)
                st.fault = vis->start(ud, depth, name, r, err);
            if (st.fault == GV_FAULT_NONE && xmlTextReaderIsEmptyElement(r) && vis && vis->end)
                st.fault = vis->end(ud, depth, name, "", err);
            break;
        case XML_READER_TYPE_TEXT:
        case XML_READER_TYPE_CDATA:
        case XML_READER_TYPE_SIGNIFICANT_WHITESPACE: {
            const char *t = (const char *)xmlTextReaderConstValue(r);
            size_t tl = t ? strlen(t) : 0;
            if (text_len + tl >= sizeof text) {
                gv_err_set(err, "text content longer than %zu bytes", sizeof text - 1);
                st.fault = GV_FAULT_SCHEMA_VIOLATION;
                break;
            }
            memcpy(text + text_len, t, tl);
            text_len += tl;
            text[text_len] = '\0';
            break;
        }
        case XML_READER_TYPE_END_ELEMENT:
            name = (const char *)xmlTextReaderConstLocalName(r);
            if (vis && vis->end)
                st.fault = vis->end(ud, depth, name, text, err);
            text_len = 0;
            text[0] = '\0';
            break;
        default:
            break;
        }
    }
    if ((st.fault == GV_FAULT_NONE || st.fault == GV_FAULT_SCHEMA_VIOLATION) && rc < 0) {
        gv_err_set(err, "not well-formed XML");
        st.fault = GV_FAULT_MALFORMED;
    }
    if (st.fault == GV_FAULT_NONE && xmlTextReaderIsValid(r) != 1) {
        gv_err_set(err, "does not validate against the wallet schema");
        st.fault = GV_FAULT_SCHEMA_VIOLATION;
    }
done:
    return st.fault;
}

/* Reads r to the end, validating, calling the visitor.  Takes r. */
static gv_fault_t scan_reader(xmlTextReaderPtr r, const gv_xml_limits_t *lim,
                              const gv_xml_visitor_t *v, void *ud, gv_err_t *err)
{
    xmlSchemaValidCtxtPtr vctxt = xmlSchemaNewValidCtxt(schema);
    gv_fault_t f = scan_with(r, vctxt, lim, v, ud, err);

    if (r)
        xmlFreeTextReader(r);
    if (vctxt)
        xmlSchemaFreeValidCtxt(vctxt);
    return f;
}

gv_fault_t gv_xml_scan(const char *buf, size_t len, const gv_xml_limits_t *lim,
                       const gv_xml_visitor_t *v, void *ud, gv_err_t *err)
{
    size_t bad;

    if (!gv_utf8_valid(buf, len, &bad)) {
        gv_err_set(err, "not UTF-8: bad byte at offset %zu", bad);
        return GV_FAULT_MALFORMED;
    }
    if (memmem(buf, len, "<!DOCTYPE", 9) || memmem(buf, len, "<!ENTITY", 8)) {
        gv_err_set(err, "a DOCTYPE or ENTITY declaration is not allowed");
        return GV_FAULT_MALFORMED;
    }
    if (len > (size_t)0x7fffffff) {
        gv_err_set(err, "document too large");
        return GV_FAULT_TOO_LARGE;
    }
    if (schema) {
        /* A reader set up again does not look for a byte order mark (libxml2
         * 2.9): it is taken off here, as a new reader would. */
        size_t bom = len >= 3 && !memcmp(buf, "\xEF\xBB\xBF", 3) ? 3 : 0;
        reuse_t *u = reuse_for(buf + bom, len - bom);
        if (u) {
            gv_fault_t f = scan_with(u->r, u->v, lim, v, ud, err);
            /* Let go of the message (the reader keeps no pointer into it
             * past here) and of a document that did not end well. */
            xmlTextReaderClose(u->r);
            return f;
        }
    }
    return scan_reader(xmlReaderForMemory(buf, (int)len, NULL, NULL, READER_OPTIONS), lim, v,
                       ud, err);
}

/* The checks gv_xml_scan makes on a buffer, made on a file a chunk at a
 * time so a batch of any size costs a fixed amount of memory.  The buffer
 * holds, in order: the last KEEP bytes already checked (so a "<!DOCTYPE"
 * cut by a chunk's end is still seen), the start of a multi-byte sequence
 * the last chunk cut, and the new bytes; only the last two are checked as
 * UTF-8. */
static gv_fault_t precheck_file(int fd, gv_err_t *err)
{
    enum { CHUNK = 1 << 20, KEEP = 8, CARRY = 4 };
    char *buf = malloc(KEEP + CARRY + CHUNK);
    size_t tail = 0, carry = 0, consumed = 0;
    gv_fault_t f = GV_FAULT_NONE;

    if (!buf) {
        gv_err_set(err, "out of memory");
        return GV_FAULT_INTERNAL;
    }
    for (;;) {
        ssize_t n = read(fd, buf + tail + carry, CHUNK);
        size_t len, avail, ok, bad, end, keep;
        if (n < 0) {
            gv_err_set(err, "read: %s", strerror(errno));
            f = GV_FAULT_INTERNAL;
            break;
        }
        len = tail + carry + (size_t)n;
        if (memmem(buf, len, "<!DOCTYPE", 9) || memmem(buf, len, "<!ENTITY", 8)) {
            gv_err_set(err, "a DOCTYPE or ENTITY declaration is not allowed");
            f = GV_FAULT_MALFORMED;
            break;
        }
        avail = len - tail;
        ok = n == 0 ? avail : gv_utf8_complete_prefix(buf + tail, avail);
        if (!gv_utf8_valid(buf + tail, ok, &bad)) {
            gv_err_set(err, "not UTF-8: bad byte at offset %zu", consumed + bad);
            f = GV_FAULT_MALFORMED;
            break;
        }
        if (n == 0)
            break;
        consumed += ok;
        end = tail + ok;
        keep = end < KEEP ? end : KEEP;
        carry = avail - ok;
        memmove(buf, buf + end - keep, keep + carry);
        tail = keep;
    }
    free(buf);
    return f;
}

gv_fault_t gv_xml_scan_file(const char *path, const gv_xml_limits_t *lim,
                            const gv_xml_visitor_t *v, void *ud, gv_err_t *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    gv_fault_t f;

    if (fd < 0) {
        gv_err_set(err, "%s: %s", path, strerror(errno));
        return GV_FAULT_INTERNAL;
    }
    f = precheck_file(fd, err);
    if (f == GV_FAULT_NONE && lseek(fd, 0, SEEK_SET) != 0) {
        gv_err_set(err, "%s: %s", path, strerror(errno));
        f = GV_FAULT_INTERNAL;
    }
    if (f == GV_FAULT_NONE)
        f = scan_reader(xmlReaderForFd(fd, NULL, NULL, READER_OPTIONS), lim, v, ud, err);
    close(fd);
    return f;
}

int gv_xml_validate(const char *buf, size_t len, gv_err_t *err)
{
    return gv_xml_scan(buf, len, NULL, NULL, NULL, err) == GV_FAULT_NONE ? 0 : -1;
}
