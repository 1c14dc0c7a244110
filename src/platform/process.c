/* Process setup: daemonizing with a start-up report to the waiting parent,
 * the pidfile, privilege dropping, memory locking and scheduling priority. */
#include "platform/internal.h"

#include "platform/clock_linux.h"
#include "platform/privs.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int platform_daemonize(struct platform *p, char *err, size_t errlen)
{
    int fds[2];
    pid_t pid;
    if (pipe(fds) < 0) {
        snprintf(err, errlen, "pipe() failed : %s", strerror(errno));
        return -1;
    }
    pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "fork() failed : %s", strerror(errno));
        return -1;
    }
    if (pid > 0) {
        /* Parent: wait for the daemon's verdict on its start-up. */
        char buf[1024];
        ssize_t n, total = 0;
        close(fds[1]);
        while (total < (ssize_t)sizeof(buf) - 1 &&
               (n = read(fds[0], buf + total, sizeof(buf) - 1 - (size_t)total)) > 0)
            total += n;
        buf[total] = '\0';
        if (total > 0 && buf[0] == '\0')
            _exit(0);
        if (total > 0)
            fprintf(stderr, "%s\n", buf);
        _exit(1);
    }
    close(fds[0]);
    if (setsid() < 0)
        return -1;
    pid = fork();
    if (pid < 0)
        return -1;
    if (pid > 0)
        _exit(0);
    if (chdir("/") < 0) {
        /* chrony: fatal in the daemon's process */
        snprintf(err, errlen, "chdir() failed : %s", strerror(errno));
        return -1;
    }
    {
        int nul = open("/dev/null", O_RDWR);
        if (nul >= 0) {
            dup2(nul, 0);
            dup2(nul, 1);
            dup2(nul, 2);
            if (nul > 2)
                close(nul);
        }
    }
    p->ready_fd = fds[1];
    fcntl(p->ready_fd, F_SETFD, FD_CLOEXEC);
    return 0;
}

void plat_report_fatal_to_parent(struct platform *p, const char *msg)
{
    if (p->ready_fd < 0)
        return;
    if (write(p->ready_fd, msg, strlen(msg)) < 0) {
        /* parent gone: nothing more to do */
    }
    close(p->ready_fd);
    p->ready_fd = -1;
}

void platform_daemon_ready(struct platform *p)
{
    if (p->ready_fd < 0)
        return;
    if (write(p->ready_fd, "", 1) < 0) {
        /* parent gone */
    }
    close(p->ready_fd);
    p->ready_fd = -1;
}

int platform_pidfile_acquire(const char *path, char *err, size_t errlen)
{
    char buf[32];
    int fd;
    if (!path || !*path)
        return 0;
    /* The old pidfile: a few bytes, never through another user's link. */
    fd = plat_open_file(path, O_RDONLY | O_NONBLOCK, 0);
    if (fd >= 0) {
        ssize_t n = read(fd, buf, sizeof(buf) - 1);
        long pid = 0;
        close(fd);
        buf[n > 0 ? n : 0] = '\0';
        if (sscanf(buf, "%ld", &pid) == 1 && pid > 0 && pid != getpid() &&
            (kill((pid_t)pid, 0) == 0 || errno == EPERM)) {
            snprintf(err, errlen, "Another chronyd may already be running (pid=%ld), check %s", pid,
                     path);
            return -1;
        }
    }
    snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
    if (plat_write_atomic(path, buf, strlen(buf), 0644) < 0) {
        snprintf(err, errlen, "Could not open %s : %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

int platform_pidfile_release(const char *path)
{
    if (path && *path && unlink(path) < 0 && errno != ENOENT)
        return -1;
    return 0;
}

int platform_drop_privileges(const char *user, char *err, size_t errlen)
{
    /* CAP_SYS_TIME only when we steer the clock (not -x); a privileged NTP
     * port (123 by default) keeps CAP_NET_BIND_SERVICE for a later rebind. */
    return plat_privs_drop(user, plat_clock_controls_system(), plat_privs_keep_net_bind(), err,
                           errlen);
}

int platform_lock_memory(char *err, size_t errlen)
{
    struct rlimit rlim;
    /* As chrony: lift the limit first so that everything can be locked. */
    int limited;
    rlim.rlim_max = RLIM_INFINITY;
    rlim.rlim_cur = RLIM_INFINITY;
    limited = setrlimit(RLIMIT_MEMLOCK, &rlim) < 0;
    /* chrony gives up when the limit stays (no CAP_SYS_RESOURCE); we still try, as
     * CAP_IPC_LOCK lets root lock beyond the limit, and report chrony's message for the
     * first step that failed. */
    if (mlockall(MCL_CURRENT | MCL_FUTURE) < 0) {
        snprintf(err, errlen, "%s() failed", limited ? "setrlimit" : "mlockall");
        return -1;
    }
    return 0;
}

int platform_set_priority(int prio, char *err, size_t errlen)
{
    struct sched_param sp;
    int pmin = sched_get_priority_min(SCHED_FIFO), pmax = sched_get_priority_max(SCHED_FIFO);
    memset(&sp, 0, sizeof(sp));
    sp.sched_priority = prio > pmax ? pmax : prio < pmin ? pmin : prio;
    /* The calling (main) thread only, as chrony's pthread_setschedparam(). */
    if (sched_setscheduler(0, SCHED_FIFO, &sp) < 0) {
        snprintf(err, errlen, "pthread_setschedparam() failed");
        return -1;
    }
    return sp.sched_priority;
}

/* Start path with its standard input fed from a pipe already holding the input, in a
 * grandchild: the child exits at once after forking it, so the wait here is short and the
 * program, re-parented, is never left a zombie of ours. */
static int proc_run_with_input(void *ctx, const char *path, const char *const *argv,
                               const void *input, size_t len)
{
    int fds[2], status;
    pid_t pid;
    ssize_t n;

    (void)ctx;
    if (len > PIPE_BUF || pipe(fds) < 0)
        return -1;
    fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    /* At most PIPE_BUF bytes into an empty pipe: written whole, without blocking. */
    n = write(fds[1], input, len);
    close(fds[1]);
    if (n != (ssize_t)len) {
        close(fds[0]);
        return -1;
    }
    pid = fork();
    if (pid == 0) {
        /* Only async-signal-safe calls from here: other threads may hold locks. */
        struct sigaction sa;
        pid_t g = fork();
        if (g != 0)
            _exit(g < 0 ? 1 : 0);
        /* dup2 onto itself would keep close-on-exec. */
        if ((fds[0] == 0 ? fcntl(0, F_SETFD, 0) : dup2(fds[0], 0)) < 0)
            _exit(127);
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = SIG_DFL;
        sigaction(SIGPIPE, &sa, NULL);
        execv(path, (char *const *)argv);
        _exit(127);
    }
    close(fds[0]);
    if (pid < 0)
        return -1;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return -1;
    }
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static int proc_hostname(void *ctx, char *buf, size_t len)
{
    (void)ctx;
    if (len == 0 || gethostname(buf, len) < 0)
        return -1;
    buf[len - 1] = '\0';
    return 0;
}

static size_t proc_format_local_time(void *ctx, long long t, const char *fmt, char *buf, size_t len)
{
    time_t tt = (time_t)t;
    struct tm tm;

    (void)ctx;
    tzset();
    if (len == 0 || !localtime_r(&tt, &tm))
        return 0;
    return strftime(buf, len, fmt, &tm);
}

void plat_process_init(struct platform *p)
{
    p->env.process =
        (struct env_process){p, proc_run_with_input, proc_hostname, proc_format_local_time};
}
