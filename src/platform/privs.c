/* Privilege dropping with capabilities kept across setuid() (see privs.h).
 * The raw capset(2) interface is used so that chronyd needs no libcap. */
#include "platform/platform.h"
#include "platform/privs.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Process-wide, like the credentials it is about. */
static int net_bind_wanted = 1;

int plat_privs_port_needs_bind_cap(int port)
{
    return port > 0 && port < 1024;
}

void platform_privs_set_ntp_port(int port)
{
    net_bind_wanted = plat_privs_port_needs_bind_cap(port);
}

int plat_privs_keep_net_bind(void)
{
    return net_bind_wanted;
}

uint64_t plat_privs_caps_mask(int keep_sys_time, int keep_net_bind)
{
    uint64_t m = 0;
    if (keep_sys_time)
        m |= (uint64_t)1 << CAP_SYS_TIME;
    if (keep_net_bind)
        m |= (uint64_t)1 << CAP_NET_BIND_SERVICE;
    return m;
}

/* Keep of `want` what the process is permitted to have: a capability taken
 * out of the bounding set (setpriv --bounding-set) can't come back. */
static int caps_limit_to_held(uint64_t want)
{
    struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
    uint64_t held;
    memset(data, 0, sizeof(data));
    if (syscall(SYS_capget, &hdr, data) < 0)
        return -1;
    held = (uint64_t)data[0].permitted | (uint64_t)data[1].permitted << 32;
    want &= held;
    memset(data, 0, sizeof(data));
    data[0].effective = data[0].permitted = (uint32_t)want;
    data[1].effective = data[1].permitted = (uint32_t)(want >> 32);
    hdr.version = _LINUX_CAPABILITY_VERSION_3;
    hdr.pid = 0;
    return (int)syscall(SYS_capset, &hdr, data);
}

static int switch_ids(const struct passwd *pw, char *err, size_t errlen)
{
    if (setgroups(0, NULL) < 0) {
        snprintf(err, errlen, "setgroups() failed : %s", strerror(errno));
        return -1;
    }
    if (setgid(pw->pw_gid) < 0) {
        snprintf(err, errlen, "setgid(%u) failed : %s", (unsigned)pw->pw_gid, strerror(errno));
        return -1;
    }
    if (setuid(pw->pw_uid) < 0) {
        snprintf(err, errlen, "setuid(%u) failed : %s", (unsigned)pw->pw_uid, strerror(errno));
        return -1;
    }
    return 0;
}

int plat_privs_drop(const char *user, int keep_sys_time, int keep_net_bind, char *err,
                    size_t errlen)
{
    struct passwd *pw;
    if (!user || !*user)
        return 0;
    pw = getpwnam(user);
    if (!pw) {
        snprintf(err, errlen, "Could not get user/group ID of %s", user);
        return -1;
    }
    /* As chrony: only root drops, and only to someone else. */
    if (geteuid() != 0 || (pw->pw_uid == 0 && pw->pw_gid == 0))
        return 0;
    /* Without KEEPCAPS setuid() from root clears the permitted set. */
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) {
        snprintf(err, errlen, "prctl() failed");
        return -1;
    }
    if (switch_ids(pw, err, errlen) < 0)
        return -1;
    if (caps_limit_to_held(plat_privs_caps_mask(keep_sys_time, keep_net_bind)) < 0) {
        snprintf(err, errlen, "cap_set_proc() failed");
        return -1;
    }
    return 0;
}
