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

/* Masks an address of comma-separated parts.  A part whose first or last
 * word is one of the settlement markers (NULL-terminated list, e.g. "г.",
 * "с.", "обл.") is kept as it is, unless a settlement is given separately,
 * in which case it is printed first and every part of address is masked.
 * In a masked part, short abbreviations ending in '.' ("ул.", "д.", "кв.")
 * stay, words with a digit become "**", other words keep their first
 * letter followed by "***".  Returns 0, or -1 when out is too small. */
int gv_mask_address(const char *settlement, const char *address,
                    const char *const *settlement_markers, char *out, size_t outsz);

/* The markers used when a mapping names none. */
extern const char *const gv_default_settlement_markers[];

#endif
