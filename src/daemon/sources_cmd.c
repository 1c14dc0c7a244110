/* Run-time source control from chronyc (spec cmdmon.md 7.4-7.8, 7.14, 7.15,
 * 7.17): add and delete sources, selection options and offsets, reset,
 * sourcedir reloads, name refreshes, the local reference and manual clock
 * adjustments, with chronyd's status codes. */
#include "daemon/sources.h"

#include "daemon/config.h"
#include "daemon/reference.h"
#include "daemon/sched.h"
#include "lib/bytes.h"
#include "lib/mem.h"
#include "lib/ts.h"
#include "proto/cmdmon.h"
#include "proto/source_opts.h"

#include <stdlib.h>
#include <string.h>

/* A free directive slot: unused, and no lookup pending for a removed one
 * (its callback still refers to the slot). -1 when all are in use. */
static int entry_alloc(struct sources *ss)
{
    for (size_t i = 0; i < ss->n_entries; i++)
        if (!ss->entries[i].cfg && !ss->entries[i].resolving)
            return (int)i;
    if (ss->n_entries < ss->cap_entries)
        return (int)ss->n_entries++;
    return -1;
}

/* Forget a directive: its retry timer and owned configuration. A pending
 * lookup keeps the slot busy until its callback has run. */
static void entry_release(struct sources *ss, size_t index)
{
    struct source_entry *e = &ss->entries[index];

    sched_cancel(ss->sched, e->retry_timer);
    if (e->own)
        config_free_sources(e->own, 1);
    e->retry_timer = 0;
    e->own = NULL;
    e->cfg = NULL;
    e->n_active = 0;
    e->failed = 0;
    e->from_sourcedir = 0;
    e->retry_interval = 0.0;
    e->n_ids = 0;
    sources_rows_changed(ss);
}

/* Take a source out of the table and the engine. */
static void source_remove(struct sources *ss, int index, const struct timespec *raw_now)
{
    struct source *s = ss->v[index];
    struct source_entry *e = &ss->entries[s->cfg_index];

    if (index == sources_selected(ss)) {
        /* chrony takes a source offline before destroying it: the selected
         * one becomes unreachable and the selection is lost (and logged). */
        engine_source_clear_reach(ss->engine, index);
        sources_select(ss, 0, raw_now);
    }
    engine_remove_source(ss->engine, index);
    if (s->addr_indexed)
        sources_addr_index_remove(&ss->by_addr, s);
    s->addr_indexed = 0;
    memmove(&ss->v[index], &ss->v[index + 1], sizeof(*ss->v) * (size_t)(ss->n - index - 1));
    ss->n--;
    for (int i = index; i < ss->n; i++)
        ss->v[i]->index = i;
    s->index = -1;
    sources_rows_changed(ss);
    if (s->replacing) {
        /* A replacement lookup still refers to the source and its directive:
         * keep both, silent (no engine state), until the end. */
        ss->zombies = xrealloc(ss->zombies, sizeof(*ss->zombies) * (size_t)(ss->n_zombies + 1));
        ss->zombies[ss->n_zombies++] = s;
        return;
    }
    if (--e->n_active <= 0)
        entry_release(ss, (size_t)s->cfg_index);
    sources_free_source(ss, s);
}

void sources_remove_all(struct sources *ss, const struct timespec *raw_now)
{
    for (int i = ss->n - 1; i >= 0; i--)
        if (!ss->v[i]->refclock)
            source_remove(ss, i, raw_now);
}

void sources_cmd_fini(struct sources *ss)
{
    for (int i = 0; i < ss->n_zombies; i++)
        sources_free_source(ss, ss->zombies[i]);
    free(ss->zombies);
    ss->zombies = NULL;
    ss->n_zombies = 0;
    for (size_t i = 0; i < ss->n_entries; i++)
        if (ss->entries[i].own)
            config_free_sources(ss->entries[i].own, 1);
}

/* chrony's log_source(): "Added source ADDR", "Added source ID#n (NAME)" for a name not
 * resolved yet, "Added pool NAME" once for a pool given by name (a `pool` of an address
 * is one source to chrony); "Removed ..." likewise. chrony logs
 * these at INFO for chronyc commands and sourcedir files, at DEBUG otherwise (the
 * configuration file). */
void sources_log_entry(struct sources *ss, size_t slot, int added, enum log_level level)
{
    const struct source_entry *e = &ss->entries[slot];
    const char *verb = added ? "Added" : "Removed";
    struct ip_addr ip;
    char addr[IP_ADDR_STRLEN];
    int literal = ip_addr_parse(&ip, e->cfg->name);

    if (e->cfg->type == CFG_SRC_POOL && !literal)
        log_msg(ss->env->log, level, "%s pool %s", verb, e->cfg->name);
    else if (e->n_ids > 0)
        log_msg(ss->env->log, level, "%s source ID#%010u (%s)", verb, (unsigned)e->ids[0],
                e->cfg->name);
    else if (literal && strcmp(ip_addr_format(&ip, addr, sizeof(addr)), e->cfg->name) != 0)
        log_msg(ss->env->log, level, "%s source %s (%s)", verb, addr, e->cfg->name);
    else
        log_msg(ss->env->log, level, "%s source %s", verb, e->cfg->name);
}

/* "Removed source ADDR (NAME)" of chronyc delete (chrony logs each source by address,
 * a pool's too). */
static void log_removed(struct sources *ss, const struct source *s)
{
    char name[IP_ADDR_STRLEN + 260];

    LOG_INFO(ss->env->log, "Removed source %s", sources_display_name(s, name, sizeof(name)));
}

/* Checks of an address given directly (chrony's NSR_AddSourceByName):
 * the family option must match, and no source may use the address yet
 * (whatever its port). */
static int check_literal(const struct sources *ss, const struct source_cfg *sc)
{
    struct ip_addr ip;

    if (!ip_addr_parse(&ip, sc->name))
        return CMDMON_STT_SUCCESS;
    if (!sources_family_allowed(ss, sc, ip.family))
        return CMDMON_STT_INVALIDAF;
    if (sources_address_in_use(ss, &ip))
        return CMDMON_STT_SOURCEALREADYKNOWN;
    return CMDMON_STT_SUCCESS;
}

int sources_add_cfg(struct sources *ss, struct source_cfg *sc, int from_sourcedir,
                    const struct timespec *raw_now)
{
    return sources_add_cfg_logged(ss, sc, from_sourcedir, LOGL_INFO, raw_now);
}

int sources_add_cfg_logged(struct sources *ss, struct source_cfg *sc, int from_sourcedir,
                           enum log_level level, const struct timespec *raw_now)
{
    int st = check_literal(ss, sc), slot;
    struct source_entry *e;

    (void)raw_now;
    /* serverworkers (ours): a peer's packets could reach a worker, which has no sources. */
    if (st == CMDMON_STT_SUCCESS && sc->type == CFG_SRC_PEER && ss->cfg->server_workers > 1) {
        LOG_ERR(ss->env->log, "serverworkers cannot be used with peer %s", sc->name);
        st = CMDMON_STT_FAILED;
    }
    if (st == CMDMON_STT_SUCCESS && sources_check_socket(ss, sc) < 0)
        st = CMDMON_STT_TOOMANYSOURCES; /* it could not poll: no descriptor left */
    if (st == CMDMON_STT_SUCCESS && (slot = entry_alloc(ss)) < 0)
        st = CMDMON_STT_TOOMANYSOURCES;
    if (st != CMDMON_STT_SUCCESS) {
        config_free_sources(sc, 1);
        return st;
    }
    e = &ss->entries[slot];
    memset(e, 0, sizeof(*e));
    e->cfg = sc;
    e->own = sc;
    e->srcs = ss;
    e->from_sourcedir = from_sourcedir;
    sources_entry_setup(ss, (size_t)slot);
    sources_log_entry(ss, (size_t)slot, 1, level);
    /* An address is used at once; a name resolves in the background and
     * the request still succeeds (spec 7.4). */
    sources_lookup_entry(ss, (size_t)slot);
    return CMDMON_STT_SUCCESS;
}

int sources_add_from_request(struct sources *ss, const struct cmdmon_req_add_source *a,
                             const struct timespec *raw_now)
{
    struct source_cfg *sc = xcalloc(1, sizeof(*sc));
    int st = source_opts_decode(a, sc);

    if (st != CMDMON_STT_SUCCESS) {
        free(sc);
        return st;
    }
    return sources_add_cfg(ss, sc, 0, raw_now);
}

/* chronyc delete ID#n: the placeholder goes; the directive with its last one (a
 * pending lookup then finds no directive). */
static int placeholder_remove(struct sources *ss, uint32_t id)
{
    int slot = sources_find_placeholder(ss, id);
    struct source_entry *e;
    int k;

    if (slot < 0)
        return CMDMON_STT_NOSUCHSOURCE;
    e = &ss->entries[slot];
    for (k = 0; e->ids[k] != id; k++)
        ;
    memmove(&e->ids[k], &e->ids[k + 1], sizeof(e->ids[0]) * (size_t)(e->n_ids - k - 1));
    sources_rows_changed(ss);
    LOG_INFO(ss->env->log, "Removed source ID#%010u (%s)", (unsigned)id, e->cfg->name);
    if (--e->n_ids == 0)
        entry_release(ss, (size_t)slot);
    return CMDMON_STT_SUCCESS;
}

int sources_delete(struct sources *ss, const struct cmdmon_addr *addr,
                   const struct timespec *raw_now)
{
    struct ip_addr ip;
    int index;

    if (addr->family == CMDMON_AF_ID)
        return placeholder_remove(ss, get_be32(addr->bytes));
    cmdmon_addr_to_ip(addr, &ip);
    index = ip.family == IPF_UNSPEC ? -1 : sources_find(ss, &ip);
    if (index < 0)
        return CMDMON_STT_NOSUCHSOURCE;
    log_removed(ss, ss->v[index]);
    source_remove(ss, index, raw_now);
    /* The synchronisation source may be gone: select again. */
    sources_select(ss, 0, raw_now);
    return CMDMON_STT_SUCCESS;
}

/* An NTP source by address, or (no address) a reference clock by its reference ID. */
static struct source *source_at(struct sources *ss, const struct cmdmon_addr *addr, uint32_t ref_id)
{
    struct ip_addr ip;

    cmdmon_addr_to_ip(addr, &ip);
    if (ip.family == IPF_UNSPEC) {
        int i = engine_refclock_find(ss->engine, ref_id);
        return i >= 0 ? ss->v[i] : NULL;
    }
    return (struct source *)sources_get(ss, sources_find(ss, &ip));
}

int sources_modify_selectopts(struct sources *ss, const struct cmdmon_req_selectopts *r,
                              const struct timespec *raw_now)
{
    struct source *s = source_at(ss, &r->address, r->ref_id);
    unsigned mask = r->mask & 0xfu, options, updated;
    char addr[IP_ADDR_STRLEN];
    int index;

    if (!s)
        return CMDMON_STT_NOSUCHSOURCE;
    index = sources_index(s);
    /* The mask uses the selection bits, the values the ADD_SOURCE flags. */
    options = (unsigned)source_opts_sel_from_flags(r->options);
    updated = (sources_engine_part(ss, index)->sel_options & ~mask) | (options & mask);
    if (engine_source_command(ss->engine, index, ENGINE_SRC_SELECTOPTS, (int)updated, 0, 0.0,
                              raw_now)) {
        LOG_INFO(ss->env->log, "Source %s selection options modified",
                 sources_log_name(s, addr, sizeof(addr)));
        sources_select(ss, 0, raw_now);
    }
    return CMDMON_STT_SUCCESS;
}

int sources_modify_offset(struct sources *ss, const struct cmdmon_req_offset *r)
{
    struct source *s = source_at(ss, &r->address, r->ref_id);
    char addr[IP_ADDR_STRLEN];

    if (!s)
        return CMDMON_STT_NOSUCHSOURCE;
    if (s->refclock) /* added to its readings, not to its statistics' samples */
        engine_refclock_set_offset(ss->engine, sources_index(s), r->offset);
    else
        engine_source_command(ss->engine, sources_index(s), ENGINE_SRC_OFFSET, 0, 0, r->offset,
                              NULL);
    LOG_INFO(ss->env->log, "Source %s new offset %f", sources_log_name(s, addr, sizeof(addr)),
             r->offset);
    return CMDMON_STT_SUCCESS;
}

int sources_reset_all(struct sources *ss, const struct timespec *raw_now)
{
    engine_reset_sources(ss->engine, raw_now, sources_out_begin(ss));
    sources_out_end(ss, raw_now);
    LOG_INFO(ss->env->log, "Reset all sources");
    return CMDMON_STT_SUCCESS;
}

/* A directive of a sourcedir file went: its sources, or its placeholder, once for a
 * pool (chrony's NSR_RemoveSourcesById). */
static void entry_remove(struct sources *ss, size_t index, const struct timespec *raw_now)
{
    const struct source_entry *e = &ss->entries[index];
    struct ip_addr literal;

    if ((e->cfg->type == CFG_SRC_POOL && !ip_addr_parse(&literal, e->cfg->name)) ||
        sources_entry_unresolved(e))
        sources_log_entry(ss, index, 0, LOGL_INFO);
    else
        for (int i = 0; i < ss->n; i++)
            if (ss->v[i]->cfg_index == (int)index)
                log_removed(ss, ss->v[i]);
    for (int i = ss->n - 1; i >= 0; i--)
        if (ss->v[i]->cfg_index == (int)index)
            source_remove(ss, i, raw_now);
    if (ss->entries[index].cfg && ss->entries[index].n_active == 0)
        entry_release(ss, index);
}

/* Directives of the old files missing from the new ones go; *keep[i] marks
 * new directives already present. */
static int remove_stale(struct sources *ss, const struct source_cfg *v, size_t nv, char *keep,
                        const struct timespec *raw_now)
{
    int removed = 0;

    for (size_t i = 0; i < ss->n_entries; i++) {
        struct source_entry *e = &ss->entries[i];
        size_t j;
        if (!e->cfg || !e->from_sourcedir)
            continue;
        /* Same directive: a changed line counts as removed and added, as chrony. */
        for (j = 0; j < nv && (keep[j] || !source_opts_equal(e->cfg, &v[j])); j++)
            ;
        if (j < nv) {
            keep[j] = 1;
            continue;
        }
        entry_remove(ss, i, raw_now);
        removed++;
    }
    return removed;
}

int sources_reload_sourcedirs(struct sources *ss, const struct timespec *raw_now)
{
    struct source_cfg *v = NULL;
    size_t nv = config_load_sourcedirs(ss->cfg, &ss->env->files, &v);
    char *keep = xcalloc(nv ? nv : 1, 1);
    int removed = remove_stale(ss, v, nv, keep, raw_now);

    for (size_t j = 0; j < nv; j++) {
        struct source_cfg *sc;
        if (keep[j])
            continue;
        sc = xcalloc(1, sizeof(*sc));
        *sc = v[j];
        sc->name = xstrdup(v[j].name);
        (void)sources_add_cfg(ss, sc, 1, raw_now);
    }
    if (removed)
        sources_select(ss, 0, raw_now);
    config_free_sources(v, nv);
    free(keep);
    return CMDMON_STT_SUCCESS;
}

/* chrony's refresh: a source keeps its address while the name still
 * resolves to it, else it moves to the first address not in use. */
static void on_refresh_resolved(void *arg, int status, const struct ip_addr *addrs, int count)
{
    struct source *s = arg;
    struct sources *ss = s->srcs;
    const struct source_cfg *sc;

    s->replacing = 0;
    if (status != 0 || sources_index(s) < 0)
        return; /* failed, or the source was deleted meanwhile */
    for (int i = 0; i < count; i++)
        if (ip_addr_equal(&addrs[i], &s->remote.ip))
            return;
    sc = ss->entries[s->cfg_index].cfg;
    for (int i = 0; i < count; i++) {
        if (sources_family_allowed(ss, sc, addrs[i].family) &&
            !sources_address_in_use(ss, &addrs[i])) {
            sources_replace_address(s, &addrs[i]);
            return;
        }
    }
}

/* Look source s's name up again (a pending lookup already does). */
static void refresh_source(struct sources *ss, struct source *s, const struct timespec *raw_now)
{
    s->last_resolving = *raw_now;
    s->replacing = 1;
    if (ss->env->resolver.resolve(ss->env->resolver.ctx, s->name, IPF_UNSPEC, on_refresh_resolved,
                                  s) != 0)
        s->replacing = 0;
}

void sources_maybe_refresh(struct sources *ss, const struct timespec *raw_now)
{
    double interval = ss->cfg->refresh;
    struct source *oldest = NULL;
    struct ip_addr literal;

    /* chrony's maybe_refresh_source: at most one name every `refresh` seconds, the one
     * resolved longest ago, if that was more than `refresh` ago. */
    if (interval <= 0.0 ||
        (ss->have_last_refresh && ts_diff(raw_now, &ss->last_refresh) < interval))
        return;
    ss->last_refresh = *raw_now;
    ss->have_last_refresh = 1;
    for (int i = 0; i < ss->n; i++) {
        struct source *s = ss->v[i];
        if (s->refclock || s->replacing || ip_addr_parse(&literal, s->name))
            continue;
        if (!oldest || ts_cmp(&s->last_resolving, &oldest->last_resolving) < 0)
            oldest = s;
    }
    if (!oldest)
        return;
    if (ts_diff(raw_now, &oldest->last_resolving) < interval) {
        ss->last_refresh = oldest->last_resolving;
        return;
    }
    refresh_source(ss, oldest, raw_now);
}

int sources_refresh(struct sources *ss, const struct timespec *raw_now)
{
    struct ip_addr literal;

    /* Names not resolved yet: try again now. */
    for (size_t i = 0; i < ss->n_entries; i++) {
        struct source_entry *e = &ss->entries[i];
        if (!sources_entry_unresolved(e) || e->resolving)
            continue;
        sched_cancel(ss->sched, e->retry_timer);
        e->retry_timer = 0;
        sources_lookup_entry(ss, i);
    }
    /* Sources given by name: look the name up again (a pending replacement
     * lookup does the same already). The lookup may answer at once. */
    for (int i = 0; i < ss->n; i++) {
        struct source *s = ss->v[i];
        if (s->refclock || s->replacing || ip_addr_parse(&literal, s->name))
            continue;
        refresh_source(ss, s, raw_now);
    }
    return CMDMON_STT_SUCCESS;
}

int sources_onoffline(struct sources *ss, const struct timespec *raw_now)
{
    char addr[IP_ADDR_STRLEN];

    for (int i = 0; i < ss->n; i++) {
        struct source *s = ss->v[i];
        if (s->refclock || ntp_client_is_online(&sources_engine_part(ss, i)->client))
            continue;
        engine_source_command(ss->engine, i, ENGINE_SRC_ONLINE, 0, 0, 0.0, raw_now);
        LOG_INFO(ss->env->log, "Source %s online",
                 ip_addr_format(&s->remote.ip, addr, sizeof(addr)));
    }
    sources_rearm_engine(ss);
    return CMDMON_STT_SUCCESS;
}

int sources_set_local(struct sources *ss, const struct cmdmon_req_local *l)
{
    /* LOCAL2 leaves activate and the wait times zero, which are chrony's defaults then. */
    engine_set_local(ss->engine, l->on_off != 0, l->stratum, l->orphan, l->distance, l->activate,
                     l->wait_synced, l->wait_unsynced);
    LOG_INFO(ss->env->log, "%s local reference mode", l->on_off ? "Enabled" : "Disabled");
    return CMDMON_STT_SUCCESS;
}

int sources_make_step(struct sources *ss, const struct timespec *raw_now)
{
    const struct env_clock *ck = &ss->env->clock;
    unsigned refused_before = ss->ref->steps_refused;
    int ok;

    /* chronyc makestep: remove the whole remaining correction at once. A clock that
     * cannot be controlled answers "500 Failure", as chrony does. */
    if (!ck->can_control(ck->ctx))
        return CMDMON_STT_FAILED;
    ok = engine_make_step(ss->engine, raw_now, sources_out_begin(ss));
    sources_out_end(ss, raw_now);
    if (!ok || ss->ref->steps_refused != refused_before)
        return CMDMON_STT_FAILED;
    return CMDMON_STT_SUCCESS;
}

int sources_manual_dfreq(struct sources *ss, double dfreq_ppm, const struct timespec *raw_now)
{
    engine_accumulate_freq(ss->engine, raw_now, dfreq_ppm, sources_out_begin(ss));
    sources_out_end(ss, raw_now);
    LOG_INFO(ss->env->log, "Accumulated delta freq of %.3fppm", dfreq_ppm);
    return CMDMON_STT_SUCCESS;
}

int sources_manual_doffset(struct sources *ss, double doffset, const struct timespec *raw_now)
{
    int ok = engine_accumulate_offset(ss->engine, raw_now, doffset, sources_out_begin(ss));

    sources_out_end(ss, raw_now);
    if (!ok)
        return CMDMON_STT_FAILED;
    LOG_INFO(ss->env->log, "Accumulated delta offset of %.6f seconds", doffset);
    return CMDMON_STT_SUCCESS;
}
