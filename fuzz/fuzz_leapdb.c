/* Fuzz target: the leap second table parsers (leap-seconds.list text and TZif
 * leap records) never crash, and every table they accept is strictly ordered
 * and answers leapdb_get() for any time with a valid leap value. */
#include "core/leapdb.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_table(const struct leapdb *db)
{
    static const int64_t probes[] = {INT64_MIN / 2, -86401,       0, 1341014400, 1356912000,
                                     1483142400,    INT64_MAX / 2};
    int tai;
    for (int i = 1; i < db->n; i++)
        if (db->e[i].start <= db->e[i - 1].start)
            abort();
    for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
        int leap = leapdb_get(db, probes[i], &tai);
        if (leap != LEAPDB_NORMAL && leap != LEAPDB_INSERT && leap != LEAPDB_DELETE)
            abort();
    }
    for (int i = 0; i < db->n; i++)
        (void)leapdb_get(db, db->e[i].start - 1, &tai);
    (void)leapdb_check(db);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct leapdb db;
    if (leapdb_parse_list(&db, (const char *)data, size) == 0) {
        check_table(&db);
        leapdb_free(&db);
    } else if (db.n != 0 || db.e != NULL) {
        abort();
    }
    if (leapdb_parse_tzif(&db, data, size) == 0) {
        check_table(&db);
        leapdb_free(&db);
    } else if (db.n != 0 || db.e != NULL) {
        abort();
    }
    return 0;
}
