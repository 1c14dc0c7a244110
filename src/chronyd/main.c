/* chronyd: command line → configuration → real environment → node → loop. */
#include "chronyd/version.h"
#include "chronyd/workers.h"
#include "daemon/config.h"
#include "daemon/node.h"
#include "lib/mem.h"
#include "platform/platform.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef CHRONY_SYSCONFDIR
#define CHRONY_SYSCONFDIR "/etc"
#endif
#define DEFAULT_CONF CHRONY_SYSCONFDIR "/chrony/chrony.conf"

struct cli {
    const char *conf_file;
    int debug;     /* -d count */
    int nodetach;  /* -n */
    int noclock;   /* -x */
    int softclock; /* --softclock[=OFFSET] (ours) */
    int rtc_set;   /* -s */
    double softclock_offset;
    int print_conf; /* -p */
    int family;     /* -4 / -6 */
    const char *log_file;
    int log_level;
    const char *user;
    int sched_prio;
    int lock_mem;
    double timeout;
    int quit_mode;       /* -q (1) / -Q (2) */
    int restarted;       /* -R */
    int scfilter;        /* -F level */
    int reload;          /* -r */
    int user_check;      /* check that we run as root (not with -U, -p, -Q) */
    const char *bad_arg; /* an option's argument that is not a number */
    char **lines;        /* configuration lines given as arguments */
    int n_lines;
};

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: chronyd [OPTION]... [DIRECTIVE]...\n\n"
            "Options:\n"
            "  -4\t\tUse IPv4 addresses only\n"
            "  -6\t\tUse IPv6 addresses only\n"
            "  -f FILE\tRead the configuration from FILE (default %s)\n"
            "  -n\t\tStay in the foreground\n"
            "  -d\t\tStay in the foreground and log to the terminal (twice: debug messages)\n"
            "  -l FILE\tLog to FILE\n"
            "  -L LEVEL\tLog only messages of at least LEVEL (0-3)\n"
            "  -p\t\tPrint the effective configuration and exit\n"
            "  -q\t\tSet the clock once and exit\n"
            "  -Q\t\tPrint the offset once and exit, without setting the clock\n"
            "  -r\t\tReload dump files at start\n"
            "  -R\t\tIgnore initstepslew and makestep directives\n"
            "  -s\t\tSet the system clock from the RTC at start\n"
            "  -t SECONDS\tExit after SECONDS\n"
            "  -u USER\tRun as USER\n"
            "  -U\t\tDo not check the user is root\n"
            "  -F LEVEL\tSystem call filter level\n"
            "  -P PRIORITY\tRun with real-time scheduling PRIORITY\n"
            "  -m\t\tLock memory\n"
            "  -x\t\tDo not control the system clock\n"
            "  --softclock[=OFFSET]\tControl a software clock instead of the system clock,\n"
            "\t\tstarting OFFSET seconds ahead of it (not in chrony)\n"
            "  -v, --version\tPrint the version and exit\n"
            "  -h, --help\tPrint this help and exit\n",
            DEFAULT_CONF);
}

/* An integer argument as chrony reads it (sscanf %d: leading digits count); a word
 * without a number is remembered for chrony's fatal "Invalid argument". */
static int int_arg(struct cli *c, const char *arg)
{
    int v = 0;
    if (sscanf(arg, "%d", &v) != 1 && !c->bad_arg)
        c->bad_arg = arg;
    return v;
}

static int parse_cli(int argc, char **argv, struct cli *c)
{
    static const struct option longopts[] = {{"help", no_argument, NULL, 'h'},
                                             {"version", no_argument, NULL, 'v'},
                                             {"softclock", optional_argument, NULL, 'S'},
                                             {NULL, 0, NULL, 0}};
    char *end;
    int opt;
    memset(c, 0, sizeof(*c));
    c->conf_file = DEFAULT_CONF;
    c->user_check = 1;
    while ((opt = getopt_long(argc, argv, "46df:F:hl:L:mnpP:qQrRst:u:Uvx", longopts, NULL)) != -1) {
        switch (opt) {
        case '4':
        case '6':
            c->family = opt - '0';
            break;
        case 'd':
            c->debug++;
            c->nodetach = 1;
            break;
        case 'f':
            c->conf_file = optarg;
            break;
        case 'l':
            c->log_file = optarg;
            break;
        case 'L':
            c->log_level = int_arg(c, optarg);
            break;
        case 'm':
            c->lock_mem = 1;
            break;
        case 'n':
            c->nodetach = 1;
            break;
        case 'p':
            c->print_conf = 1;
            c->user_check = 0;
            break;
        case 'P':
            c->sched_prio = int_arg(c, optarg);
            break;
        case 'q':
            c->quit_mode = 1;
            c->nodetach = 1;
            break;
        case 'Q':
            c->quit_mode = 2;
            c->nodetach = 1;
            c->user_check = 0;
            break;
        case 't':
            /* chrony takes whole seconds; ours may be fractional */
            if (sscanf(optarg, "%lf", &c->timeout) != 1 && !c->bad_arg)
                c->bad_arg = optarg;
            break;
        case 'u':
            c->user = optarg;
            break;
        case 'x':
            c->noclock = 1;
            break;
        case 'S':
            c->softclock = 1;
            c->softclock_offset = optarg ? strtod(optarg, &end) : 0.0;
            if (optarg &&
                (end == optarg || *end || !(c->softclock_offset == c->softclock_offset))) {
                fprintf(stderr, "Invalid --softclock offset %s\n", optarg);
                return -1;
            }
            break;
        case 'v':
            printf("chronyd (chrony) version %s (%s)\n", CHRONY_VERSION, CHRONY_FEATURES);
            exit(0);
        case 'h':
            usage(stdout);
            exit(0);
        case 'R':
            c->restarted = 1;
            break;
        case 'F':
            c->scfilter = int_arg(c, optarg);
            break;
        case 'r':
            c->reload = 1;
            break;
        case 's':
            c->rtc_set = 1;
            break;
        case 'U':
            c->user_check = 0;
            break;
        default:
            fprintf(stderr, "Command line is not valid.\n");
            usage(stderr);
            return -1;
        }
    }
    c->lines = argv + optind;
    c->n_lines = argc - optind;
    return 0;
}

static NORETURN void fatal(struct platform *p, const char *msg)
{
    const struct env *env = platform_env(p);
    log_msg(env->log, LOGL_FATAL, "%s", msg);
    exit(1);
}

/* Parse the configuration; on error, print what was read when -p asked for it
 * (as chrony does), then exit with the fatal message naming file and line. */
static struct config *load_config(struct platform *p, const struct cli *c)
{
    const struct env *env = platform_env(p);
    struct config *cfg = config_new_opts(c->restarted, c->quit_mode != 0);
    char err[512];
    int r = 0;
    cfg->resolve_host = platform_resolve_host;
    if (c->n_lines) {
        /* Directives on the command line replace the configuration file. */
        for (int i = 0; i < c->n_lines && r == 0; i++)
            r = config_parse_line(cfg, c->lines[i], NULL, i + 1, &env->files, err, sizeof(err));
    } else {
        r = config_parse_file(cfg, c->conf_file, &env->files, err, sizeof(err));
    }
    /* chrony logs a warning for each obsolete directive it accepts (conf.c) */
    for (size_t i = 0; i < cfg->n_warnings; i++)
        LOG_WARN(env->log, "%s", cfg->warnings[i]);
    if (r == 0 && !c->print_conf)
        r = config_validate(cfg, err, sizeof(err));
    if (r != 0) {
        if (c->print_conf) {
            char *text = config_format(cfg);
            fputs(text, stdout);
            fflush(stdout);
            free(text);
        }
        fatal(p, err);
    }
    return cfg;
}

/* As chrony before it writes the pidfile: the command socket's directory (the
 * pidfile's too by default), the log and dump directories, owned by the user
 * the daemon will run as, so that it starts on a system booted a moment ago. */
static void create_dirs(struct platform *p, const struct config *cfg, const char *user)
{
    const char *sock = cfg->bindcmd_path, *slash = sock ? strrchr(sock, '/') : NULL;
    platform_set_dir_owner(p, user);
    if (slash && slash > sock) {
        char *dir = xstrdup(sock);
        dir[slash - sock] = '\0';
        platform_create_dir(p, dir, 0770);
        free(dir);
    }
    platform_create_dir(p, cfg->logdir, 0750);
    platform_create_dir(p, cfg->dumpdir, 0750);
    platform_create_dir(p, cfg->nts_dump_dir, 0750);
}

/* The loop's handlers: the node's, and the foreground process and systemd (READY=1) told
 * that the daemon is ready once initstepslew is over (chrony.conf(5): it waits for
 * initstepslew). A notification that cannot be sent ends the daemon, as at start. */
struct run {
    struct node *node;
    struct platform *p;
    struct workers *workers;
    int ready;
    int notify_failed;
    char err[256];
};

static int run_next_timeout(void *ctx, struct timespec *when)
{
    return node_next_timeout(((struct run *)ctx)->node, when);
}

static void run_on_timer(void *ctx, const struct timespec *now)
{
    struct run *r = ctx;
    node_on_timer(r->node, now);
    workers_publish(r->workers, r->node);
}

static void run_on_datagram(void *ctx, const struct net_rx *rx, const struct timespec *now)
{
    node_on_datagram(((struct run *)ctx)->node, rx, now);
}

static int run_should_quit(void *ctx)
{
    struct run *r = ctx;

    if (r->notify_failed)
        return 1;
    if (!r->ready && !node_init_running(r->node)) {
        r->ready = 1;
        if (platform_notify_service("READY=1", r->err, sizeof(r->err)) < 0) {
            r->notify_failed = 1;
            return 1;
        }
        platform_daemon_ready(r->p);
    }
    return node_quit_requested(r->node);
}

int main(int argc, char **argv)
{
    struct run run;
    struct workers workers;
    struct cli c;
    struct platform_opts po;
    struct platform *p;
    struct config *cfg;
    struct node *node;
    struct node_opts no;
    struct platform_handlers h;
    struct timespec now;
    const struct env *env;
    char err[512];
    int sig, status, was_root;

    if (parse_cli(argc, argv, &c) < 0)
        return 1;
    memset(&po, 0, sizeof(po));
    if (c.bad_arg || (c.user_check && getuid() != 0)) {
        /* As chrony, before anything else: to the terminal. */
        po.log_stderr = 1;
        p = platform_new(&po);
        if (c.bad_arg)
            snprintf(err, sizeof(err), "Invalid argument %s", c.bad_arg);
        else
            snprintf(err, sizeof(err), "Not superuser");
        fatal(p, err);
    }
    /* -x and -Q leave the system clock alone (chrony's null driver); --softclock gives the
     * daemon a clock of its own that it controls. */
    po.clock = c.softclock                     ? PCLOCK_NOCONTROL
               : c.noclock || c.quit_mode == 2 ? PCLOCK_NULL
                                               : PCLOCK_SYSTEM;
    po.softclock_offset = c.softclock_offset;
    po.family = c.family;
    po.log_file = c.log_file;
    po.log_stderr = c.nodetach;
    po.log_level = c.debug > 1 ? -1 : c.log_level;
    if (c.print_conf) {
        /* -p: parse, print and exit, logging errors to the terminal only */
        char *text;
        po.log_stderr = 1;
        p = platform_new(&po);
        cfg = load_config(p, &c);
        text = config_format(cfg);
        fputs(text, stdout);
        free(text);
        config_free(cfg);
        platform_free(p);
        return 0;
    }
    p = platform_new(&po);
    env = platform_env(p);
    LOG_INFO(env->log, "chronyd version %s starting (%s)", CHRONY_VERSION, CHRONY_FEATURES);
    cfg = load_config(p, &c);
    if (c.softclock)
        LOG_INFO(env->log, "Disabled control of system clock (software clock %+.6f s)",
                 c.softclock_offset);
    else if (c.noclock || c.quit_mode == 2)
        LOG_INFO(env->log, "Disabled control of system clock");
    else if (platform_clock_take_control(p, err, sizeof(err)) < 0)
        fatal(p, err);
    platform_clock_set_rtc_sync(p, cfg->rtcsync);
    platform_privs_set_ntp_port(cfg->port);

    if (!c.nodetach && platform_daemonize(p, err, sizeof(err)) < 0)
        fatal(p, err);
    if (!c.nodetach && !c.log_file)
        platform_log_to_syslog(p);
    create_dirs(p, cfg, c.user ? c.user : cfg->user);
    if (platform_pidfile_acquire(cfg->pidfile, err, sizeof(err)) < 0)
        fatal(p, err);
    /* As chrony: the -P option before sched_priority, then -m or lock_all. */
    if (c.sched_prio == 0)
        c.sched_prio = cfg->sched_priority;
    if (c.sched_prio != 0) {
        int prio;
        if (c.sched_prio < 1 || c.sched_prio > 99) {
            snprintf(err, sizeof(err), "Bad scheduler priority: %d", c.sched_prio);
            platform_pidfile_release(cfg->pidfile);
            fatal(p, err);
        }
        prio = platform_set_priority(c.sched_prio, err, sizeof(err));
        if (prio < 0)
            LOG_ERR(env->log, "%s", err);
        else
            LOG_DEBUG(env->log, "Enabled SCHED_FIFO with priority %d", prio);
    }
    if ((c.lock_mem || cfg->lock_all) && platform_lock_memory(err, sizeof(err)) < 0)
        LOG_ERR(env->log, "%s", err);

    memset(&no, 0, sizeof(no));
    no.family = c.family;
    no.precision = platform_measure_precision();
    no.noclock = c.noclock && !c.softclock;
    no.defer_unix_socket = 1;
    no.quit_mode = c.quit_mode;
    no.reload_dumps = c.reload;
    no.user = c.user ? c.user : cfg->user;
    no.scfilter = c.scfilter;
    no.version = CHRONY_VERSION;
    no.rtc_set = c.rtc_set;
    node = node_new(cfg, env, &no);
    env->clock.read(env->clock.ctx, &now);
    if (node_start(node, &now, err, sizeof(err)) < 0) {
        platform_pidfile_release(cfg->pidfile);
        fatal(p, err);
    }
    /* serverworkers: forked with the sockets set up, before the privileges go. */
    memset(&workers, 0, sizeof(workers));
    if (cfg->server_workers > 1 && !c.quit_mode)
        workers_start(&workers, p, node, cfg->server_workers, c.user ? c.user : cfg->user,
                      c.scfilter);
    was_root = geteuid() == 0;
    if (platform_drop_privileges(c.user ? c.user : cfg->user, err, sizeof(err)) < 0) {
        platform_pidfile_release(cfg->pidfile);
        fatal(p, err);
    }
    if (was_root && (geteuid() != 0 || getegid() != 0)) {
        /* chrony: the keys must stay readable, and should not be writable, by the user */
        platform_check_read_only(p, cfg->keyfile);
        for (size_t i = 0; i < cfg->n_nts_server_keys; i++)
            platform_check_read_only(p, cfg->nts_server_keys[i]);
    }
    if (geteuid() == 0)
        LOG_WARN(env->log, "Running with root privileges");
    node_start_unprivileged(node);
    if (c.scfilter) {
        int level = c.scfilter < 0 ? -c.scfilter : c.scfilter;
        /* Mail would need a new process, which the filters deny. */
        if ((level == 1 || level == 2) && cfg->mailonchange_user)
            snprintf(err, sizeof(err), "mailonchange directive cannot be used with -F enabled");
        else if (platform_scfilter_apply(c.scfilter, err, sizeof(err)) == 0)
            err[0] = '\0';
        if (err[0]) {
            platform_pidfile_release(cfg->pidfile);
            fatal(p, err);
        }
        LOG_INFO(env->log, "Loaded seccomp filter (level %d)", level);
    }
    run.node = node;
    run.p = p;
    run.workers = &workers;
    run.ready = 0;
    run.notify_failed = 0;
    /* Sockets open: without initstepslew, tell systemd and the waiting parent now. */
    run_should_quit(&run);
    if (run.notify_failed) {
        platform_pidfile_release(cfg->pidfile);
        fatal(p, run.err);
    }

    h.ctx = &run;
    h.next_timeout = run_next_timeout;
    h.on_timer = run_on_timer;
    h.on_datagram = run_on_datagram;
    h.should_quit = run_should_quit;
    sig = platform_run(p, &h, c.timeout);
    if (sig == PLATFORM_RUN_FAILED) {
        platform_pidfile_release(cfg->pidfile);
        exit(1);
    }
    if (run.notify_failed) {
        platform_pidfile_release(cfg->pidfile);
        fatal(p, run.err);
    }
    if (platform_notify_service("STOPPING=1", err, sizeof(err)) < 0)
        LOG_ERR(env->log, "%s", err);

    env->clock.read(env->clock.ctx, &now);
    status = node_exit_status(node);
    if (sig == PLATFORM_RUN_TIMEOUT) {
        /* chrony: -t ends with a non-zero status when the clock is not synchronised */
        LOG_INFO(env->log, "Timeout reached");
        if (!node_synchronised(node, &now))
            status = 1;
    }
    if (c.quit_mode && !node_quit_mode_done(node)) {
        /* -q/-Q ended by -t or a signal before any measurement */
        LOG_WARN(env->log, "No suitable source for synchronisation");
        status = 1;
    }
    workers_stop(&workers);
    node_stop(node, &now);
    LOG_INFO(env->log, "chronyd exiting");
    node_free(node);
    if (platform_pidfile_release(cfg->pidfile) < 0)
        LOG_ERR(env->log, "Could not remove %s : %s", cfg->pidfile, strerror(errno));
    config_free(cfg);
    platform_free(p);
    return status;
}
