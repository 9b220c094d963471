/* xmlout.c - writing XML through xmlTextWriter (see xmlout.h). */
#include "config.h"
#include "xmlout.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/xmlwriter.h>

#include "fsutil.h"

struct gv_xml_out {
    xmlTextWriterPtr w;
    xmlBufferPtr mem;               /* memory documents */
    int fd;                         /* file documents (-1: none) */
    int write_errno;                /* of the write that failed, 0 */
    int out_of_memory;              /* a value could not be made XML */
    char path[PATH_MAX], tmp[PATH_MAX + 8];
    int depth;
    gv_buf_t clean;                 /* a value as XML can carry it */
};

/* value with what XML 1.0 cannot carry replaced (gv_buf_xml_chars): an
 * answer echoes what a caller sent and must stay well-formed. */
static const xmlChar *carried(gv_xml_out_t *x, const char *value)
{
    gv_buf_reset(&x->clean);
    if (gv_buf_xml_chars(&x->clean, value ? value : "") < 0) {
        x->out_of_memory = errno == ENOMEM;
        return NULL;
    }
    return BAD_CAST(x->clean.data ? x->clean.data : "");
}

static gv_xml_out_t *start_document(gv_xml_out_t *x, gv_err_t *err)
{
    if (!x->w || xmlTextWriterSetIndent(x->w, 1) < 0 ||
        xmlTextWriterSetIndentString(x->w, BAD_CAST "  ") < 0 ||
        xmlTextWriterStartDocument(x->w, "1.0", "UTF-8", NULL) < 0) {
        gv_err_set(err, "%s: cannot start an XML document", x->fd >= 0 ? x->tmp : "memory");
        gv_xml_abandon(x);
        return NULL;
    }
    return x;
}

/* libxml2's output goes to the file through gv_write_all, the one way
 * gasvoucher writes a file it keeps. */
static int write_out(void *ctx, const char *data, int len)
{
    gv_xml_out_t *x = ctx;

    if (gv_write_all(x->fd, data, (size_t)len) < 0) {
        x->write_errno = errno;
        return -1;
    }
    return len;
}

static int keep_open(void *ctx)
{
    (void)ctx;                      /* the descriptor is x's: commit and abandon close it */
    return 0;
}

gv_xml_out_t *gv_xml_file(const char *path, gv_err_t *err)
{
    gv_xml_out_t *x = calloc(1, sizeof *x);
    xmlOutputBufferPtr ob;

    if (!x) {
        gv_err_set(err, "out of memory");
        return NULL;
    }
    x->fd = -1;
    if ((size_t)snprintf(x->path, sizeof x->path, "%s", path) >= sizeof x->path) {
        gv_err_set(err, "%s: path too long", path);
        free(x);
        return NULL;
    }
    snprintf(x->tmp, sizeof x->tmp, "%s.tmp", path);
    gv_buf_init(&x->clean, 1 << 20);
    if ((x->fd = gv_open_private(x->tmp, err)) < 0) {
        gv_buf_free(&x->clean);
        free(x);
        return NULL;
    }
    if (!(ob = xmlOutputBufferCreateIO(write_out, keep_open, x, NULL))) {
        gv_err_set(err, "%s: cannot write XML", x->tmp);
        gv_xml_abandon(x);
        return NULL;
    }
    x->w = xmlNewTextWriter(ob);
    return start_document(x, err);
}

gv_xml_out_t *gv_xml_memory(gv_err_t *err)
{
    gv_xml_out_t *x = calloc(1, sizeof *x);

    if (!x || !(x->mem = xmlBufferCreate())) {
        free(x);
        gv_err_set(err, "out of memory");
        return NULL;
    }
    x->fd = -1;
    gv_buf_init(&x->clean, 1 << 20);
    x->w = xmlNewTextWriterMemory(x->mem, 0);
    return start_document(x, err);
}

int gv_xml_start(gv_xml_out_t *x, const char *element)
{
    if (xmlTextWriterStartElement(x->w, BAD_CAST element) < 0)
        return -1;
    if (x->depth++ == 0 &&
        xmlTextWriterWriteAttribute(x->w, BAD_CAST "xmlns", BAD_CAST GV_WALLET_NS) < 0)
        return -1;
    return 0;
}

int gv_xml_attr(gv_xml_out_t *x, const char *name, const char *value)
{
    const xmlChar *v = carried(x, value);

    return !v || xmlTextWriterWriteAttribute(x->w, BAD_CAST name, v) < 0 ? -1 : 0;
}

int gv_xml_attr_int(gv_xml_out_t *x, const char *name, int64_t value)
{
    char text[32];

    snprintf(text, sizeof text, "%" PRId64, value);
    return gv_xml_attr(x, name, text);
}

int gv_xml_attr_opt(gv_xml_out_t *x, const char *name, const char *value)
{
    return value && *value ? gv_xml_attr(x, name, value) : 0;
}

int gv_xml_text_element(gv_xml_out_t *x, const char *name, const char *text)
{
    const xmlChar *v = carried(x, text);

    return !v || xmlTextWriterWriteElement(x->w, BAD_CAST name, v) < 0 ? -1 : 0;
}

int gv_xml_end(gv_xml_out_t *x)
{
    x->depth--;
    return xmlTextWriterEndElement(x->w) < 0 ? -1 : 0;
}

const char *gv_xml_why(const gv_xml_out_t *x)
{
    if (x->write_errno)
        return strerror(x->write_errno);
    return x->out_of_memory ? "out of memory" : "the XML writer failed";
}

void gv_xml_abandon(gv_xml_out_t *x)
{
    if (!x)
        return;
    if (x->w)
        xmlFreeTextWriter(x->w);    /* flushes into fd or mem, which stay ours */
    if (x->mem)
        xmlBufferFree(x->mem);
    if (x->fd >= 0) {
        close(x->fd);
        unlink(x->tmp);
    }
    gv_buf_free(&x->clean);
    free(x);
}

int gv_xml_commit(gv_xml_out_t *x, char sha256[65], gv_buf_t *out, gv_err_t *err)
{
    int rc = 0, saved;

    if (xmlTextWriterEndDocument(x->w) < 0 || xmlTextWriterFlush(x->w) < 0 || x->write_errno) {
        gv_err_set(err, "%s: cannot finish the XML document: %s",
                   x->fd >= 0 ? x->tmp : "memory", gv_xml_why(x));
        gv_xml_abandon(x);
        return -1;
    }
    xmlFreeTextWriter(x->w);
    x->w = NULL;
    if (x->mem) {
        rc = gv_buf_append(out, (const char *)xmlBufferContent(x->mem),
                           (size_t)xmlBufferLength(x->mem));
        if (rc < 0)
            gv_err_set(err, "answer too long");
        gv_xml_abandon(x);
        return rc;
    }
    rc = gv_fsync_fd(x->fd);
    saved = errno;
    if (close(x->fd) < 0 && rc == 0) {
        rc = -1;
        saved = errno;
    }
    x->fd = -1;                     /* closed even when close(2) fails */
    if (rc < 0)
        gv_err_set(err, "%s: %s", x->tmp, strerror(saved));
    if (rc < 0 || (sha256 && gv_sha256_file(x->tmp, sha256, err) < 0) ||
        gv_move_durably(x->tmp, x->path, err) < 0) {
        /* Whole or absent: renamed but not made durable is absent too, or
         * the caller, told it failed, would leave it behind. */
        unlink(x->tmp);
        unlink(x->path);
        rc = -1;
    }
    gv_buf_free(&x->clean);
    free(x);
    return rc;
}
