#include "lib/log.h"

#include <stdio.h>

void log_vmsg(const struct logger *lg, enum log_level level, const char *fmt, va_list ap)
{
    char buf[2048];
    if (!lg || !lg->write || level < lg->min_level)
        return;
    vsnprintf(buf, sizeof(buf), fmt, ap);
    lg->write(lg->ctx, level, buf);
}

void log_msg(const struct logger *lg, enum log_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vmsg(lg, level, fmt, ap);
    va_end(ap);
}
