/* sdnotify.c - the sd_notify(3) datagram protocol. */
#include "config.h"
#include "sdnotify.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

int gv_sd_notify(const char *state)
{
    const char *path = getenv("NOTIFY_SOCKET");
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    size_t len;
    socklen_t salen;
    ssize_t sent;
    int fd;

    if (!path || !*path)
        return 0;
    len = strlen(path);
    /* An absolute path, or "@name" for the abstract namespace. */
    if ((path[0] != '/' && path[0] != '@') || len >= sizeof sa.sun_path)
        return -1;
    memcpy(sa.sun_path, path, len);
    if (path[0] == '@')
        sa.sun_path[0] = '\0';
    salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + (path[0] == '/'));
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    do
        sent = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa, salen);
    while (sent < 0 && errno == EINTR);
    close(fd);
    return sent == (ssize_t)strlen(state) ? 1 : -1;
}

int gv_sd_notifyf(const char *fmt, ...)
{
    char state[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(state, sizeof state, fmt, ap);
    va_end(ap);
    return gv_sd_notify(state);
}

uint64_t gv_sd_watchdog_usec(void)
{
    const char *usec = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
    unsigned long long v;
    char *end;

    if (!usec)
        return 0;
    if (pid && strtoll(pid, NULL, 10) != (long long)getpid())
        return 0;
    errno = 0;
    v = strtoull(usec, &end, 10);
    return errno || end == usec || *end ? 0 : (uint64_t)v;
}

uint64_t gv_sd_monotonic_usec(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}
