/* mask.h - what an account check may show of a holder (pure logic).
 *
 * The wallet shows the recipient just enough to recognise the account:
 * the surname with initials, and the settlement with the street reduced to
 * its first letter and house and flat numbers hidden.  Whoever enumerates
 * account numbers must not be able to harvest full names or addresses, so
 * every rule here errs towards hiding: a word it does not recognise as a
 * settlement marker or an abbreviation is masked.
 */
#ifndef GV_MASK_H
#define GV_MASK_H

#include <stddef.h>

/* "Ахметова Айгуль Бековна" -> "Ахметова А. Б.".  Surname first; at most
 * two initials.  Returns 0, or -1 when out is too small. */
int gv_mask_holder(const char *full_name, char *out, size_t outsz);

/* Masks an address of comma-separated parts.  Of a part that starts with
 * a settlement marker (a NULL-terminated list such as "г.", "с.", "обл."),
 * the marker and the one word after it stay ("г. Алматы"); so does a short
 * part ending in a marker ("Карасайский р-н").  Everything else is street:
 * street-type words from a fixed list ("ул.", "д.", "кв.") stay, words with
 * a digit become "**", any other word keeps its first letter and "***".
 * When the settlement is given apart, it comes first and every part of
 * address is street.  Returns 0, or -1 when out is too small. */
int gv_mask_address(const char *settlement, const char *address,
                    const char *const *settlement_markers, char *out, size_t outsz);

/* The markers used when a mapping names none. */
extern const char *const gv_default_settlement_markers[];

#endif
