/* The options of an NTP source (`server`/`pool`/`peer` NAME [option]... in
 * chrony.conf and sourcedir files, chronyc `add server|pool|peer`): one type, one
 * set of defaults, one parser of the option words, and the conversions to and
 * from the ADD_SOURCE request body (spec cmdmon.md 7.4). */
#ifndef PROTO_SOURCE_OPTS_H
#define PROTO_SOURCE_OPTS_H

#include "lib/addr.h"
#include "proto/cmdmon.h"

#include <stdint.h>

/* Source selection options (server/pool/peer/refclock). */
#define CFG_SEL_NOSELECT 0x1
#define CFG_SEL_PREFER 0x2
#define CFG_SEL_TRUST 0x4
#define CFG_SEL_REQUIRE 0x8

/* Experimental NTP extension fields requested with `extfield` (hex type in config). */
#define CFG_EF_EXP_MONO_ROOT 0x1      /* field type 0xF323 */
#define CFG_EF_EXP_NET_CORRECTION 0x2 /* field type 0xF324 */

enum cfg_source_type { CFG_SRC_SERVER = 0, CFG_SRC_POOL = 1, CFG_SRC_PEER = 2 };

/* server / pool / peer line. Poll values are log2 seconds; delays in seconds.
 * The comments give the defaults (source_opts_defaults). */
struct source_cfg {
    enum cfg_source_type type;
    char *name;            /* host name or address as written; owned by the holder */
    int port;              /* 123 */
    enum ip_family family; /* ipv4/ipv6 option; IPF_UNSPEC = any */
    int minpoll, maxpoll;  /* 6, 10 */
    int presend_minpoll;   /* 100 (disabled) */
    int offline;           /* `offline` option: start offline */
    int auto_offline, burst, iburst, copy, interleaved, nts;
    int min_stratum;              /* 0 */
    int poll_target;              /* 8 */
    int version;                  /* 0 = automatic */
    int max_sources;              /* 4 (pool) */
    int min_samples, max_samples; /* -1 = use global setting */
    int filter_length;            /* 0 = no filter */
    int sel_options;              /* CFG_SEL_* */
    int nts_port;                 /* 4460 */
    int ext_fields;               /* CFG_EF_* */
    int max_unreach;              /* 100000 */
    uint32_t authkey;             /* 0 = none */
    uint32_t cert_set;            /* 0 */
    double max_delay;             /* 3.0 */
    double max_delay_ratio;       /* 0.0 = disabled */
    double max_delay_dev_ratio;   /* 10.0 */
    double max_delay_quant;       /* 0.0 = disabled */
    double min_delay;             /* 0.0 */
    double asymmetry;             /* 1.0 */
    double offset;                /* s, added to measured offsets */
};

enum source_opts_status {
    SOURCE_OPTS_OK = 0,
    SOURCE_OPTS_BAD_OPTION, /* unknown option word: "Invalid option in X directive" */
    SOURCE_OPTS_BAD_VALUE   /* missing or out-of-range value: "Invalid value in ..." */
};

/* chrony's defaults: a server with no name (s->name NULL) and the values above. */
void source_opts_defaults(struct source_cfg *s);

/* Apply the option words of opts (the text after NAME; written to in place) to s,
 * in order, with chrony 4.8's names (case-insensitive), values and bounds. A value
 * is read like sscanf("%d%n"): "minpoll 6x" reads 6, then "x" as an option. On an
 * error s may be partly changed. */
enum source_opts_status source_opts_parse(struct source_cfg *s, char *opts);

/* Fill the ADD_SOURCE request body as chronyc 4.8 sends it (offline = ONLINE flag
 * clear, selection and extension fields as flags). Returns 1, or 0 with a left
 * untouched when the name is missing or does not fit the request's name field. */
int source_opts_encode(const struct source_cfg *s, struct cmdmon_req_add_source *a);

/* The request body as a directive would give it (chronyd's side). Returns
 * CMDMON_STT_SUCCESS with s filled and s->name malloc'd (the caller frees it),
 * CMDMON_STT_INVALID for an unknown type, or CMDMON_STT_INVALIDNAME for a name
 * without a terminator, empty, or with characters other than printable non-space
 * ones; s is left untouched on an error. */
int source_opts_decode(const struct cmdmon_req_add_source *a, struct source_cfg *s);

/* The CFG_SEL_* bit of a selection option word (noselect, prefer, require, trust;
 * any case), 0 for another word. Also used by the refclock directive. */
int source_opts_sel_word(const char *word);

/* The CFG_SEL_* options of CMDMON_SRC_* flag bits (ADD_SOURCE, MODIFY_SELECTOPTS). */
int source_opts_sel_from_flags(uint32_t flags);

/* 1 if a and b are the same directive: same type, name and every option (the
 * floating-point ones bit for bit, as chrony compares them). */
int source_opts_equal(const struct source_cfg *a, const struct source_cfg *b);

#endif
