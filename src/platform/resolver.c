/* Asynchronous name resolution: getaddrinfo() runs on a detached helper thread
 * per lookup; results queue under a mutex and a byte on a pipe wakes the
 * select() loop, whose read set holds the pipe only while lookups are pending. */
#include "platform/internal.h"

#include "lib/mem.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_ADDRS 16

struct plat_lookup {
    struct platform *p;
    char *name;
    enum ip_family family;
    resolve_cb cb;
    void *arg;
    int status;
    struct ip_addr addrs[MAX_ADDRS];
    int n;
    struct plat_lookup *next;
};

static void fcntl_nonblock_cloexec(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    fcntl(fd, F_SETFD, FD_CLOEXEC);
}

/* An IPv4 or IPv6 result of getaddrinfo as our address: 1, or 0 for another family. */
static int ip_from_addrinfo(const struct addrinfo *ai, struct ip_addr *out)
{
    memset(out, 0, sizeof(*out));
    if (ai->ai_family == AF_INET) {
        out->family = IPF_INET4;
        memcpy(out->a, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, 4);
    } else if (ai->ai_family == AF_INET6) {
        out->family = IPF_INET6;
        memcpy(out->a, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, 16);
    } else {
        return 0;
    }
    return 1;
}

int platform_resolve_host(const char *name, struct ip_addr *out)
{
    struct addrinfo hints, *res = NULL;
    int r = -1;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    if (getaddrinfo(name, NULL, &hints, &res) != 0)
        return -1;
    for (struct addrinfo *ai = res; ai && r < 0; ai = ai->ai_next)
        if (ip_from_addrinfo(ai, out))
            r = 0;
    freeaddrinfo(res);
    return r;
}

static void *lookup_thread(void *arg)
{
    struct plat_lookup *l = arg;
    struct addrinfo hints, *res = NULL;
    int r;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = l->family == IPF_INET4   ? AF_INET
                      : l->family == IPF_INET6 ? AF_INET6
                                               : AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    r = getaddrinfo(l->name, NULL, &hints, &res);
    if (r == 0) {
        for (struct addrinfo *ai = res; ai && l->n < MAX_ADDRS; ai = ai->ai_next)
            if (ip_from_addrinfo(ai, &l->addrs[l->n]))
                l->n++;
        freeaddrinfo(res);
        l->status = l->n ? 0 : 2;
    } else {
        l->status = (r == EAI_AGAIN || r == EAI_SYSTEM) ? 1 : 2;
    }
    pthread_mutex_lock(&l->p->resolve_lock);
    l->next = l->p->done_lookups;
    l->p->done_lookups = l;
    pthread_mutex_unlock(&l->p->resolve_lock);
    if (write(l->p->resolve_pipe[1], "x", 1) < 0) {
        /* the loop still polls done_lookups on its next wake-up */
    }
    return NULL;
}

static int res_resolve(void *ctx, const char *name, enum ip_family family, resolve_cb cb, void *arg)
{
    struct platform *p = ctx;
    struct plat_lookup *l = xcalloc(1, sizeof(*l));
    pthread_t th;
    l->p = p;
    l->name = xstrdup(name);
    l->family = family;
    l->cb = cb;
    l->arg = arg;
    p->pending_lookups++;
    if (pthread_create(&th, NULL, lookup_thread, l) != 0) {
        p->pending_lookups--;
        free(l->name);
        free(l);
        return -1;
    }
    pthread_detach(th);
    return 0;
}

void plat_resolver_dispatch(struct platform *p)
{
    struct plat_lookup *list;
    char drain[64];
    while (read(p->resolve_pipe[0], drain, sizeof(drain)) > 0)
        ;
    pthread_mutex_lock(&p->resolve_lock);
    list = p->done_lookups;
    p->done_lookups = NULL;
    pthread_mutex_unlock(&p->resolve_lock);
    while (list) {
        struct plat_lookup *next = list->next;
        p->pending_lookups--;
        list->cb(list->arg, list->status, list->addrs, list->n);
        free(list->name);
        free(list);
        list = next;
    }
}

void plat_resolver_init(struct platform *p)
{
    pthread_mutex_init(&p->resolve_lock, NULL);
    if (pipe(p->resolve_pipe) == 0) {
        /* non-blocking, close-on-exec, set after creation */
        fcntl_nonblock_cloexec(p->resolve_pipe[0]);
        fcntl_nonblock_cloexec(p->resolve_pipe[1]);
    }
    p->env.resolver = (struct env_resolver){p, res_resolve};
}

void plat_resolver_fini(struct platform *p)
{
    close(p->resolve_pipe[0]);
    close(p->resolve_pipe[1]);
}
