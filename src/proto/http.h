/* HTTP/1.x for the metrics endpoint (ours): the request head (request line and header
 * fields, RFC 9112 §2-5) parsed from the bytes received so far, and the head of a
 * response formatted into a caller's buffer. Only what a scraper sends is accepted. */
#ifndef PROTO_HTTP_H
#define PROTO_HTTP_H

#include <stddef.h>
#include <stdint.h>

/* Longest request target kept (the path and query as sent, terminated). */
#define HTTP_MAX_TARGET 256

enum http_verdict {
    HTTP_OK = 0,       /* a complete, well-formed request head */
    HTTP_INCOMPLETE,   /* no end of the head yet, and within the limit */
    HTTP_BAD_REQUEST,  /* malformed request line or header field: 400 */
    HTTP_TOO_LARGE,    /* head longer than the limit: 431 */
    HTTP_URI_TOO_LONG, /* request target of HTTP_MAX_TARGET bytes or more: 414 */
    HTTP_BAD_VERSION   /* a version other than HTTP/1.0 and HTTP/1.1: 505 */
};

enum http_method { HTTP_METHOD_OTHER = 0, HTTP_METHOD_GET, HTTP_METHOD_HEAD };

struct http_request {
    enum http_method method;
    char target[HTTP_MAX_TARGET]; /* as sent, e.g. "/metrics?x=1" */
    size_t path_len;              /* length of the path part of target (before '?') */
    int minor_version;            /* 0 or 1 */
    size_t head_len;              /* bytes of the head, the empty line included */
};

/* Parse the request head at the start of buf[0..len) (what arrived so far); a head longer
 * than max_head bytes is refused. On HTTP_OK req is filled; otherwise it is left as it was.
 * A malformed request line is reported as soon as it is complete. */
enum http_verdict http_parse_request(const uint8_t *buf, size_t len, size_t max_head,
                                     struct http_request *req);
const char *http_verdict_name(enum http_verdict v);
/* The status code answering a verdict other than HTTP_OK/HTTP_INCOMPLETE (400, 414, 431,
 * 505); 0 for those two. */
int http_verdict_status(enum http_verdict v);
/* The reason phrase of a status code this module answers ("OK", "Not Found", ...). */
const char *http_reason(int status);

/* The head of a response closing the connection: status line, Content-Type (when not NULL),
 * Content-Length of body_len, Allow (when not NULL), Connection: close and the empty line.
 * snprintf-like: writes at most cap bytes (terminated when cap > 0) and returns the full
 * length, or -1 on a formatting error. */
int http_format_head(int status, const char *content_type, size_t body_len, const char *allow,
                     char *buf, size_t cap);

#endif
