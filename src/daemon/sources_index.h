/* The sources by remote address (sources_index.c): a hash table of the NTP sources in
 * sources->v (reference clocks are not in it), so that finding a source by address
 * (chronyc ntpdata, authdata, sourcename, delete, a lookup's "address in use") does not
 * scan every source. sources.c, sources_cmd.c, sources_nts.c and sources_pool.c keep it
 * in step: a source enters when it is created, leaves when it is removed, and moves
 * when its address changes (sources_set_address). */
#ifndef DAEMON_SOURCES_INDEX_H
#define DAEMON_SOURCES_INDEX_H

#include "lib/addr.h"

#include <stddef.h>
#include <stdint.h>

struct source;

struct sources_addr_slot {
    struct source *s; /* NULL: empty */
    uint32_t hash;    /* of s->remote.ip */
};

/* Open addressing, linear probing, backward-shift deletion; at most half full. */
struct sources_addr_index {
    struct sources_addr_slot *slots;
    size_t cap; /* 0 or a power of two */
    size_t n;
};

/* s enters under its current s->remote.ip (several sources may share an address). */
void sources_addr_index_add(struct sources_addr_index *x, struct source *s);
/* s leaves; s->remote.ip must be the address it entered under. Returns 0 if it was not in. */
int sources_addr_index_remove(struct sources_addr_index *x, struct source *s);
/* The source at ip with the lowest s->index (the one a scan of sources->v finds first),
 * or NULL. */
struct source *sources_addr_index_find(const struct sources_addr_index *x,
                                       const struct ip_addr *ip);
void sources_addr_index_fini(struct sources_addr_index *x);

#endif
