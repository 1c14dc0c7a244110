/* Dropping root privileges to a configured user while keeping only the
 * capabilities chronyd needs (CAP_SYS_TIME, CAP_NET_BIND_SERVICE), through
 * prctl(PR_SET_KEEPCAPS) and the raw capget/capset interface (no libcap). */
#ifndef PLATFORM_PRIVS_H
#define PLATFORM_PRIVS_H

#include <stddef.h>
#include <stdint.h>

/* Capability bit masks for plat_privs_caps_mask() (bit n = capability n). */
uint64_t plat_privs_caps_mask(int keep_sys_time, int keep_net_bind);

/* 1 if an NTP server port needs CAP_NET_BIND_SERVICE (0 < port < 1024). */
int plat_privs_port_needs_bind_cap(int port);
/* Whether CAP_NET_BIND_SERVICE is to be kept (see above). */
int plat_privs_keep_net_bind(void);

/* Switch to user (name) as chrony does: nothing when not running as root or
 * when the user is root; otherwise drop supplementary groups, set gid and uid
 * and keep, of the capabilities we hold, CAP_SYS_TIME (keep_sys_time: the
 * clock is controlled) and CAP_NET_BIND_SERVICE (keep_net_bind: an NTP port
 * can be opened), both effective and permitted. Returns 0, or -1 with
 * chrony's message in err. */
int plat_privs_drop(const char *user, int keep_sys_time, int keep_net_bind, char *err,
                    size_t errlen);

#endif
