/* env.shm: System V shared memory segments for the SHM refclock driver. */
#include "platform/internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>

static void *shm_attach(void *ctx, int key, size_t size, int perm, char *err, size_t errlen)
{
    int id;
    void *addr;

    (void)ctx;
    id = shmget((key_t)key, size, IPC_CREAT | (perm & 0777));
    if (id == -1) {
        snprintf(err, errlen, "shmget() failed : %s", strerror(errno));
        return NULL;
    }
    addr = shmat(id, NULL, 0);
    if (addr == (void *)-1) {
        snprintf(err, errlen, "shmat() failed : %s", strerror(errno));
        return NULL;
    }
    return addr;
}

static void shm_detach(void *ctx, void *addr)
{
    (void)ctx;
    if (addr)
        shmdt(addr);
}

/* --softclock rides on the system clock: a writer's times are mapped as our kernel
 * receive timestamps are. */
static void shm_from_system(void *ctx, const struct timespec *sys, struct timespec *raw)
{
    struct platform *p = ctx;
    plat_clock_from_system(&p->clock, sys, raw);
}

void plat_shm_init(struct platform *p)
{
    p->env.shm = (struct env_shm){p, shm_attach, shm_detach, shm_from_system};
}
