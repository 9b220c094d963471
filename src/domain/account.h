/* account.h - a site's canonical account form, and how a typed personal
 * account number becomes it (pure logic).
 *
 * The recipient types the number as they remember it: with spaces, dashes,
 * without the leading zeros.  Each provider stores it in one canonical form;
 * the site mapping says which (mappings/SITE.ini, section [account]) as
 * data: what is stripped and folded, a pattern of named parts the cleaned
 * text must match ("match") and a template that writes the canonical form
 * from those parts ("output").  gv_account_form_compile turns the two texts
 * into bounded arrays once, when the mapping loads; gv_account_normalise
 * runs on every account check and allocates nothing.
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

#define GV_FORM_MAX_ITEMS 16    /* items of match */
#define GV_FORM_MAX_PIECES 16   /* literals and {references} of output */
#define GV_FORM_NAME_MAX 16     /* characters of a part's name */

typedef enum { GV_CLASS_DIGIT, GV_CLASS_LETTER, GV_CLASS_ALNUM } gv_char_class_t;

/* One item of match: a named part, or a literal that may be optional. */
typedef struct gv_form_item {
    int is_part;
    gv_char_class_t cls;                /* part */
    unsigned char min, max;             /* part: characters it takes */
    int optional;                       /* literal: "..."? */
    unsigned column;                    /* where it starts in match, for messages */
    char text[GV_ACCOUNT_MAX + 1];      /* part: its name; literal: its text */
} gv_form_item_t;

typedef enum {
    GV_PIECE_LITERAL,   /* text as written */
    GV_PIECE_VALUE,     /* {NAME}: as matched */
    GV_PIECE_PADDED,    /* {NAME:0N}: zeros on the left up to width */
    GV_PIECE_INT,       /* {NAME:int}: leading zeros dropped, all zeros -> "0" */
} gv_piece_kind_t;

typedef struct gv_form_piece {
    gv_piece_kind_t kind;
    unsigned char item;                 /* which item of match (not LITERAL) */
    unsigned char width;                /* PADDED */
    char text[GV_ACCOUNT_MAX + 1];      /* LITERAL */
} gv_form_piece_t;

typedef struct gv_account_rules {
    unsigned strip;        /* GV_STRIP_* characters removed anywhere */
    int uppercase;         /* fold a-z to A-Z before matching */
    /* The compiled form (gv_account_form_compile); nitems == 0 matches
     * nothing. */
    unsigned max_length;   /* longest canonical form, 1..GV_ACCOUNT_MAX */
    size_t nitems;
    gv_form_item_t items[GV_FORM_MAX_ITEMS];
    size_t npieces;
    gv_form_piece_t pieces[GV_FORM_MAX_PIECES];
    unsigned output_max;   /* the longest output the form can write */
    int output_digits;     /* 1 when every output is digits only */
} gv_account_rules_t;

/* Where a form error lies, for the caller to name the mapping's line. */
typedef enum { GV_FORM_AT_MATCH, GV_FORM_AT_OUTPUT } gv_form_key_t;

typedef struct gv_account_form_err {
    gv_form_key_t key;
    char msg[256];          /* "column 7: ..." when a column is to blame */
} gv_account_form_err_t;

/* Compiles match and output (the [account] keys of that name) into rules,
 * whose strip and uppercase must already be set: a literal they make
 * impossible to type is an error.  max_length is 1..GV_ACCOUNT_MAX.
 * Returns 0, or -1 with err filled and rules' form left empty. */
int gv_account_form_compile(const char *match, const char *output, unsigned max_length,
                            gv_account_rules_t *rules, gv_account_form_err_t *err);

/* Writes the canonical form into out (at least GV_ACCOUNT_MAX + 1 bytes).
 * Returns 0, or -1 when the typed text cannot be an account number at this
 * provider (the caller answers NOT_FOUND without asking the database); out
 * is untouched then. */
int gv_account_normalise(const gv_account_rules_t *rules, const char *typed,
                         char *out, size_t outsz);

#endif
