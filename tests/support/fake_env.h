/* The one shared fake environment for unit tests: a manual clock, a network
 * that records what is sent, in-memory files and a captured log. */
#ifndef TESTS_FAKE_ENV_H
#define TESTS_FAKE_ENV_H

#include "daemon/env.h"

#define FAKE_MAX_SENT 64
#define FAKE_MAX_FILES 16
#define FAKE_MAX_LOG 64
#define FAKE_MAX_TCP 16
#define FAKE_MAX_LISTENERS 4

/* A TCP connection of the fake network (env.stream's tcp_*): made by fake_env_tcp_connect,
 * accepted by the node. */
struct fake_tcp {
    int listener; /* the listening handle it waits on */
    int sock;     /* the node's handle once accepted, else -1 */
    int closed;   /* the node closed it */
    struct net_addr remote;
    stream_cb cb; /* the node's callback and its argument, given at accept */
    void *arg;
    int want_read, want_write;
    char in[6144]; /* what the client sent; the node reads from in_pos */
    size_t in_len, in_pos;
    int in_eof; /* the client closed its side after in */
    char *out;  /* what the node wrote (malloc'd, terminated) */
    size_t out_len;
    size_t send_cap;  /* bytes one send takes; 0: all */
    int send_blocked; /* send takes nothing */
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

#define FAKE_MAX_REFDEV 4
/* A refclock device of env.refdev (fake_env_add_refdev): a PPS source whose edges the test
 * sets, or a PHC reading the fake clock plus phc_offset. Handles are 1000 + index. */
struct fake_refdev {
    char path[64];
    int is_phc;
    int opens, rw, clear;    /* times opened, the last open's read-write and edge */
    uint32_t seq[2];         /* PPS: assert, clear sequence numbers */
    struct timespec edge[2]; /* PPS: their times (system clock) */
    double phc_offset;       /* PHC: PHC - system clock, s */
    int no_precise;          /* PHC: PTP_SYS_OFFSET_PRECISE fails */
    int last_mode;           /* PHC: the way the last reading used (KDEV_PHC_*) */
    int extts_on, extts_pin, extts_channel, extts_rising, extts_falling;
    struct timespec events[8]; /* PHC: external timestamps waiting */
    int n_events;
    refdev_cb cb; /* the loop's callback while extts is on */
    void *cb_arg;
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
    /* TCP (env.stream's tcp_*): listeners opened (addresses, callbacks) and connections */
    int listeners[FAKE_MAX_LISTENERS];
    struct net_addr listen_addr[FAKE_MAX_LISTENERS];
    stream_cb listen_cb[FAKE_MAX_LISTENERS];
    void *listen_arg[FAKE_MAX_LISTENERS];
    int n_listeners;
    struct fake_tcp tcp[FAKE_MAX_TCP];
    int n_tcp;
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
    /* refclock devices */
    struct fake_refdev refdev[FAKE_MAX_REFDEV];
    int n_refdev;
    /* files' modification time (env.files.mtime of any file present); 0: unknown */
    long long files_mtime;
    /* RTC (env.rtc): reads rtc_off + (1 + rtc_gain) * now, ticking whole seconds; absent
     * unless rtc_present (open fails with ENOENT). */
    int rtc_present;
    double rtc_off, rtc_gain;
    int rtc_open;   /* opened with a callback (measuring) */
    int rtc_uie;    /* update interrupts on */
    int rtc_no_uie; /* set: turning the interrupts on fails (EINVAL) */
    int rtc_utc;    /* as given at the last read or set */
    int rtc_n_sets; /* RTC_SET_TIME calls; the last value in rtc_set_to */
    long long rtc_set_to;
    stream_cb rtc_cb;
    void *rtc_arg;
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
/* A client at ip connects to listeners[li] and sends data (may be ""); the listener's
 * callback is told, as the loop would. Returns the index in tcp, -1 if full. */
int fake_env_tcp_connect(struct fake_env *f, int li, const char *ip, const char *data);
/* The client of tcp[i] sends len more bytes. */
void fake_env_tcp_feed(struct fake_env *f, int i, const void *data, size_t len);
/* Deliver events (STREAM_EV_*) of tcp[i] to the node as the loop does: READ only while it
 * asks for reads, WRITE only while it asks for writes, nothing once closed. */
void fake_env_tcp_event(struct fake_env *f, int i, int events);
/* A device at path (is_phc: a PHC, else a PPS source). Returns its index in refdev. */
int fake_env_add_refdev(struct fake_env *f, const char *path, int is_phc);
/* PHC refdev[i] timestamps an external edge at PHC time t; the loop's callback is told. */
void fake_env_extts(struct fake_env *f, int i, const struct timespec *t);
/* The fake RTC's reading at the fake clock's time. */
long long fake_env_rtc_read(const struct fake_env *f);
/* Move the clock to the RTC's next whole-second edge and, while update interrupts are
 * on, tell the node's callback as the loop would. */
void fake_env_rtc_edge(struct fake_env *f);
/* 1 if some logged line contains needle. */
int fake_env_log_contains(struct fake_env *f, const char *needle);

#endif
