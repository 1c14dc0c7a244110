/* Argument parsing helpers of chronyc commands. */
#include "chronyc/client.h"

#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

char *chronyc_next_word(char **args)
{
    char *s = *args, *w;

    while (*s && isspace((unsigned char)*s))
        s++;
    if (!*s) {
        *args = s;
        return NULL;
    }
    w = s;
    while (*s && !isspace((unsigned char)*s))
        s++;
    if (*s)
        *s++ = '\0';
    *args = s;
    return w;
}

int chronyc_parse_double(const char *s, double *v)
{
    char *end;

    errno = 0;
    *v = strtod(s, &end);
    return end != s && !*end && errno == 0;
}

int chronyc_parse_int(const char *s, long *v)
{
    char *end;

    errno = 0;
    *v = strtol(s, &end, 10);
    return end != s && !*end && errno == 0;
}

/* IP address, ID#n or a hostname resolved honouring -4/-6. */
int chronyc_parse_address(struct chronyc *c, const char *s, struct cmdmon_addr *a)
{
    struct addrinfo hints, *res, *ai;
    int ok = 0;

    if (names_parse_id(s, a) || names_parse_numeric(s, a))
        return 1;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = c->family == 4 ? AF_INET : c->family == 6 ? AF_INET6 : AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    if (getaddrinfo(s, NULL, &hints, &res) != 0)
        return 0;
    for (ai = res; ai && !ok; ai = ai->ai_next) {
        memset(a, 0, sizeof(*a));
        if (ai->ai_family == AF_INET) {
            a->family = CMDMON_AF_INET4;
            memcpy(a->bytes, &((struct sockaddr_in *)(void *)ai->ai_addr)->sin_addr, 4);
            ok = 1;
        } else if (ai->ai_family == AF_INET6) {
            a->family = CMDMON_AF_INET6;
            memcpy(a->bytes, &((struct sockaddr_in6 *)(void *)ai->ai_addr)->sin6_addr, 16);
            ok = 1;
        }
    }
    freeaddrinfo(res);
    return ok;
}

int chronyc_parse_list_flags(char *args, int *all, int *verbose)
{
    char *w;

    *all = *verbose = 0;
    while ((w = chronyc_next_word(&args))) {
        if (!strcmp(w, "-a"))
            *all = 1;
        else if (!strcmp(w, "-v"))
            *verbose = 1;
    }
    return 1;
}
