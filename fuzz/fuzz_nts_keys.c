/* Fuzz target: the parser of the NTS server keys file (ntsdumpdir/ntskeys) never crashes on
 * any input, and keys it accepts format and parse back to the same keys, current key and
 * age (round-trip oracle). */
#include "core/nts_server.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct nts_server_keys ks, ks2;
    char *text, buf[512];
    double age, age2;
    size_t len;
    int ok;

    text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    ok = nts_server_keys_parse(text, &ks, &age);
    free(text);
    if (!ok || !isfinite(age) || age > 1e12)
        return 0;
    if (ks.n != NTS_SERVER_MAX_KEYS || ks.current < 0 || ks.current >= NTS_SERVER_MAX_KEYS)
        abort();
    for (int i = 0; i < NTS_SERVER_MAX_KEYS; i++)
        if (ks.k[i].id % NTS_SERVER_MAX_KEYS != (uint32_t)i)
            abort();
    len = nts_server_keys_format(&ks, age, buf, sizeof(buf));
    if (len == 0 || len != strlen(buf))
        abort();
    if (!nts_server_keys_parse(buf, &ks2, &age2))
        abort();
    /* The text keeps one decimal of the age. */
    if (memcmp(&ks, &ks2, sizeof(ks)) != 0 || fabs(age2 - age) > 0.051)
        abort();
    return 0;
}
