/* The one shared fake environment for unit tests: a manual clock, a network
 * that records what is sent, in-memory files and a captured log. */
#ifndef TESTS_FAKE_ENV_H
#define TESTS_FAKE_ENV_H

#include "daemon/env.h"

#define FAKE_MAX_SENT 64
#define FAKE_MAX_FILES 16
#define FAKE_MAX_LOG 64

struct fake_sent {
    int sock;
    struct net_addr remote;
    uint8_t data[2048];
    size_t len;
};

struct fake_file {
    char path[256];
    char *data; /* NUL-terminated, malloc'd */
    size_t len;
};

struct fake_env {
    struct env env;
    struct logger logger;
    /* clock */
    struct timespec now;
    double freq_ppm;
    double stepped; /* sum of offsets passed to step() */
    int leap;
    int tai_offset; /* last given with set_leap */
    int control;
    /* network */
    int next_sock;
    struct fake_sent sent[FAKE_MAX_SENT];
    int n_sent;
    /* stream (env.stream): one connection at a time */
    int stream_connect_err; /* non-zero: unix_connect fails with this errno */
    int n_stream_connects;
    int stream_sock; /* the open connection, -1 if none */
    char stream_path[256];
    stream_cb stream_cb;
    void *stream_arg;
    int stream_want_write;
    size_t stream_send_max;   /* bytes taken per send call, 0 = all */
    uint8_t stream_out[8192]; /* what the node wrote on the connection */
    size_t stream_out_len;
    uint8_t stream_in[8192]; /* what it reads next (fake_env_stream_feed) */
    size_t stream_in_len, stream_in_pos;
    size_t stream_recv_max; /* bytes given per recv call, 0 = as asked */
    int stream_eof;         /* recv reports the end of the stream once stream_in is read */
    /* files */
    struct fake_file files[FAKE_MAX_FILES];
    int n_files;
    /* log */
    char log[FAKE_MAX_LOG][256];
    int n_log;
    unsigned random_counter;
    /* process: the programs started (the last one's path, arguments and input kept);
     * proc_fail makes starting fail. Host name "testhost", local time = UTC. */
    int n_runs;
    int proc_fail;
    char proc_path[256];
    char proc_args[256]; /* argv[1..] joined by spaces */
    char proc_input[4096];
};

void fake_env_init(struct fake_env *f);
void fake_env_fini(struct fake_env *f);
void fake_env_set_time(struct fake_env *f, long sec, long nsec);
void fake_env_advance(struct fake_env *f, double s);
/* Put a file into the fake filesystem (copied). */
void fake_env_put_file(struct fake_env *f, const char *path, const char *text);
const char *fake_env_get_file(struct fake_env *f, const char *path);
/* Queue bytes for the node to read from the stream connection. */
void fake_env_stream_feed(struct fake_env *f, const void *data, size_t len);
/* Deliver events (STREAM_EV_*) of the open connection to its callback, as the loop does
 * (STREAM_EV_WRITE only while the node asks for it). */
void fake_env_stream_event(struct fake_env *f, int events);
/* 1 if some logged line contains needle. */
int fake_env_log_contains(struct fake_env *f, const char *needle);

#endif
