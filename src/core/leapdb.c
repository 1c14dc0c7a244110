/* Leap second tables (see leapdb.h). */
#include "core/leapdb.h"

#include "lib/mem.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/* Seconds from the NTP era 0 epoch (1900) to the POSIX epoch (1970). */
#define NTP_TO_POSIX 2208988800LL
/* TAI - UTC before the first leap second (1 January 1972). */
#define INITIAL_TAI_OFFSET 10
/* More entries than any real table (27 leap seconds by 2017). */
#define MAX_ENTRIES 1000
#define DAY 86400
/* Times beyond this (in either direction) are rejected or clamped: far outside
 * any real table, and far from overflowing in the day arithmetic. */
#define TIME_LIMIT ((int64_t)1 << 60)

void leapdb_init(struct leapdb *db)
{
    memset(db, 0, sizeof(*db));
}

void leapdb_free(struct leapdb *db)
{
    free(db->e);
    leapdb_init(db);
}

/* Append an entry; starts must increase. Returns -1 on a bad table. */
static int add(struct leapdb *db, int64_t start, int tai_offset)
{
    if (db->n >= MAX_ENTRIES || (db->n > 0 && start <= db->e[db->n - 1].start))
        return -1;
    db->e = xrealloc(db->e, (size_t)(db->n + 1) * sizeof(*db->e));
    assert(db->n == 0 || db->e[db->n - 1].start < start); /* leapdb_get() relies on the order */
    db->e[db->n].start = start;
    db->e[db->n].tai_offset = tai_offset;
    db->n++;
    return 0;
}

static int fail(struct leapdb *db)
{
    leapdb_free(db);
    return -1;
}

/* One line of leap-seconds.list (NUL-terminated, no newline). */
static int parse_list_line(struct leapdb *db, const char *line)
{
    char *end;
    long long ntp, offset;

    while (*line == ' ' || *line == '\t')
        line++;
    if (line[0] == '#' && line[1] == '@') {
        ntp = strtoll(line + 2, &end, 10);
        if (end == line + 2 || ntp <= 0 || ntp > TIME_LIMIT)
            return -1;
        db->expiry = ntp - NTP_TO_POSIX;
        return 0;
    }
    if (line[0] == '#' || line[0] == '\0' || line[0] == '\r')
        return 0;
    ntp = strtoll(line, &end, 10);
    if (end == line || ntp <= 0 || ntp > TIME_LIMIT || (*end != ' ' && *end != '\t'))
        return -1;
    line = end;
    offset = strtoll(line, &end, 10);
    if (end == line || offset < -1000 || offset > 1000)
        return -1;
    while (*end == ' ' || *end == '\t' || *end == '\r')
        end++;
    if (*end != '\0' && *end != '#')
        return -1;
    return add(db, ntp - NTP_TO_POSIX, (int)offset);
}

int leapdb_parse_list(struct leapdb *db, const char *text, size_t len)
{
    char line[256];
    size_t i = 0;

    leapdb_init(db);
    while (i < len) {
        size_t n = 0;
        while (i < len && text[i] != '\n') {
            if (n + 1 >= sizeof(line) || text[i] == '\0')
                return fail(db);
            line[n++] = text[i++];
        }
        line[n] = '\0';
        i++; /* the newline */
        if (parse_list_line(db, line) < 0)
            return fail(db);
    }
    return db->n > 0 ? 0 : fail(db);
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const uint8_t *p)
{
    return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/* TZif header counts (RFC 8536 3.1), in file order. */
struct tzif_counts {
    uint32_t isut, isstd, leap, time, type, chars;
};

/* Header at buf[off]: its counts and the size of its data block for times of
 * tsize bytes. Returns -1 when the header or the block does not fit. */
static int tzif_header(const uint8_t *buf, size_t len, size_t off, size_t tsize,
                       struct tzif_counts *c, size_t *block)
{
    uint64_t size;

    if (off > len || len - off < 44 || memcmp(buf + off, "TZif", 4) != 0)
        return -1;
    c->isut = be32(buf + off + 20);
    c->isstd = be32(buf + off + 24);
    c->leap = be32(buf + off + 28);
    c->time = be32(buf + off + 32);
    c->type = be32(buf + off + 36);
    c->chars = be32(buf + off + 40);
    if (c->leap > MAX_ENTRIES || c->time > 1000000 || c->type > 256 || c->chars > 65536 ||
        c->isut > 256 || c->isstd > 256)
        return -1;
    size = (uint64_t)c->time * (tsize + 1) + (uint64_t)c->type * 6 + c->chars +
           (uint64_t)c->leap * (tsize + 4) + c->isstd + c->isut;
    if (size > len - off - 44)
        return -1;
    *block = (size_t)size;
    return 0;
}

int leapdb_parse_tzif(struct leapdb *db, const uint8_t *buf, size_t len)
{
    struct tzif_counts c;
    size_t off = 0, tsize = 4, v1size, rec;
    int32_t prev_corr = 0;

    leapdb_init(db);
    if (tzif_header(buf, len, 0, 4, &c, &v1size) < 0)
        return fail(db);
    if (buf[4] >= '2') {
        /* Version 2+: a second header and block with 64-bit times follow. */
        off = 44 + v1size;
        tsize = 8;
        if (tzif_header(buf, len, off, 8, &c, &v1size) < 0)
            return fail(db);
    }
    rec = off + 44 + (size_t)c.time * (tsize + 1) + (size_t)c.type * 6 + c.chars;
    for (uint32_t i = 0; i < c.leap; i++, rec += tsize + 4) {
        int64_t occ = tsize == 8 ? be64(buf + rec) : (int32_t)be32(buf + rec);
        int32_t corr = (int32_t)be32(buf + rec + tsize);
        int64_t start;
        if (occ < -TIME_LIMIT || occ > TIME_LIMIT || corr < -100000 || corr > 100000)
            return fail(db);
        /* Occurrences count the earlier leap seconds (RFC 8536 3.2). */
        start = occ - prev_corr;
        if (corr == prev_corr) {
            /* Version 4: a repeated correction marks the table's expiry. */
            db->expiry = start;
            continue;
        }
        if (add(db, start, INITIAL_TAI_OFFSET + corr) < 0)
            return fail(db);
        prev_corr = corr;
    }
    return db->n > 0 ? 0 : fail(db);
}

int leapdb_get(const struct leapdb *db, int64_t when, int *tai_offset)
{
    int64_t day, day_end;
    int tai = 0, i;

    assert(db && tai_offset && db->n >= 0 && (db->n == 0 || db->e));

    when = when < -TIME_LIMIT ? -TIME_LIMIT : when > TIME_LIMIT ? TIME_LIMIT : when;
    day = when >= 0 ? when / DAY : -((-when + DAY - 1) / DAY);
    day_end = (day + 1) * DAY;

    for (i = 0; i < db->n && db->e[i].start <= when; i++)
        tai = db->e[i].tai_offset;
    *tai_offset = tai;
    if (i < db->n && db->e[i].start == day_end && i > 0) {
        if (db->e[i].tai_offset > tai)
            return LEAPDB_INSERT;
        if (db->e[i].tai_offset < tai)
            return LEAPDB_DELETE;
    }
    return LEAPDB_NORMAL;
}

int leapdb_check(const struct leapdb *db)
{
    int tai;

    return leapdb_get(db, 1341014400, &tai) == LEAPDB_INSERT && tai == 34 &&
           leapdb_get(db, 1356912000, &tai) == LEAPDB_NORMAL && tai == 35;
}
