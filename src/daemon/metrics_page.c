/* The metrics page: the reports chronyc gets (tracking, sources, sourcestats, source names,
 * authdata, serverstats) asked of the command table, as the command server would answer
 * them, and rendered by proto/prom. */
#include "daemon/metrics_server.h"

#include "daemon/cmdmon_server.h"
#include "lib/mem.h"
#include "proto/prom.h"

#include <stdlib.h>
#include <string.h>

/* Ask the command table for one report; 1 when it answered with the expected reply. */
static int ask(struct metrics_server *m, struct cmdmon_request *req, const struct timespec *now,
               struct cmdmon_reply *rpy)
{
    req->version = CMDMON_PROTO_VERSION;
    /* The longest request: the newest reply variants (SERVER_STATS4, NTP_DATA2). */
    req->length = CMDMON_MAX_REQ_LEN;
    cmdmon_reply_init(rpy, req, CMDMON_STT_SUCCESS);
    cmdmon_execute(m->cmd, req, now, rpy);
    return rpy->status == CMDMON_STT_SUCCESS && rpy->reply == cmdmon_expected_reply(req->command);
}

static int ask_indexed(struct metrics_server *m, uint16_t command, int index,
                       const struct timespec *now, struct cmdmon_reply *rpy)
{
    struct cmdmon_request req;
    memset(&req, 0, sizeof(req));
    req.command = command;
    req.u.index.index = index;
    return ask(m, &req, now, rpy);
}

static int ask_addressed(struct metrics_server *m, uint16_t command, const struct cmdmon_addr *a,
                         const struct timespec *now, struct cmdmon_reply *rpy)
{
    struct cmdmon_request req;
    memset(&req, 0, sizeof(req));
    req.command = command;
    req.u.address.ip = *a;
    return ask(m, &req, now, rpy);
}

/* Row i of chronyc sources with its sourcestats row, name and authdata. 0 if it is gone. */
static int gather_source(struct metrics_server *m, int i, const struct timespec *now,
                         struct prom_source *s)
{
    struct cmdmon_reply rpy;

    memset(s, 0, sizeof(*s));
    if (!ask_indexed(m, CMDMON_REQ_SOURCE_DATA, i, now, &rpy))
        return 0;
    s->data = rpy.u.source_data;
    if (ask_indexed(m, CMDMON_REQ_SOURCESTATS, i, now, &rpy)) {
        s->have_stats = 1;
        s->stats = rpy.u.sourcestats;
    }
    if (s->data.mode != CMDMON_MODE_REF &&
        ask_addressed(m, CMDMON_REQ_NTP_SOURCE_NAME, &s->data.ip, now, &rpy)) {
        memcpy(s->name, rpy.u.source_name.name, sizeof(s->name) - 1);
        s->name[sizeof(s->name) - 1] = '\0';
    }
    if (s->data.ip.family != CMDMON_AF_ID &&
        ask_addressed(m, CMDMON_REQ_AUTH_DATA, &s->data.ip, now, &rpy)) {
        s->have_auth = 1;
        s->auth = rpy.u.auth_data;
    }
    return 1;
}

char *metrics_page_render(struct metrics_server *m, const struct timespec *now, size_t *len)
{
    struct prom_report r;
    struct prom_source *srcs = NULL;
    struct cmdmon_request req;
    struct cmdmon_reply rpy;
    size_t n = 0;
    long need;
    char *page;

    memset(&r, 0, sizeof(r));
    r.version = m->version;
    memset(&req, 0, sizeof(req));
    req.command = CMDMON_REQ_TRACKING;
    if (ask(m, &req, now, &rpy)) {
        r.have_tracking = 1;
        r.tracking = rpy.u.tracking;
    }
    req.command = CMDMON_REQ_N_SOURCES;
    if (ask(m, &req, now, &rpy) && rpy.u.n_sources.n_sources > 0) {
        uint32_t count = rpy.u.n_sources.n_sources;
        srcs = xcalloc(count, sizeof(*srcs));
        for (uint32_t i = 0; i < count && i < INT32_MAX; i++)
            n += (size_t)gather_source(m, (int)i, now, &srcs[n]);
    }
    r.sources = srcs;
    r.n_sources = n;
    req.command = CMDMON_REQ_SERVER_STATS;
    if (ask(m, &req, now, &rpy)) {
        r.have_server_stats = 1;
        r.server_stats = rpy.u.server_stats;
    }
    need = prom_render(&r, NULL, 0);
    if (need < 0) {
        free(srcs);
        return NULL;
    }
    page = xmalloc((size_t)need + 1);
    prom_render(&r, page, (size_t)need + 1);
    free(srcs);
    *len = (size_t)need;
    return page;
}
