/* The rows of chronyc sources, sourcestats and selectdata in chrony's order, and the
 * placeholders that stand for a directive whose name has not resolved yet (chrony adds a
 * source with an `ID#` address at once and gives it the resolved address in place, so a
 * source keeps its directive's place in the list). */
#include "daemon/sources.h"

#include "core/sourcestats.h"
#include "lib/bytes.h"
#include "lib/mem.h"
#include "proto/cmdmon.h"
#include "proto/source_opts.h"

#include <stdlib.h>
#include <string.h>

int sources_entry_unresolved(const struct source_entry *e)
{
    return e->cfg && e->n_active == 0 && e->n_ids > 0;
}

int sources_count_unresolved(const struct sources *ss)
{
    int n = 0;

    for (size_t i = 0; i < ss->n_entries; i++)
        if (sources_entry_unresolved(&ss->entries[i]))
            n += ss->entries[i].n_ids;
    return n;
}

void sources_entry_setup(struct sources *ss, size_t entry)
{
    struct source_entry *e = &ss->entries[entry];
    struct ip_addr literal;
    int n = 1;

    sources_rows_changed(ss);
    if (entry < ss->first_round_pos)
        ss->first_round_pos = entry; /* it waits for its first lookup now */
    e->seq = ++ss->next_entry_seq;
    e->n_ids = 0;
    if (ip_addr_parse(&literal, e->cfg->name))
        return; /* an address needs no lookup, and no placeholder */
    /* chrony: a pool starts with 2 x maxsources (1..16) sources to choose from. */
    if (e->cfg->type == CFG_SRC_POOL) {
        int max = e->cfg->max_sources < 1 ? 1 : e->cfg->max_sources > 16 ? 16 : e->cfg->max_sources;
        n = 2 * max < SOURCES_MAX_PLACEHOLDERS ? 2 * max : SOURCES_MAX_PLACEHOLDERS;
    }
    for (int i = 0; i < n; i++)
        e->ids[e->n_ids++] = ++ss->last_address_id;
}

/* Merge the runs order[lo..mid) and order[mid..hi) by their seq into tmp (stable). */
static void merge_by_seq(const struct sources *ss, const size_t *order, size_t lo, size_t mid,
                         size_t hi, size_t *tmp)
{
    size_t a = lo, b = mid, k = lo;

    while (a < mid || b < hi) {
        if (b >= hi || (a < mid && ss->entries[order[a]].seq <= ss->entries[order[b]].seq))
            tmp[k++] = order[a++];
        else
            tmp[k++] = order[b++];
    }
}

/* The live directives' slots by their order. Slots are mostly in order already (reused
 * ones are not): a linear pass when they are, a bottom-up merge sort when not. tmp has
 * room for n_entries slots. */
static size_t sorted_entries(const struct sources *ss, size_t *order, size_t *tmp)
{
    size_t n = 0;
    int sorted = 1;

    for (size_t i = 0; i < ss->n_entries; i++) {
        if (!ss->entries[i].cfg)
            continue;
        if (n > 0 && ss->entries[order[n - 1]].seq > ss->entries[i].seq)
            sorted = 0;
        order[n++] = i;
    }
    for (size_t w = 1; !sorted && w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            merge_by_seq(ss, order, lo, mid, hi, tmp);
        }
        memcpy(order, tmp, n * sizeof(*order));
    }
    return n;
}

/* The directive slot of source i, -1 for a reference clock. */
static int slot_of(const struct sources *ss, int i)
{
    const struct source *s = ss->v[i];
    return s->refclock || s->cfg_index < 0 || (size_t)s->cfg_index >= ss->n_entries ? -1
                                                                                    : s->cfg_index;
}

/* Sources bucketed by directive slot, in index order within a slot: the sources of slot
 * k are by_slot[first[k] .. first[k + 1]). first has n_entries + 1 elements. */
static void bucket_sources(const struct sources *ss, size_t *first, int *by_slot)
{
    size_t *fill;

    memset(first, 0, (ss->n_entries + 1) * sizeof(*first));
    for (int i = 0; i < ss->n; i++)
        if (slot_of(ss, i) >= 0)
            first[slot_of(ss, i) + 1]++;
    for (size_t k = 0; k < ss->n_entries; k++)
        first[k + 1] += first[k];
    fill = xcalloc(ss->n_entries + 1, sizeof(*fill));
    memcpy(fill, first, ss->n_entries * sizeof(*fill));
    for (int i = 0; i < ss->n; i++)
        if (slot_of(ss, i) >= 0)
            by_slot[fill[slot_of(ss, i)]++] = i;
    free(fill);
}

/* The rows in O(directives + sources) (a merge sort of the directives at worst). */
static void rows_build(struct sources *ss)
{
    size_t ne = ss->n_entries, cap = (size_t)ss->n + 1;
    size_t *order = xcalloc(3 * ne + 2, sizeof(*order)), *tmp = order + ne, *first = tmp + ne;
    size_t n_order = sorted_entries(ss, order, tmp);
    int *by_slot = xcalloc((size_t)ss->n + 1, sizeof(*by_slot));
    struct source_row *r;
    int n = 0;

    bucket_sources(ss, first, by_slot);
    for (size_t k = 0; k < n_order; k++)
        if (sources_entry_unresolved(&ss->entries[order[k]]))
            cap += (size_t)ss->entries[order[k]].n_ids;
    r = xcalloc(cap, sizeof(*r));
    /* Reference clocks come first, as chrony creates them before the NTP sources. */
    for (int i = 0; i < ss->n; i++)
        if (ss->v[i]->refclock)
            r[n++] = (struct source_row){i, 0, 0};
    for (size_t k = 0; k < n_order; k++) {
        const struct source_entry *e = &ss->entries[order[k]];
        for (size_t j = first[order[k]]; j < first[order[k] + 1]; j++)
            r[n++] = (struct source_row){by_slot[j], order[k], 0};
        for (int i = 0; sources_entry_unresolved(e) && i < e->n_ids; i++)
            r[n++] = (struct source_row){-1, order[k], e->ids[i]};
    }
    free(order);
    free(by_slot);
    free(ss->rows);
    ss->rows = r;
    ss->n_rows = n;
    ss->rows_n = ss->n;
    ss->rows_n_entries = ne;
    ss->rows_valid = 1;
}

void sources_rows_changed(struct sources *ss)
{
    ss->rows_valid = 0;
}

int sources_rows(struct sources *ss, const struct source_row **rows)
{
    /* The counts guard against a change that was not reported. */
    if (!ss->rows_valid || ss->rows_n != ss->n || ss->rows_n_entries != ss->n_entries)
        rows_build(ss);
    *rows = ss->rows;
    return ss->n_rows;
}

void sources_rows_fini(struct sources *ss)
{
    free(ss->rows);
    ss->rows = NULL;
    ss->n_rows = 0;
    ss->rows_valid = 0;
}

int sources_find_placeholder(const struct sources *ss, uint32_t id)
{
    for (size_t i = 0; i < ss->n_entries; i++) {
        const struct source_entry *e = &ss->entries[i];
        for (int k = 0; sources_entry_unresolved(e) && k < e->n_ids; k++)
            if (e->ids[k] == id)
                return (int)i;
    }
    return -1;
}

static void placeholder_addr(struct cmdmon_addr *a, uint32_t id)
{
    memset(a, 0, sizeof(*a));
    a->family = CMDMON_AF_ID;
    put_be32(a->bytes, id);
}

/* chrony's unresolved instance: not started, no samples, polling at its minpoll. */
void sources_placeholder_data(const struct sources *ss, const struct source_row *r,
                              struct cmdmon_source_data *out)
{
    const struct source_cfg *sc = ss->entries[r->entry].cfg;

    memset(out, 0, sizeof(*out));
    placeholder_addr(&out->ip, r->id);
    out->poll = (int16_t)sc->minpoll;
    out->state = CMDMON_SRC_NONSELECTABLE;
    out->mode = sc->type == CFG_SRC_PEER ? CMDMON_MODE_PEER : CMDMON_MODE_CLIENT;
    out->flags = (uint16_t)(sc->sel_options & 0xf);
    out->since_sample = CMDMON_NO_SAMPLE;
}

/* The statistics of a source without samples; reference ID 0, as chrony's for an ID. */
void sources_placeholder_stats(const struct source_row *r, struct cmdmon_sourcestats *out)
{
    struct sourcestats_params p;
    struct sourcestats *st;
    struct sourcestats_report rep;
    struct timespec zero = {0, 0};

    sourcestats_params_default(&p);
    st = sourcestats_new(&p);
    sourcestats_get_report(st, &zero, &rep);
    sourcestats_free(st);
    memset(out, 0, sizeof(*out));
    placeholder_addr(&out->ip, r->id);
    out->sd = rep.sd;
    out->resid_freq_ppm = rep.resid_freq_ppm;
    out->skew_ppm = rep.skew_ppm;
}

/* As a source that has not been selected from yet: 'M' (no samples), score 1, leap
 * unknown. */
void sources_placeholder_select(const struct sources *ss, const struct source_row *r,
                                struct cmdmon_select_data *out)
{
    const struct source_cfg *sc = ss->entries[r->entry].cfg;

    memset(out, 0, sizeof(*out));
    placeholder_addr(&out->ip, r->id);
    out->state_char = 'M';
    out->leap = 3;
    out->conf_options = (uint16_t)(sc->sel_options & 0xf);
    out->eff_options = out->conf_options;
    out->score = 1.0;
}
