#include "fake_env.h"

#include "lib/mem.h"
#include "lib/ts.h"

#include <errno.h>
#include <fnmatch.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void fk_read(void *ctx, struct timespec *out)
{
    *out = ((struct fake_env *)ctx)->now;
}

static int fk_can_control(void *ctx)
{
    return ((struct fake_env *)ctx)->control;
}

static int fk_set_freq(void *ctx, double ppm)
{
    ((struct fake_env *)ctx)->freq_ppm = ppm;
    return 0;
}

static double fk_get_freq(void *ctx)
{
    return ((struct fake_env *)ctx)->freq_ppm;
}

static int fk_step(void *ctx, double offset)
{
    struct fake_env *f = ctx;
    f->stepped += offset;
    ts_add(&f->now, &f->now, -offset);
    return 0;
}

static int fk_set_leap(void *ctx, int leap, int tai_offset)
{
    ((struct fake_env *)ctx)->leap = leap;
    ((struct fake_env *)ctx)->tai_offset = tai_offset;
    return 0;
}

static void fk_set_sync(void *ctx, int synced, double est, double max)
{
}

static int fk_udp_open(void *ctx, const struct net_addr *local, int flags,
                       const struct net_sock_opts *opts, int *err)
{
    return ((struct fake_env *)ctx)->next_sock++;
}

static int fk_unix_open(void *ctx, const char *path, int *err)
{
    return ((struct fake_env *)ctx)->next_sock++;
}

static void fk_close(void *ctx, int sock)
{
}

static int fk_send(void *ctx, int sock, const struct net_addr *remote, const struct net_addr *local,
                   const void *buf, size_t len)
{
    struct fake_env *f = ctx;
    struct fake_sent *s;
    if (f->n_sent >= FAKE_MAX_SENT || len > sizeof(s->data))
        return -1;
    s = &f->sent[f->n_sent++];
    s->sock = sock;
    s->remote = *remote;
    memcpy(s->data, buf, len);
    s->len = len;
    return 0;
}

static int fk_stream_connect(void *ctx, const char *path, stream_cb cb, void *arg, int *err)
{
    struct fake_env *f = ctx;
    f->n_stream_connects++;
    if (f->stream_connect_err) {
        *err = f->stream_connect_err;
        return -1;
    }
    f->stream_sock = f->next_sock++;
    snprintf(f->stream_path, sizeof(f->stream_path), "%s", path);
    f->stream_cb = cb;
    f->stream_arg = arg;
    f->stream_want_write = 0;
    f->stream_out_len = 0;
    return f->stream_sock;
}

static struct fake_tcp *find_tcp(struct fake_env *f, int sock)
{
    for (int i = 0; i < f->n_tcp; i++)
        if (f->tcp[i].sock == sock && !f->tcp[i].closed)
            return &f->tcp[i];
    return NULL;
}

static long fk_tcp_send(struct fake_tcp *t, const void *buf, size_t len)
{
    if (t->send_blocked)
        return 0;
    if (t->send_cap && len > t->send_cap)
        len = t->send_cap;
    t->out = xrealloc(t->out, t->out_len + len + 1);
    memcpy(t->out + t->out_len, buf, len);
    t->out_len += len;
    t->out[t->out_len] = '\0';
    return (long)len;
}

static long fk_tcp_recv(struct fake_tcp *t, void *buf, size_t cap)
{
    size_t n = t->in_len - t->in_pos;
    if (n == 0)
        return t->in_eof ? -1 : 0;
    if (n > cap)
        n = cap;
    memcpy(buf, t->in + t->in_pos, n);
    t->in_pos += n;
    return (long)n;
}

static void fk_stream_want_write(void *ctx, int sock, int on)
{
    struct fake_env *f = ctx;
    struct fake_tcp *t = find_tcp(f, sock);
    if (sock == f->stream_sock)
        f->stream_want_write = on;
    else if (t)
        t->want_write = on;
}

static void fk_stream_want_read(void *ctx, int sock, int on)
{
    struct fake_tcp *t = find_tcp(ctx, sock);
    if (t)
        t->want_read = on;
}

static int fk_tcp_listen(void *ctx, const struct net_addr *local, stream_cb cb, void *arg, int *err)
{
    struct fake_env *f = ctx;
    int i = f->n_listeners;
    if (i >= FAKE_MAX_LISTENERS) {
        *err = EMFILE;
        return -1;
    }
    f->listen_addr[i] = *local;
    f->listen_cb[i] = cb;
    f->listen_arg[i] = arg;
    f->listeners[i] = f->next_sock++;
    f->n_listeners++;
    return f->listeners[i];
}

static int fk_tcp_accept(void *ctx, int listener, struct net_addr *remote, stream_cb cb, void *arg)
{
    struct fake_env *f = ctx;
    for (int i = 0; i < f->n_tcp; i++) {
        struct fake_tcp *t = &f->tcp[i];
        if (t->listener != listener || t->sock >= 0 || t->closed)
            continue;
        t->sock = f->next_sock++;
        t->cb = cb;
        t->arg = arg;
        t->want_read = 1;
        *remote = t->remote;
        return t->sock;
    }
    return -1;
}

int fake_env_tcp_connect(struct fake_env *f, int li, const char *ip, const char *data)
{
    struct fake_tcp *t;
    int i = f->n_tcp;
    if (i >= FAKE_MAX_TCP || li < 0 || li >= f->n_listeners)
        return -1;
    t = &f->tcp[i];
    memset(t, 0, sizeof(*t));
    t->listener = f->listeners[li];
    t->sock = -1;
    ip_addr_parse(&t->remote.ip, ip);
    t->remote.port = 50000;
    f->n_tcp++;
    fake_env_tcp_feed(f, i, data, strlen(data));
    if (f->listen_cb[li])
        f->listen_cb[li](f->listen_arg[li], f->listeners[li], STREAM_EV_READ);
    return i;
}

void fake_env_tcp_feed(struct fake_env *f, int i, const void *data, size_t len)
{
    struct fake_tcp *t = &f->tcp[i];
    if (len > sizeof(t->in) - t->in_len)
        len = sizeof(t->in) - t->in_len;
    memcpy(t->in + t->in_len, data, len);
    t->in_len += len;
}

void fake_env_tcp_event(struct fake_env *f, int i, int events)
{
    struct fake_tcp *t = &f->tcp[i];
    if (!t->want_read)
        events &= ~STREAM_EV_READ;
    if (!t->want_write)
        events &= ~STREAM_EV_WRITE;
    if (t->sock >= 0 && !t->closed && t->cb && events)
        t->cb(t->arg, t->sock, events);
}

static long fk_stream_send(void *ctx, int sock, const void *buf, size_t len)
{
    struct fake_env *f = ctx;
    if (sock != f->stream_sock)
        return find_tcp(f, sock) ? fk_tcp_send(find_tcp(f, sock), buf, len) : -1;
    if (f->stream_send_max && len > f->stream_send_max)
        len = f->stream_send_max;
    if (len > sizeof(f->stream_out) - f->stream_out_len)
        len = sizeof(f->stream_out) - f->stream_out_len;
    memcpy(f->stream_out + f->stream_out_len, buf, len);
    f->stream_out_len += len;
    return (long)len;
}

static long fk_stream_recv(void *ctx, int sock, void *buf, size_t cap)
{
    struct fake_env *f = ctx;
    size_t n = f->stream_in_len - f->stream_in_pos;
    if (sock != f->stream_sock)
        return find_tcp(f, sock) ? fk_tcp_recv(find_tcp(f, sock), buf, cap) : -1;
    if (n == 0)
        return f->stream_eof ? -1 : 0;
    if (n > cap)
        n = cap;
    if (f->stream_recv_max && n > f->stream_recv_max)
        n = f->stream_recv_max;
    memcpy(buf, f->stream_in + f->stream_in_pos, n);
    f->stream_in_pos += n;
    return (long)n;
}

static void fk_stream_close(void *ctx, int sock)
{
    struct fake_env *f = ctx;
    struct fake_tcp *t = find_tcp(f, sock);
    if (t)
        t->closed = 1;
    for (int i = 0; i < f->n_listeners; i++)
        if (f->listeners[i] == sock)
            f->listen_cb[i] = NULL;
    if (sock != f->stream_sock)
        return;
    f->stream_sock = -1;
    f->stream_cb = NULL;
    f->stream_want_write = 0;
    f->stream_in_len = f->stream_in_pos = 0;
    f->stream_eof = 0;
}

void fake_env_stream_feed(struct fake_env *f, const void *data, size_t len)
{
    if (f->stream_in_pos == f->stream_in_len)
        f->stream_in_pos = f->stream_in_len = 0;
    if (len > sizeof(f->stream_in) - f->stream_in_len)
        len = sizeof(f->stream_in) - f->stream_in_len;
    memcpy(f->stream_in + f->stream_in_len, data, len);
    f->stream_in_len += len;
}

void fake_env_stream_event(struct fake_env *f, int events)
{
    if (!f->stream_want_write)
        events &= ~STREAM_EV_WRITE;
    if (f->stream_sock >= 0 && f->stream_cb && events)
        f->stream_cb(f->stream_arg, f->stream_sock, events);
}

static struct fake_file *find_file(struct fake_env *f, const char *path)
{
    for (int i = 0; i < f->n_files; i++)
        if (strcmp(f->files[i].path, path) == 0)
            return &f->files[i];
    return NULL;
}

static char *fk_read_all(void *ctx, const char *path, size_t *len)
{
    struct fake_file *ff = find_file(ctx, path);
    char *copy;
    if (!ff)
        return NULL;
    copy = xmalloc(ff->len + 1);
    memcpy(copy, ff->data, ff->len + 1);
    if (len)
        *len = ff->len;
    return copy;
}

static int put(struct fake_env *f, const char *path, const void *data, size_t len, int append)
{
    struct fake_file *ff = find_file(f, path);
    if (!ff) {
        if (f->n_files >= FAKE_MAX_FILES)
            return -1;
        ff = &f->files[f->n_files++];
        snprintf(ff->path, sizeof(ff->path), "%s", path);
        ff->data = NULL;
        ff->len = 0;
    }
    if (!append)
        ff->len = 0;
    ff->data = xrealloc(ff->data, ff->len + len + 1);
    memcpy(ff->data + ff->len, data, len);
    ff->len += len;
    ff->data[ff->len] = '\0';
    return 0;
}

static int fk_write_atomic(void *ctx, const char *path, const void *data, size_t len)
{
    return put(ctx, path, data, len, 0);
}

static int fk_append(void *ctx, const char *path, const void *data, size_t len)
{
    return put(ctx, path, data, len, 1);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static char **fk_list_glob(void *ctx, const char *pattern, int *n)
{
    struct fake_env *f = ctx;
    char **out = NULL;
    *n = 0;
    for (int i = 0; i < f->n_files; i++) {
        if (fnmatch(pattern, f->files[i].path, FNM_PATHNAME) != 0)
            continue;
        out = xrealloc(out, sizeof(*out) * (size_t)(*n + 1));
        out[(*n)++] = xstrdup(f->files[i].path);
    }
    if (*n)
        qsort(out, (size_t)*n, sizeof(*out), cmp_str);
    return out;
}

static int fk_prepare_dir(void *ctx, const char *path, unsigned mode, char *err, size_t errlen)
{
    return 0;
}

static int fk_remove(void *ctx, const char *path)
{
    struct fake_env *f = ctx;
    struct fake_file *ff = find_file(f, path);
    if (ff) {
        free(ff->data);
        *ff = f->files[--f->n_files];
    }
    return 0;
}

static int fk_resolve(void *ctx, const char *name, enum ip_family family, resolve_cb cb, void *arg)
{
    struct ip_addr ip;
    if (ip_addr_parse(&ip, name)) {
        cb(arg, 0, &ip, 1);
        return 0;
    }
    cb(arg, 2, NULL, 0);
    return 0;
}

static void fk_random(void *ctx, void *buf, size_t len)
{
    struct fake_env *f = ctx;
    unsigned char *p = buf;
    for (size_t i = 0; i < len; i++)
        p[i] = (unsigned char)(f->random_counter++ * 37u + 11u);
}

static int fk_run_with_input(void *ctx, const char *path, const char *const *argv,
                             const void *input, size_t len)
{
    struct fake_env *f = ctx;
    size_t n = 0;
    if (f->proc_fail)
        return -1;
    f->n_runs++;
    snprintf(f->proc_path, sizeof(f->proc_path), "%s", path);
    f->proc_args[0] = '\0';
    for (int i = 1; argv[i]; i++)
        n += (size_t)snprintf(f->proc_args + n,
                              n < sizeof(f->proc_args) ? sizeof(f->proc_args) - n : 0, "%s%s",
                              i > 1 ? " " : "", argv[i]);
    if (len >= sizeof(f->proc_input))
        len = sizeof(f->proc_input) - 1;
    memcpy(f->proc_input, input, len);
    f->proc_input[len] = '\0';
    return 0;
}

static int fk_hostname(void *ctx, char *buf, size_t len)
{
    (void)ctx;
    snprintf(buf, len, "%s", "testhost");
    return 0;
}

static size_t fk_format_local_time(void *ctx, long long t, const char *fmt, char *buf, size_t len)
{
    time_t tt = (time_t)t;
    struct tm tm;
    (void)ctx;
    if (!gmtime_r(&tt, &tm))
        return 0;
    return strftime(buf, len, fmt, &tm);
}

static void fk_log(void *ctx, enum log_level level, const char *msg)
{
    struct fake_env *f = ctx;
    if (f->n_log < FAKE_MAX_LOG)
        snprintf(f->log[f->n_log++], sizeof(f->log[0]), "%s", msg);
}

static struct fake_refdev *fk_dev(struct fake_env *f, int dev)
{
    return dev >= 1000 && dev < 1000 + f->n_refdev ? &f->refdev[dev - 1000] : NULL;
}

static int fk_find_dev(struct fake_env *f, const char *path, int is_phc)
{
    for (int i = 0; i < f->n_refdev; i++)
        if (strcmp(f->refdev[i].path, path) == 0 && f->refdev[i].is_phc == is_phc)
            return i;
    return -1;
}

static int fk_pps_open(void *ctx, const char *path, int clear, char *err, size_t errlen)
{
    struct fake_env *f = ctx;
    int i = fk_find_dev(f, path, 0);
    if (i < 0) {
        snprintf(err, errlen, "Could not open %s : %s", path, "No such file or directory");
        return -1;
    }
    f->refdev[i].opens++;
    f->refdev[i].clear = clear;
    return 1000 + i;
}

static int fk_pps_fetch(void *ctx, int dev, int clear, uint32_t *seq, struct timespec *ts,
                        char *err, size_t errlen)
{
    struct fake_refdev *d = fk_dev(ctx, dev);
    if (!d) {
        snprintf(err, errlen, "time_pps_fetch() failed : %s", "Bad file descriptor");
        return -1;
    }
    *seq = d->seq[clear != 0];
    *ts = d->edge[clear != 0];
    return ts->tv_sec != 0 || ts->tv_nsec != 0;
}

static int fk_phc_open(void *ctx, const char *path, int rw, char *err, size_t errlen)
{
    struct fake_env *f = ctx;
    int i = fk_find_dev(f, path, 1);
    if (i < 0) {
        LOG_ERR(&f->logger, "Could not open PHC (of) %s", path);
        snprintf(err, errlen, "Could not open PHC");
        return -1;
    }
    f->refdev[i].opens++;
    f->refdev[i].rw = rw;
    return 1000 + i;
}

/* Readings 1 us wide around the fake clock (the clock does not move while read). */
static int fk_phc_read(void *ctx, int dev, int nocrossts, int *mode,
                       struct env_refdev_phc_reading *out, int max)
{
    struct fake_env *f = ctx;
    struct fake_refdev *d = fk_dev(f, dev);
    int n = 0;
    if (!d)
        return 0;
    if ((*mode == 0 || *mode == 2) && !nocrossts && !d->no_precise) {
        *mode = 2;
        n = max < 1 ? 0 : 1;
    } else if (*mode == 0 || *mode == 2 || *mode == 3) {
        *mode = 3;
        n = max < 5 ? max : 5;
    } else {
        n = max < 5 ? max : 5;
    }
    d->last_mode = *mode;
    for (int i = 0; i < n; i++) {
        out[i].before = out[i].after = f->now;
        if (*mode != 2) {
            ts_add(&out[i].before, &f->now, -0.5e-6);
            ts_add(&out[i].after, &f->now, 0.5e-6);
        }
        ts_add(&out[i].phc, &f->now, d->phc_offset);
    }
    return n;
}

static int fk_phc_extts(void *ctx, int dev, int pin, int channel, int rising, int falling,
                        int enable, refdev_cb cb, void *arg)
{
    struct fake_refdev *d = fk_dev(ctx, dev);
    if (!d || !d->is_phc || !d->rw)
        return -1;
    d->extts_on = enable;
    d->extts_pin = pin;
    d->extts_channel = channel;
    d->extts_rising = rising;
    d->extts_falling = falling;
    d->cb = enable ? cb : NULL;
    d->cb_arg = enable ? arg : NULL;
    return 0;
}

static int fk_phc_extts_read(void *ctx, int dev, struct timespec *phc, int *channel)
{
    struct fake_refdev *d = fk_dev(ctx, dev);
    if (!d || d->n_events < 1)
        return 0;
    *phc = d->events[0];
    *channel = d->extts_channel;
    memmove(&d->events[0], &d->events[1], (size_t)(--d->n_events) * sizeof(d->events[0]));
    return 1;
}

static void fk_refdev_close(void *ctx, int dev)
{
    struct fake_refdev *d = fk_dev(ctx, dev);
    if (d)
        d->opens--;
}

int fake_env_add_refdev(struct fake_env *f, const char *path, int is_phc)
{
    struct fake_refdev *d = &f->refdev[f->n_refdev];
    memset(d, 0, sizeof(*d));
    snprintf(d->path, sizeof(d->path), "%s", path);
    d->is_phc = is_phc;
    return f->n_refdev++;
}

void fake_env_extts(struct fake_env *f, int i, const struct timespec *t)
{
    struct fake_refdev *d = &f->refdev[i];
    if (d->n_events < 8)
        d->events[d->n_events++] = *t;
    if (d->cb)
        d->cb(d->cb_arg, 1000 + i);
}

/* The RTC runs on true time: the fake clock plus what steps took off it. */
static double rtc_true_now(const struct fake_env *f)
{
    return (double)f->now.tv_sec + f->now.tv_nsec * 1e-9 + f->stepped;
}

static long long fk_mtime(void *ctx, const char *path)
{
    struct fake_env *f = ctx;

    return find_file(f, path) && f->files_mtime ? f->files_mtime : -1;
}

static int fk_rtc_open(void *ctx, const char *device, stream_cb cb, void *arg, int *err)
{
    struct fake_env *f = ctx;

    (void)device;
    if (!f->rtc_present) {
        *err = ENOENT;
        return -1;
    }
    if (cb) {
        f->rtc_open = 1;
        f->rtc_cb = cb;
        f->rtc_arg = arg;
    }
    return 99;
}

static int fk_rtc_set_uie(void *ctx, int h, int on, int *err)
{
    struct fake_env *f = ctx;

    (void)h;
    if (on && f->rtc_no_uie) {
        *err = EINVAL;
        return -1;
    }
    f->rtc_uie = on;
    return 0;
}

static int fk_rtc_read_edge(void *ctx, int h, int *err)
{
    (void)ctx;
    (void)h;
    (void)err;
    return 1;
}

static int fk_rtc_read_time(void *ctx, int h, int utc, long long *t, int *err)
{
    (void)h;
    ((struct fake_env *)ctx)->rtc_utc = utc;
    (void)err;
    *t = fake_env_rtc_read(ctx);
    return 0;
}

static int fk_rtc_set_time(void *ctx, int h, int utc, long long t)
{
    struct fake_env *f = ctx;
    double now = rtc_true_now(f);

    (void)h;
    f->rtc_utc = utc;
    f->rtc_n_sets++;
    f->rtc_set_to = t;
    /* the RTC reads t now and ticks t + 1 half a second later */
    f->rtc_off = (double)t + 0.5 - (1.0 + f->rtc_gain) * now;
    return 0;
}

static void fk_rtc_close(void *ctx, int h)
{
    struct fake_env *f = ctx;

    (void)h;
    f->rtc_open = 0;
    f->rtc_uie = 0;
    f->rtc_cb = NULL;
}

void fake_env_init(struct fake_env *f)
{
    memset(f, 0, sizeof(*f));
    f->now.tv_sec = 1700000000;
    f->next_sock = 3;
    f->env.clock = (struct env_clock){f,           fk_read, fk_can_control, fk_set_freq,
                                      fk_get_freq, fk_step, fk_set_leap,    fk_set_sync};
    f->env.net = (struct env_net){f, fk_udp_open, fk_unix_open, fk_close, fk_send, NULL, NULL};
    f->stream_sock = -1;
    f->env.stream = (struct env_stream){f,
                                        fk_stream_connect,
                                        fk_stream_want_write,
                                        fk_stream_send,
                                        fk_stream_recv,
                                        fk_stream_close,
                                        fk_tcp_listen,
                                        fk_tcp_accept,
                                        fk_stream_want_read};
    f->env.files = (struct env_files){f,
                                      fk_read_all,
                                      fk_write_atomic,
                                      fk_append,
                                      fk_list_glob,
                                      fk_prepare_dir,
                                      fk_remove,
                                      fk_write_atomic /* no file modes here */,
                                      NULL /* no log file of its own */,
                                      NULL /* no file modes */,
                                      fk_mtime};
    f->env.resolver = (struct env_resolver){f, fk_resolve};
    f->env.random = (struct env_random){f, fk_random};
    f->env.process = (struct env_process){f, fk_run_with_input, fk_hostname, fk_format_local_time};
    f->env.refdev =
        (struct env_refdev){f,           fk_pps_open,  fk_pps_fetch,      fk_phc_open,
                            fk_phc_read, fk_phc_extts, fk_phc_extts_read, fk_refdev_close};
    f->env.rtc = (struct env_rtc){f,
                                  fk_rtc_open,
                                  fk_rtc_set_uie,
                                  fk_rtc_read_edge,
                                  fk_rtc_read_time,
                                  fk_rtc_set_time,
                                  fk_rtc_close};
    f->logger = (struct logger){f, fk_log, LOGL_DEBUG};
    f->env.log = &f->logger;
}

long long fake_env_rtc_read(const struct fake_env *f)
{
    double t = rtc_true_now(f);

    return (long long)floor(f->rtc_off + (1.0 + f->rtc_gain) * t);
}

void fake_env_rtc_edge(struct fake_env *f)
{
    long long k = fake_env_rtc_read(f) + 1;
    double t = ((double)k - f->rtc_off) / (1.0 + f->rtc_gain) - f->stepped;

    f->now.tv_sec = (time_t)floor(t);
    f->now.tv_nsec = (long)((t - floor(t)) * 1e9);
    /* one ns past the edge: the reading is the new second */
    ts_add(&f->now, &f->now, 1e-9);
    if (f->rtc_open && f->rtc_uie && f->rtc_cb)
        f->rtc_cb(f->rtc_arg, 99, STREAM_EV_READ);
}

void fake_env_fini(struct fake_env *f)
{
    for (int i = 0; i < f->n_files; i++)
        free(f->files[i].data);
    f->n_files = 0;
    for (int i = 0; i < f->n_tcp; i++)
        free(f->tcp[i].out);
    f->n_tcp = 0;
}

void fake_env_set_time(struct fake_env *f, long sec, long nsec)
{
    f->now.tv_sec = sec;
    f->now.tv_nsec = nsec;
}

void fake_env_advance(struct fake_env *f, double s)
{
    ts_add(&f->now, &f->now, s);
}

void fake_env_put_file(struct fake_env *f, const char *path, const char *text)
{
    put(f, path, text, strlen(text), 0);
}

const char *fake_env_get_file(struct fake_env *f, const char *path)
{
    struct fake_file *ff = find_file(f, path);
    return ff ? ff->data : NULL;
}

int fake_env_log_contains(struct fake_env *f, const char *needle)
{
    for (int i = 0; i < f->n_log; i++)
        if (strstr(f->log[i], needle))
            return 1;
    return 0;
}
