/* The one shared fake environment for unit tests: a manual clock, a network
 * that records what is sent, in-memory files and a captured log. */
#ifndef TESTS_FAKE_ENV_H
#define TESTS_FAKE_ENV_H

#include "daemon/env.h"

#define FAKE_MAX_SENT 64
#define FAKE_MAX_FILES 16
#define FAKE_MAX_LOG 64
#define FAKE_MAX_STREAMS 16
#define FAKE_MAX_LISTENERS 4

/* A TCP connection of the fake network: made by fake_env_connect, accepted by the node. */
struct fake_stream {
    int listener; /* the listening handle it waits on */
    int sock;     /* the node's handle once accepted, else -1 */
    int closed;   /* the node closed it */
    struct net_addr remote;
    char in[6144]; /* what the client sent; the node reads from in_pos */
    size_t in_len, in_pos;
    int in_eof; /* the client closed its side after in */
    char *out;  /* what the node wrote (malloc'd, terminated) */
    size_t out_len;
    size_t send_cap;  /* bytes one stream_send takes; 0: all */
    int send_blocked; /* stream_send answers NET_AGAIN */
    unsigned watch;   /* NET_STREAM_* events the node watches */
};

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
    int control;
    /* network */
    int next_sock;
    struct fake_sent sent[FAKE_MAX_SENT];
    int n_sent;
    /* files */
    struct fake_file files[FAKE_MAX_FILES];
    int n_files;
    /* log */
    char log[FAKE_MAX_LOG][256];
    int n_log;
    unsigned random_counter;
    /* TCP: listeners opened (their addresses) and connections */
    int listeners[FAKE_MAX_LISTENERS];
    struct net_addr listen_addr[FAKE_MAX_LISTENERS];
    int n_listeners;
    struct fake_stream streams[FAKE_MAX_STREAMS];
    int n_streams;
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
/* A client at ip connects to the listener and sends data (may be ""); returns its index in
 * streams, -1 if full. */
int fake_env_connect(struct fake_env *f, int listener, const char *ip, const char *data);
/* The client of streams[i] sends more (len bytes of data). */
void fake_env_stream_feed(struct fake_env *f, int i, const void *data, size_t len);
/* 1 if some logged line contains needle. */
int fake_env_log_contains(struct fake_env *f, const char *needle);

#endif
