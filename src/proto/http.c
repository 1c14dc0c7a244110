/* HTTP/1.x request heads and response heads (RFC 9112) for the metrics endpoint. */
#include "proto/http.h"

#include <stdio.h>
#include <string.h>

/* RFC 9110 §5.6.2 tchar */
static int is_tchar(uint8_t c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return 1;
    return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* RFC 9110 §5.5 field-value octets: visible ASCII, space, tab and obs-text. */
static int is_field_octet(uint8_t c)
{
    return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static int lower(uint8_t c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static int token_equal(const uint8_t *s, size_t len, const char *word)
{
    size_t n = strlen(word);
    if (len != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (lower(s[i]) != word[i])
            return 0;
    return 1;
}

/* The next line of buf[pos..lim): its end (excluding CR LF or LF) in *end and the start of
 * the following line in *next. 0 when no LF is there yet, -1 for a CR inside the line. */
static int next_line(const uint8_t *buf, size_t pos, size_t lim, size_t *end, size_t *next)
{
    const uint8_t *nl = memchr(buf + pos, '\n', lim - pos);
    size_t e;
    if (!nl)
        return 0;
    e = (size_t)(nl - buf);
    *next = e + 1;
    if (e > pos && buf[e - 1] == '\r')
        e--;
    if (memchr(buf + pos, '\r', e - pos))
        return -1;
    *end = e;
    return 1;
}

/* method SP request-target SP HTTP-version (RFC 9112 §3) */
static enum http_verdict parse_request_line(const uint8_t *s, size_t len, struct http_request *r)
{
    size_t i = 0, t0, tlen;
    const uint8_t *v;

    while (i < len && is_tchar(s[i]))
        i++;
    if (i == 0 || i >= len || s[i] != ' ')
        return HTTP_BAD_REQUEST;
    /* Method names are case-sensitive (RFC 9110 §9.1): "get" is another method. */
    r->method = i == 3 && memcmp(s, "GET", 3) == 0    ? HTTP_METHOD_GET
                : i == 4 && memcmp(s, "HEAD", 4) == 0 ? HTTP_METHOD_HEAD
                                                      : HTTP_METHOD_OTHER;
    t0 = ++i;
    while (i < len && s[i] > 0x20 && s[i] < 0x7f)
        i++;
    tlen = i - t0;
    if (tlen == 0 || i >= len || s[i] != ' ')
        return HTTP_BAD_REQUEST;
    if (tlen >= HTTP_MAX_TARGET)
        return HTTP_URI_TOO_LONG;
    memcpy(r->target, s + t0, tlen);
    r->target[tlen] = '\0';
    r->path_len = 0;
    while (r->path_len < tlen && r->target[r->path_len] != '?')
        r->path_len++;
    i++;
    v = s + i;
    if (len - i != 8 || memcmp(v, "HTTP/", 5) != 0 || v[5] < '0' || v[5] > '9' || v[6] != '.' ||
        v[7] < '0' || v[7] > '9')
        return HTTP_BAD_REQUEST;
    if (v[5] != '1')
        return HTTP_BAD_VERSION;
    r->minor_version = v[7] == '0' ? 0 : 1;
    return HTTP_OK;
}

/* field-name ":" OWS field-value OWS (RFC 9112 §5); obsolete line folding is refused. */
static int header_ok(const uint8_t *s, size_t len, int *is_host)
{
    size_t i = 0;
    while (i < len && is_tchar(s[i]))
        i++;
    if (i == 0 || i >= len || s[i] != ':')
        return 0;
    *is_host = token_equal(s, i, "host");
    for (i++; i < len; i++)
        if (!is_field_octet(s[i]))
            return 0;
    return 1;
}

enum http_verdict http_parse_request(const uint8_t *buf, size_t len, size_t max_head,
                                     struct http_request *req)
{
    struct http_request r;
    size_t lim = len < max_head ? len : max_head, end, pos;
    int hosts = 0, st;
    enum http_verdict v;

    memset(&r, 0, sizeof(r));
    st = next_line(buf, 0, lim, &end, &pos);
    if (st < 0)
        return HTTP_BAD_REQUEST;
    if (st == 0)
        return len >= max_head ? HTTP_TOO_LARGE : HTTP_INCOMPLETE;
    v = parse_request_line(buf, end, &r);
    if (v != HTTP_OK)
        return v;
    for (;;) {
        size_t line = pos;
        int is_host = 0;
        st = next_line(buf, line, lim, &end, &pos);
        if (st < 0)
            return HTTP_BAD_REQUEST;
        if (st == 0)
            return len >= max_head ? HTTP_TOO_LARGE : HTTP_INCOMPLETE;
        if (end == line)
            break;
        if (!header_ok(buf + line, end - line, &is_host))
            return HTTP_BAD_REQUEST;
        hosts += is_host;
    }
    /* RFC 9112 §3.2: exactly one Host in HTTP/1.1, at most one before. */
    if (hosts > 1 || (r.minor_version == 1 && hosts == 0))
        return HTTP_BAD_REQUEST;
    r.head_len = pos;
    *req = r;
    return HTTP_OK;
}

const char *http_verdict_name(enum http_verdict v)
{
    switch (v) {
    case HTTP_OK:
        return "ok";
    case HTTP_INCOMPLETE:
        return "incomplete";
    case HTTP_BAD_REQUEST:
        return "bad request";
    case HTTP_TOO_LARGE:
        return "head too large";
    case HTTP_URI_TOO_LONG:
        return "target too long";
    case HTTP_BAD_VERSION:
        return "bad version";
    }
    return "?";
}

int http_verdict_status(enum http_verdict v)
{
    switch (v) {
    case HTTP_BAD_REQUEST:
        return 400;
    case HTTP_TOO_LARGE:
        return 431;
    case HTTP_URI_TOO_LONG:
        return 414;
    case HTTP_BAD_VERSION:
        return 505;
    default:
        return 0;
    }
}

const char *http_reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 414:
        return "URI Too Long";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 503:
        return "Service Unavailable";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "Error";
    }
}

int http_format_head(int status, const char *content_type, size_t body_len, const char *allow,
                     char *buf, size_t cap)
{
    return snprintf(
        buf, cap, "HTTP/1.1 %d %s\r\n%s%s%sContent-Length: %zu\r\n%s%s%sConnection: close\r\n\r\n",
        status, http_reason(status), content_type ? "Content-Type: " : "",
        content_type ? content_type : "", content_type ? "\r\n" : "", body_len,
        allow ? "Allow: " : "", allow ? allow : "", allow ? "\r\n" : "");
}
