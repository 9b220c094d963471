/* record.h - an account as gasvoucher sees it, whatever the site. */
#ifndef GV_RECORD_H
#define GV_RECORD_H

#include <stdint.h>

#include "account.h"

/* The longest account key a site may keep (gv_occurrence.account_norm);
 * what people type is bounded by GV_ACCOUNT_MAX. */
#define GV_SITE_ACCOUNT_MAX 48

typedef struct gv_account_record {
    char account[GV_SITE_ACCOUNT_MAX + 1];  /* the site's key, as the site stores it */
    char holder[512];                  /* full name: never leaves the process */
    char address[1024];                /* full address: never leaves the process */
    char settlement[256];              /* empty when the site keeps none apart */
    char region[8];
    int household;
    int closed;                        /* closed_on is set */
    int32_t closed_on;                 /* days since epoch */
    int metered;
    int residents;
} gv_account_record_t;

#endif
