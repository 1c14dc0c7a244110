/* Address and name display rules of chronyc (spec 8.3). */
#include "chronyc/names.h"

#include "lib/bytes.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void names_numeric(const struct cmdmon_addr *a, char *buf, size_t len)
{
    switch (a->family) {
    case CMDMON_AF_INET4:
        snprintf(buf, len, "%u.%u.%u.%u", a->bytes[0], a->bytes[1], a->bytes[2], a->bytes[3]);
        break;
    case CMDMON_AF_INET6:
        if (!inet_ntop(AF_INET6, a->bytes, buf, (socklen_t)len))
            snprintf(buf, len, "?");
        break;
    case CMDMON_AF_ID:
        snprintf(buf, len, "ID#%010u", (unsigned)get_be32(a->bytes));
        break;
    default:
        snprintf(buf, len, "[UNSPEC]");
        break;
    }
}

void names_refid_text(uint32_t refid, char *buf, size_t len)
{
    size_t n = 0;
    for (int i = 3; i >= 0 && n + 1 < len; i--) {
        int c = (int)(refid >> (8 * i)) & 0xFF;
        if (c >= 0x20 && c <= 0x7E)
            buf[n++] = (char)c;
    }
    if (len)
        buf[n] = '\0';
}

int names_parse_id(const char *s, struct cmdmon_addr *a)
{
    unsigned int v;

    /* As chrony's sscanf("ID#%u"): anything may follow the number. */
    if (sscanf(s, "ID#%u", &v) != 1)
        return 0;
    cmdmon_addr_set_id(a, (uint32_t)v);
    return 1;
}

int names_parse_numeric(const char *s, struct cmdmon_addr *a)
{
    memset(a, 0, sizeof(*a));
    if (inet_pton(AF_INET, s, a->bytes) == 1) {
        a->family = CMDMON_AF_INET4;
        return 1;
    }
    if (inet_pton(AF_INET6, s, a->bytes) == 1) {
        a->family = CMDMON_AF_INET6;
        return 1;
    }
    memset(a, 0, sizeof(*a));
    return 0;
}

void names_cut25(char *name)
{
    if (strlen(name) > 25) {
        name[24] = '>';
        name[25] = '\0';
    }
}

int names_source_name_valid(const uint8_t name[CMDMON_NAME_LEN])
{
    const uint8_t *nul = memchr(name, '\0', CMDMON_NAME_LEN);
    if (!nul)
        return 0;
    for (const uint8_t *p = name; p < nul; p++)
        if (!isgraph(*p))
            return 0;
    return 1;
}

void names_for_entry(const struct names *n, enum names_kind kind, const struct cmdmon_addr *a,
                     int refclock, uint32_t refid, char *buf, size_t len)
{
    if (refclock) {
        names_refid_text(refid, buf, len);
        return;
    }
    if (n->source_names && kind != NAMES_CLIENT) {
        if (!n->source_name || !n->source_name(n->ctx, a, buf, len))
            snprintf(buf, len, "?");
        return;
    }
    if (n->no_dns || n->csv || !n->reverse || !n->reverse(n->ctx, a, buf, len)) {
        names_numeric(a, buf, len);
        return;
    }
    if (kind != NAMES_TRACKING)
        names_cut25(buf);
}
