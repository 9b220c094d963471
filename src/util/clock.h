/* clock.h - the programs' one source of "now" (rule R1a).
 *
 * Domain code never reads a clock: it takes "now" as an argument.  The
 * programs take that argument from here, at the moment it means: when a
 * batch's last byte arrived (its receipt time, and the instant its
 * signature is checked at), when a batch is processed (the result's
 * processedAt and the signingTime of its signature), when an answer is
 * written.  It is the real clock, or, when the operator pins it for a test
 * or a demonstration (gasvoucherd: GASVOUCHER_NOW), the pinned instant
 * moving on with the real clock from the moment it was pinned.  Intervals
 * between jobs and the age of files are measured on the real clock.
 */
#ifndef GV_CLOCK_H
#define GV_CLOCK_H

#include <time.h>

#include "err.h"

/* Pins "now" to datetime (xs:dateTime with its offset) from this moment
 * on.  Call before any thread reads the clock.  0, or -1 with err saying
 * what is wrong with datetime. */
int gv_clock_pin(const char *datetime, gv_err_t *err);
/* 1 when pinned. */
int gv_clock_pinned(void);
/* Seconds since the epoch: the real clock, or the pinned one. */
time_t gv_clock_now(void);

#endif
