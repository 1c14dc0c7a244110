/* Logger interface. The daemon plugs in stderr/syslog/file sinks; tests plug in
 * a capturing sink. Messages are complete lines without the trailing newline. */
#ifndef LIB_LOG_H
#define LIB_LOG_H

#include "lib/compiler.h"

#include <stdarg.h>

enum log_level { LOGL_DEBUG, LOGL_INFO, LOGL_WARN, LOGL_ERR, LOGL_FATAL };

struct logger {
    void *ctx;
    void (*write)(void *ctx, enum log_level level, const char *msg);
    enum log_level min_level;
};

void log_msg(const struct logger *lg, enum log_level level, const char *fmt, ...) PRINTF_LIKE(3, 4);
void log_vmsg(const struct logger *lg, enum log_level level, const char *fmt, va_list ap);

#define LOG_DEBUG(lg, ...) log_msg((lg), LOGL_DEBUG, __VA_ARGS__)
#define LOG_INFO(lg, ...) log_msg((lg), LOGL_INFO, __VA_ARGS__)
#define LOG_WARN(lg, ...) log_msg((lg), LOGL_WARN, __VA_ARGS__)
#define LOG_ERR(lg, ...) log_msg((lg), LOGL_ERR, __VA_ARGS__)

#endif
