/* The `keyfile` keys (chrony's KEY_Reload): read at start, before the sources that use
 * them and before privileges are dropped, and again by chronyc rekey. */
#include "daemon/keyfile.h"

#include "core/keys.h"
#include "daemon/env.h"
#include "lib/mem.h"

#include <stdlib.h>

void keyfile_load(struct keys *keys, const char *path, const struct env *env)
{
    size_t len = 0;
    char *text;

    if (!path) {
        keys_clear(keys);
        return;
    }
    /* As chrony: the owner and the group may read the keys, others should not. */
    if (env->files.check_perms)
        env->files.check_perms(env->files.ctx, path, 0771);
    text = env->files.read_all(env->files.ctx, path, &len);
    if (!text) {
        LOG_WARN(env->log, "Could not open keyfile %s", path);
        keys_clear(keys);
        return;
    }
    keys_load(keys, text, len, path, env->log);
    mem_wipe(text, len);
    free(text);
}
