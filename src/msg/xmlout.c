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
    FILE *f;                        /* file documents */
    char path[PATH_MAX], tmp[PATH_MAX + 8];
    int depth;
};

static gv_xml_out_t *start_document(gv_xml_out_t *x, gv_err_t *err)
{
    if (!x->w || xmlTextWriterSetIndent(x->w, 1) < 0 ||
        xmlTextWriterSetIndentString(x->w, BAD_CAST "  ") < 0 ||
        xmlTextWriterStartDocument(x->w, "1.0", "UTF-8", NULL) < 0) {
        gv_err_set(err, "%s: cannot start an XML document", x->f ? x->tmp : "memory");
        gv_xml_abandon(x);
        return NULL;
    }
    return x;
}

gv_xml_out_t *gv_xml_file(const char *path, gv_err_t *err)
{
    gv_xml_out_t *x = calloc(1, sizeof *x);
    xmlOutputBufferPtr ob;

    if (!x) {
        gv_err_set(err, "out of memory");
        return NULL;
    }
    if ((size_t)snprintf(x->path, sizeof x->path, "%s", path) >= sizeof x->path) {
        gv_err_set(err, "%s: path too long", path);
        free(x);
        return NULL;
    }
    snprintf(x->tmp, sizeof x->tmp, "%s.tmp", path);
    if (!(x->f = gv_fopen_private(x->tmp, err))) {
        free(x);
        return NULL;
    }
    if (!(ob = xmlOutputBufferCreateFile(x->f, NULL))) {
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
    return xmlTextWriterWriteAttribute(x->w, BAD_CAST name, BAD_CAST value) < 0 ? -1 : 0;
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
    return xmlTextWriterWriteElement(x->w, BAD_CAST name, BAD_CAST text) < 0 ? -1 : 0;
}

int gv_xml_end(gv_xml_out_t *x)
{
    x->depth--;
    return xmlTextWriterEndElement(x->w) < 0 ? -1 : 0;
}

void gv_xml_abandon(gv_xml_out_t *x)
{
    if (!x)
        return;
    if (x->w)
        xmlFreeTextWriter(x->w);    /* flushes into f or mem, which stay ours */
    if (x->mem)
        xmlBufferFree(x->mem);
    if (x->f) {
        fclose(x->f);
        unlink(x->tmp);
    }
    free(x);
}

int gv_xml_commit(gv_xml_out_t *x, char sha256[65], gv_buf_t *out, gv_err_t *err)
{
    int rc = 0;

    if (xmlTextWriterEndDocument(x->w) < 0 || xmlTextWriterFlush(x->w) < 0) {
        gv_err_set(err, "%s: cannot finish the XML document", x->f ? x->tmp : "memory");
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
    if (fflush(x->f) != 0 || fsync(fileno(x->f)) < 0 || ferror(x->f)) {
        gv_err_set(err, "%s: %s", x->tmp, strerror(errno));
        gv_xml_abandon(x);
        return -1;
    }
    fclose(x->f);
    x->f = NULL;
    if ((sha256 && gv_sha256_file(x->tmp, sha256, err) < 0) ||
        gv_move_durably(x->tmp, x->path, err) < 0) {
        unlink(x->tmp);
        rc = -1;
    }
    free(x);
    return rc;
}
