/* gasvoucherd - the daemon: answers the Social Wallet's account checks.
 *
 * Runs in the foreground (systemd starts it, Type=notify).  SIGTERM and
 * SIGINT drain requests in flight and stop; SIGHUP reloads gasvoucher.conf
 * and the mapping, keeping the running ones when the new ones have any
 * error.  systemd hears READY=1 once both listeners and the background jobs
 * run, RELOADING=1 ... READY=1 around a reload, STOPPING=1, and WATCHDOG=1
 * from the signal loop at half the interval it asks for.
 */
#include "config.h"

#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "calendar.h"
#include "clock.h"
#include "httpd.h"
#include "jobs.h"
#include "log.h"
#include "runtime.h"
#include "sdnotify.h"
#include "xmlsafe.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif
#define DEFAULT_CONF SYSCONFDIR "/gasvoucher/gasvoucher.conf"

static void usage(FILE *out)
{
    fprintf(out, "usage: gasvoucherd [-c FILE] [-t]\n"
                 "  -c, --config FILE  configuration (default %s)\n"
                 "  -t, --check        check the configuration and mapping, then exit\n"
                 "  -V, --version      print the version\n", DEFAULT_CONF);
}

/* Loads the configuration; one that does not allow the GASVOUCHER_NOW in
 * the environment is refused like any other error. */
static gv_runtime_t *load(const char *path)
{
    gv_errlist_t errs = { 0 };
    gv_runtime_t *rt = gv_runtime_load(path, &errs);
    const char *pin = getenv("GASVOUCHER_NOW");
    gv_err_t err;

    for (size_t i = 0; i < errs.count; i++)
        gv_log(GV_LOG_ERROR, "%s", errs.items[i]);
    gv_errlist_free(&errs);
    /* Whether the value is a date and time, pin_clock says at the start. */
    if (rt && pin && *pin) {
        if (gv_conf_pinned_now(rt->conf, "GASVOUCHER_NOW", pin, &err) < 0) {
            gv_log(GV_LOG_ERROR, "%s", err.msg);
            gv_runtime_release(rt);
            return NULL;
        }
        gv_log(GV_LOG_WARNING, "%s", err.msg);
    }
    return rt;
}

/* GASVOUCHER_NOW (a date and time with its offset) pins the daemon's one
 * clock for tests and demonstrations (R1a, clock.h); empty is unset.  A
 * value that is not a date and time stops the start. */
static int pin_clock(void)
{
    const char *pin = getenv("GASVOUCHER_NOW");
    char when[32];
    gv_err_t err;

    if (!pin || !*pin)
        return 0;
    if (gv_clock_pin(pin, &err) < 0) {
        gv_log(GV_LOG_ERROR, "GASVOUCHER_NOW: %s: not started", err.msg);
        return -1;
    }
    gv_time_format_local(gv_clock_now(), when);
    gv_log(GV_LOG_WARNING, "GASVOUCHER_NOW pins \"now\" to %s: receipts, signature checks, "
                           "processing, signing and answers use it", when);
    return 0;
}

/* Many idle connections need many descriptors: raise the soft limit. */
static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'c' },
        { "check", no_argument, NULL, 't' },
        { "version", no_argument, NULL, 'V' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *conf_path = DEFAULT_CONF;
    int check_only = 0, c, sig, rc = 0;
    uint64_t watchdog_usec;
    struct timespec tick;
    gv_runtime_t *rt;
    gv_server_t *srv;
    gv_jobs_t *jobs;
    gv_err_t err;
    sigset_t set;

    while ((c = getopt_long(argc, argv, "c:tVh", opts, NULL)) != -1) {
        switch (c) {
        case 'c': conf_path = optarg; break;
        case 't': check_only = 1; break;
        case 'V': printf("gasvoucherd %s\n", PACKAGE_VERSION); return 0;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return 2;
    }
    if (gv_time_init(GV_TIMEZONE) < 0) {
        fprintf(stderr, "gasvoucherd: time zone %s is not in the tz database (install tzdata)\n",
                GV_TIMEZONE);
        return 1;
    }
    rt = load(conf_path);
    if (!rt) {
        gv_log(GV_LOG_ERROR, "%s: not started: fix the errors above", conf_path);
        return 1;
    }
    if (check_only) {
        printf("%s: configuration and mapping %s are valid\n", conf_path, rt->map->path);
        gv_runtime_release(rt);
        return 0;
    }
    gv_log_set_level(rt->conf->log_level);
    if (gv_time_init(rt->conf->time_zone) < 0) {
        gv_log(GV_LOG_ERROR, "time zone %s is not in the tz database", rt->conf->time_zone);
        gv_runtime_release(rt);
        return 1;
    }
    if (pin_clock() < 0) {
        gv_runtime_release(rt);
        return 1;
    }
    if (gv_xml_init(&err) < 0) {
        gv_log(GV_LOG_ERROR, "%s", err.msg);
        gv_runtime_release(rt);
        return 1;
    }
    raise_fd_limit();

    /* Signals are taken by sigwait in this thread only. */
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    srv = gv_server_start(rt, &err);
    if (!srv) {
        gv_log(GV_LOG_ERROR, "%s", err.msg);
        gv_runtime_release(rt);
        gv_xml_cleanup();
        return 1;
    }
    if (!(jobs = gv_jobs_start(rt))) {
        gv_log(GV_LOG_ERROR, "cannot start the background jobs");
        gv_server_stop(srv);
        gv_runtime_release(rt);
        gv_xml_cleanup();
        return 1;
    }
    gv_server_set_batch_hook(srv, gv_jobs_kick, jobs);
    /* One access line a request: written in batches (the listener's
     * sweeper flushes them five times a second). */
    gv_log_buffer(1);
    gv_log(GV_LOG_INFO, "gasvoucherd %s: wallet listener %s %s:%d, operations %s:%d, mapping %s",
           PACKAGE_VERSION, rt->conf->wallet_tls ? "https" : "http", rt->conf->wallet_listen.host,
           rt->conf->wallet_listen.port, rt->conf->ops_listen.host, rt->conf->ops_listen.port,
           rt->map->name);
    gv_sd_notifyf("READY=1\nSTATUS=serving the wallet on %s:%d", rt->conf->wallet_listen.host,
                  rt->conf->wallet_listen.port);
    /* The watchdog hears from this loop: a wedged signal loop cannot stop or
     * reload the daemon either. */
    watchdog_usec = gv_sd_watchdog_usec();
    tick.tv_sec = (time_t)(watchdog_usec / 2 / 1000000u);
    tick.tv_nsec = (long)(watchdog_usec / 2 % 1000000u * 1000u);
    if (watchdog_usec)
        gv_sd_notify("WATCHDOG=1");
    for (;;) {
        sig = watchdog_usec ? sigtimedwait(&set, NULL, &tick) : sigwaitinfo(&set, NULL);
        if (sig < 0) {
            if (watchdog_usec)
                gv_sd_notify("WATCHDOG=1");
            continue;
        }
        if (sig == SIGHUP) {
            gv_runtime_t *next;
            gv_sd_notifyf("RELOADING=1\nMONOTONIC_USEC=%llu",
                          (unsigned long long)gv_sd_monotonic_usec());
            next = load(conf_path);
            if (!next) {
                gv_log(GV_LOG_ERROR, "reload refused: keeping the running configuration");
                gv_sd_notify("READY=1\nSTATUS=reload refused: running the previous configuration");
                continue;
            }
            gv_log_set_level(next->conf->log_level);
            gv_server_swap(srv, next);
            gv_jobs_swap(jobs, next);
            gv_runtime_release(rt);
            rt = next;
            gv_log(GV_LOG_INFO, "reloaded %s and mapping %s", conf_path, rt->map->path);
            gv_sd_notifyf("READY=1\nSTATUS=serving the wallet on %s:%d (reloaded)",
                          rt->conf->wallet_listen.host, rt->conf->wallet_listen.port);
            continue;
        }
        gv_sd_notify("STOPPING=1\nSTATUS=draining requests in flight");
        gv_log(GV_LOG_INFO, "signal %d: draining and stopping", sig);
        break;
    }
    gv_server_stop(srv);
    gv_jobs_stop(jobs);
    gv_runtime_release(rt);
    gv_xml_cleanup();
    gv_log_buffer(0);
    gv_log(GV_LOG_INFO, "stopped");
    return rc;
}
