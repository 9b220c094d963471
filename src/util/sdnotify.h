/* sdnotify.h - telling systemd how the service is doing (sd_notify(3)
 * protocol, without libsystemd): READY=1, RELOADING=1, STOPPING=1,
 * WATCHDOG=1 and STATUS= datagrams to the socket in NOTIFY_SOCKET.
 * Outside systemd (no NOTIFY_SOCKET) every call does nothing. */
#ifndef GV_SDNOTIFY_H
#define GV_SDNOTIFY_H

#include <stdint.h>

/* Sends state (lines "KEY=value" separated by newlines).  Returns 1 when
 * sent, 0 when there is no NOTIFY_SOCKET, -1 when sending failed. */
int gv_sd_notify(const char *state);

/* Sends printf-formatted state, as gv_sd_notify. */
int gv_sd_notifyf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The watchdog interval systemd expects WATCHDOG=1 within (WATCHDOG_USEC,
 * when WATCHDOG_PID is unset or this process), in microseconds; 0 = none. */
uint64_t gv_sd_watchdog_usec(void);

/* CLOCK_MONOTONIC now, in microseconds (for RELOADING=1's MONOTONIC_USEC). */
uint64_t gv_sd_monotonic_usec(void);

#endif
