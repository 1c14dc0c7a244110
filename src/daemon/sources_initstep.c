/* initstepslew THRESHOLD HOST... (chrony.conf(5)): before normal operation the hosts are
 * polled as servers with iburst while the engine's reference is in its initstepslew mode,
 * which takes the first estimate once (stepped or slewed by its size, core/discipline.c).
 * Then, as chrony 4.8, these sources are removed and the configured sources start. The
 * names are looked up once; a name that does not resolve is left out with chrony's
 * warning, and when none resolves normal operation starts at once. */
#include "daemon/sources.h"

#include "daemon/config.h"
#include "daemon/sched.h"
#include "lib/mem.h"
#include "proto/source_opts.h"

#include <stdlib.h>
#include <string.h>

/* chrony's delay between the end of the mode and normal operation (s). */
#define INIT_END_DELAY 2.0

struct sources_init_lookup {
    struct sources *ss;
    size_t host; /* index in cfg->initstepslew_hosts */
};

int sources_initstepslew_wanted(const struct sources *ss)
{
    return ss->cfg->initstepslew_enabled && ss->cfg->n_initstepslew_hosts > 0;
}

/* Normal operation: the sources of the mode go, the reference leaves it, and the
 * configured sources start (not in -q/-Q, which end with the mode's measurement). */
static void finish(struct sources *ss, const struct timespec *raw_now)
{
    if (!ss->init_phase)
        return;
    ss->init_phase = 0;
    sched_cancel(ss->sched, ss->init_timer);
    ss->init_timer = 0;
    if (ss->init_added) {
        sources_remove_all(ss, raw_now);
        if (!ss->quit_mode)
            engine_set_normal_mode(ss->engine);
    } else if (!ss->quit_mode && engine_special_mode(ss->engine)) {
        /* No host resolved: chrony never entered the mode. */
        engine_set_normal_mode(ss->engine);
    }
    ss->status->init_running = 0;
    if (!ss->quit_mode || !ss->init_added)
        sources_start_configured(ss, raw_now);
}

/* A server with chrony's defaults and iburst at address ip (chrony's CNF_AddInitSources). */
static void add_host(struct sources *ss, const struct ip_addr *ip, const struct timespec *raw_now)
{
    struct source_cfg *sc;
    char addr[IP_ADDR_STRLEN];

    ip_addr_format(ip, addr, sizeof(addr));
    if (sources_address_in_use(ss, ip)) {
        LOG_ERR(ss->env->log, "Could not add source %s", addr);
        return;
    }
    sc = xcalloc(1, sizeof(*sc));
    source_opts_defaults(sc);
    sc->type = CFG_SRC_SERVER;
    sc->name = xstrdup(addr);
    sc->iburst = 1;
    /* Logged at DEBUG as chrony's sources of the configuration file. */
    if (sources_add_cfg_logged(ss, sc, 0, LOGL_DEBUG, raw_now) != 0)
        LOG_ERR(ss->env->log, "Could not add source %s", addr);
    else
        ss->init_added++;
}

static int family_ok(const struct sources *ss, enum ip_family f)
{
    return (ss->family != 4 || f == IPF_INET4) && (ss->family != 6 || f == IPF_INET6);
}

static void lookup_done(struct sources *ss, const struct timespec *raw_now)
{
    if (--ss->init_pending > 0)
        return;
    /* Every name was looked up: without a source the mode cannot end by itself. */
    if (!ss->init_added)
        finish(ss, raw_now);
}

static void unresolved(struct sources *ss, size_t host)
{
    LOG_WARN(ss->env->log, "Could not resolve address of initstepslew server %s",
             ss->cfg->initstepslew_hosts[host]);
}

static void on_resolved(void *arg, int status, const struct ip_addr *addrs, int count)
{
    struct sources_init_lookup *l = arg;
    struct sources *ss = l->ss;
    struct timespec now;
    int i;

    ss->env->clock.read(ss->env->clock.ctx, &now);
    for (i = 0; status == 0 && i < count; i++)
        if (family_ok(ss, addrs[i].family))
            break;
    if (!ss->init_phase) {
        /* the mode ended meanwhile (-t, a signal): nothing to add */
    } else if (status == 0 && i < count) {
        add_host(ss, &addrs[i], &now);
    } else {
        unresolved(ss, l->host);
    }
    lookup_done(ss, &now);
}

void sources_initstepslew_begin(struct sources *ss, const struct timespec *raw_now)
{
    const struct config *cfg = ss->cfg;
    enum ip_family fam = ss->family == 4 ? IPF_INET4 : ss->family == 6 ? IPF_INET6 : IPF_UNSPEC;
    struct ip_addr ip;

    ss->status->init_running = 1;
    ss->init_lookups = xcalloc(cfg->n_initstepslew_hosts, sizeof(*ss->init_lookups));
    /* One extra count keeps the phase open until every lookup has started. */
    ss->init_pending = (int)cfg->n_initstepslew_hosts + 1;
    for (size_t i = 0; i < cfg->n_initstepslew_hosts; i++) {
        const char *name = cfg->initstepslew_hosts[i];
        struct sources_init_lookup *l = &ss->init_lookups[i];

        l->ss = ss;
        l->host = i;
        if (ip_addr_parse(&ip, name)) {
            if (family_ok(ss, ip.family))
                add_host(ss, &ip, raw_now);
            else
                unresolved(ss, i);
            ss->init_pending--;
        } else if (ss->env->resolver.resolve(ss->env->resolver.ctx, name, fam, on_resolved, l) !=
                   0) {
            unresolved(ss, i);
            ss->init_pending--;
        }
    }
    lookup_done(ss, raw_now);
}

static void on_end_timer(void *arg, const struct timespec *now)
{
    struct sources *ss = arg;

    ss->init_timer = 0;
    finish(ss, now);
}

void sources_initstepslew_ended(struct sources *ss)
{
    struct timespec now;

    if (!ss->init_phase || ss->init_timer)
        return;
    /* The mode's step moved the raw timescale since the event began: read it again. */
    ss->env->clock.read(ss->env->clock.ctx, &now);
    ss->init_timer = sched_add_after(ss->sched, &now, INIT_END_DELAY, on_end_timer, ss);
}

void sources_initstepslew_fini(struct sources *ss)
{
    sched_cancel(ss->sched, ss->init_timer);
    ss->init_timer = 0;
    /* A lookup still pending holds a pointer into the array: the loop has stopped, so its
     * callback never runs. */
    free(ss->init_lookups);
    ss->init_lookups = NULL;
}
