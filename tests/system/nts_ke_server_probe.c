/* Runs the platform's NTS-KE server from the env table with a fixed server key set until a
 * termination signal or the run time ends, then prints its counters and how long stopping
 * took.
 *
 * usage: nts_ke_server_probe PORT CERT KEY [--ntp-port N] [--ntp-server NAME] [--max N]
 *                            [--family 0|4|6] [--aead ID]... [-F LEVEL] [--run S]
 * Prints "started" (or "start failed: ERROR") once listening.
 */
#include "core/nts_server.h"
#include "platform/platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_AEADS 8

struct probe_args {
    const char *cert, *key;
    int aeads[MAX_AEADS];
    struct nts_ke_server_opts o;
    int filter_level;
    double run_for;
};

static int probe_next_timeout(void *ctx, struct timespec *when)
{
    return 0;
}

static void probe_on_timer(void *ctx, const struct timespec *now)
{
}

static void probe_on_datagram(void *ctx, const struct net_rx *rx, const struct timespec *now)
{
}

static int probe_should_quit(void *ctx)
{
    return 0;
}

static int parse_args(int argc, char **argv, struct probe_args *a)
{
    memset(a, 0, sizeof(*a));
    a->cert = argv[2];
    a->key = argv[3];
    a->o.certs = &a->cert;
    a->o.keys = &a->key;
    a->o.n_certs = 1;
    a->o.port = atoi(argv[1]);
    a->o.aeads = a->aeads;
    a->o.ntp_port = 123;
    a->o.max_connections = 100;
    a->run_for = 60;
    for (int i = 4; i + 1 < argc; i += 2) {
        const char *opt = argv[i], *val = argv[i + 1];
        if (!strcmp(opt, "--ntp-port"))
            a->o.ntp_port = atoi(val);
        else if (!strcmp(opt, "--ntp-server"))
            a->o.ntp_server = val;
        else if (!strcmp(opt, "--max"))
            a->o.max_connections = atoi(val);
        else if (!strcmp(opt, "--family"))
            a->o.family = atoi(val);
        else if (!strcmp(opt, "--aead") && a->o.n_aeads < MAX_AEADS)
            a->aeads[a->o.n_aeads++] = atoi(val);
        else if (!strcmp(opt, "-F"))
            a->filter_level = atoi(val);
        else if (!strcmp(opt, "--run"))
            a->run_for = atof(val);
        else
            return -1;
    }
    if ((argc - 4) % 2 != 0)
        return -1;
    if (a->o.n_aeads == 0)
        a->aeads[a->o.n_aeads++] = NTS_AEAD_AES_SIV_CMAC_256;
    return 0;
}

int main(int argc, char **argv)
{
    struct platform_handlers h = {NULL, probe_next_timeout, probe_on_timer, probe_on_datagram,
                                  probe_should_quit};
    struct platform_opts po;
    struct probe_args a;
    struct platform *p;
    const struct env *env;
    struct nts_server_keys keys;
    uint8_t rnd[NTS_SERVER_KEYS_RANDOM];
    uint64_t accepted = 0, dropped = 0;
    struct timespec t0, t1;
    char err[256] = "";
    if (argc < 4 || parse_args(argc, argv, &a) < 0) {
        fprintf(stderr, "usage: %s PORT CERT KEY [options]\n", argv[0]);
        return 2;
    }
    memset(&po, 0, sizeof(po));
    po.clock = PCLOCK_NOCONTROL;
    po.log_stderr = 1;
    p = platform_new(&po);
    env = platform_env(p);
    for (size_t i = 0; i < sizeof(rnd); i++)
        rnd[i] = (uint8_t)(i * 7 + 1);
    nts_server_keys_init(&keys, rnd);
    env->nts_ke_server.set_keys(env->nts_ke_server.ctx, &keys);
    if (env->nts_ke_server.start(env->nts_ke_server.ctx, &a.o, err, sizeof(err)) < 0) {
        printf("start failed: %s\n", err);
        platform_free(p);
        return 1;
    }
    if (platform_scfilter_apply(a.filter_level, err, sizeof(err)) < 0) {
        printf("scfilter: %s\n", err);
        return 1;
    }
    printf("started\n");
    fflush(stdout);
    platform_run(p, &h, a.run_for);
    env->nts_ke_server.get_stats(env->nts_ke_server.ctx, &accepted, &dropped);
    printf("accepted=%llu dropped=%llu\n", (unsigned long long)accepted,
           (unsigned long long)dropped);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    platform_free(p);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("stopped-after=%.1f\n",
           (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9);
    return 0;
}
