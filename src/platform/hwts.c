/* `hwtimestamp`: which network interfaces can timestamp NTP packets in hardware, asked as
 * chrony does (SIOCGIFINDEX, then ETHTOOL_GET_TS_INFO: raw hardware RX and TX timestamps
 * and a PHC). Interfaces that cannot keep the kernel's software timestamps. */
#include "platform/internal.h"

#include <errno.h>
#include <ifaddrs.h>
#include <linux/ethtool.h>
#include <linux/net_tstamp.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

/* 1 if the interface can timestamp in hardware, 0 if not (a debug line says why). */
static int hwts_capable(struct platform *p, int sock, const char *name)
{
    const int need =
        SOF_TIMESTAMPING_RX_HARDWARE | SOF_TIMESTAMPING_TX_HARDWARE | SOF_TIMESTAMPING_RAW_HARDWARE;
    struct ethtool_ts_info info;
    struct ifreq req;

    memset(&req, 0, sizeof(req));
    if (strlen(name) >= sizeof(req.ifr_name))
        return 0;
    memcpy(req.ifr_name, name, strlen(name) + 1);
    if (ioctl(sock, SIOCGIFINDEX, &req) < 0) {
        LOG_DEBUG(&p->logger, "ioctl(%s) failed : %s", "SIOCGIFINDEX", strerror(errno));
        return 0;
    }
    memset(&info, 0, sizeof(info));
    info.cmd = ETHTOOL_GET_TS_INFO;
    req.ifr_data = (char *)&info;
    if (ioctl(sock, SIOCETHTOOL, &req) < 0) {
        LOG_DEBUG(&p->logger, "ioctl(%s) failed : %s", "SIOCETHTOOL", strerror(errno));
        return 0;
    }
    if ((info.so_timestamping & need) != need) {
        LOG_DEBUG(&p->logger, "HW timestamping not supported on %s", name);
        return 0;
    }
    if (info.phc_index < 0) {
        LOG_DEBUG(&p->logger, "PHC missing on %s", name);
        return 0;
    }
    return 1;
}

int platform_hwts_setup(struct platform *p, const char *const *names, int n, char *err,
                        size_t errlen)
{
    struct ifaddrs *ifas = NULL;
    int sock = socket(AF_INET, SOCK_DGRAM, 0), wildcard = 0;

    if (sock < 0) {
        snprintf(err, errlen, "Could not open socket : %s", strerror(errno));
        return -1;
    }
    /* chrony NIO_Linux_Initialise: a named interface that cannot is fatal. Hardware
     * timestamps are not converted by this chronyd yet (core/hwclock.c is ready for it),
     * so an interface that can is refused as clearly. */
    for (int i = 0; i < n; i++) {
        if (strcmp(names[i], "*") == 0) {
            wildcard = 1;
            continue;
        }
        if (!hwts_capable(p, sock, names[i])) {
            snprintf(err, errlen, "Could not enable HW timestamping on %s", names[i]);
            close(sock);
            return -1;
        }
        snprintf(err, errlen, "HW timestamping on %s is not supported by this chronyd", names[i]);
        close(sock);
        return -1;
    }
    /* `*`: the interfaces that cannot are skipped silently, as chrony's. */
    if (wildcard && getifaddrs(&ifas) == 0) {
        for (struct ifaddrs *a = ifas; a; a = a->ifa_next) {
            int seen = 0;
            for (struct ifaddrs *b = ifas; b != a && !seen; b = b->ifa_next)
                seen = b->ifa_name && a->ifa_name && strcmp(b->ifa_name, a->ifa_name) == 0;
            if (!seen && a->ifa_name && hwts_capable(p, sock, a->ifa_name))
                LOG_WARN(&p->logger,
                         "HW timestamping on %s is not supported by this chronyd, kernel "
                         "timestamps are used",
                         a->ifa_name);
        }
        freeifaddrs(ifas);
    }
    close(sock);
    return 0;
}
