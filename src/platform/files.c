/* Files: whole reads, atomic replacement (temp file + fsync + rename), appends
 * for log files, and glob listing for include/confdir. */
#include "platform/internal.h"

#include "lib/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *files_read_all(void *ctx, const char *path, size_t *len)
{
    FILE *f = fopen(path, "r");
    char *buf = NULL;
    size_t n = 0, cap = 0;
    if (!f)
        return NULL;
    for (;;) {
        size_t got;
        if (cap - n < 4096)
            buf = xrealloc(buf, (cap = cap * 2 + 4096) + 1);
        got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        fclose(f);
        free(buf);
        return NULL;
    }
    fclose(f);
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

static int write_atomic_mode(const char *path, const void *data, size_t len, mode_t mode)
{
    char tmp[4096];
    int fd, saved;
    if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
        return -1;
    /* A leftover temporary file may have wider permissions: start afresh. */
    unlink(tmp);
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0)
        return -1;
    if (write_all(fd, data, len) < 0 || fsync(fd) < 0) {
        saved = errno;
        close(fd);
        unlink(tmp);
        errno = saved;
        return -1;
    }
    if (close(fd) < 0 || rename(tmp, path) < 0) {
        saved = errno;
        unlink(tmp);
        errno = saved;
        return -1;
    }
    return 0;
}

static int files_write_atomic(void *ctx, const char *path, const void *data, size_t len)
{
    return write_atomic_mode(path, data, len, 0644);
}

static int files_write_private(void *ctx, const char *path, const void *data, size_t len)
{
    return write_atomic_mode(path, data, len, 0600);
}

static int files_append(void *ctx, const char *path, const void *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    int r;
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
    *n = 0;
    if (glob(pattern, 0, NULL, &g) != 0) {
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

static int files_prepare_dir(void *ctx, const char *path, unsigned mode, char *err, size_t errlen)
{
    struct stat st;
    if (mkdir(path, (mode_t)mode) < 0 && errno != EEXIST) {
        snprintf(err, errlen, "Could not create directory %s : %s", path, strerror(errno));
        return -1;
    }
    if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "Could not access %s", path);
        return -1;
    }
    if ((st.st_mode & 0777 & ~mode) != 0) {
        snprintf(err, errlen, "Wrong permissions on %s", path);
        return -1;
    }
    if (st.st_uid != geteuid() || st.st_gid != getegid()) {
        snprintf(err, errlen, "Wrong owner of %s (UID != %u or GID != %u)", path,
                 (unsigned)geteuid(), (unsigned)getegid());
        return -1;
    }
    return 0;
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
                                      files_mtime};
}
