/* chronyc "add server|pool|peer NAME [options]" (spec 7.4): the options are
 * parsed as in chrony.conf (proto/source_opts) and sent as an ADD_SOURCE body. */
#include "chronyc/client.h"

#include "proto/source_opts.h"

#include <string.h>

int chronyc_build_add_source(struct chronyc *c, char *args, struct cmdmon_request *req)
{
    char *type = chronyc_next_word(&args), *name = chronyc_next_word(&args);
    struct cmdmon_addr check;
    struct source_cfg s;

    req->command = CMDMON_REQ_ADD_SOURCE;
    source_opts_defaults(&s);
    if (type && !strcmp(type, "server"))
        s.type = CFG_SRC_SERVER;
    else if (type && !strcmp(type, "peer"))
        s.type = CFG_SRC_PEER;
    else if (type && !strcmp(type, "pool"))
        s.type = CFG_SRC_POOL;
    else
        type = NULL;
    if (!type || !name || strlen(name) >= CMDMON_NAME_LEN ||
        source_opts_parse(&s, args) != SOURCE_OPTS_OK) {
        fprintf(c->err, "Invalid syntax for add command\n");
        return 0;
    }
    if (!chronyc_parse_address(c, name, &check)) {
        fprintf(c->err, "Invalid host/IP address\n");
        return 0;
    }
    s.name = name;
    return source_opts_encode(&s, &req->u.add_source);
}
