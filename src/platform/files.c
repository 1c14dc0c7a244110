/* Files: whole reads, atomic replacement (temp file + fsync + rename), appends
 * for log files, and glob listing for include/confdir. */
#include "platform/internal.h"

#include "lib/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The largest file read whole: far above any drift, dump, key, leap second or
 * configuration file, far below what a link to /dev/zero would cost. */
#define READ_LIMIT (8u << 20)

/* openat() that follows a symbolic link at name only when root or this process owns
 * the link, as the kernel's protected_symlinks: a link planted by another user in a
 * directory we use never takes a root daemon into another file. */
int plat_openat_guarded(int dir, const char *name, int flags, unsigned mode)
{
    struct stat st;
    int fd = openat(dir, name, flags | O_NOFOLLOW | O_CLOEXEC, (mode_t)mode);
    if (fd >= 0 || errno != ELOOP)
        return fd;
    if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return -1;
    if (!S_ISLNK(st.st_mode) || (st.st_uid != 0 && st.st_uid != geteuid())) {
        errno = ELOOP;
        return -1;
    }
    return openat(dir, name, flags | O_CLOEXEC, (mode_t)mode);
}

/* The directory holding path, opened (-1 with errno), and the last component in name. */
int plat_open_parent(const char *path, char *name, size_t len)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    char dir[4096];
    if (!*base || strlen(base) >= len) {
        errno = !*base ? EISDIR : ENAMETOOLONG;
        return -1;
    }
    memcpy(name, base, strlen(base) + 1);
    if (!slash)
        snprintf(dir, sizeof(dir), ".");
    else if (slash == path)
        snprintf(dir, sizeof(dir), "/");
    else if ((size_t)(slash - path) >= sizeof(dir)) {
        errno = ENAMETOOLONG;
        return -1;
    } else
        snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
    return open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

int plat_open_file(const char *path, int flags, unsigned mode)
{
    char name[NAME_MAX + 1];
    int dir = plat_open_parent(path, name, sizeof(name)), fd, saved;
    if (dir < 0)
        return -1;
    if (flags & O_NOFOLLOW)
        fd = openat(dir, name, flags | O_CLOEXEC, (mode_t)mode);
    else
        fd = plat_openat_guarded(dir, name, flags, mode);
    saved = errno;
    close(dir);
    errno = saved;
    return fd;
}

static char *files_read_all(void *ctx, const char *path, size_t *len)
{
    struct platform *p = ctx;
    struct stat st;
    char *buf = NULL;
    size_t n = 0, cap = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    if (fstat(fd, &st) < 0 || S_ISDIR(st.st_mode)) {
        close(fd);
        errno = EISDIR;
        return NULL;
    }
    /* Read at most one byte past the limit, whatever the file claims to hold. */
    while (!(S_ISREG(st.st_mode) && st.st_size > (off_t)READ_LIMIT)) {
        ssize_t got;
        if (cap - n < 4096) {
            cap = cap ? cap * 2 : 4096;
            if (cap > READ_LIMIT + 1)
                cap = READ_LIMIT + 1;
            buf = xrealloc(buf, cap + 1);
        }
        got = read(fd, buf + n, cap - n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            int saved = errno;
            close(fd);
            free(buf);
            errno = saved;
            return NULL;
        }
        if (got == 0)
            break;
        n += (size_t)got;
        if (n > READ_LIMIT)
            break;
    }
    close(fd);
    if (n > READ_LIMIT || (S_ISREG(st.st_mode) && st.st_size > (off_t)READ_LIMIT)) {
        LOG_ERR(p->env.log, "Could not read %s : larger than %u bytes", path, READ_LIMIT);
        free(buf);
        errno = EFBIG;
        return NULL;
    }
    if (!buf)
        buf = xmalloc(1);
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

static int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Temporary file beside path, made afresh with O_EXCL (never through a link), then renamed
 * over path, all relative to the directory's descriptor. */
int plat_write_atomic(const char *path, const void *data, size_t len, unsigned mode)
{
    char name[NAME_MAX + 1], tmp[NAME_MAX + 1];
    int dir, fd, saved;
    dir = plat_open_parent(path, name, sizeof(name));
    if (dir < 0)
        return -1;
    if (snprintf(tmp, sizeof(tmp), "%s.tmp", name) >= (int)sizeof(tmp)) {
        close(dir);
        errno = ENAMETOOLONG;
        return -1;
    }
    /* A leftover temporary file (or a planted link) may stand there: start afresh. */
    unlinkat(dir, tmp, 0);
    fd = openat(dir, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, (mode_t)mode);
    if (fd < 0)
        goto fail;
    if (write_all(fd, data, len) < 0 || fsync(fd) < 0) {
        saved = errno;
        close(fd);
        errno = saved;
        goto fail_unlink;
    }
    if (close(fd) < 0 || renameat(dir, tmp, dir, name) < 0)
        goto fail_unlink;
    close(dir);
    return 0;
fail_unlink:
    saved = errno;
    unlinkat(dir, tmp, 0);
    errno = saved;
fail:
    saved = errno;
    close(dir);
    errno = saved;
    return -1;
}

static int files_write_atomic(void *ctx, const char *path, const void *data, size_t len)
{
    (void)ctx;
    return plat_write_atomic(path, data, len, 0644);
}

static int files_write_private(void *ctx, const char *path, const void *data, size_t len)
{
    (void)ctx;
    return plat_write_atomic(path, data, len, 0600);
}

static int files_append(void *ctx, const char *path, const void *data, size_t len)
{
    /* As chrony's log files: never through a link. */
    int fd = plat_open_file(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW, 0644);
    int r;
    (void)ctx;
    if (fd < 0)
        return -1;
    r = write_all(fd, data, len);
    close(fd);
    return r;
}

static char **files_list_glob(void *ctx, const char *pattern, int *n)
{
    glob_t g;
    char **out = NULL;
    int r;
    *n = 0;
    /* As chrony's include: a directory that cannot be read fails the search (GLOB_ERR). */
    r = glob(pattern, GLOB_ERR, NULL, &g);
    if (r != 0) {
        if (r != GLOB_NOMATCH)
            *n = -1;
        globfree(&g);
        return NULL;
    }
    if (g.gl_pathc) {
        out = xcalloc(g.gl_pathc, sizeof(*out));
        for (size_t i = 0; i < g.gl_pathc; i++)
            out[i] = xstrdup(g.gl_pathv[i]);
        *n = (int)g.gl_pathc;
    }
    globfree(&g);
    return out;
}

/* Open (creating when missing) the directory name under dir; shown is the path so far,
 * for messages. A new directory gets mode, and uid/gid when uid is not -1; it is removed
 * again when the owner can't be set. The descriptor, or -1 with chrony's message in err. */
static int open_or_make(int dir, const char *name, const char *shown, unsigned mode, uid_t uid,
                        gid_t gid, char *err, size_t errlen)
{
    int fd = plat_openat_guarded(dir, name, O_RDONLY | O_DIRECTORY, 0);
    if (fd >= 0)
        return fd;
    if (errno == ENOTDIR) {
        snprintf(err, errlen, "%s is not directory", shown);
        return -1;
    }
    if (errno != ENOENT) {
        snprintf(err, errlen, "Could not access %s : %s", shown, strerror(errno));
        return -1;
    }
    if (mkdirat(dir, name, (mode_t)mode) < 0) {
        snprintf(err, errlen, "Could not create directory %s : %s", shown, strerror(errno));
        return -1;
    }
    /* The one we made: a link can stand there only if someone raced us. */
    fd = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "Could not access %s : %s", shown, strerror(errno));
        return -1;
    }
    if (uid != (uid_t)-1 && fchown(fd, uid, gid) < 0) {
        snprintf(err, errlen, "Could not change ownership of %s : %s", shown, strerror(errno));
        close(fd);
        unlinkat(dir, name, AT_REMOVEDIR);
        return -1;
    }
    return fd;
}

/* As chrony's UTI_CreateDirAndParents, one component at a time through descriptors:
 * missing parents 0755, the last directory mode and, when root makes it for another
 * user, that user's. The last directory's descriptor, or -1 with the reason in err. */
static int make_dirs(const char *path, unsigned mode, uid_t uid, gid_t gid, char *err,
                     size_t errlen)
{
    char shown[4096], name[NAME_MAX + 1];
    size_t at = 0, shown_len = 0;
    int dir;

    if (strlen(path) >= sizeof(shown)) {
        snprintf(err, errlen, "Could not access %s : %s", path, strerror(ENAMETOOLONG));
        return -1;
    }
    dir = open(path[0] == '/' ? "/" : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) {
        snprintf(err, errlen, "Could not access %s : %s", path, strerror(errno));
        return -1;
    }
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
            snprintf(err, errlen, "Could not access %s : %s", path, strerror(ENAMETOOLONG));
            close(dir);
            return -1;
        }
        memcpy(name, path + at, n);
        name[n] = '\0';
        at += n;
        last = path[at + strspn(path + at, "/")] == '\0';
        if (shown_len > 0 && shown[shown_len - 1] != '/')
            shown[shown_len++] = '/';
        memcpy(shown + shown_len, name, n + 1);
        shown_len += n;
        next = open_or_make(dir, name, shown, last ? mode : 0755u, last ? uid : (uid_t)-1,
                            last ? gid : (gid_t)-1, err, errlen);
        close(dir);
        if (next < 0)
            return -1;
        dir = next;
    }
    return dir;
}

/* The owner the daemon's directories must have: the run-as user when root starts the
 * daemon for one, this process otherwise. */
static void dir_owner(const struct platform *p, uid_t *uid, gid_t *gid)
{
    *uid = p->dir_owner_set ? p->dir_uid : geteuid();
    *gid = p->dir_owner_set ? p->dir_gid : getegid();
}

void platform_set_dir_owner(struct platform *p, const char *user)
{
    struct passwd *pw = user && geteuid() == 0 ? getpwnam(user) : NULL;
    p->dir_owner_set = pw != NULL;
    if (pw) {
        p->dir_uid = pw->pw_uid;
        p->dir_gid = pw->pw_gid;
    }
}

/* Created as root for the run-as user: chown only then (and only when root). */
static void new_dir_owner(const struct platform *p, uid_t *uid, gid_t *gid)
{
    *uid = (uid_t)-1;
    *gid = (gid_t)-1;
    if (geteuid() == 0 && p->dir_owner_set && (p->dir_uid != 0 || p->dir_gid != 0)) {
        *uid = p->dir_uid;
        *gid = p->dir_gid;
    }
}

int platform_create_dir(struct platform *p, const char *path, unsigned mode)
{
    char err[4200];
    uid_t uid;
    gid_t gid;
    int fd;
    if (!path || !path[0] || strcmp(path, ".") == 0)
        return 0;
    new_dir_owner(p, &uid, &gid);
    fd = make_dirs(path, mode, uid, gid, err, sizeof(err));
    if (fd < 0) {
        LOG_ERR(p->env.log, "%s", err);
        return -1;
    }
    close(fd);
    return 0;
}

/* Create when missing, then chrony's UTI_CheckDirPermissions on the opened descriptor. */
static int files_prepare_dir(void *ctx, const char *path, unsigned mode, char *err, size_t errlen)
{
    struct platform *p = ctx;
    struct stat st;
    uid_t uid, nuid;
    gid_t gid, ngid;
    int fd;
    if (!path || !path[0] || strcmp(path, ".") == 0)
        return 0;
    new_dir_owner(p, &nuid, &ngid);
    fd = make_dirs(path, mode, nuid, ngid, err, errlen);
    if (fd < 0)
        return -1;
    if (fstat(fd, &st) < 0) {
        snprintf(err, errlen, "Could not access %s : %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    close(fd);
    dir_owner(p, &uid, &gid);
    if ((st.st_mode & 0777 & ~mode) != 0) {
        snprintf(err, errlen, "Wrong permissions on %s", path);
        return -1;
    }
    if (st.st_uid != uid) {
        snprintf(err, errlen, "Wrong owner of %s (%s != %u)", path, "UID", (unsigned)uid);
        return -1;
    }
    if (st.st_gid != gid) {
        snprintf(err, errlen, "Wrong owner of %s (%s != %u)", path, "GID", (unsigned)gid);
        return -1;
    }
    return 0;
}

/* As chrony's UTI_CheckFilePermissions: permission bits outside perm on a regular file
 * are worth a warning (the caller logs it); anything else is no error. */
int plat_file_permission_warning(const char *path, unsigned perm, char *msg, size_t len)
{
    struct stat st;
    unsigned extra;
    if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
        return 0;
    extra = (unsigned)st.st_mode & 0777 & ~perm;
    if (!extra)
        return 0;
    snprintf(msg, len, "%s permissions on %s",
             extra & 0006 ? (extra & 0004 ? "World-readable" : "World-writable") : "Wrong", path);
    return 1;
}

static void files_check_perms(void *ctx, const char *path, unsigned perm)
{
    struct platform *p = ctx;
    char msg[4200];
    if (plat_file_permission_warning(path, perm, msg, sizeof(msg)))
        LOG_WARN(p->env.log, "%s", msg);
}

static int files_remove(void *ctx, const char *path)
{
    if (unlink(path) < 0 && errno != ENOENT)
        return -1;
    return 0;
}

/* Through the descriptor, as the other checks of files here. */
static long long files_mtime(void *ctx, const char *path)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    long long t = -1;

    (void)ctx;
    if (fd < 0)
        return -1;
    if (fstat(fd, &st) == 0)
        t = (long long)st.st_mtime;
    close(fd);
    return t;
}

void plat_files_init(struct platform *p)
{
    p->env.files = (struct env_files){p,
                                      files_read_all,
                                      files_write_atomic,
                                      files_append,
                                      files_list_glob,
                                      files_prepare_dir,
                                      files_remove,
                                      files_write_private,
                                      plat_log_cycle,
                                      files_check_perms,
                                      files_mtime};
}
