/* Hexadecimal text for binary keys and cookies (key files, NTS dump files). */
#ifndef LIB_HEX_H
#define LIB_HEX_H

#include <stddef.h>
#include <stdint.h>

/* Decode the n characters of s (an even number of hex digits, either case) into out, at
 * most cap bytes. out may be the same buffer as s (bytes are written behind the digits
 * read). Returns the number of bytes, 0 if s is empty, odd, too long or not hex. */
size_t hex_decode(const char *s, size_t n, uint8_t *out, size_t cap);

/* Write 2 * n upper-case hex digits and a NUL to out. */
void hex_encode(const uint8_t *b, size_t n, char *out);

#endif
