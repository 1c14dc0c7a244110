/* NTP and command access table: ordered allow/deny rules over IPv4/IPv6 subnets,
 * with chrony's semantics (the most specific matching rule wins; "all" rules
 * drop the more specific rules given before them; nothing is allowed by default). */
#ifndef CORE_ACCESS_H
#define CORE_ACCESS_H

#include "lib/addr.h"

#include <stddef.h>

/* One allow/deny directive or command as parsed from the configuration.
 * ip.family IPF_UNSPEC with bits 0 means every IPv4 and IPv6 address.
 * hostname is non-NULL when the rule named a host; ip is then unset until
 * the caller resolves it (the address is used with a full-length prefix). */
struct access_rule {
    struct ip_addr ip;
    int bits;       /* prefix length as given; -1 means the full address length */
    int allow;      /* 1 allow, 0 deny */
    int all;        /* "allow all" / "deny all": override earlier more specific rules */
    char *hostname; /* owned by whoever owns the rule array; NULL for addresses */
    /* For hostname rules: the message to report if the name cannot be resolved
     * (chrony's "Could not parse allow directive at line N in file F"); owned
     * like hostname. */
    char *resolve_error;
};

struct access_table;

/* Results of access_add. */
enum access_status { ACCESS_OK = 0, ACCESS_BAD_SUBNET = 1 };

/* A table that denies everything. Free with access_free (NULL is a no-op). */
struct access_table *access_new(void);
void access_free(struct access_table *t);

/* Apply one rule. ip may be IPF_UNSPEC (both families, bits ignored and taken as 0).
 * bits -1 means the whole address. Returns ACCESS_BAD_SUBNET when bits exceed the
 * family's length (the table is then unchanged). */
enum access_status access_add(struct access_table *t, const struct ip_addr *ip, int bits, int allow,
                              int all);

/* 1 if ip is allowed, 0 if denied (also for IPF_UNSPEC). Never allocates. */
int access_check(const struct access_table *t, const struct ip_addr *ip);

/* Apply rules[0..n) in order; rules with a hostname must have been resolved into
 * ip by the caller (a rule whose ip.family is IPF_UNSPEC and hostname is set is
 * skipped). Returns ACCESS_OK or the first failure, with its index in *bad_index. */
enum access_status access_add_rules(struct access_table *t, const struct access_rule *rules,
                                    size_t n, size_t *bad_index);

/* 1 if at least one address could be allowed (used to decide whether to open a port). */
int access_any_allowed(const struct access_table *t);

#endif
