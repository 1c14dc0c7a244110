/* The `keyfile` directive's symmetric keys, loaded into the node's key table. */
#ifndef DAEMON_KEYFILE_H
#define DAEMON_KEYFILE_H

struct node;

/* (Re)load the key file in place (a missing file is only a warning, as chrony). */
void keyfile_load(struct node *n);

#endif
