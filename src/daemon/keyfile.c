/* The `keyfile` keys (chrony's KEY_Reload): read at start, before the sources that use
 * them and before privileges are dropped, and again by chronyc rekey. */
#include "daemon/keyfile.h"

#include "daemon/config.h"
#include "daemon/node_internal.h"
#include "lib/mem.h"

#include <stdlib.h>

void keyfile_load(struct node *n)
{
    const char *path = n->cfg->keyfile;
    size_t len = 0;
    char *text;

    if (!path) {
        keys_clear(&n->keys);
        return;
    }
    text = n->env->files.read_all(n->env->files.ctx, path, &len);
    if (!text) {
        LOG_WARN(n->env->log, "Could not open keyfile %s", path);
        keys_clear(&n->keys);
        return;
    }
    keys_load(&n->keys, text, len, path, n->env->log);
    mem_wipe(text, len);
    free(text);
}
