/* money.h - integer tiyn and the R16 calculation (pure logic).
 *
 * Money is an integer number of tiyn (R10), volumes are thousandths of a
 * cubic metre, prices are tiyn per 1000 m3 without VAT, rates (VAT, a
 * discount percentage) are hundredths of a percent ("basis points": 12 % =
 * 1200).  Every rounding is to the nearest tiyn, halves away from zero
 * (R11), and happens only at the steps of gv_charge_compute.  Products are
 * formed in 128 bits, so no intermediate overflows for any volume and
 * price a site can hold.
 */
#ifndef GV_MONEY_H
#define GV_MONEY_H

#include <stddef.h>
#include <stdint.h>

/* round(num / den), halves away from zero; den > 0. */
int64_t gv_div_round(__int128 num, int64_t den);

/* round(volume_m3 x price / 1000) for a volume in thousandths of m3 and a
 * price in tiyn per 1000 m3: round(volume_milli x price / 10^6). */
int64_t gv_money_volume_cost(int64_t volume_milli, int64_t price_per_1000m3);

/* round(amount x rate_bp / 10000). */
int64_t gv_money_rate(int64_t amount, int32_t rate_bp);

/* The charge for a volume: R16's first two lines. */
typedef struct gv_charge {
    int64_t volume_milli;
    int64_t price;          /* tiyn per 1000 m3 without VAT */
    int32_t vat_bp;
    int64_t net;            /* round(volume x price / 1000) */
    int64_t vat;            /* round(net x vat) */
    int64_t charge;         /* net + vat */
} gv_charge_t;

void gv_charge_compute(int64_t volume_milli, int64_t price, int32_t vat_bp, gv_charge_t *out);

/* Decimal text, exactly.  "1234.56" <-> 123456 tiyn; "84.250" <-> 84250
 * thousandths.  Parsing accepts an optional '-', digits, an optional '.'
 * and fraction digits; fraction digits beyond the scale must be zeros
 * (a NUMERIC(12,3) may come back as "84.2500"); anything else is -1.
 * Formatting always writes exactly `scale` fraction digits. */
int gv_decimal_parse(const char *s, int scale, int64_t *out);
int gv_decimal_format(int64_t v, int scale, char *buf, size_t bufsz);

/* Percent text ("12", "12.5", "24.00") <-> basis points; 0..100 % only. */
int gv_percent_parse(const char *s, int32_t *bp);

#endif
