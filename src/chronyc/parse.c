/* Argument parsing helpers of chronyc commands. The command lines are read
 * as chrony's client reads them: the line is normalised first, a command
 * sees the rest of the line after its name, and numbers are taken with
 * sscanf() formats, so a value is accepted or refused as by chrony. */
#include "chronyc/client.h"

#include <ctype.h>
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

char *chronyc_split_word(char *line)
{
    char *p = line, *q = line;

    while (*q && isspace((unsigned char)*q))
        q++;
    while (*q && !isspace((unsigned char)*q))
        *p++ = *q++;
    while (*q && isspace((unsigned char)*q))
        q++;
    *p = '\0';
    return q;
}

int chronyc_parse_double(const char *s, double *v)
{
    return sscanf(s, "%lf", v) == 1;
}

int chronyc_parse_int(const char *s, int *v)
{
    return sscanf(s, "%d", v) == 1;
}

int chronyc_lookup_address(struct chronyc *c, const char *s, struct cmdmon_addr *a)
{
    struct addrinfo hints, *res, *ai;
    int ok = 0;

    /* A numeric address of the other family is refused, not looked up. */
    if (names_parse_numeric(s, a))
        return c->family == 0 || (c->family == 4) == (a->family == CMDMON_AF_INET4);
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
            const struct sockaddr_in6 *sin6 = (const void *)ai->ai_addr;
            /* An address that would lose its scope is skipped, as chrony. */
            if (sin6->sin6_scope_id != 0)
                continue;
            a->family = CMDMON_AF_INET6;
            memcpy(a->bytes, &sin6->sin6_addr, 16);
            ok = 1;
        }
    }
    freeaddrinfo(res);
    return ok;
}

int chronyc_parse_address(struct chronyc *c, const char *s, struct cmdmon_addr *a)
{
    return names_parse_id(s, a) || chronyc_lookup_address(c, s, a);
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
