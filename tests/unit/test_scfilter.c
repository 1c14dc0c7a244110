/* Unit tests for src/platform/scfilter.c (chronyd -F): each filter is loaded in a
 * forked child, which then shows what it may and may not do; the parent reads
 * the child's fate from its exit status. */
#include "check.h"
#include "platform/platform.h"

#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum child_act { ACT_WORK, ACT_THREAD, ACT_EXEC, ACT_FORK };

static void *thread_main(void *arg)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    *(int *)arg = ts.tv_sec > 0;
    return NULL;
}

static void child(int level, enum child_act act)
{
    char err[128];
    int pipefd[2], ok = 0;
    pthread_t t;
    struct timespec ts;
    char *const argv[] = {"true", NULL};

    if (platform_scfilter_apply(level, err, sizeof(err)) < 0)
        _exit(90);
    switch (act) {
    case ACT_WORK:
        if (pipe(pipefd) < 0 || write(pipefd[1], "x", 1) != 1 ||
            clock_gettime(CLOCK_REALTIME, &ts) < 0 || getpid() <= 0)
            _exit(91);
        _exit(0);
    case ACT_THREAD:
        if (pthread_create(&t, NULL, thread_main, &ok) != 0 || pthread_join(t, NULL) != 0)
            _exit(92);
        _exit(ok ? 0 : 93);
    case ACT_EXEC:
        execv("/bin/true", argv);
        _exit(94);
    case ACT_FORK: {
        pid_t p = fork();
        if (p == 0)
            _exit(0);
        _exit(95);
    }
    }
    _exit(96);
}

/* Run child(level, act) in a new process; returns its wait status. */
static int run(int level, enum child_act act)
{
    int status = -1;
    pid_t pid = fork();
    if (pid == 0)
        child(level, act);
    if (pid < 0 || waitpid(pid, &status, 0) != pid)
        return -1;
    return status;
}

static int exited_ok(int status)
{
    return status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static int killed_sigsys(int status)
{
    return status >= 0 && WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS;
}

static void test_level1_allows_the_daemon_calls(void)
{
    CHECK(exited_ok(run(1, ACT_WORK)));
    CHECK(exited_ok(run(1, ACT_THREAD)));
}

static void test_level1_denies_new_programs_and_processes(void)
{
    CHECK(killed_sigsys(run(1, ACT_EXEC)));
    CHECK(killed_sigsys(run(1, ACT_FORK)));
}

static void test_level2_denies_a_list(void)
{
    CHECK(exited_ok(run(2, ACT_WORK)));
    CHECK(exited_ok(run(2, ACT_THREAD)));
    CHECK(killed_sigsys(run(2, ACT_EXEC)));
    CHECK(killed_sigsys(run(2, ACT_FORK)));
}

static void test_negative_levels_send_sigsys(void)
{
    CHECK(exited_ok(run(-1, ACT_WORK)));
    CHECK(killed_sigsys(run(-1, ACT_EXEC)));
    CHECK(killed_sigsys(run(-2, ACT_FORK)));
}

static void test_levels(void)
{
    char err[128];
    CHECK_INT_EQ(platform_scfilter_apply(0, err, sizeof(err)), 0);
    CHECK_INT_EQ(platform_scfilter_apply(3, err, sizeof(err)), -1);
    CHECK_STR_EQ(err, "Unsupported filter level");
    CHECK_INT_EQ(platform_scfilter_apply(-7, err, sizeof(err)), -1);
}

int main(void)
{
    RUN(test_level1_allows_the_daemon_calls);
    RUN(test_level1_denies_new_programs_and_processes);
    RUN(test_level2_denies_a_list);
    RUN(test_negative_levels_send_sigsys);
    RUN(test_levels);
    return check_summary();
}
