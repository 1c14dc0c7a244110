/* Client log and rate limiting; see clientlog.h. The arithmetic (1/16 s fixed
 * point times, log2 rates scaled by 4, 16-bit token buckets) reproduces what
 * chronyd reports in `clients` and how its `ratelimit` behaves. */
#include "core/clientlog.h"

#include "lib/clamp.h"
#include "lib/compiler.h"
#include "lib/mem.h"

#include <assert.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Times are u32 fixed point with TS_FRAC fractional bits; 0 means "never". */
#define TS_FRAC 4
#define TS_INVALID 0u
/* Rates are log2(1/interval) scaled by RATE_SCALE, kept in an int8. */
#define RATE_SCALE 4
#define RATE_MIN (-14 * RATE_SCALE)
#define RATE_INVALID (-128)
/* Bounds of the limit parameters (chrony clamps silently). */
#define LIMIT_INTERVAL_MIN (-15 - TS_FRAC)
#define LIMIT_INTERVAL_MAX 12
#define LIMIT_BURST_MIN 1
#define LIMIT_BURST_MAX 255
#define LEAK_MIN 1
#define LEAK_MAX 4
#define KOD_MIN 0
#define KOD_MAX 4
/* Sizing as chrony 4.8: clientloglimit is divided by 80 bytes per record (its 64-byte
 * record plus the 16-byte interleaved-mode timestamp it reserves per record), by the 16
 * records of a slot, and by 3/2 (chrony's old and new tables coexist while it doubles);
 * the slot count is rounded down to a power of two and at most 2^20 (16 Mi records).
 * The default 524288 bytes thus gives 4096 records, as chrony.conf(5) says. Our slot
 * takes exactly 80 bytes per record (below) and doubles in place, so the table never
 * takes more than 2/3 of clientloglimit. */
#define RECORD_COST 80u
#define MAX_SLOTS (1u << 20)

struct clog_record {
    struct ip_addr ip; /* IPF_UNSPEC = empty */
    uint32_t last_hit[CLOG_N_SERVICES];
    uint32_t hits[CLOG_N_SERVICES];
    uint32_t drops[CLOG_N_SERVICES];
    uint16_t tokens[CLOG_N_SERVICES];
    int8_t rate[CLOG_N_SERVICES];
    int8_t ntp_timeout_rate;
    uint8_t dropped; /* bit per service: the last request got no response */
};

/* One hash slot: 16 records behind a compact header. A lookup reads the 64-byte line
 * of tags and then only the record whose tag matches; choosing the record to replace
 * reads the two lines of latest-hit times and total hits. 192 + 16 * 68 = 1280 bytes,
 * 80 per record; slots start on 64-byte boundaries. */
struct clog_slot {
    uint32_t tag[CLIENTLOG_SLOT_SIZE];    /* keyed hash of the address, 0 = empty */
    uint32_t latest[CLIENTLOG_SLOT_SIZE]; /* latest hit of any service (1/16 s) */
    uint32_t total[CLIENTLOG_SLOT_SIZE];  /* hits of all services (wraps, as chrony's sum) */
    struct clog_record rec[CLIENTLOG_SLOT_SIZE];
};

/* The mutable header of a table in shared memory (clientlog_new_in), in front of its
 * slots: the writer's sequence counter (odd while it changes the table), the slot count,
 * and the reset requests of the reading process. 64 bytes, so the slots keep their
 * 64-byte alignment. */
struct clog_shared {
    _Atomic uint32_t seq;
    _Atomic uint32_t slots;
    _Atomic uint32_t reset_gen; /* the reader's requests: each increment asks for a reset */
    uint32_t pad[13];
};
_Static_assert(sizeof(struct clog_shared) == CLIENTLOG_SHARED_HEADER,
               "the shared header keeps the slots 64-byte aligned");

/* Copies a reader makes of a record before it takes it as torn and reports the record
 * as empty (the writer holds the counter odd for one request's update, a reset or a
 * growth of the table). */
#define SHARED_READ_TRIES 1000

struct bucket_params {
    uint16_t max_tokens, tokens_per_hit; /* tokens_per_hit 0 = no limit */
    int shift;                           /* token time scale; negative = coarse */
    int leak;
    int kod;      /* log2 of the KoD fraction of limited requests, 0 = none */
    int interval; /* log2 s */
};

struct clientlog {
    int active;
    int private_active;     /* active, and not shared: the path of the default daemon */
    int view;               /* a read-only view of a table another process writes */
    int orphan;             /* a view whose writer ended: read without the seqlock */
    struct clog_shared *sh; /* the header in shared memory, NULL for a private table */
    uint32_t reset_seen;    /* the writer: the last reset request applied */
    void *mem;              /* allocation holding the slots (for free), NULL if given */
    struct clog_slot *slot; /* 64-byte aligned within mem */
    unsigned slots, max_slots;
    uint64_t hash_key[2]; /* secret: addresses crafted to share a slot cannot be chosen */
    struct bucket_params bucket[CLOG_N_SERVICES];
    uint32_t ts_offset_ns; /* random alignment of the fixed-point times */
    struct rng rng;
    uint32_t rnd;
    int rnd_bits;
    struct clientlog_stats stats;
};

/* The seqlock of a shared table: the counter odd while the table changes (a release
 * fence after it, so the changes are not seen before it), even after (a release store).
 * Nothing for a private table. */
static void write_begin(struct clientlog *cl)
{
    if (cl->sh) {
        uint32_t q = atomic_load_explicit(&cl->sh->seq, memory_order_relaxed);
        atomic_store_explicit(&cl->sh->seq, q + 1, memory_order_relaxed);
        atomic_thread_fence(memory_order_release);
    }
}

static void write_end(struct clientlog *cl)
{
    if (cl->sh) {
        uint32_t q = atomic_load_explicit(&cl->sh->seq, memory_order_relaxed);
        atomic_store_explicit(&cl->sh->seq, q + 1, memory_order_release);
    }
}

/* Token bucket sizing: a token is 2^shift time units; a response costs
 * tokens_per_hit so that buckets refill at one response per 2^interval s and
 * hold burst responses, within 16 bits. */
static void bucket_init(struct bucket_params *b, const struct clientlog_limit *l)
{
    int interval = clamp_int(l->interval, LIMIT_INTERVAL_MIN, LIMIT_INTERVAL_MAX);
    int burst = clamp_int(l->burst, LIMIT_BURST_MIN, LIMIT_BURST_MAX);

    if (interval >= -TS_FRAC) {
        for (b->shift = 0; b->shift < interval + TS_FRAC; b->shift++)
            if ((unsigned)burst << (TS_FRAC + interval - b->shift) < 1u << 16)
                break;
    } else {
        /* Shorter than the time resolution: one token per hit, several per unit. */
        b->shift = interval + TS_FRAC;
        if (burst < 1 << -b->shift)
            burst = 1 << -b->shift;
    }
    b->tokens_per_hit = (uint16_t)(1u << (TS_FRAC + interval - b->shift));
    b->max_tokens = (uint16_t)(b->tokens_per_hit * burst);
    b->leak = clamp_int(l->leak, LEAK_MIN, LEAK_MAX);
    b->kod = clamp_int(l->kod, KOD_MIN, KOD_MAX);
    b->interval = interval;
    /* A burst of responses fits the 16-bit bucket. */
    assert(b->tokens_per_hit >= 1 && b->max_tokens >= b->tokens_per_hit);
}

static int compare_ts(uint32_t x, uint32_t y)
{
    if (x == y)
        return 0;
    if (y == TS_INVALID)
        return 1;
    if (x == TS_INVALID)
        return -1;
    return (int32_t)(x - y) > 0 ? 1 : -1;
}

static uint32_t ts_from_timespec(const struct clientlog *cl, const struct timespec *t)
{
    uint32_t sec = (uint32_t)t->tv_sec;
    uint32_t nsec = (uint32_t)t->tv_nsec + cl->ts_offset_ns;

    if (nsec >= 1000000000u) {
        nsec -= 1000000000u;
        sec++;
    }
    return sec << TS_FRAC | (uint32_t)(((uint64_t)nsec << TS_FRAC) / 1000000000u);
}

_Static_assert(sizeof(struct clog_slot) == RECORD_COST * CLIENTLOG_SLOT_SIZE,
               "a slot takes the 80 bytes per record that clientloglimit is divided by");

static uint32_t latest_hit(const struct clog_record *r)
{
    uint32_t last = TS_INVALID;
    for (int s = 0; s < CLOG_N_SERVICES; s++)
        if (compare_ts(r->last_hit[s], last) > 0)
            last = r->last_hit[s];
    return last;
}

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9u;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebu;
    return x ^ (x >> 31);
}

/* Keyed 64-bit hash of an address: the low bits choose the slot, the high 32 bits are
 * the tag compared before the address itself. */
static uint64_t addr_hash(const struct clientlog *cl, const struct ip_addr *ip)
{
    uint64_t h = cl->hash_key[0] ^ (uint64_t)ip->family;
    int n = ip->family == IPF_INET4 ? 4 : 16;

    for (int i = 0; i < n; i += 4) {
        uint32_t w = (uint32_t)ip->a[i] << 24 | (uint32_t)ip->a[i + 1] << 16 |
                     (uint32_t)ip->a[i + 2] << 8 | ip->a[i + 3];
        h = mix64(h ^ w ^ cl->hash_key[1]);
    }
    return h;
}

static uint32_t tag_of(uint64_t h)
{
    uint32_t t = (uint32_t)(h >> 32);
    return t ? t : 1; /* 0 marks an empty record */
}

static struct clog_record *record_at(struct clientlog *cl, int index)
{
    return &cl->slot[index / CLIENTLOG_SLOT_SIZE].rec[index % CLIENTLOG_SLOT_SIZE];
}

static ALWAYS_INLINE void record_reset(struct clientlog *cl, struct clog_slot *sl, int j,
                                       uint32_t tag, const struct ip_addr *ip)
{
    struct clog_record *r = &sl->rec[j];

    memset(r, 0, sizeof(*r));
    r->ip = *ip;
    for (int s = 0; s < CLOG_N_SERVICES; s++) {
        r->tokens[s] = cl->bucket[s].max_tokens;
        r->rate[s] = RATE_INVALID;
    }
    r->ntp_timeout_rate = RATE_INVALID;
    sl->tag[j] = tag;
    sl->latest[j] = TS_INVALID;
    sl->total[j] = 0;
}

static void slot_move(struct clog_slot *to, int k, const struct clog_slot *from, int j)
{
    to->tag[k] = from->tag[j];
    to->latest[k] = from->latest[j];
    to->total[k] = from->total[j];
    to->rec[k] = from->rec[j];
}

/* Move the records of old slot i that now hash to slot i + old_slots there, keeping
 * the order of both parts. Records fill a slot from the front and are never removed,
 * so the first empty record of a slot ends it. */
static void slot_split(struct clientlog *cl, unsigned i, unsigned old_slots)
{
    struct clog_slot *lo = &cl->slot[i], *hi = &cl->slot[i + old_slots];
    int n_lo = 0, n_hi = 0, j;

    for (j = 0; j < CLIENTLOG_SLOT_SIZE && lo->tag[j]; j++) {
        if ((addr_hash(cl, &lo->rec[j].ip) & (2 * old_slots - 1)) == i)
            slot_move(lo, n_lo++, lo, j);
        else
            slot_move(hi, n_hi++, lo, j);
    }
    for (j = n_lo; j < CLIENTLOG_SLOT_SIZE; j++)
        lo->tag[j] = 0;
}

/* Double the table in place if the memory limit allows; 0 if it cannot grow.
 * The memory for the largest table was reserved by clientlog_new() (untouched pages
 * cost no RAM), so the packet path never allocates. Amortised O(1) per new record. */
static int table_expand(struct clientlog *cl)
{
    unsigned slots = cl->slots ? 2 * cl->slots : 1;

    if (slots > cl->max_slots)
        return 0;
    for (unsigned i = 0; i < cl->slots; i++)
        slot_split(cl, i, cl->slots);
    cl->slots = slots;
    return 1;
}

/* Among the records of a full slot, the one to replace: the oldest latest request of
 * any service, and of equally old ones the one with fewer requests (chrony 4.8's
 * choice). Reads only the slot header. */
static ALWAYS_INLINE int slot_victim(const struct clog_slot *sl)
{
    int v = 0;
    for (int j = 1; j < CLIENTLOG_SLOT_SIZE; j++) {
        int c = compare_ts(sl->latest[v], sl->latest[j]);
        if (c > 0 || (c == 0 && sl->total[v] > sl->total[j]))
            v = j;
    }
    return v;
}

/* The index of ip's record, created if missing: in an empty record of its slot, in a
 * doubled table while clientloglimit allows, else replacing slot_victim(). Expected
 * O(1): one tag line per probe, one address comparison per matching tag. */
static ALWAYS_INLINE int record_get(struct clientlog *cl, const struct ip_addr *ip)
{
    uint64_t h = addr_hash(cl, ip);
    uint32_t tag = tag_of(h);

    for (;;) {
        unsigned si = (unsigned)h & (cl->slots - 1);
        struct clog_slot *sl = &cl->slot[si];
        int j;

        for (j = 0; j < CLIENTLOG_SLOT_SIZE && sl->tag[j]; j++)
            if (sl->tag[j] == tag && ip_addr_equal(&sl->rec[j].ip, ip))
                return (int)(si * CLIENTLOG_SLOT_SIZE) + j;
        if (j == CLIENTLOG_SLOT_SIZE && table_expand(cl))
            continue;
        if (j == CLIENTLOG_SLOT_SIZE) {
            j = slot_victim(sl);
            cl->stats.log_drops++;
        }
        record_reset(cl, sl, j, tag, ip);
        return (int)(si * CLIENTLOG_SLOT_SIZE) + j;
    }
}

/* The handle's fixed part: limits, times alignment, hash key, and the largest slot count
 * limit_bytes allows (0 when inactive). NULL if rate limiting is asked of an inactive
 * log. */
static struct clientlog *handle_new(const struct clientlog_params *p, uint64_t seed)
{
    struct clientlog *cl;
    unsigned long max_slots;
    struct rng key_rng;

    for (int s = 0; s < CLOG_N_SERVICES; s++)
        if (!p->active && p->limits[s].enabled)
            return NULL;
    cl = xcalloc(1, sizeof(*cl));
    cl->active = p->active;
    rng_seed(&cl->rng, seed);
    for (int s = 0; s < CLOG_N_SERVICES; s++) {
        cl->bucket[s].interval = LIMIT_INTERVAL_MIN;
        if (p->limits[s].enabled)
            bucket_init(&cl->bucket[s], &p->limits[s]);
    }
    cl->ts_offset_ns = rng_u32(&cl->rng) % (1000000000u >> TS_FRAC);
    rng_seed(&key_rng, seed ^ 0x636c69656e746c67u); /* own stream: leak draws unchanged */
    cl->hash_key[0] = rng_u64(&key_rng);
    cl->hash_key[1] = rng_u64(&key_rng);
    if (!cl->active)
        return cl;
    max_slots = p->limit_bytes / (RECORD_COST * CLIENTLOG_SLOT_SIZE * 3 / 2);
    max_slots = max_slots < 1 ? 1 : max_slots > MAX_SLOTS ? MAX_SLOTS : max_slots;
    /* The table doubles from one slot, so it never exceeds the largest power of two. */
    for (cl->max_slots = 1; 2ul * cl->max_slots <= max_slots; cl->max_slots *= 2)
        ;
    return cl;
}

struct clientlog *clientlog_new(const struct clientlog_params *p, uint64_t seed)
{
    struct clientlog *cl = handle_new(p, seed);

    if (!cl || !cl->active)
        return cl;
    /* Zeroed (all records empty) and 64 bytes of room to align the first slot. */
    cl->mem = xcalloc((size_t)cl->max_slots * sizeof(struct clog_slot) + 64, 1);
    cl->slot = (struct clog_slot *)(((uintptr_t)cl->mem + 63) & ~(uintptr_t)63);
    cl->private_active = 1;
    table_expand(cl);
    return cl;
}

size_t clientlog_shared_bytes(const struct clientlog_params *p)
{
    struct clientlog *cl = handle_new(p, 0);
    size_t n = 0;

    if (cl && cl->active)
        n = sizeof(struct clog_shared) + (size_t)cl->max_slots * sizeof(struct clog_slot);
    clientlog_free(cl);
    return n;
}

/* A handle on a table in mem (the header, then the slots). */
static struct clientlog *shared_new(const struct clientlog_params *p, uint64_t seed, void *mem)
{
    struct clientlog *cl;

    if (!p->active || !mem || (uintptr_t)mem % 64)
        return NULL;
    cl = handle_new(p, seed);
    if (!cl)
        return NULL;
    cl->sh = mem;
    cl->slot = (struct clog_slot *)((unsigned char *)mem + sizeof(struct clog_shared));
    return cl;
}

struct clientlog *clientlog_new_in(const struct clientlog_params *p, uint64_t seed, void *mem)
{
    struct clientlog *cl = shared_new(p, seed, mem);

    if (!cl)
        return NULL;
    cl->reset_seen = atomic_load_explicit(&cl->sh->reset_gen, memory_order_acquire);
    write_begin(cl);
    table_expand(cl);
    atomic_store_explicit(&cl->sh->slots, cl->slots, memory_order_relaxed);
    write_end(cl);
    return cl;
}

struct clientlog *clientlog_view(const struct clientlog_params *p, uint64_t seed, void *mem)
{
    struct clientlog *cl = shared_new(p, seed, mem);

    if (cl)
        cl->view = 1;
    return cl;
}

/* The slot count of the table: for a view as its writer last published it (never more
 * than the memory holds, whatever the other process wrote). */
static unsigned cur_slots(const struct clientlog *cl)
{
    unsigned n;

    if (!cl->view)
        return cl->slots;
    n = atomic_load_explicit(&cl->sh->slots, memory_order_relaxed);
    return n > cl->max_slots ? cl->max_slots : n;
}

void clientlog_free(struct clientlog *cl)
{
    if (!cl)
        return;
    free(cl->mem);
    free(cl);
}

unsigned long clientlog_max_records(const struct clientlog *cl)
{
    return cl->active ? (unsigned long)cl->max_slots * CLIENTLOG_SLOT_SIZE : 0;
}

size_t clientlog_table_bytes(const struct clientlog *cl)
{
    return cl->active ? (size_t)cur_slots(cl) * sizeof(struct clog_slot) : 0;
}

/* Scaled log2 of the rate for an interval in 1/16 s units (rounded). */
static int rate_of_interval(uint32_t interval)
{
    int l2; /* scaled log2 of the interval */
    if (!interval)
        return RATE_SCALE * (TS_FRAC + 1);
    interval += interval >> 1;
    for (l2 = -RATE_SCALE * TS_FRAC; l2 < -RATE_MIN && interval > 1; l2 += RATE_SCALE)
        interval >>= 1;
    return -l2;
}

/* A rough exponential moving average: rise by one step towards a faster rate,
 * fall halfway (at most 2.5 octaves above the new value) towards a slower one. */
static void rate_update(int8_t *rate, int target)
{
    if (*rate == RATE_INVALID)
        *rate = (int8_t)target;
    else if (*rate < target)
        (*rate)++;
    else if (*rate > target)
        *rate = (int8_t)(*rate > target + RATE_SCALE * 5 / 2 ? target + RATE_SCALE * 5 / 2
                                                             : (*rate + target - 1) / 2);
}

static ALWAYS_INLINE void record_hit(struct clientlog *cl, enum clientlog_service s, int index,
                                     const struct timespec *now)
{
    struct clog_slot *sl = &cl->slot[index / CLIENTLOG_SLOT_SIZE];
    int j = index % CLIENTLOG_SLOT_SIZE;
    struct clog_record *r = &sl->rec[j];
    const struct bucket_params *b = &cl->bucket[s];
    uint32_t now_ts = ts_from_timespec(cl, now), prev = r->last_hit[s], interval, tokens;

    r->last_hit[s] = now_ts;
    r->hits[s]++;
    sl->latest[j] = latest_hit(r);
    sl->total[j]++;
    interval = now_ts - prev;
    if (prev == TS_INVALID || (int32_t)interval < 0)
        return;
    if (b->shift >= 0)
        tokens = (now_ts >> b->shift) - (prev >> b->shift);
    else if (interval > b->max_tokens)
        tokens = b->max_tokens;
    else
        tokens = interval << -b->shift;
    tokens += r->tokens[s];
    r->tokens[s] = (uint16_t)(tokens < b->max_tokens ? tokens : b->max_tokens);
    /* NTP: requests after a dropped one feed the separate "timeout" rate. */
    rate_update(s == CLOG_NTP && (r->dropped & 1u << s) ? &r->ntp_timeout_rate : &r->rate[s],
                rate_of_interval(interval));
}

/* clientlog_log_access off the default path: no record kept, or a shared table (the
 * same under the seqlock). */
static int log_access_other(struct clientlog *cl, enum clientlog_service s,
                            const struct ip_addr *ip, const struct timespec *now)
{
    int index;

    if (!cl->active || !cl->sh || !ip || (ip->family != IPF_INET4 && ip->family != IPF_INET6))
        return -1;
    assert(!cl->view);
    write_begin(cl);
    index = record_get(cl, ip);
    record_hit(cl, s, index, now);
    /* The table may have doubled: the readers' bound. */
    atomic_store_explicit(&cl->sh->slots, cl->slots, memory_order_relaxed);
    write_end(cl);
    return index;
}

int clientlog_log_access(struct clientlog *cl, enum clientlog_service s, const struct ip_addr *ip,
                         const struct timespec *now)
{
    int index;

    assert((unsigned)s < CLOG_N_SERVICES && now);
    cl->stats.hits[s]++;
    /* One test for the default daemon's table; the others go aside. */
    if (!cl->private_active || !ip || (ip->family != IPF_INET4 && ip->family != IPF_INET6))
        return log_access_other(cl, s, ip, now);
    index = record_get(cl, ip);
    record_hit(cl, s, index, now);
    assert(index >= 0 && (unsigned)index < cl->slots * CLIENTLOG_SLOT_SIZE);
    return index;
}

/* 1 except once per 2^leak calls on average. */
static int leak_says_drop(struct clientlog *cl, int leak)
{
    int r;
    assert(leak >= 1 && leak <= LEAK_MAX);
    if (cl->rnd_bits < leak) {
        cl->rnd = rng_u32(&cl->rng);
        cl->rnd_bits = 32;
    }
    r = cl->rnd % (1u << leak) ? 1 : 0;
    cl->rnd >>= leak;
    cl->rnd_bits -= leak;
    return r;
}

static ALWAYS_INLINE enum clientlog_limit_verdict limit_rate(struct clientlog *cl,
                                                             enum clientlog_service s, int index)
{
    const struct bucket_params *b = &cl->bucket[s];
    struct clog_record *r;
    int drop;

    r = record_at(cl, index);
    r->dropped &= (uint8_t) ~(1u << s);
    if (r->tokens[s] >= b->tokens_per_hit) {
        r->tokens[s] -= b->tokens_per_hit;
        return CLOG_PASS;
    }
    drop = leak_says_drop(cl, b->leak);
    /* A client that speeds up when not answered (more than twice its answered
     * rate) gets most responses, to avoid amplifying its traffic. */
    if (s == CLOG_NTP && r->ntp_timeout_rate != RATE_INVALID &&
        r->ntp_timeout_rate > r->rate[s] + RATE_SCALE)
        drop = !drop;
    if (!drop) {
        r->tokens[s] = 0;
        return CLOG_PASS;
    }
    /* chrony: with `kod N`, one in 2^N of the requests to be dropped gets a KoD RATE
     * reply instead; it is neither a drop nor marks the client as not answered. */
    if (b->kod > 0 && !leak_says_drop(cl, b->kod))
        return CLOG_KOD;
    r->dropped |= (uint8_t)(1u << s);
    r->drops[s]++;
    cl->stats.drops[s]++;
    return CLOG_DROP;
}

/* clientlog_limit_rate off the default path: nothing to limit, or a shared table (the
 * same under the seqlock). */
static enum clientlog_limit_verdict limit_rate_other(struct clientlog *cl, enum clientlog_service s,
                                                     int index)
{
    enum clientlog_limit_verdict v;

    if (!cl->bucket[s].tokens_per_hit || index < 0 || !cl->active || !cl->sh ||
        (size_t)index >= (size_t)cl->slots * CLIENTLOG_SLOT_SIZE)
        return CLOG_PASS;
    assert(!cl->view);
    write_begin(cl);
    v = limit_rate(cl, s, index);
    write_end(cl);
    return v;
}

enum clientlog_limit_verdict clientlog_limit_rate(struct clientlog *cl, enum clientlog_service s,
                                                  int index)
{
    assert((unsigned)s < CLOG_N_SERVICES);
    if (!cl->bucket[s].tokens_per_hit || index < 0 || !cl->private_active ||
        (size_t)index >= (size_t)cl->slots * CLIENTLOG_SLOT_SIZE)
        return limit_rate_other(cl, s, index);
    return limit_rate(cl, s, index);
}

void clientlog_count_ntp(struct clientlog *cl, int auth, int interleaved, int rx_src, int tx_src)
{
    if (auth)
        cl->stats.ntp_auth_hits++;
    if (interleaved)
        cl->stats.ntp_interleaved_hits++;
    if (rx_src >= 0 && rx_src <= CLOG_TS_HW)
        cl->stats.ntp_rx_ts[rx_src]++;
    if (tx_src >= 0 && tx_src <= CLOG_TS_HW)
        cl->stats.ntp_tx_ts[tx_src]++;
}

int clientlog_ntp_min_poll(const struct clientlog *cl)
{
    return cl->bucket[CLOG_NTP].interval;
}

int clientlog_n_indices(const struct clientlog *cl)
{
    return cl->active ? (int)(cur_slots(cl) * CLIENTLOG_SLOT_SIZE) : -1;
}

/* What `clients -r` zeroes of an occupied record: its hit and drop counters. */
static void record_zero_counts(struct clog_slot *sl, int j)
{
    memset(sl->rec[j].hits, 0, sizeof(sl->rec[j].hits));
    memset(sl->rec[j].drops, 0, sizeof(sl->rec[j].drops));
    sl->total[j] = 0;
}

static int8_t interval_of_rate(int rate)
{
    if (rate == RATE_INVALID)
        return CLIENTLOG_INTERVAL_UNKNOWN;
    rate += rate > 0 ? RATE_SCALE / 2 : -RATE_SCALE / 2;
    return (int8_t)(rate / -RATE_SCALE);
}

static uint32_t ago(uint32_t now_ts, uint32_t then)
{
    if (then == TS_INVALID || (int32_t)(now_ts - then) < 0)
        return CLIENTLOG_NEVER;
    return (now_ts - then) >> TS_FRAC;
}

/* A view's copy of the record at index: 1 if it holds a client, 0 if it is empty, beyond
 * the table, or the writer kept changing it (a torn copy is never reported). The seqlock
 * reader: the counter even before the copy, the same after it. */
static int view_copy(const struct clientlog *cl, uint32_t index, struct clog_record *out)
{
    const struct clog_slot *sl = &cl->slot[index / CLIENTLOG_SLOT_SIZE];
    int j = index % CLIENTLOG_SLOT_SIZE;

    for (int t = 0; t < SHARED_READ_TRIES; t++) {
        uint32_t q = atomic_load_explicit(&cl->sh->seq, memory_order_acquire), tag = 0;
        /* A writer that ended in an update left the counter odd for good. */
        if ((q & 1) && !cl->orphan)
            continue;
        if (index < cur_slots(cl) * CLIENTLOG_SLOT_SIZE) {
            tag = sl->tag[j];
            memcpy(out, &sl->rec[j], sizeof(*out));
        }
        atomic_thread_fence(memory_order_acquire);
        if (!cl->orphan && atomic_load_explicit(&cl->sh->seq, memory_order_relaxed) != q)
            continue;
        /* Another process's memory: an address of no known family is no client. */
        return tag && (out->ip.family == IPF_INET4 || out->ip.family == IPF_INET6);
    }
    return 0;
}

int clientlog_report_index(struct clientlog *cl, uint32_t index, int reset, uint32_t min_hits,
                           const struct timespec *now, struct clientlog_report *out)
{
    struct clog_slot *sl;
    struct clog_record copy;
    const struct clog_record *r;
    int wanted = min_hits == 0;

    if (!cl->active || index >= cur_slots(cl) * CLIENTLOG_SLOT_SIZE)
        return 0;
    sl = &cl->slot[index / CLIENTLOG_SLOT_SIZE];
    if (cl->view) {
        if (!view_copy(cl, index, &copy))
            return 0;
        r = &copy;
        reset = 0; /* the writer resets its table itself (clientlog_request_reset) */
    } else {
        if (!sl->tag[index % CLIENTLOG_SLOT_SIZE])
            return 0;
        r = &sl->rec[index % CLIENTLOG_SLOT_SIZE];
    }
    for (int s = 0; s < CLOG_N_SERVICES; s++)
        if (r->hits[s] >= min_hits)
            wanted = 1;
    if (wanted) {
        uint32_t now_ts = ts_from_timespec(cl, now);
        memset(out, 0, sizeof(*out));
        out->ip = r->ip;
        for (int s = 0; s < CLOG_N_SERVICES; s++) {
            out->hits[s] = r->hits[s];
            out->drops[s] = r->drops[s];
            out->interval[s] = interval_of_rate(r->rate[s]);
            out->last_ago[s] = ago(now_ts, r->last_hit[s]);
        }
        out->ntp_timeout_interval = interval_of_rate(r->ntp_timeout_rate);
    }
    if (reset)
        record_zero_counts(sl, index % CLIENTLOG_SLOT_SIZE);
    return wanted;
}

void clientlog_view_orphan(struct clientlog *cl)
{
    if (cl && cl->view)
        cl->orphan = 1;
}

void clientlog_request_reset(struct clientlog *cl)
{
    if (cl->sh && cl->view)
        atomic_fetch_add_explicit(&cl->sh->reset_gen, 1, memory_order_release);
}

int clientlog_apply_reset(struct clientlog *cl)
{
    uint32_t gen;

    if (!cl || !cl->sh || cl->view)
        return 0;
    gen = atomic_load_explicit(&cl->sh->reset_gen, memory_order_acquire);
    if (gen == cl->reset_seen)
        return 0;
    cl->reset_seen = gen;
    write_begin(cl);
    for (unsigned i = 0; i < cl->slots; i++)
        for (int j = 0; j < CLIENTLOG_SLOT_SIZE && cl->slot[i].tag[j]; j++)
            record_zero_counts(&cl->slot[i], j);
    write_end(cl);
    return 1;
}

void clientlog_get_stats(const struct clientlog *cl, struct clientlog_stats *out)
{
    *out = cl->stats;
}
