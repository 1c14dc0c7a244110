/* System call filters for chronyd -F LEVEL (chronyd(8)), built with libseccomp.
 *
 * Level 1 allows only what the daemon is known to need once it runs: its clock,
 * memory, file, socket and thread calls, a few socket options, fcntl commands and
 * ioctls; anything else ends the process. Level 2 allows everything but a list of
 * calls a time daemon never makes (new programs, new processes, tracing, kernel
 * modules, mounts, namespaces). A positive level kills the process on a denied
 * call, a negative one sends SIGSYS (for debugging), as chronyd does.
 *
 * Threads (the resolver's) are allowed but not new processes: clone() must carry
 * CLONE_THREAD, and clone3(), whose flags sit behind a pointer a filter cannot
 * read, fails with ENOSYS so that the C library falls back to clone(). */
#include "platform/platform.h"
#include "proto/kdev.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/rtc.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>

/* Level 1: allowed without conditions. Names that this architecture does not
 * have are skipped. */
static const char *const allowed_calls[] = {
    /* clock */
    "adjtimex", "clock_adjtime", "clock_adjtime64", "clock_gettime", "clock_gettime64",
    "clock_getres", "clock_settime", "clock_settime64", "gettimeofday", "settimeofday", "time",
    "nanosleep", "clock_nanosleep", "clock_nanosleep_time64",
    /* process and threads */
    "exit", "exit_group", "getpid", "gettid", "getppid", "getuid", "geteuid", "getgid", "getegid",
    "getuid32", "geteuid32", "getgid32", "getegid32", "getrlimit", "ugetrlimit", "prlimit64",
    "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "sigreturn", "sigaltstack", "tgkill",
    "set_tid_address", "set_robust_list", "rseq", "membarrier", "futex", "futex_time64",
    "sched_yield", "sched_getaffinity", "getrandom", "sysinfo", "uname",
    /* memory (shmdt: the SHM refclock's segment at exit) */
    "brk", "mmap", "mmap2", "munmap", "mremap", "mprotect", "madvise", "shmdt",
    /* files (drift, dump, log and key files, pidfile, the command socket) */
    "open", "openat", "close", "read", "readv", "write", "writev", "pread64", "pwrite64", "lseek",
    "_llseek", "fstat", "fstat64", "newfstatat", "fstatat64", "stat", "stat64", "lstat", "lstat64",
    "statx", "statfs", "statfs64", "fstatfs", "fstatfs64", "access", "faccessat", "faccessat2",
    "readlink", "readlinkat", "getdents", "getdents64", "rename", "renameat", "renameat2", "unlink",
    "unlinkat", "mkdir", "mkdirat", "chmod", "fchmod", "fchmodat", "chown", "chown32", "fchown",
    "fchown32", "fchownat", "fsync", "fdatasync", "ftruncate", "umask", "getcwd", "dup", "dup2",
    "dup3", "pipe", "pipe2",
    /* sockets and the event loop (accept and listen: the NTS-KE server) */
    "accept", "accept4", "listen", "bind", "connect", "getsockname", "getpeername", "getsockopt",
    "sendto", "sendmsg", "sendmmsg", "recvfrom", "recvmsg", "recvmmsg", "recvmmsg_time64",
    "shutdown", "select", "_newselect", "pselect6", "pselect6_time64", "poll", "ppoll",
    "ppoll_time64"};

/* Level 2: denied. */
static const char *const denied_calls[] = {"execve",
                                           "execveat",
                                           "fork",
                                           "vfork",
                                           "ptrace",
                                           "process_vm_readv",
                                           "process_vm_writev",
                                           "kexec_load",
                                           "kexec_file_load",
                                           "init_module",
                                           "finit_module",
                                           "delete_module",
                                           "mount",
                                           "umount2",
                                           "pivot_root",
                                           "chroot",
                                           "swapon",
                                           "swapoff",
                                           "reboot",
                                           "setns",
                                           "unshare",
                                           "personality",
                                           "bpf",
                                           "perf_event_open",
                                           "userfaultfd",
                                           "add_key",
                                           "request_key",
                                           "keyctl",
                                           "iopl",
                                           "ioperm",
                                           "acct"};

static const int socket_domains[] = {AF_INET, AF_INET6, AF_UNIX, AF_NETLINK};

/* Socket options the daemon and the C library's resolver set. */
static const int socket_options[][2] = {
    {SOL_SOCKET, SO_TIMESTAMPING}, {SOL_SOCKET, SO_TIMESTAMPNS},
    {SOL_SOCKET, SO_TIMESTAMP},    {SOL_SOCKET, SO_REUSEADDR},
    {SOL_SOCKET, SO_REUSEPORT},    {SOL_SOCKET, SO_BROADCAST},
    {SOL_SOCKET, SO_RCVBUF},       {SOL_SOCKET, SO_SNDBUF},
    {SOL_SOCKET, SO_BINDTODEVICE}, {SOL_SOCKET, SO_SELECT_ERR_QUEUE},
    {IPPROTO_IP, IP_PKTINFO},      {IPPROTO_IP, IP_FREEBIND},
    {IPPROTO_IP, IP_TOS},          {IPPROTO_IP, IP_RECVERR},
    {IPPROTO_IPV6, IPV6_V6ONLY},   {IPPROTO_IPV6, IPV6_RECVPKTINFO},
    {IPPROTO_IPV6, IPV6_TCLASS},   {IPPROTO_IPV6, IPV6_RECVERR}};

static const int fcntl_cmds[] = {F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_DUPFD_CLOEXEC};

/* isatty() and stdio on a terminal (-d), the resolver's FIONREAD, the RTC driver's
 * requests (platform/rtc.c) and the link speed of a `hwtimestamp` interface (SIOCETHTOOL,
 * platform/hwts.c), which chrony's filter allows too. */
static const unsigned long ioctl_cmds[] = {FIONREAD,     TCGETS,     TIOCGWINSZ,  RTC_RD_TIME,
                                           RTC_SET_TIME, RTC_UIE_ON, RTC_UIE_OFF, SIOCETHTOOL};

/* Comparisons of a call's argument (spelled out: the library's SCMP_Ax macros
 * leave a field to the compiler's zero, which clang's -Wextra rejects). */
static struct scmp_arg_cmp arg_eq(unsigned arg, scmp_datum_t value)
{
    struct scmp_arg_cmp c = {arg, SCMP_CMP_EQ, value, 0};
    return c;
}

static struct scmp_arg_cmp arg_masked_eq(unsigned arg, scmp_datum_t mask, scmp_datum_t value)
{
    struct scmp_arg_cmp c = {arg, SCMP_CMP_MASKED_EQ, mask, value};
    return c;
}

/* Add rule for the named call; a name this architecture lacks is skipped. */
static int add_named(scmp_filter_ctx ctx, uint32_t action, const char *name)
{
    int nr = seccomp_syscall_resolve_name(name);
    if (nr == __NR_SCMP_ERROR)
        return 0;
    return seccomp_rule_add(ctx, action, nr, 0);
}

/* clone3() fails with ENOSYS (the C library then uses clone()). */
static int add_clone3_enosys(scmp_filter_ctx ctx)
{
    int nr = seccomp_syscall_resolve_name("clone3");
    if (nr == __NR_SCMP_ERROR)
        return 0;
    return seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), nr, 0);
}

/* Sanitizer builds only (make SAN=1): LeakSanitizer checks for leaks at exit from a
 * tracer task that shares the daemon's memory (clone() with CLONE_VM, not CLONE_THREAD),
 * stops the threads with ptrace() after prctl(PR_SET_PTRACER) and waits for them with
 * wait4(); it also reads and sets the dumpable flag (prctl). Without these calls every
 * daemon run with -F ended with SIGSYS instead of its leak report. A plain build never
 * includes this. */
#if defined(__SANITIZE_ADDRESS__)
#define SCFILTER_FOR_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SCFILTER_FOR_LSAN 1
#endif
#endif

#ifdef SCFILTER_FOR_LSAN
static const char *const lsan_calls[] = {"prctl", "ptrace", "wait4", "waitid", "sched_yield"};

/* The tracer: a task sharing the memory, not a thread of the process. */
static struct scmp_arg_cmp lsan_clone_arg(void)
{
    struct scmp_arg_cmp c = {0, SCMP_CMP_MASKED_EQ, CLONE_VM | CLONE_THREAD, CLONE_VM};
    return c;
}

static int add_lsan(scmp_filter_ctx ctx, int level)
{
    for (size_t i = 0; i < sizeof(lsan_calls) / sizeof(lsan_calls[0]); i++)
        if (add_named(ctx, SCMP_ACT_ALLOW, lsan_calls[i]) < 0)
            return -1;
    return level == 1 ? seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1, lsan_clone_arg())
                      : 0;
}
#endif

static int add_level1(scmp_filter_ctx ctx)
{
    size_t i;
    for (i = 0; i < sizeof(allowed_calls) / sizeof(allowed_calls[0]); i++)
        if (add_named(ctx, SCMP_ACT_ALLOW, allowed_calls[i]) < 0)
            return -1;
#ifdef SCFILTER_FOR_LSAN
    if (add_lsan(ctx, 1) < 0)
        return -1;
#endif
    /* Threads, not processes. */
    if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
                         arg_masked_eq(0, CLONE_THREAD, CLONE_THREAD)) < 0 ||
        add_clone3_enosys(ctx) < 0)
        return -1;
    for (i = 0; i < sizeof(socket_domains) / sizeof(socket_domains[0]); i++)
        if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
                             arg_eq(0, (scmp_datum_t)socket_domains[i])) < 0)
            return -1;
    for (i = 0; i < sizeof(socket_options) / sizeof(socket_options[0]); i++)
        if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(setsockopt), 2,
                             arg_eq(1, (scmp_datum_t)socket_options[i][0]),
                             arg_eq(2, (scmp_datum_t)socket_options[i][1])) < 0)
            return -1;
    for (i = 0; i < sizeof(fcntl_cmds) / sizeof(fcntl_cmds[0]); i++)
        if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(fcntl), 1,
                             arg_eq(1, (scmp_datum_t)fcntl_cmds[i])) < 0)
            return -1;
    for (i = 0; i < sizeof(ioctl_cmds) / sizeof(ioctl_cmds[0]); i++)
        if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
                             arg_eq(1, (scmp_datum_t)ioctl_cmds[i])) < 0)
            return -1;
    /* The refclock devices' reads, as chrony (the PPS fetch, the PHC offsets and extts). */
    {
        const unsigned long dev_cmds[] = {
            kdev_pps_fetch(),       kdev_ptp_extts_request(),       kdev_ptp_sys_offset(),
            kdev_ptp_pin_setfunc(), kdev_ptp_sys_offset_extended(), kdev_ptp_sys_offset_precise()};
        for (i = 0; i < sizeof(dev_cmds) / sizeof(dev_cmds[0]); i++)
            if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
                                 arg_eq(1, (scmp_datum_t)dev_cmds[i])) < 0)
                return -1;
    }
    return 0;
}

static int add_level2(scmp_filter_ctx ctx, uint32_t deny)
{
    scmp_datum_t fork_mask = CLONE_THREAD;

    for (size_t i = 0; i < sizeof(denied_calls) / sizeof(denied_calls[0]); i++) {
#ifdef SCFILTER_FOR_LSAN
        if (strcmp(denied_calls[i], "ptrace") == 0)
            continue; /* LeakSanitizer's tracer (see add_lsan) */
#endif
        if (add_named(ctx, deny, denied_calls[i]) < 0)
            return -1;
    }
#ifdef SCFILTER_FOR_LSAN
    fork_mask |= CLONE_VM; /* LeakSanitizer's tracer shares the memory */
#endif
    /* A new process through clone() without CLONE_THREAD, as fork() makes it. */
    if (seccomp_rule_add(ctx, deny, SCMP_SYS(clone), 1, arg_masked_eq(0, fork_mask, 0)) < 0)
        return -1;
    return add_clone3_enosys(ctx);
}

int platform_scfilter_apply(int level, char *err, size_t errlen)
{
    uint32_t deny = level > 0 ? SCMP_ACT_KILL_PROCESS : SCMP_ACT_TRAP;
    int abs_level = level < 0 ? -level : level;
    scmp_filter_ctx ctx;
    int r;

    if (level == 0)
        return 0;
    if (abs_level != 1 && abs_level != 2) {
        snprintf(err, errlen, "Unsupported filter level");
        return -1;
    }
    ctx = seccomp_init(abs_level == 1 ? deny : SCMP_ACT_ALLOW);
    if (!ctx) {
        snprintf(err, errlen, "Failed to initialize seccomp");
        return -1;
    }
    r = abs_level == 1 ? add_level1(ctx) : add_level2(ctx, deny);
    if (r < 0) {
        seccomp_release(ctx);
        snprintf(err, errlen, "Failed to add seccomp rules");
        return -1;
    }
    /* Every thread of the process, the resolver's included. */
    seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
    r = seccomp_load(ctx);
    seccomp_release(ctx);
    if (r < 0) {
        snprintf(err, errlen, "Failed to load seccomp rules");
        return -1;
    }
    return 0;
}
