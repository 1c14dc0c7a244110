/* settime's date parser: chrony's getdate grammar (a yacc grammar in
 * chrony), written as a table-driven lexer and a one-token-lookahead
 * parser that resolves the grammar's ambiguities as yacc does (it extends
 * the current item rather than starting a new one). The meaning of the
 * fields follows chrony's get_date(): what the input leaves out comes from
 * the local time of `now`, relative items are added field by field and
 * mktime() normalises the result. */
#include "chronyc/getdate.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

enum tok {
    T_END,
    T_CHAR, /* any other character, in value */
    T_AGO,
    T_DAY,
    T_DAYZONE,
    T_DST,
    T_ID, /* a word not in the tables */
    T_MERIDIAN,
    T_MONTH,
    T_SNUMBER, /* a number with a sign */
    T_UNUMBER,
    T_ZONE,
    T_YEAR_UNIT,
    T_MONTH_UNIT,
    T_DAY_UNIT,
    T_HOUR_UNIT,
    T_MINUTE_UNIT,
    T_SEC_UNIT
};

enum meridian { MER_AM, MER_PM, MER_24 };

struct token {
    enum tok type;
    long value; /* number, unit multiple, zone (minutes west), day, month, char */
};

struct word {
    const char *name;
    enum tok type;
    int value;
};

#define HOUR(x) ((x)*60)

static const struct word month_day_words[] = {
    {"january", T_MONTH, 1},   {"february", T_MONTH, 2}, {"march", T_MONTH, 3},
    {"april", T_MONTH, 4},     {"may", T_MONTH, 5},      {"june", T_MONTH, 6},
    {"july", T_MONTH, 7},      {"august", T_MONTH, 8},   {"september", T_MONTH, 9},
    {"sept", T_MONTH, 9},      {"october", T_MONTH, 10}, {"november", T_MONTH, 11},
    {"december", T_MONTH, 12}, {"sunday", T_DAY, 0},     {"monday", T_DAY, 1},
    {"tuesday", T_DAY, 2},     {"tues", T_DAY, 2},       {"wednesday", T_DAY, 3},
    {"wednes", T_DAY, 3},      {"thursday", T_DAY, 4},   {"thur", T_DAY, 4},
    {"thurs", T_DAY, 4},       {"friday", T_DAY, 5},     {"saturday", T_DAY, 6},
    {NULL, T_END, 0}};

static const struct word unit_words[] = {{"year", T_YEAR_UNIT, 1},
                                         {"month", T_MONTH_UNIT, 1},
                                         {"fortnight", T_DAY_UNIT, 14},
                                         {"week", T_DAY_UNIT, 7},
                                         {"day", T_DAY_UNIT, 1},
                                         {"hour", T_HOUR_UNIT, 1},
                                         {"minute", T_MINUTE_UNIT, 1},
                                         {"min", T_MINUTE_UNIT, 1},
                                         {"second", T_SEC_UNIT, 1},
                                         {"sec", T_SEC_UNIT, 1},
                                         {NULL, T_END, 0}};

/* "last" and "next" are numbers (-1, 1) that a unit or week day follows. */
static const struct word other_words[] = {{"tomorrow", T_MINUTE_UNIT, 24 * 60},
                                          {"yesterday", T_MINUTE_UNIT, -24 * 60},
                                          {"today", T_MINUTE_UNIT, 0},
                                          {"now", T_MINUTE_UNIT, 0},
                                          {"last", T_UNUMBER, -1},
                                          {"this", T_MINUTE_UNIT, 0},
                                          {"next", T_UNUMBER, 1},
                                          {"first", T_UNUMBER, 1},
                                          {"third", T_UNUMBER, 3},
                                          {"fourth", T_UNUMBER, 4},
                                          {"fifth", T_UNUMBER, 5},
                                          {"sixth", T_UNUMBER, 6},
                                          {"seventh", T_UNUMBER, 7},
                                          {"eighth", T_UNUMBER, 8},
                                          {"ninth", T_UNUMBER, 9},
                                          {"tenth", T_UNUMBER, 10},
                                          {"eleventh", T_UNUMBER, 11},
                                          {"twelfth", T_UNUMBER, 12},
                                          {"ago", T_AGO, 1},
                                          {NULL, T_END, 0}};

/* Zones in minutes west of UTC; a DAYZONE is one hour less west. */
static const struct word zone_words[] = {
    {"gmt", T_ZONE, HOUR(0)},       {"ut", T_ZONE, HOUR(0)},       {"utc", T_ZONE, HOUR(0)},
    {"wet", T_ZONE, HOUR(0)},       {"bst", T_DAYZONE, HOUR(0)},   {"wat", T_ZONE, HOUR(1)},
    {"at", T_ZONE, HOUR(2)},        {"ast", T_ZONE, HOUR(4)},      {"adt", T_DAYZONE, HOUR(4)},
    {"est", T_ZONE, HOUR(5)},       {"edt", T_DAYZONE, HOUR(5)},   {"cst", T_ZONE, HOUR(6)},
    {"cdt", T_DAYZONE, HOUR(6)},    {"mst", T_ZONE, HOUR(7)},      {"mdt", T_DAYZONE, HOUR(7)},
    {"pst", T_ZONE, HOUR(8)},       {"pdt", T_DAYZONE, HOUR(8)},   {"yst", T_ZONE, HOUR(9)},
    {"ydt", T_DAYZONE, HOUR(9)},    {"hst", T_ZONE, HOUR(10)},     {"hdt", T_DAYZONE, HOUR(10)},
    {"cat", T_ZONE, HOUR(10)},      {"ahst", T_ZONE, HOUR(10)},    {"nt", T_ZONE, HOUR(11)},
    {"idlw", T_ZONE, HOUR(12)},     {"cet", T_ZONE, -HOUR(1)},     {"met", T_ZONE, -HOUR(1)},
    {"mewt", T_ZONE, -HOUR(1)},     {"mest", T_DAYZONE, -HOUR(1)}, {"mesz", T_DAYZONE, -HOUR(1)},
    {"swt", T_ZONE, -HOUR(1)},      {"sst", T_DAYZONE, -HOUR(1)},  {"fwt", T_ZONE, -HOUR(1)},
    {"fst", T_DAYZONE, -HOUR(1)},   {"eet", T_ZONE, -HOUR(2)},     {"bt", T_ZONE, -HOUR(3)},
    {"zp4", T_ZONE, -HOUR(4)},      {"zp5", T_ZONE, -HOUR(5)},     {"zp6", T_ZONE, -HOUR(6)},
    {"wast", T_ZONE, -HOUR(7)},     {"wadt", T_DAYZONE, -HOUR(7)}, {"cct", T_ZONE, -HOUR(8)},
    {"jst", T_ZONE, -HOUR(9)},      {"east", T_ZONE, -HOUR(10)},   {"eadt", T_DAYZONE, -HOUR(10)},
    {"gst", T_ZONE, -HOUR(10)},     {"nzt", T_ZONE, -HOUR(12)},    {"nzst", T_ZONE, -HOUR(12)},
    {"nzdt", T_DAYZONE, -HOUR(12)}, {"idle", T_ZONE, -HOUR(12)},   {NULL, T_END, 0}};

/* Military zones: one letter, "j" excepted. */
static long military_zone(char c)
{
    if (c >= 'a' && c <= 'i')
        return HOUR(c - 'a' + 1);
    if (c >= 'k' && c <= 'm')
        return HOUR(c - 'k' + 10);
    if (c >= 'n' && c <= 'y')
        return HOUR(-(c - 'n' + 1));
    return 0; /* z */
}

static int find_word(const struct word *t, const char *s, size_t cmp_len, struct token *out)
{
    for (; t->name; t++) {
        if (cmp_len ? !strncmp(s, t->name, cmp_len) : !strcmp(s, t->name)) {
            out->type = t->type;
            out->value = t->value;
            return 1;
        }
    }
    return 0;
}

/* A word (letters and dots, lower-cased, at most 19 characters) looked up
 * in chrony's order: meridians, months and days (three letters, or three and
 * a dot, abbreviate them), zones, "dst", units (also plural), other words,
 * military zones, zones written with dots. */
static void lookup_word(char *buf, struct token *t)
{
    size_t len = strlen(buf), abbrev = 0;
    char *p, *q;
    int dots = 0;

    t->value = 0;
    if (!strcmp(buf, "am") || !strcmp(buf, "a.m.") || !strcmp(buf, "pm") || !strcmp(buf, "p.m.")) {
        t->type = T_MERIDIAN;
        t->value = buf[0] == 'a' ? MER_AM : MER_PM;
        return;
    }
    if (len == 3) {
        abbrev = 3;
    } else if (len == 4 && buf[3] == '.') {
        abbrev = 3;
        buf[3] = '\0';
    }
    if (find_word(month_day_words, buf, abbrev, t) || find_word(zone_words, buf, 0, t))
        return;
    if (!strcmp(buf, "dst")) {
        t->type = T_DST;
        return;
    }
    if (find_word(unit_words, buf, 0, t))
        return;
    len = strlen(buf);
    if (buf[len - 1] == 's') {
        buf[len - 1] = '\0';
        if (find_word(unit_words, buf, 0, t))
            return;
        buf[len - 1] = 's';
    }
    if (find_word(other_words, buf, 0, t))
        return;
    if (buf[1] == '\0' && isalpha((unsigned char)buf[0]) && buf[0] != 'j') {
        t->type = T_ZONE;
        t->value = military_zone(buf[0]);
        return;
    }
    for (p = q = buf; *q; q++) {
        if (*q != '.')
            *p++ = *q;
        else
            dots++;
    }
    *p = '\0';
    if (dots && find_word(zone_words, buf, 0, t))
        return;
    t->type = T_ID;
}

/* The next token at *pp. Parenthesised text (nested) is skipped; a sign not
 * followed by a digit is dropped. */
static void lex(const char **pp, struct token *t)
{
    const char *s = *pp;

    for (;;) {
        while (isspace((unsigned char)*s))
            s++;
        if (isdigit((unsigned char)*s) || *s == '-' || *s == '+') {
            int sign = 0;
            long v = 0;
            if (*s == '-' || *s == '+') {
                sign = *s == '-' ? -1 : 1;
                if (!isdigit((unsigned char)*++s))
                    continue;
            }
            for (; isdigit((unsigned char)*s); s++)
                v = v < 100000000000L ? 10 * v + (*s - '0') : v; /* too big anyway */
            t->type = sign ? T_SNUMBER : T_UNUMBER;
            t->value = sign < 0 ? -v : v;
            break;
        }
        if (isalpha((unsigned char)*s)) {
            char buf[20];
            size_t n = 0;
            for (; isalpha((unsigned char)*s) || *s == '.'; s++)
                if (n < sizeof(buf) - 1)
                    buf[n++] = (char)tolower((unsigned char)*s);
            buf[n] = '\0';
            lookup_word(buf, t);
            break;
        }
        if (*s != '(') {
            t->type = *s ? T_CHAR : T_END;
            t->value = (unsigned char)*s;
            if (*s)
                s++;
            break;
        }
        for (int depth = 0;;) {
            char c = *s;
            if (!c) {
                t->type = T_END;
                *pp = s;
                return;
            }
            s++;
            depth += c == '(' ? 1 : c == ')' ? -1 : 0;
            if (depth <= 0)
                break;
        }
    }
    *pp = s;
}

struct gd {
    const char *in;
    struct token next; /* lookahead */
    long year, month, day, hour, minutes, seconds, timezone, day_ordinal, day_number;
    enum meridian meridian;
    long rel[6]; /* years, months, days, hours, minutes, seconds */
    int have_date, have_day, have_rel, have_time, have_zone;
};

static struct token take(struct gd *g)
{
    struct token t = g->next;
    lex(&g->in, &g->next);
    return t;
}

static int peek_char(const struct gd *g, char c)
{
    return g->next.type == T_CHAR && g->next.value == c;
}

static int is_unit(enum tok t)
{
    return t >= T_YEAR_UNIT && t <= T_SEC_UNIT;
}

/* A relative item: N units, optionally "ago", which negates every relative
 * field so far, as chrony's grammar does. */
static int rel_item(struct gd *g, enum tok unit, long n)
{
    g->rel[unit - T_YEAR_UNIT] += n;
    if (g->next.type == T_AGO) {
        take(g);
        for (int i = 0; i < 6; i++)
            g->rel[i] = -g->rel[i];
    }
    g->have_rel++;
    return 1;
}

/* "+hhmm" after a time, in minutes west. */
static long numeric_zone(long v)
{
    return v < 0 ? -v % 100 + (-v / 100) * 60 : -(v % 100 + (v / 100) * 60);
}

/* H:M[:S] [am|pm|+-hhmm]; the colon after H already taken. */
static int time_item(struct gd *g, long h)
{
    struct token m = take(g), s;

    if (m.type != T_UNUMBER)
        return 0;
    g->hour = h;
    g->minutes = m.value;
    g->meridian = MER_24;
    if (peek_char(g, ':')) {
        take(g);
        s = take(g);
        if (s.type != T_UNUMBER)
            return 0;
        g->seconds = s.value;
    } else if (g->next.type != T_SNUMBER) {
        g->seconds = 0;
    } /* H:M +hhmm keeps the current seconds, as chrony */
    if (g->next.type == T_MERIDIAN) {
        g->meridian = (enum meridian)take(g).value;
    } else if (g->next.type == T_SNUMBER) {
        g->timezone = numeric_zone(take(g).value);
        g->have_zone++;
    }
    g->have_time++;
    return 1;
}

/* A lone number: a year after a date and a time, YYYYMMDD above 10000,
 * else HH or HHMM. */
static void number_item(struct gd *g, long n)
{
    if (g->have_time && g->have_date && !g->have_rel) {
        g->year = n;
    } else if (n > 10000) {
        g->have_date++;
        g->day = n % 100;
        g->month = (n / 100) % 100;
        g->year = n / 10000;
    } else {
        g->have_time++;
        g->hour = n < 100 ? n : n / 100;
        g->minutes = n < 100 ? 0 : n % 100;
        g->seconds = 0;
        g->meridian = MER_24;
    }
}

/* M/D, M/D/Y or Y/M/D (Y of four digits); the first slash taken. */
static int slash_date(struct gd *g, long n)
{
    struct token d = take(g), y;

    if (d.type != T_UNUMBER)
        return 0;
    if (!peek_char(g, '/')) {
        g->month = n;
        g->day = d.value;
    } else {
        take(g);
        y = take(g);
        if (y.type != T_UNUMBER)
            return 0;
        g->year = n >= 1000 ? n : y.value;
        g->month = n >= 1000 ? d.value : n;
        g->day = n >= 1000 ? y.value : d.value;
    }
    g->have_date++;
    return 1;
}

/* D MONTH [Y] or D-MONTH-Y; the month taken. */
static int day_month_date(struct gd *g, long n, long month)
{
    g->month = month;
    g->day = n;
    if (g->next.type == T_SNUMBER || g->next.type == T_UNUMBER) {
        long y = take(g).value;
        g->year = y < 0 ? -y : y;
    }
    g->have_date++;
    return 1;
}

static int unumber_item(struct gd *g, long n)
{
    struct token t = g->next, u;

    if (t.type == T_MERIDIAN) {
        take(g);
        g->hour = n;
        g->minutes = g->seconds = 0;
        g->meridian = (enum meridian)t.value;
        g->have_time++;
        return 1;
    }
    if (t.type == T_CHAR && (t.value == ':' || t.value == '/')) {
        take(g);
        return t.value == ':' ? time_item(g, n) : slash_date(g, n);
    }
    if (t.type == T_SNUMBER) { /* ISO 8601 YYYY-MM-DD */
        take(g);
        u = take(g);
        if (u.type != T_SNUMBER)
            return 0;
        g->year = n;
        g->month = -t.value;
        g->day = -u.value;
        g->have_date++;
        return 1;
    }
    if (t.type == T_DAY) { /* "next friday", "2 friday" */
        take(g);
        g->day_ordinal = n;
        g->day_number = t.value;
        g->have_day++;
        return 1;
    }
    if (t.type == T_MONTH) {
        take(g);
        return day_month_date(g, n, t.value);
    }
    if (is_unit(t.type)) {
        take(g);
        return rel_item(g, t.type, n * t.value);
    }
    number_item(g, n);
    return 1;
}

static int parse_item(struct gd *g)
{
    struct token t = take(g), u;

    switch (t.type) {
    case T_UNUMBER:
        return unumber_item(g, t.value);
    case T_SNUMBER:
        u = take(g);
        return is_unit(u.type) && rel_item(g, u.type, t.value * u.value);
    case T_MONTH: /* MONTH D [, Y] */
        u = take(g);
        if (u.type != T_UNUMBER)
            return 0;
        g->month = t.value;
        g->day = u.value;
        if (peek_char(g, ',')) {
            take(g);
            u = take(g);
            if (u.type != T_UNUMBER)
                return 0;
            g->year = u.value;
        }
        g->have_date++;
        return 1;
    case T_DAY:
        if (peek_char(g, ','))
            take(g);
        g->day_ordinal = 1;
        g->day_number = t.value;
        g->have_day++;
        return 1;
    case T_ZONE:
    case T_DAYZONE:
        g->timezone = t.value;
        if (t.type == T_DAYZONE || g->next.type == T_DST) {
            if (t.type == T_ZONE)
                take(g);
            g->timezone -= 60;
        }
        g->have_zone++;
        return 1;
    default:
        if (is_unit(t.type))
            return rel_item(g, t.type, t.value);
        return 0;
    }
}

static long to_year(long y)
{
    if (y < 0)
        y = -y;
    return y < 69 ? y + 2000 : y < 100 ? y + 1900 : y;
}

static long to_hour(long h, enum meridian m)
{
    if (m == MER_24)
        return h < 0 || h > 23 ? -1 : h;
    if (h < 1 || h > 12)
        return -1;
    return (h == 12 ? 0 : h) + (m == MER_PM ? 12 : 0);
}

/* a - b in seconds for two broken-down times (proleptic Gregorian). */
static long diff_tm(const struct tm *a, const struct tm *b)
{
    long ay = a->tm_year + 1899L, by = b->tm_year + 1899L;
    long days = a->tm_yday - b->tm_yday + ((ay >> 2) - (by >> 2)) - (ay / 100 - by / 100) +
                ((ay / 100 >> 2) - (by / 100 >> 2)) + (ay - by) * 365;

    return 60 * (60 * (24 * days + (a->tm_hour - b->tm_hour)) + (a->tm_min - b->tm_min)) +
           (a->tm_sec - b->tm_sec);
}

static int fits_int(long v)
{
    return v >= -1000000000L && v <= 1000000000L; /* far beyond any date */
}

/* The fields into tm as chrony's get_date() does. 0 if out of range. */
static int fill_tm(const struct gd *g, struct tm *tm)
{
    long f[6] = {
        to_year(g->year) - 1900 + g->rel[0], g->month - 1 + g->rel[1], g->day + g->rel[2], 0, 0, 0};

    if (g->have_time || (g->have_rel && !g->have_date && !g->have_day)) {
        f[3] = to_hour(g->hour, g->meridian);
        if (f[3] < 0)
            return 0;
        f[4] = g->minutes;
        f[5] = g->seconds;
    }
    for (int i = 3; i < 6; i++)
        f[i] += g->rel[i];
    for (int i = 0; i < 6; i++)
        if (!fits_int(f[i]))
            return 0;
    tm->tm_year = (int)f[0];
    tm->tm_mon = (int)f[1];
    tm->tm_mday = (int)f[2];
    tm->tm_hour = (int)f[3];
    tm->tm_min = (int)f[4];
    tm->tm_sec = (int)f[5];
    return 1;
}

static int compute(struct gd *g, int isdst, time_t *out)
{
    struct tm tm, tm0, gmt;
    time_t start;

    memset(&tm, 0, sizeof(tm));
    tm.tm_isdst = isdst;
    if (!fill_tm(g, &tm))
        return 0;
    /* mktime() decides DST for an absolute time or a move by days or more. */
    if (g->have_date || g->have_day || g->have_time || g->rel[2] || g->rel[1] || g->rel[0])
        tm.tm_isdst = -1;
    tm0 = tm;
    start = mktime(&tm);
    if (start == (time_t)-1 && g->have_zone) {
        /* Near the ends of time_t: a day inwards, the zone a day outwards. */
        tm = tm0;
        tm.tm_mday += tm.tm_year <= 70 ? 1 : -1;
        g->timezone += tm.tm_year <= 70 ? -24 * 60 : 24 * 60;
        start = mktime(&tm);
    }
    if (start == (time_t)-1)
        return 0;
    if (g->have_day && !g->have_date) {
        long mday = tm.tm_mday + (g->day_number - tm.tm_wday + 7) % 7 +
                    7 * (g->day_ordinal - (0 < g->day_ordinal));
        if (!fits_int(mday))
            return 0;
        tm.tm_mday = (int)mday;
        start = mktime(&tm);
        if (start == (time_t)-1)
            return 0;
    }
    if (g->have_zone) {
        long delta;
        if (!gmtime_r(&start, &gmt))
            return 0;
        delta = g->timezone * 60L + diff_tm(&tm, &gmt);
        if ((start + delta < start) != (delta < 0))
            return 0;
        start += delta;
    }
    *out = start;
    return 1;
}

int getdate_parse(const char *s, time_t now, time_t *out)
{
    struct gd g;
    struct tm lt;

    if (!localtime_r(&now, &lt))
        return 0;
    memset(&g, 0, sizeof(g));
    g.year = lt.tm_year + 1900L;
    g.month = lt.tm_mon + 1;
    g.day = lt.tm_mday;
    g.hour = lt.tm_hour;
    g.minutes = lt.tm_min;
    g.seconds = lt.tm_sec;
    g.meridian = MER_24;
    g.in = s;
    lex(&g.in, &g.next);
    while (g.next.type != T_END) {
        if (!parse_item(&g))
            return 0;
    }
    if (g.have_time > 1 || g.have_zone > 1 || g.have_date > 1 || g.have_day > 1)
        return 0;
    return compute(&g, lt.tm_isdst, out);
}
