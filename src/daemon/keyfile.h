/* The `keyfile` directive's symmetric keys, loaded into the node's key table. */
#ifndef DAEMON_KEYFILE_H
#define DAEMON_KEYFILE_H

struct env;
struct keys;

/* (Re)load the key file at path (NULL: no keyfile) into keys, in place; a missing
 * file is only a warning, as chrony. */
void keyfile_load(struct keys *keys, const char *path, const struct env *env);

#endif
