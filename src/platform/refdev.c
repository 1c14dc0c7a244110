/* env.refdev: the PPS API (RFC 2783, /dev/ppsN) and PTP hardware clocks (/dev/ptpN) through
 * the kernel's ioctls, whose numbers and structures proto/kdev.c computes. An extts
 * descriptor waits in the select loop as a watched descriptor. */
#include "platform/internal.h"
#include "proto/kdev.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static int rd_pps_open(void *ctx, const char *path, int clear, char *err, size_t errlen)
{
    struct kdev_pps_kparams params;
    int fd, caps = 0;
    (void)ctx;

    fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "Could not open %s : %s", path, strerror(errno));
        return -1;
    }
    /* RFC 2783's time_pps_create: a descriptor that does not answer PPS_GETPARAMS is not a
     * PPS source (EOPNOTSUPP, as the PPS tools' library reports it). */
    memset(&params, 0, sizeof(params));
    if (ioctl(fd, kdev_pps_getparams(), &params) < 0) {
        snprintf(err, errlen, "time_pps_create() failed on %s : %s", path, strerror(EOPNOTSUPP));
        goto fail;
    }
    if (ioctl(fd, kdev_pps_getcap(), &caps) < 0) {
        snprintf(err, errlen, "time_pps_getcap() failed on %s : %s", path, strerror(errno));
        goto fail;
    }
    memset(&params, 0, sizeof(params));
    if (ioctl(fd, kdev_pps_getparams(), &params) < 0) {
        snprintf(err, errlen, "time_pps_getparams() failed on %s : %s", path, strerror(errno));
        goto fail;
    }
    if (!(caps & (clear ? KDEV_PPS_CAPTURECLEAR : KDEV_PPS_CAPTUREASSERT))) {
        snprintf(err, errlen, "%s not supported on %s", clear ? "CAPTURECLEAR" : "CAPTUREASSERT",
                 path);
        goto fail;
    }
    params.mode = kdev_pps_mode(params.mode, clear);
    if (ioctl(fd, kdev_pps_setparams(), &params) < 0) {
        snprintf(err, errlen, "time_pps_setparams() failed on %s : %s", path, strerror(errno));
        goto fail;
    }
    return fd;
fail:
    close(fd);
    return -1;
}

static int rd_pps_fetch(void *ctx, int dev, int clear, uint32_t *seq, struct timespec *ts,
                        char *err, size_t errlen)
{
    struct kdev_pps_fdata f;
    (void)ctx;

    memset(&f, 0, sizeof(f));
    if (ioctl(dev, kdev_pps_fetch(), &f) < 0) {
        snprintf(err, errlen, "time_pps_fetch() failed : %s", strerror(errno));
        return -1;
    }
    return kdev_pps_edge(&f, clear, seq, ts);
}

/* chrony's check that a descriptor is a PHC: PTP_CLOCK_GETCAPS answers. Closes it if not. */
static int verify_phc(struct platform *p, int fd)
{
    struct kdev_ptp_caps caps;

    if (ioctl(fd, kdev_ptp_getcaps(), &caps) < 0) {
        LOG_ERR(&p->logger, "ioctl(%s) failed : %s", "PTP_CLOCK_GETCAPS", strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

/* The PHC of a network interface (ETHTOOL_GET_TS_INFO's phc_index): /dev/ptpN opened. */
static int open_by_interface(struct platform *p, const char *name, int flags)
{
    struct ethtool_ts_info info;
    struct ifreq req;
    char dev[32];
    int sock, r;

    memset(&req, 0, sizeof(req));
    memset(&info, 0, sizeof(info));
    if (strlen(name) >= sizeof(req.ifr_name))
        return -1;
    memcpy(req.ifr_name, name, strlen(name) + 1);
    sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (sock < 0)
        return -1;
    info.cmd = ETHTOOL_GET_TS_INFO;
    req.ifr_data = (char *)&info;
    r = ioctl(sock, SIOCETHTOOL, &req);
    close(sock);
    if (r < 0) {
        LOG_DEBUG(&p->logger, "ioctl(%s) failed : %s", "SIOCETHTOOL", strerror(errno));
        return -1;
    }
    if (info.phc_index < 0) {
        LOG_DEBUG(&p->logger, "PHC missing on %s", name);
        return -1;
    }
    snprintf(dev, sizeof(dev), "/dev/ptp%d", info.phc_index);
    return open(dev, flags);
}

/* chrony's SYS_Linux_OpenPHC: a device path, else a network interface's PHC. */
static int rd_phc_open(void *ctx, const char *path, int rw, char *err, size_t errlen)
{
    struct platform *p = ctx;
    int flags = (rw ? O_RDWR : O_RDONLY) | O_CLOEXEC, fd = -1;
    struct stat st;

    if (path[0] == '/') {
        fd = open(path, flags);
        if (fd >= 0)
            fd = verify_phc(p, fd);
    }
    if (fd < 0) {
        fd = open_by_interface(p, path, flags);
        if (fd < 0) {
            LOG_ERR(&p->logger, "Could not open PHC (of) %s", path);
            snprintf(err, errlen, "Could not open PHC");
            return -1;
        }
        fd = verify_phc(p, fd);
        if (fd < 0) {
            snprintf(err, errlen, "Could not open PHC");
            return -1;
        }
    }
    if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode)) {
        close(fd);
        snprintf(err, errlen, "Could not get PHC index");
        return -1;
    }
    return fd;
}

static int rd_phc_read(void *ctx, int dev, int nocrossts, int *mode,
                       struct env_refdev_phc_reading *out, int max)
{
    struct kdev_phc_reading r[KDEV_PTP_MAX_SAMPLES];
    int n = 0;
    (void)ctx;

    if (max > KDEV_PTP_MAX_SAMPLES)
        max = KDEV_PTP_MAX_SAMPLES;
    if ((*mode == KDEV_PHC_PRECISE || *mode == KDEV_PHC_UNKNOWN) && !nocrossts) {
        struct kdev_ptp_sys_offset_precise s;
        memset(&s, 0, sizeof(s));
        if (ioctl(dev, kdev_ptp_sys_offset_precise(), &s) == 0 &&
            (n = kdev_phc_precise(&s, r, max)) > 0)
            *mode = KDEV_PHC_PRECISE;
    }
    if (n <= 0 && (*mode == KDEV_PHC_EXTENDED || *mode == KDEV_PHC_UNKNOWN)) {
        struct kdev_ptp_sys_offset_extended s;
        memset(&s, 0, sizeof(s));
        s.n_samples = (uint32_t)max;
        if (ioctl(dev, kdev_ptp_sys_offset_extended(), &s) == 0 &&
            (n = kdev_phc_extended(&s, max, r, max)) > 0)
            *mode = KDEV_PHC_EXTENDED;
    }
    if (n <= 0 && (*mode == KDEV_PHC_BASIC || *mode == KDEV_PHC_UNKNOWN)) {
        struct kdev_ptp_sys_offset s;
        memset(&s, 0, sizeof(s));
        s.n_samples = (uint32_t)max;
        if (ioctl(dev, kdev_ptp_sys_offset(), &s) == 0 && (n = kdev_phc_basic(&s, max, r, max)) > 0)
            *mode = KDEV_PHC_BASIC;
    }
    for (int i = 0; i < n; i++) {
        out[i].before = r[i].before;
        out[i].phc = r[i].phc;
        out[i].after = r[i].after;
    }
    return n > 0 ? n : 0;
}

/* The loop found an extts descriptor readable. */
static void on_readable(void *arg, int sock, int events)
{
    struct plat_refdev_watch *w = arg;
    (void)events;
    if (w->used && w->fd == sock)
        w->cb(w->arg, sock);
}

static void unwatch(struct platform *p, int dev)
{
    for (int i = 0; i < PLAT_MAX_REFDEV; i++) {
        if (p->refdev_watch[i].used && p->refdev_watch[i].fd == dev) {
            p->refdev_watch[i].used = 0;
            plat_unwatch_fd(p, dev);
        }
    }
}

static int rd_phc_extts(void *ctx, int dev, int pin, int channel, int rising, int falling,
                        int enable, refdev_cb cb, void *arg)
{
    struct platform *p = ctx;
    struct kdev_ptp_pin_desc d = kdev_ptp_pin(pin, channel, enable);
    struct kdev_ptp_extts_request q = kdev_ptp_extts(channel, rising, falling, enable);

    if (pin >= 0 && ioctl(dev, kdev_ptp_pin_setfunc(), &d) < 0) {
        LOG_DEBUG(&p->logger, "ioctl(%s) failed : %s", "PTP_PIN_SETFUNC", strerror(errno));
        return -1;
    }
    if (ioctl(dev, kdev_ptp_extts_request(), &q) < 0) {
        LOG_DEBUG(&p->logger, "ioctl(%s) failed : %s", "PTP_EXTTS_REQUEST", strerror(errno));
        return -1;
    }
    unwatch(p, dev);
    if (!enable)
        return 0;
    for (int i = 0; i < PLAT_MAX_REFDEV; i++) {
        struct plat_refdev_watch *w = &p->refdev_watch[i];
        if (w->used)
            continue;
        if (plat_watch_fd(p, dev, on_readable, w) < 0)
            return -1;
        *w = (struct plat_refdev_watch){1, dev, cb, arg};
        return 0;
    }
    return -1;
}

static int rd_phc_extts_read(void *ctx, int dev, struct timespec *phc, int *channel)
{
    struct kdev_ptp_extts_event e;
    struct pollfd pfd;
    (void)ctx;

    /* other descriptors of the same PHC may have taken the event: never block */
    pfd.fd = dev;
    pfd.events = POLLIN;
    if (poll(&pfd, 1, 0) != 1 || pfd.revents != POLLIN)
        return 0;
    if (read(dev, &e, sizeof(e)) != (ssize_t)sizeof(e))
        return 0;
    kdev_ptp_event(&e, phc, channel);
    return 1;
}

static void rd_close(void *ctx, int dev)
{
    unwatch(ctx, dev);
    close(dev);
}

void plat_refdev_init(struct platform *p)
{
    p->env.refdev = (struct env_refdev){p,           rd_pps_open,  rd_pps_fetch,      rd_phc_open,
                                        rd_phc_read, rd_phc_extts, rd_phc_extts_read, rd_close};
}
