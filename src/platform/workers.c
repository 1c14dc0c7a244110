/* Serving worker processes (`serverworkers`, ours): the fork, the pipe carrying the main
 * process's served state to a worker, the pipe carrying the worker's serving counters back,
 * and the steering of requests between the processes'
 * SO_REUSEPORT sockets by client address. Only used when the directive asks for workers:
 * the default single process never comes here. */
#include "platform/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SO_ATTACH_REUSEPORT_CBPF
#define SO_ATTACH_REUSEPORT_CBPF 51
#endif

static int set_nonblock_cloexec(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
        return -1;
    return fcntl(fd, F_SETFD, FD_CLOEXEC);
}

/* In the child: let go of everything the loop watched for the parent. The NTS-KE server and
 * client sessions are the parent's (their descriptors stay open until the worker ends, so
 * nothing of the parent is closed under it), as are the resolver's pipe and the daemonize
 * pipe. */
static void child_detach(struct platform *p)
{
    for (int i = 0; i < p->n_socks; i++) {
        close(p->socks[i].fd);
        free(p->socks[i].tx);
    }
    p->n_socks = 0;
    p->nts_ke_server = NULL;
    p->nts_ke = NULL;
    p->pending_lookups = 0;
    if (p->ready_fd >= 0)
        close(p->ready_fd);
    p->ready_fd = -1;
}

int platform_worker_fork(struct platform *p, int *fd, int *back)
{
    int pfd[2], bfd[2];
    pid_t pid;

    if (pipe(pfd) < 0)
        return -1;
    if (pipe(bfd) < 0) {
        close(pfd[0]);
        close(pfd[1]);
        return -1;
    }
    pid = fork();
    if (pid < 0) {
        close(pfd[0]);
        close(pfd[1]);
        close(bfd[0]);
        close(bfd[1]);
        return -1;
    }
    if (pid == 0) {
        close(pfd[1]);
        close(bfd[0]);
        child_detach(p);
        set_nonblock_cloexec(pfd[0]);
        set_nonblock_cloexec(bfd[1]);
        *fd = pfd[0];
        *back = bfd[1];
        return 0;
    }
    close(pfd[0]);
    close(bfd[1]);
    set_nonblock_cloexec(pfd[1]);
    set_nonblock_cloexec(bfd[0]);
    *fd = pfd[1];
    *back = bfd[0];
    return (int)pid;
}

int platform_watch(struct platform *p, int fd, stream_cb cb, void *arg)
{
    return plat_watch_fd(p, fd, cb, arg);
}

void platform_unwatch_close(struct platform *p, int fd)
{
    plat_unwatch_fd(p, fd);
    close(fd);
}

int platform_worker_send(int fd, const void *msg, size_t len)
{
    /* One write of at most PIPE_BUF bytes: whole or not at all. */
    return write(fd, msg, len) == (ssize_t)len ? 0 : -1;
}

int platform_worker_receive(int fd, void *msg, size_t len)
{
    int got = 0;
    for (;;) {
        ssize_t r = read(fd, msg, len);
        if (r == (ssize_t)len) {
            got = 1;
            continue;
        }
        /* The end: the message read before it first, the end at the next call. */
        if (r == 0)
            return got ? 1 : -1;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            return got;
        return -1;
    }
}

void platform_worker_stop(int pid, int fd, int wait)
{
    if (fd >= 0)
        close(fd);
    if (!wait)
        return;
    kill((pid_t)pid, SIGTERM);
    while (waitpid((pid_t)pid, NULL, 0) < 0 && errno == EINTR)
        ;
}

int platform_reuseport_steer(int fd, int n, int ipv6)
{
    /* index = (hash of the source address) mod n: a client's requests all reach the same
     * process, whatever its source port (its interleaved-mode timestamps and its rate
     * limit live there). cBPF reads the IP header at SKF_NET_OFF. */
    struct sock_filter v4[] = {
        {BPF_LD | BPF_W | BPF_ABS, 0, 0, (uint32_t)(SKF_NET_OFF + 12)},
        {BPF_ALU | BPF_MUL | BPF_K, 0, 0, 0x9E3779B1u},
        {BPF_ALU | BPF_RSH | BPF_K, 0, 0, 16},
        {BPF_ALU | BPF_MOD | BPF_K, 0, 0, (uint32_t)n},
        {BPF_RET | BPF_A, 0, 0, 0},
    };
    struct sock_filter v6[] = {
        {BPF_LD | BPF_W | BPF_ABS, 0, 0, (uint32_t)(SKF_NET_OFF + 8)},
        {BPF_MISC | BPF_TAX, 0, 0, 0},
        {BPF_LD | BPF_W | BPF_ABS, 0, 0, (uint32_t)(SKF_NET_OFF + 12)},
        {BPF_ALU | BPF_XOR | BPF_X, 0, 0, 0},
        {BPF_MISC | BPF_TAX, 0, 0, 0},
        {BPF_LD | BPF_W | BPF_ABS, 0, 0, (uint32_t)(SKF_NET_OFF + 16)},
        {BPF_ALU | BPF_XOR | BPF_X, 0, 0, 0},
        {BPF_MISC | BPF_TAX, 0, 0, 0},
        {BPF_LD | BPF_W | BPF_ABS, 0, 0, (uint32_t)(SKF_NET_OFF + 20)},
        {BPF_ALU | BPF_XOR | BPF_X, 0, 0, 0},
        {BPF_ALU | BPF_MUL | BPF_K, 0, 0, 0x9E3779B1u},
        {BPF_ALU | BPF_RSH | BPF_K, 0, 0, 16},
        {BPF_ALU | BPF_MOD | BPF_K, 0, 0, (uint32_t)n},
        {BPF_RET | BPF_A, 0, 0, 0},
    };
    struct sock_fprog prog;
    if (n < 1)
        return -1;
    prog.len = ipv6 ? sizeof(v6) / sizeof(v6[0]) : sizeof(v4) / sizeof(v4[0]);
    prog.filter = ipv6 ? v6 : v4;
    return setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog, sizeof(prog));
}

void *platform_shared_alloc(size_t len)
{
    void *m;
    if (len == 0)
        return NULL;
    m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return m == MAP_FAILED ? NULL : m;
}
