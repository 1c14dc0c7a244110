/* Fuzz target: the drift file parser never crashes on any input, and whatever
 * it accepts formats and parses back to the same values (round-trip oracle). */
#include "core/driftfile.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    double freq, skew, freq2, skew2;
    char buf[128];
    if (driftfile_parse((const char *)data, size, &freq, &skew) != DRIFTFILE_OK)
        return 0;
    if (!isfinite(freq) || !isfinite(skew) || fabs(freq) > 1e9 || fabs(skew) > 1e9)
        return 0;
    if (driftfile_format(buf, sizeof(buf), freq, skew) <= 0)
        return 0;
    if (driftfile_parse(buf, strlen(buf), &freq2, &skew2) != DRIFTFILE_OK)
        abort();
    /* the text keeps 6 decimals */
    if (fabs(freq2 - freq) > 1e-6 || fabs(skew2 - skew) > 1e-6)
        abort();
    return 0;
}
