/* chronyc's command layer: the client context, the command table
 * {name, parse+run or build, help} and the request helper that maps reply
 * statuses to chrony's status lines (spec 3.4, 5.3). */
#ifndef CHRONYC_CLIENT_H
#define CHRONYC_CLIENT_H

#include "chronyc/names.h"
#include "chronyc/out.h"
#include "chronyc/transport.h"
#include "proto/cmdmon.h"

#include <signal.h>
#include <stdio.h>

struct chronyc {
    struct out out; /* stdout: reports and status lines */
    FILE *err;      /* stderr: syntax errors */
    struct names names;
    struct transport tr;
    /* Exchange hook: transport by default; tests plug in a fake daemon.
     * Returns 1 with a decoded reply, 0 if the daemon cannot be reached. */
    int (*exchange)(void *ctx, struct cmdmon_request *req, struct cmdmon_reply *rpy);
    void *exchange_ctx;
    int family; /* 0, 4 or 6 for name resolution */
    int quit;   /* set by exit/quit */
    int stdin_tty;
    int data_cmd; /* the last line was not one simple request (a report, a local command) */
    /* Set by a signal (main.c): the command waiting for a reply fails and
     * no further command runs, as chrony's quit flag. NULL: never. */
    const volatile sig_atomic_t *stop;
};

struct chronyc_cmd {
    const char *name;
    /* Either run (reports, multi-request commands) or build (one request
     * answered by RPY_NULL, "200 OK" on success). Return 1 on success. */
    int (*run)(struct chronyc *c, char *args);
    int (*build)(struct chronyc *c, char *args, struct cmdmon_request *req);
};

/* Sets defaults: text output on f/err, no DNS hooks, no exchange. */
void chronyc_init(struct chronyc *c, FILE *f, FILE *err);
/* 1 after exit/quit or a signal: no further command is to run. */
int chronyc_done(const struct chronyc *c);
/* Runs one command line (modified in place). Returns 1 on success. */
int chronyc_run_line(struct chronyc *c, char *line);
/* Sends req and checks the reply: prints the status line on errors (and
 * "200 OK" when print_ok), "506"/"508" on failures. Returns 1 on success
 * (statuses 8/9 included). expected: reply code, or 0 for RPY_NULL. */
int chronyc_request(struct chronyc *c, struct cmdmon_request *req, struct cmdmon_reply *rpy,
                    uint16_t expected, int print_ok);
void chronyc_print_help(FILE *f);

/* Command tables (monitoring and control); terminated by a NULL name. */
extern const struct chronyc_cmd chronyc_report_cmds[];
extern const struct chronyc_cmd chronyc_control_cmds[];

/* Argument helpers (parse.c), each reading as chrony's client does. */
/* Ends the first word of line in place; returns the rest (next word). */
char *chronyc_split_word(char *line);
/* Next white-space separated word, NUL-terminated in place; NULL at the end. */
char *chronyc_next_word(char **args);
/* sscanf("%lf") / sscanf("%d") of s: a number may be followed by anything. */
int chronyc_parse_double(const char *s, double *v);
int chronyc_parse_int(const char *s, int *v);
/* A numeric address (of the -4/-6 family) or a name resolved honouring it. */
int chronyc_lookup_address(struct chronyc *c, const char *s, struct cmdmon_addr *a);
/* ID#n (sscanf "ID#%u"), else chronyc_lookup_address(). */
int chronyc_parse_address(struct chronyc *c, const char *s, struct cmdmon_addr *a);
/* "-a" / "-v" style flags of sources, sourcestats, selectdata, authdata. */
int chronyc_parse_list_flags(char *args, int *all, int *verbose);
/* add server|pool|peer NAME [options] (cmd_add.c). */
int chronyc_build_add_source(struct chronyc *c, char *args, struct cmdmon_request *req);
/* Request initialised for a command (version set by the transport). */
void chronyc_request_init(struct cmdmon_request *req, uint16_t command);

#endif
