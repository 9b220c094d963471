/* tlsallow.c - reading and matching the client-certificate allow-list. */
#include "config.h"
#include "tlsallow.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GV_TLS_ALLOW_MAX 1024   /* entries; a site lists a handful */
#define GV_TLS_ALLOW_LINE 1024  /* characters per line */

typedef struct allow_entry {
    int is_subject;
    unsigned char sha256[32];
    char *subject;
} allow_entry_t;

struct gv_tls_allow {
    char *path;
    allow_entry_t *items;
    size_t count;
};

void gv_tls_allow_free(gv_tls_allow_t *allow)
{
    if (!allow)
        return;
    for (size_t i = 0; i < allow->count; i++)
        free(allow->items[i].subject);
    free(allow->items);
    free(allow->path);
    free(allow);
}

/* 64 hex digits, each pair optionally separated by ':'. */
static int parse_fingerprint(const char *v, unsigned char out[32])
{
    size_t n = 0;

    while (*v && n < 32) {
        if (!isxdigit((unsigned char)v[0]) || !isxdigit((unsigned char)v[1]))
            return -1;
        sscanf(v, "%2hhx", &out[n++]);
        v += 2;
        if (*v == ':' && n < 32)
            v++;
    }
    return n == 32 && !*v ? 0 : -1;
}

static char *trim(char *s)
{
    char *end;

    while (isspace((unsigned char)*s))
        s++;
    end = s + strlen(s);
    while (end > s && isspace((unsigned char)end[-1]))
        *--end = '\0';
    return s;
}

gv_tls_allow_t *gv_tls_allow_load(const char *path, gv_errlist_t *errs)
{
    gv_tls_allow_t *allow = calloc(1, sizeof *allow);
    size_t before = errs->count;
    char line[GV_TLS_ALLOW_LINE + 2];
    int lineno = 0;
    FILE *f;

    if (!allow || !(allow->path = strdup(path)) ||
        !(allow->items = calloc(GV_TLS_ALLOW_MAX, sizeof *allow->items))) {
        gv_errlist_add(errs, "%s: out of memory", path);
        gv_tls_allow_free(allow);
        return NULL;
    }
    if (!(f = fopen(path, "r"))) {
        gv_errlist_add(errs, "%s: cannot open: %s", path, strerror(errno));
        gv_tls_allow_free(allow);
        return NULL;
    }
    while (fgets(line, sizeof line, f)) {
        char *s, *word, *value;
        lineno++;
        if (!strchr(line, '\n') && !feof(f)) {
            gv_errlist_add(errs, "%s:%d: longer than %d characters", path, lineno,
                           GV_TLS_ALLOW_LINE);
            int c;
            while ((c = fgetc(f)) != EOF && c != '\n')
                ;
            continue;
        }
        s = trim(line);
        if (!*s || *s == '#')
            continue;
        word = s;
        value = s + strcspn(s, " \t");
        if (*value)
            *value++ = '\0';
        value = trim(value);
        if (allow->count == GV_TLS_ALLOW_MAX) {
            gv_errlist_add(errs, "%s:%d: more than %d certificates", path, lineno,
                           GV_TLS_ALLOW_MAX);
            break;
        }
        allow_entry_t *e = &allow->items[allow->count];
        if (!strcmp(word, "sha256") && parse_fingerprint(value, e->sha256) == 0) {
            allow->count++;
        } else if (!strcmp(word, "subject") && *value) {
            if (!(e->subject = strdup(value))) {
                gv_errlist_add(errs, "%s: out of memory", path);
                break;
            }
            e->is_subject = 1;
            allow->count++;
        } else if (!strcmp(word, "sha256")) {
            gv_errlist_add(errs, "%s:%d: sha256: expected 64 hex digits (colons allowed), got '%s'",
                           path, lineno, value);
        } else {
            gv_errlist_add(errs, "%s:%d: expected 'sha256 FINGERPRINT' or 'subject DN', got '%s'",
                           path, lineno, word);
        }
    }
    if (ferror(f))
        gv_errlist_add(errs, "%s: cannot read: %s", path, strerror(errno));
    fclose(f);
    if (errs->count == before && allow->count == 0)
        gv_errlist_add(errs, "%s: lists no certificate (every client would be refused)", path);
    if (errs->count != before) {
        gv_tls_allow_free(allow);
        return NULL;
    }
    return allow;
}

int gv_tls_allow_match(const gv_tls_allow_t *allow, const unsigned char sha256[32],
                       const char *subject)
{
    for (size_t i = 0; i < allow->count; i++) {
        const allow_entry_t *e = &allow->items[i];
        if (e->is_subject ? subject && !strcmp(e->subject, subject)
                          : !memcmp(e->sha256, sha256, 32))
            return 1;
    }
    return 0;
}

const char *gv_tls_allow_path(const gv_tls_allow_t *allow)
{
    return allow->path;
}

size_t gv_tls_allow_count(const gv_tls_allow_t *allow)
{
    return allow->count;
}
