/* money.c - integer tiyn and the R16 calculation. */
#include "config.h"

#include "money.h"

#include <stdint.h>
#include <stdio.h>

int64_t gv_div_round(__int128 num, int64_t den)
{
    /* Halves away from zero: (2 num +- den) / (2 den), truncated toward
     * zero, is exact for odd and even divisors alike. */
    __int128 twice = num >= 0 ? 2 * num + den : 2 * num - den;
    return (int64_t)(twice / (2 * (__int128)den));
}

int64_t gv_money_volume_cost(int64_t volume_milli, int64_t price_per_1000m3)
{
    return gv_div_round((__int128)volume_milli * price_per_1000m3, 1000000);
}

int64_t gv_money_rate(int64_t amount, int32_t rate_bp)
{
    return gv_div_round((__int128)amount * rate_bp, 10000);
}

void gv_charge_compute(int64_t volume_milli, int64_t price, int32_t vat_bp, gv_charge_t *out)
{
    out->volume_milli = volume_milli;
    out->price = price;
    out->vat_bp = vat_bp;
    out->net = gv_money_volume_cost(volume_milli, price);
    out->vat = gv_money_rate(out->net, vat_bp);
    out->charge = out->net + out->vat;
}

int gv_decimal_parse(const char *s, int scale, int64_t *out)
{
    if (!s || scale < 0 || scale > 6)
        return -1;
    int neg = 0;
    if (*s == '-') {
        neg = 1;
        s++;
    }
    int64_t v = 0;
    int digits = 0;
    while (*s >= '0' && *s <= '9') {
        if (v > (INT64_MAX - (*s - '0')) / 10)
            return -1;
        v = v * 10 + (*s - '0');
        s++;
        digits++;
    }
    int frac = 0;
    if (*s == '.') {
        s++;
        while (*s >= '0' && *s <= '9') {
            if (frac < scale) {
                if (v > (INT64_MAX - (*s - '0')) / 10)
                    return -1;
                v = v * 10 + (*s - '0');
                frac++;
            } else if (*s != '0') {
                return -1; /* more precision than the scale holds */
            }
            s++;
            digits++;
        }
    }
    if (*s != '\0' || digits == 0)
        return -1;
    for (; frac < scale; frac++) {
        if (v > INT64_MAX / 10)
            return -1;
        v *= 10;
    }
    *out = neg ? -v : v;
    return 0;
}

int gv_decimal_format(int64_t v, int scale, char *buf, size_t bufsz)
{
    if (scale < 0 || scale > 6)
        return -1;
    int64_t unit = 1;
    for (int i = 0; i < scale; i++)
        unit *= 10;
    /* Magnitude in unsigned so INT64_MIN formats too. */
    uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    int n;
    if (scale == 0)
        n = snprintf(buf, bufsz, "%s%llu", v < 0 ? "-" : "", (unsigned long long)mag);
    else
        n = snprintf(buf, bufsz, "%s%llu.%0*llu", v < 0 ? "-" : "",
                     (unsigned long long)(mag / (uint64_t)unit), scale,
                     (unsigned long long)(mag % (uint64_t)unit));
    return n < 0 || (size_t)n >= bufsz ? -1 : 0;
}

int gv_percent_parse(const char *s, int32_t *bp)
{
    int64_t v;
    if (!s || *s == '-' || *s == '+' || gv_decimal_parse(s, 2, &v) != 0 || v < 0 || v > 10000)
        return -1;
    *bp = (int32_t)v;
    return 0;
}
