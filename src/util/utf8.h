/* utf8.h - UTF-8 helpers (pure). */
#ifndef GV_UTF8_H
#define GV_UTF8_H

#include <stddef.h>

/* 1 when buf[0..len) is well-formed UTF-8 (no overlong forms, no
 * surrogates, nothing above U+10FFFF), else 0.  *bad_at gets the offset of
 * the first bad byte when not NULL. */
int gv_utf8_valid(const char *buf, size_t len, size_t *bad_at);

/* Length in bytes of the UTF-8 sequence starting at s (1 for a bad byte). */
size_t gv_utf8_seqlen(const char *s);

/* The length of the longest prefix of buf that does not end inside a
 * multi-byte sequence (for checking a stream a chunk at a time). */
size_t gv_utf8_complete_prefix(const char *buf, size_t len);

/* Makes the NUL-terminated s well-formed in place: each byte that starts
 * no valid sequence (a text cut inside a character, a driver's stray
 * byte) becomes '?'.  For messages that quote others' text. */
void gv_utf8_scrub(char *s);

#endif
