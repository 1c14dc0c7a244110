/* LD_PRELOAD shim for test-lockprio.sh: records every mlockall() call as one line
 * "mlockall FLAGS RESULT" in the file named by MLOCK_PROBE_LOG, then calls the real
 * function (a sanitized build's runtime makes it a no-op, so the call is what a test
 * can observe there).
 *
 * Build: cc -shared -fPIC -o mlock_probe.so tests/system/mlock_probe.c -ldl */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

int mlockall(int flags)
{
    int (*real)(int) = (int (*)(int))dlsym(RTLD_NEXT, "mlockall");
    int r = real ? real(flags) : -1;
    const char *path = getenv("MLOCK_PROBE_LOG");
    FILE *f = path ? fopen(path, "a") : NULL;
    if (f) {
        fprintf(f, "mlockall %s%s %d\n", flags & MCL_CURRENT ? "CURRENT" : "",
                flags & MCL_FUTURE ? "|FUTURE" : "", r);
        fclose(f);
    }
    return r;
}
