/* account.h - normalising a typed personal account number (pure logic).
 *
 * The recipient types the number as they remember it: with spaces, dashes,
 * without the leading zeros.  Each provider stores it in one canonical form;
 * the site mapping says which (mappings/SITE.ini, section [account]).
 */
#ifndef GV_ACCOUNT_H
#define GV_ACCOUNT_H

#include <stddef.h>

#define GV_ACCOUNT_MAX 32   /* AccountNumber maxLength in the XSD */

enum {
    GV_STRIP_SPACE = 1 << 0,
    GV_STRIP_DASH  = 1 << 1,
    GV_STRIP_SLASH = 1 << 2,
};

typedef struct gv_account_rules {
    unsigned strip;        /* GV_STRIP_* characters removed anywhere */
    int digits_only;       /* anything but 0-9 left after stripping: not ours */
    int uppercase;         /* fold a-z to A-Z */
    unsigned zero_pad;     /* left-pad with '0' to this width; 0 = never */
    int trim_zeros;        /* drop leading zeros (numbers stored as integers) */
    unsigned max_length;   /* canonical length limit; 0 = GV_ACCOUNT_MAX */
} gv_account_rules_t;

/* Writes the canonical form into out (at least GV_ACCOUNT_MAX + 1 bytes).
 * Returns 0, or -1 when the typed text cannot be an account number at this
 * provider (the caller answers NOT_FOUND without asking the database). */
int gv_account_normalise(const gv_account_rules_t *rules, const char *typed,
                         char *out, size_t outsz);

#endif
