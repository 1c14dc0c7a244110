/* What a service manager needs from the daemon: the readiness and stopping
 * notifications of systemd's Type=notify services, and the directories that a
 * freshly booted system lacks (/run/chrony), made before privileges are dropped. */
#include "platform/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* The address named by $NOTIFY_SOCKET: a file system path, or an abstract name
 * written with a leading '@' (sd_notify(3)). 0 and the address, or -1. */
static int notify_address(const char *name, struct sockaddr_un *sun, socklen_t *len)
{
    size_t n = strlen(name);
    if ((name[0] != '/' && name[0] != '@') || n < 2 || n >= sizeof(sun->sun_path))
        return -1;
    memset(sun, 0, sizeof(*sun));
    sun->sun_family = AF_UNIX;
    memcpy(sun->sun_path, name, n);
    if (name[0] == '@') {
        /* Abstract: a leading NUL, and the length says where the name ends. */
        sun->sun_path[0] = '\0';
        *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
    } else {
        *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
    }
    return 0;
}

int platform_notify_service(const char *msg, char *err, size_t errlen)
{
    const char *name = getenv("NOTIFY_SOCKET");
    struct sockaddr_un sun;
    socklen_t len;
    ssize_t sent;
    int fd;

    if (!name)
        return 0;
    if (notify_address(name, &sun, &len) < 0) {
        snprintf(err, errlen, "Unsupported notification socket");
        return -1;
    }
    fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    if (fd >= 0 && fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
        close(fd);
        fd = -1;
    }
    sent = fd < 0 ? -1
                  : sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (const struct sockaddr *)&sun, len);
    if (fd >= 0)
        close(fd);
    if (sent != (ssize_t)strlen(msg)) {
        snprintf(err, errlen, "Could not send notification to $NOTIFY_SOCKET");
        return -1;
    }
    return 0;
}

void platform_check_read_only(struct platform *p, const char *path)
{
    /* Run after the privileges were dropped: the daemon must be able to read its keys,
     * and should not be able to change them. A missing file is not this check's business. */
    if (!path)
        return;
    if (access(path, R_OK) != 0 && errno != ENOENT)
        LOG_WARN(p->env.log, "Missing read access to %s : %s", path, strerror(errno));
    if (access(path, W_OK) == 0)
        LOG_WARN(p->env.log, "Having write access to %s", path);
}
