/* Portable wrappers for compiler attributes used across the tree. */
#ifndef LIB_COMPILER_H
#define LIB_COMPILER_H

#if defined(__GNUC__)
#define PRINTF_LIKE(fmt, args) __attribute__((format(printf, fmt, args)))
#define NORETURN __attribute__((noreturn))
#define UNUSED __attribute__((unused))
/* A static function inlined at every call, whatever the optimiser's size limits. */
#define ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define PRINTF_LIKE(fmt, args)
#define NORETURN
#define UNUSED
#define ALWAYS_INLINE inline
#endif

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
