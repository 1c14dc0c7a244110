/* Limiting a number to a closed range, shared by the modules that bound their parameters. */
#ifndef LIB_CLAMP_H
#define LIB_CLAMP_H

/* v limited to [lo, hi] (lo <= hi expected). */
static inline int clamp_int(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* v limited to [lo, hi] (lo <= hi expected); a NaN v is returned unchanged. */
static inline double clamp_double(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

#endif
