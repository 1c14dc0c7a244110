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

/* Open (creating when missing) the directory `name` under dir; the path so far
 * is `shown`, for messages. A new directory gets mode, and uid/gid when uid is
 * not -1; it is removed again when the owner can't be set. The descriptor, or -1. */
static int open_or_make(const struct env *env, int dir, const char *name, const char *shown,
                        unsigned mode, uid_t uid, gid_t gid)
{
    int fd = openat(dir, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0)
        return fd;
    if (errno == ENOTDIR) {
        LOG_ERR(env->log, "%s is not directory", shown);
        return -1;
    }
    if (errno != ENOENT) {
        LOG_ERR(env->log, "Could not access %s : %s", shown, strerror(errno));
        return -1;
    }
    if (mkdirat(dir, name, (mode_t)mode) < 0) {
        LOG_ERR(env->log, "Could not create directory %s : %s", shown, strerror(errno));
        return -1;
    }
    /* The one we made: no symlink can stand there unless someone raced us. */
    fd = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        LOG_ERR(env->log, "Could not access %s : %s", shown, strerror(errno));
        return -1;
    }
    if (uid != (uid_t)-1 && fchown(fd, uid, gid) < 0) {
        LOG_ERR(env->log, "Could not change ownership of %s : %s", shown, strerror(errno));
        close(fd);
        unlinkat(dir, name, AT_REMOVEDIR);
        return -1;
    }
    return fd;
}

int platform_create_dir(struct platform *p, const char *path, unsigned mode, const char *user)
{
    const struct env *env = &p->env;
    char shown[4096], name[256];
    size_t at = 0, shown_len = 0;
    uid_t uid = (uid_t)-1;
    gid_t gid = (gid_t)-1;
    int dir, r = 0;

    if (!path || !path[0] || strcmp(path, ".") == 0)
        return 0;
    if (strlen(path) >= sizeof(shown))
        return -1;
    /* Only root hands a directory to another user (it drops to that user later). */
    if (user && geteuid() == 0) {
        struct passwd *pw = getpwnam(user);
        if (pw && pw->pw_uid != 0) {
            uid = pw->pw_uid;
            gid = pw->pw_gid;
        }
    }
    dir = open(path[0] == '/' ? "/" : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0)
        return -1;
    if (path[0] == '/')
        shown[shown_len++] = '/';
    while (path[at]) {
        size_t n = strcspn(path + at, "/");
        int last, next;
        if (n == 0) {
            at++;
            continue;
        }
        if (n >= sizeof(name)) {
            r = -1;
            break;
        }
        memcpy(name, path + at, n);
        name[n] = '\0';
        at += n;
        last = path[at + strspn(path + at, "/")] == '\0';
        if (shown_len > 0 && shown[shown_len - 1] != '/')
            shown[shown_len++] = '/';
        memcpy(shown + shown_len, name, n + 1);
        shown_len += n;
        /* As chrony: parents 0755 and root's, the last one mode and the user's. */
        next = open_or_make(env, dir, name, shown, last ? mode : 0755u, last ? uid : (uid_t)-1,
                            last ? gid : (gid_t)-1);
        close(dir);
        dir = next;
        if (dir < 0) {
            r = -1;
            break;
        }
    }
    if (dir >= 0)
        close(dir);
    return r;
}
