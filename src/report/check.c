/* check.c - the bills read back from the billing database (see check.h). */
#include "config.h"
#include "check.h"

#include <stdlib.h>

#include "l10n.h"

struct gv_check {
    int unused;
};

static const char *const kind_codes[GV_DIFF_COUNT] = { "CHANGED", "DELETED", "FOREIGN",
                                                       "REPORT_DIFFERS" };
static const char *const kind_words[GV_DIFF_COUNT] = {
    N_("bill changed in the billing database"),
    N_("bill deleted from the billing database"),
    N_("bill with a voucher gasvoucher did not bill there"),
    N_("redemption report differs from the bill"),
};
static const char *const field_words[GV_FIELD_COUNT] = {
    "", N_("voucher"), N_("volume, m3"), N_("charge"), N_("discount"), N_("amount due"),
};

const char *gv_check_kind_words(gv_diff_kind_t k) { return _(kind_words[k]); }
const char *gv_check_kind_code(gv_diff_kind_t k) { return kind_codes[k]; }
const char *gv_check_field_words(gv_diff_field_t f) { return *field_words[f] ? _(field_words[f]) : ""; }

gv_check_t *gv_check_run(gv_db_t *db, const gv_adapter_t *adapter, void *actx,
                         const char *period, void (*log_line)(void *ud, const char *line),
                         void *log_ud, gv_check_stats_t *stats, gv_err_t *err)
{
    gv_err_set(err, "the check against the billing database is not built yet");
    return NULL;
}

int gv_check_replay(gv_check_t *c, int (*fn)(void *ud, const gv_difference_t *d), void *ud,
                    gv_err_t *err)
{
    return 0;
}

void gv_check_free(gv_check_t *c)
{
    free(c);
}
