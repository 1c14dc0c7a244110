/* Drives the system clock driver (PCLOCK_SYSTEM) through the env table.
 * MUST run only under LD_PRELOAD=fake_timex.so and without CAP_SYS_TIME
 * (setpriv --bounding-set=-sys_time): it refuses to start otherwise. The
 * shim's log is checked by test-clock-driver.sh; this program prints PASS/FAIL
 * for what it can see itself (return values, frequency read-back) and, with
 * a user name argument, drops privileges and prints the capabilities left. */
#include "platform/clock_linux.h"
#include "platform/platform.h"

#include <dlfcn.h>
#include <linux/capability.h>
#include <math.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

static int failures;

static void verdict(const char *name, int ok)
{
    printf("%s probe-%s\n", ok ? "PASS" : "FAIL", name);
    if (!ok)
        failures++;
}

/* Both safety conditions, or nothing runs. */
static int safe_to_run(void)
{
    if (!dlsym(RTLD_DEFAULT, "fake_timex_active")) {
        fprintf(stderr, "fake_timex.so is not preloaded: refusing to run\n");
        return 0;
    }
    if (prctl(PR_CAPBSET_READ, CAP_SYS_TIME, 0, 0, 0) != 0) {
        fprintf(stderr, "CAP_SYS_TIME is in the bounding set: refusing to run\n");
        return 0;
    }
    return 1;
}

static void print_caps(void)
{
    char line[256];
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return;
    while (fgets(line, sizeof(line), f))
        if (!strncmp(line, "Uid:", 4) || !strncmp(line, "CapEff:", 7) ||
            !strncmp(line, "CapPrm:", 7))
            fputs(line, stdout);
    fclose(f);
}

static void drive_clock(struct platform *p)
{
    const struct env_clock *ck = &platform_env(p)->clock;
    char err[256] = "";
    verdict("take-control", platform_clock_take_control(p, err, sizeof(err)) == 0);
    verdict("can-control", ck->can_control(ck->ctx) == 1);
    verdict("set-freq-123.456", ck->set_freq(ck->ctx, 123.456) == 0);
    verdict("get-freq-123.456", fabs(ck->get_freq(ck->ctx) - 123.456) < 1e-4);
    verdict("set-freq-minus-700", ck->set_freq(ck->ctx, -700.0) == 0);
    verdict("get-freq-minus-700", fabs(ck->get_freq(ck->ctx) + 700.0) < 1e-4);
    verdict("set-freq-50000", ck->set_freq(ck->ctx, 50000.0) == 0);
    verdict("get-freq-50000", fabs(ck->get_freq(ck->ctx) - 50000.0) < 1e-4);
    verdict("step-0.5", ck->step(ck->ctx, 0.5) == 0);
    verdict("set-leap-insert", ck->set_leap(ck->ctx, 1, 0) == 0);
    ck->set_sync_status(ck->ctx, 1, 0.001, 0.01);
    platform_clock_set_rtc_sync(p, 1);
    ck->set_sync_status(ck->ctx, 1, 0.002, 0.02);
    verdict("set-leap-none", ck->set_leap(ck->ctx, 0, 0) == 0);
}

int main(int argc, char **argv)
{
    struct platform_opts po;
    struct platform *p;
    char err[256] = "";
    if (!safe_to_run())
        return 2;
    memset(&po, 0, sizeof(po));
    po.clock = PCLOCK_SYSTEM;
    po.log_stderr = 1;
    p = platform_new(&po);
    drive_clock(p);
    if (argc > 1) {
        struct passwd *pw = getpwnam(argv[1]);
        verdict("drop-privileges", platform_drop_privileges(argv[1], err, sizeof(err)) == 0);
        if (*err)
            printf("error: %s\n", err);
        verdict("dropped-uid", pw && getuid() == pw->pw_uid && geteuid() == pw->pw_uid);
        verdict("dropped-gid", pw && getgid() == pw->pw_gid);
        print_caps();
    }
    platform_free(p);
    return failures ? 1 : 0;
}
