/* chronyc transport over a Unix datagram socket: the chrony 4.8 client socket
 * layout (spec 1.2), a full exchange with a forked fake daemon, retries on
 * replies that do not match (spec 3.4), and cleanup. */
#include "check.h"

#include "chronyc/transport.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char dir[40];
static char server_path[100];

static int server_open(void)
{
    struct sockaddr_un sun;
    int fd = socket(AF_UNIX, SOCK_DGRAM, 0);

    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", server_path);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
        return -1;
    return fd;
}

/* Child: answer one request, first with a wrong sequence (must be ignored),
 * then with a proper TRACKING reply. */
static void serve_once(int fd)
{
    uint8_t buf[1024], out[1024];
    struct sockaddr_un from;
    socklen_t fl = sizeof(from);
    struct cmdmon_request req;
    struct cmdmon_reply rpy;
    ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
    size_t len;

    if (n < 0 || cmdmon_decode_request(buf, (size_t)n, &req, 0) != CMDMON_OK)
        _exit(1);
    cmdmon_reply_init(&rpy, &req, CMDMON_STT_SUCCESS);
    rpy.reply = CMDMON_RPY_TRACKING;
    rpy.u.tracking.stratum = 3;
    rpy.sequence = req.sequence + 1;
    len = cmdmon_encode_reply(&rpy, out, sizeof(out), (size_t)n);
    sendto(fd, out, len, 0, (struct sockaddr *)&from, fl);
    rpy.sequence = req.sequence;
    len = cmdmon_encode_reply(&rpy, out, sizeof(out), (size_t)n);
    sendto(fd, out, len, 0, (struct sockaddr *)&from, fl);
    _exit(0);
}

static void test_unix_socket_layout_and_exchange(void)
{
    struct transport t = {.debug = 0};
    struct cmdmon_request req;
    struct cmdmon_reply rpy;
    struct stat st;
    char want_prefix[160];
    const char *sub;
    int fd = server_open(), status;
    pid_t pid;

    CHECK(fd >= 0);
    CHECK_INT_EQ(transport_init(&t, server_path, 323, 0), 1);
    CHECK(transport_open(&t, 0));
    snprintf(want_prefix, sizeof(want_prefix), "%s/chronyc.%d/", dir, (int)getpid());
    CHECK(strncmp(t.local_path, want_prefix, strlen(want_prefix)) == 0);
    sub = t.local_path + strlen(want_prefix);
    CHECK_INT_EQ(strlen(sub), 16 + strlen("/sock"));
    for (int i = 0; i < 16; i++)
        CHECK(isalnum((unsigned char)sub[i]));
    CHECK(stat(t.local_dir, &st) == 0 && (st.st_mode & 07777) == 0711);
    CHECK(stat(t.local_sub, &st) == 0 && (st.st_mode & 07777) == 0711);
    CHECK(stat(t.local_path, &st) == 0 && S_ISSOCK(st.st_mode) && (st.st_mode & 0777) == 0666);

    pid = fork();
    if (pid == 0)
        serve_once(fd);
    memset(&req, 0, sizeof(req));
    req.version = CMDMON_PROTO_VERSION;
    req.command = CMDMON_REQ_TRACKING;
    CHECK(transport_exchange(&t, &req, &rpy));
    CHECK_INT_EQ(rpy.reply, CMDMON_RPY_TRACKING);
    CHECK_INT_EQ(rpy.u.tracking.stratum, 3);
    CHECK_INT_EQ(rpy.sequence, req.sequence);
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    transport_close(&t);
    CHECK(stat(want_prefix, &st) < 0);
    close(fd);
}

static void test_no_answer_gives_up(void)
{
    struct transport t = {.debug = 0};
    struct cmdmon_request req;
    struct cmdmon_reply rpy;
    int fd = server_open();

    CHECK(fd >= 0);
    CHECK_INT_EQ(transport_init(&t, server_path, 323, 0), 1);
    t.timeout_ms = 100;
    t.max_retries = 1;
    CHECK(transport_open(&t, 0));
    memset(&req, 0, sizeof(req));
    req.version = CMDMON_PROTO_VERSION;
    req.command = CMDMON_REQ_ACTIVITY;
    CHECK(!transport_exchange(&t, &req, &rpy));
    CHECK_INT_EQ(req.attempt, 1); /* two transmissions */
    transport_close(&t);
    close(fd);
}

static volatile sig_atomic_t alarm_stop;

static void on_alarm(int sig)
{
    (void)sig;
    alarm_stop = 1;
}

/* A signal while waiting (chronyc's SIGTERM/SIGINT) ends the exchange at
 * once: no retransmission, no next address. */
static void test_signal_stops_wait(void)
{
    struct transport t = {.debug = 0};
    struct cmdmon_request req;
    struct cmdmon_reply rpy;
    struct sigaction sa;
    struct itimerval it;
    char hosts[220];
    int fd = server_open();
    time_t start;

    CHECK(fd >= 0);
    snprintf(hosts, sizeof(hosts), "%s,%s", server_path, server_path);
    CHECK_INT_EQ(transport_init(&t, hosts, 323, 0), 2);
    t.timeout_ms = 2000;
    t.stop = &alarm_stop;
    CHECK(transport_open(&t, 0));
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_alarm;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    memset(&it, 0, sizeof(it));
    it.it_value.tv_usec = 200000;
    setitimer(ITIMER_REAL, &it, NULL);
    memset(&req, 0, sizeof(req));
    req.version = CMDMON_PROTO_VERSION;
    req.command = CMDMON_REQ_ACTIVITY;
    start = time(NULL);
    CHECK(!transport_exchange(&t, &req, &rpy));
    CHECK(time(NULL) - start <= 1);
    CHECK_INT_EQ(req.attempt, 0);
    CHECK_INT_EQ(t.current, 0); /* the second address was not tried */
    /* Stopped before the first wait: nothing is waited for either. */
    start = time(NULL);
    CHECK(!transport_exchange(&t, &req, &rpy));
    CHECK(time(NULL) - start <= 1);
    transport_close(&t);
    close(fd);
}

static void test_missing_server(void)
{
    struct transport t = {.debug = 0};
    char path[160];

    snprintf(path, sizeof(path), "%s/none.sock", dir);
    CHECK_INT_EQ(transport_init(&t, path, 323, 0), 1);
    CHECK(!transport_open(&t, 0));
    transport_close(&t);
}

int main(void)
{
    snprintf(dir, sizeof(dir), "/tmp/cmdc-transport.XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    snprintf(server_path, sizeof(server_path), "%s/chronyd.sock", dir);
    RUN(test_unix_socket_layout_and_exchange);
    unlink(server_path);
    RUN(test_no_answer_gives_up);
    unlink(server_path);
    RUN(test_signal_stops_wait);
    unlink(server_path);
    RUN(test_missing_server);
    rmdir(dir);
    return check_summary();
}
