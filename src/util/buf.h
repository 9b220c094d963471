/* buf.h - a growable byte buffer with a hard cap.
 *
 * Every buffer that grows from outside input has a limit; appending past it
 * fails (returns -1) and leaves the buffer as it was, so callers can answer
 * "too large" instead of exhausting memory (compare curl's dynbuf).  A
 * failed append sets errno: E2BIG past the limit, ENOMEM when memory ran
 * out (gv_buf_why says which in words).
 */
#ifndef GV_BUF_H
#define GV_BUF_H

#include <stddef.h>

typedef struct gv_buf {
    char *data;   /* always NUL-terminated when non-NULL */
    size_t len;
    size_t cap;
    size_t max;   /* hard cap on len */
    int failed;   /* an append failed since the last init or reset: a text
                     built of many appends is checked once, at the end */
} gv_buf_t;

void gv_buf_init(gv_buf_t *b, size_t max);
void gv_buf_free(gv_buf_t *b);
void gv_buf_reset(gv_buf_t *b);
int gv_buf_append(gv_buf_t *b, const void *data, size_t len);
/* After a failed append, with errno as it left it: "out of memory", else
 * too_long (the caller's words for its limit). */
const char *gv_buf_why(const char *too_long);
int gv_buf_puts(gv_buf_t *b, const char *s);
int gv_buf_printf(gv_buf_t *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Append s as text XML 1.0 can carry: every byte that is not well-formed
 * UTF-8, and every character XML cannot hold (controls other than tab,
 * LF and CR; U+FFFE, U+FFFF), written as U+FFFD.  Messages echo what
 * callers sent, and an answer must stay XML whatever they sent; the XML
 * writer (xmlout.h) escapes the rest. */
int gv_buf_xml_chars(gv_buf_t *b, const char *s);
/* The same, with the markup characters escaped too, for text and
 * attribute values of a page written by hand (the clerks' HTML report);
 * the wallet's XML goes through xmlout.h instead. */
int gv_buf_xml_escape(gv_buf_t *b, const char *s);

#endif
