/* Replacing bad sources given by name (chrony's NSR_HandleBadSource): the
 * name is resolved again and the source moves to an address not in use. */
#include "daemon/sources.h"

#include "daemon/config.h"
#include "daemon/ntp_serve.h"
#include "lib/rng.h"
#include "lib/ts.h"

#include <string.h>

/* chrony's NSR_HandleBadSource: after a replacement lookup the next waits a uniformly
 * random part of its RESOLVE_INTERVAL_UNIT (7 s) x 2^MAX_REPLACEMENT_INTERVAL (2^9). */
#define MAX_REPLACEMENT_INTERVAL 3584.0

void sources_replace_address(struct source *s, const struct ip_addr *ip)
{
    struct sources *ss = s->srcs;
    char from[IP_ADDR_STRLEN], to[IP_ADDR_STRLEN];
    int index = sources_index(s);

    LOG_INFO(ss->env->log, "Source %s replaced with %s",
             ip_addr_format(&s->remote.ip, from, sizeof(from)), ip_addr_format(ip, to, sizeof(to)));
    sources_set_address(s, ip);
    memset(&s->local, 0, sizeof(s->local));
    if (s->nts_on) {
        s->ke_ip = *ip;
        sources_nts_reset(s);
    }
    sources_close_socket(ss, s);
    sources_open_socket(ss, s);
    /* A new server: no exchange, samples or reachability carry over. */
    if (index >= 0) {
        engine_source_restart(ss->engine, index, sources_refid_of(ip));
        sources_rearm_engine(ss);
    }
}

static void on_replacement_resolved(void *arg, int status, const struct ip_addr *addrs, int count)
{
    struct source *s = arg;
    struct sources *ss = s->srcs;
    const struct source_cfg *sc = ss->entries[s->cfg_index].cfg;

    s->replacing = 0;
    for (int i = 0; status == 0 && i < count; i++) {
        if (!sources_family_allowed(ss, sc, addrs[i].family) ||
            sources_address_in_use(ss, &addrs[i]))
            continue;
        sources_replace_address(s, &addrs[i]);
        return;
    }
}

void sources_handle_bad(struct sources *ss, int index, const struct timespec *raw_now)
{
    struct source *s;
    struct ip_addr literal;
    double wait;

    if (index < 0 || index >= ss->n)
        return;
    s = ss->v[index];
    /* Only sources with a name can move. */
    if (s->refclock || s->replacing || ip_addr_parse(&literal, s->name))
        return;
    /* Postponed (a clock stepped back cannot make the wait longer than the maximum). */
    wait = ss->have_next_replacement ? ts_diff(&ss->next_replacement, raw_now) : 0.0;
    if (wait > 0.0 && wait <= MAX_REPLACEMENT_INTERVAL)
        return;
    /* chrony: rnd / (uint32_t)-1, so 0 and the maximum itself included. */
    ts_add(&ss->next_replacement, raw_now,
           (double)rng_u32(ss->engine->rng) / 4294967295.0 * MAX_REPLACEMENT_INTERVAL);
    ss->have_next_replacement = 1;
    s->replacing = 1;
    if (ss->env->resolver.resolve(ss->env->resolver.ctx, s->name, IPF_UNSPEC,
                                  on_replacement_resolved, s) != 0)
        s->replacing = 0;
}
