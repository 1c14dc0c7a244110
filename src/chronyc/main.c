/* chronyc entry point: options (spec 8.15), connection, command-line or
 * interactive commands, exit status. */
#include "chronyc/client.h"
#include "chronyc/complete.h"

#include <editline/readline.h>
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHRONYC_VERSION "4.8"
#ifndef CHRONY_RUNDIR
#define CHRONY_RUNDIR "/run/chrony"
#endif
#ifndef CHRONYC_USER
#define CHRONYC_USER "root" /* chrony's compiled-in default (--with-chronyc-user) */
#endif

/* Set by SIGINT, SIGTERM, SIGQUIT, SIGHUP and SIGPIPE, as chrony's quit flag:
 * a reply being waited for is given up ("506 Cannot talk to daemon"), no
 * further command runs and the client socket is removed on the way out. */
static volatile sig_atomic_t stop_signalled;

static void on_signal(int sig)
{
    (void)sig;
    stop_signalled = 1;
}

static void install_signal_handlers(void)
{
    static const int sigs[] = {SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGPIPE};
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
        sigaction(sigs[i], &sa, NULL);
}

/* Tab completion (complete.h): the list chosen for the word being completed
 * and the next candidate index, as readline's generator protocol wants. */
static const char *const *completion_list;
static size_t completion_index;

static char *completion_generator(const char *text, int state)
{
    const char *m;

    if (!state)
        completion_index = 0;
    m = complete_match(completion_list, text, completion_index++);
    return m ? strdup(m) : NULL;
}

static char **completion(const char *text, int start, int end)
{
    (void)end;
    rl_attempted_completion_over = 1; /* never file names */
    completion_list = complete_candidates(rl_line_buffer, (size_t)start);
    return completion_list ? rl_completion_matches(text, completion_generator) : NULL;
}

static void print_usage(FILE *f)
{
    fprintf(f,
            "Usage: chronyc [OPTION]... [COMMAND]...\n\n"
            "Options:\n"
            "  -4\t\tResolve names to IPv4 addresses only\n"
            "  -6\t\tResolve names to IPv6 addresses only\n"
            "  -n\t\tShow addresses instead of host names\n"
            "  -N\t\tShow the names sources were configured with\n"
            "  -c\t\tPrint reports as comma-separated values\n"
            "  -j\t\tPrint reports as JSON objects\n"
            "  -e\t\tEnd the output of each command with a line \".\"\n"
            "  -d\t\tPrint debugging messages on stderr\n"
            "  -m\t\tTreat each argument as a separate command\n"
            "  -h HOST\tDaemon to talk to (%s/chronyd.sock,127.0.0.1,::1)\n"
            "  -p PORT\tUDP port of the daemon (%d)\n"
            "  -u USER\tUser to run as when started as root (%s)\n"
            "  -v, --version\tShow the version and exit\n"
            "      --help\tShow this help and exit\n",
            CHRONY_RUNDIR, CMDMON_DEFAULT_PORT, CHRONYC_USER);
}

/* -u: started as root, become user (unless it is root itself) before any socket is
 * opened, as chrony's chronyc. Failures are fatal with chrony's messages. */
static int drop_root(const char *user, int debug)
{
    struct passwd *pw;

    if (!strcmp(user, "root") || geteuid() != 0)
        return 1;
    pw = getpwnam(user);
    if (!pw) {
        fprintf(stderr, "Could not get user/group ID of %s\n", user);
        return 0;
    }
    if (setgroups(0, NULL)) {
        fprintf(stderr, "setgroups() failed : %s\n", strerror(errno));
        return 0;
    }
    if (setgid(pw->pw_gid)) {
        fprintf(stderr, "setgid(%u) failed : %s\n", (unsigned)pw->pw_gid, strerror(errno));
        return 0;
    }
    if (setuid(pw->pw_uid)) {
        fprintf(stderr, "setuid(%u) failed : %s\n", (unsigned)pw->pw_uid, strerror(errno));
        return 0;
    }
    if (debug)
        fprintf(stderr, "Dropped root privileges: UID %u GID %u\n", (unsigned)pw->pw_uid,
                (unsigned)pw->pw_gid);
    return 1;
}

static int exchange_transport(void *ctx, struct cmdmon_request *req, struct cmdmon_reply *rpy)
{
    return transport_exchange(ctx, req, rpy);
}

#define CHRONYC_MAX_LINE 2048

static int run_one(struct chronyc *c, char *line, int end_dot)
{
    int ok = chronyc_run_line(c, line);

    if (end_dot)
        fprintf(c->out.f, ".\n");
    fflush(c->err);
    if (fflush(c->out.f) != 0 || ferror(c->out.f)) {
        /* As chrony: a report that could not be printed fails; a request still counts. */
        fprintf(c->err, "Could not write to stdout\n");
        if (c->data_cmd)
            ok = 0;
    }
    return ok;
}

static int run_interactive(struct chronyc *c, int end_dot)
{
    /* As chrony: line editing only when all three are a terminal. */
    int ok = 1, tty = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO) && isatty(STDERR_FILENO);
    char buf[CHRONYC_MAX_LINE];

    if (tty) {
        rl_attempted_completion_function = completion;
        rl_basic_word_break_characters = " \t\n\r";
    }
    while (!chronyc_done(c)) {
        char *line;
        if (tty) {
            line = readline("chronyc> ");
            if (!line) {
                printf("\n"); /* end the prompt's line on ^D */
                break;
            }
            if (*line)
                add_history(line);
            if (!chronyc_done(c))
                ok = run_one(c, line, end_dot);
            free(line);
        } else {
            if (!fgets(buf, sizeof(buf), stdin))
                break;
            buf[strcspn(buf, "\r\n")] = '\0';
            if (!chronyc_done(c))
                ok = run_one(c, buf, end_dot);
        }
    }
    return ok;
}

static int run_args(struct chronyc *c, int argc, char **argv, int multi, int end_dot)
{
    size_t len = 1;
    char *line;
    int ok;

    if (multi) {
        /* As chrony: a failed command, quit/exit or a signal ends the list. */
        ok = 1;
        for (int i = 0; i < argc && ok && !chronyc_done(c); i++) {
            if (strlen(argv[i]) + 1 >= CHRONYC_MAX_LINE) {
                fprintf(c->err, "Command too long\n");
                return 0;
            }
            ok = run_one(c, argv[i], end_dot);
        }
        return ok;
    }
    for (int i = 0; i < argc; i++)
        len += strlen(argv[i]) + 1;
    /* chrony joins the words in a line of 2048 bytes, each followed by a space */
    if (len - 1 >= CHRONYC_MAX_LINE) {
        fprintf(c->err, "Command too long\n");
        return 0;
    }
    line = calloc(1, len);
    if (!line)
        return 0;
    for (int i = 0; i < argc; i++) {
        if (i)
            strcat(line, " ");
        strcat(line, argv[i]);
    }
    ok = run_one(c, line, end_dot);
    free(line);
    return ok;
}

int main(int argc, char **argv)
{
    struct chronyc c;
    const char *hosts = CHRONY_RUNDIR "/chronyd.sock,127.0.0.1,::1", *user = CHRONYC_USER;
    int opt, port = CMDMON_DEFAULT_PORT, multi = 0, end_dot = 0, csv = 0, json = 0, debug = 0;
    int ok;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--version")) {
            argv[i] = "-v";
        } else if (!strcmp(argv[i], "--help")) {
            print_usage(stdout);
            return 0;
        }
    }
    chronyc_init(&c, stdout, stderr);
    install_signal_handlers();
    while ((opt = getopt(argc, argv, "+46acdef:h:jmnNp:u:v")) != -1) {
        switch (opt) {
        case '4':
        case '6':
            c.family = opt - '0';
            break;
        case 'c':
            csv = 1;
            break;
        case 'd':
            debug = 1;
            break;
        case 'j':
            json = 1;
            break;
        case 'e':
            end_dot = 1;
            break;
        case 'h':
            hosts = optarg;
            break;
        case 'm':
            multi = 1;
            break;
        case 'n':
            c.names.no_dns = 1;
            break;
        case 'N':
            c.names.source_names = 1;
            break;
        case 'p':
            port = atoi(optarg);
            break;
        case 'v':
            printf("chronyc (chrony) version %s (+READLINE +SECHASH +IPV6 +DEBUG)\n",
                   CHRONYC_VERSION);
            return 0;
        case 'u':
            user = optarg;
            break;
        case 'a': /* accepted and ignored, as chrony */
        case 'f':
            break;
        default:
            print_usage(stderr);
            return 1;
        }
    }
    if (!drop_root(user, debug))
        return 1;
    out_init(&c.out, stdout, json ? OUT_JSON : csv ? OUT_CSV : OUT_TEXT);
    c.names.csv = csv || json;
    c.tr.debug = debug;
    if (!transport_init(&c.tr, hosts, port, c.family) || !transport_open(&c.tr, 0)) {
        fprintf(stderr, "Could not open connection to daemon\n");
        transport_close(&c.tr);
        return 1;
    }
    c.stop = &stop_signalled;
    c.tr.stop = &stop_signalled;
    c.exchange = exchange_transport;
    c.exchange_ctx = &c.tr;

    if (optind < argc)
        ok = run_args(&c, argc - optind, argv + optind, multi, end_dot);
    else
        ok = run_interactive(&c, end_dot);
    transport_close(&c.tr);
    return ok ? 0 : 1;
}
