/* record.h - an account as gasvoucher sees it, whatever the site. */
#ifndef GV_RECORD_H
#define GV_RECORD_H

#include <stdint.h>

#include "account.h"

typedef struct gv_account_record {
    char account[GV_ACCOUNT_MAX + 1];  /* canonical, as the site stores it */
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
