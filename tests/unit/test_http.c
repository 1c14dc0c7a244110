/* Unit tests for proto/http: request heads of the metrics endpoint, complete, partial,
 * malformed and too large, and the response head. */
#include "check.h"
#include "proto/http.h"

#include <string.h>

static enum http_verdict parse(const char *s, struct http_request *r)
{
    return http_parse_request((const uint8_t *)s, strlen(s), 4096, r);
}

static void test_get(void)
{
    const char *s = "GET /metrics?x=1 HTTP/1.1\r\nHost: localhost:9100\r\nAccept: */*\r\n\r\n";
    struct http_request r;
    CHECK_INT_EQ(parse(s, &r), HTTP_OK);
    CHECK_INT_EQ(r.method, HTTP_METHOD_GET);
    CHECK_STR_EQ(r.target, "/metrics?x=1");
    CHECK_INT_EQ(r.path_len, 8);
    CHECK_INT_EQ(r.minor_version, 1);
    CHECK_INT_EQ(r.head_len, strlen(s));
}

static void test_prefixes_incomplete(void)
{
    const char *s = "HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
    struct http_request r;
    for (size_t n = 0; n < strlen(s); n++)
        CHECK_INT_EQ(http_parse_request((const uint8_t *)s, n, 4096, &r), HTTP_INCOMPLETE);
    CHECK_INT_EQ(http_parse_request((const uint8_t *)s, strlen(s), 4096, &r), HTTP_OK);
    CHECK_INT_EQ(r.method, HTTP_METHOD_HEAD);
}

static void test_versions_and_host(void)
{
    struct http_request r;
    CHECK_INT_EQ(parse("GET / HTTP/1.0\r\n\r\n", &r), HTTP_OK);
    CHECK_INT_EQ(r.minor_version, 0);
    /* LF alone ends lines too (RFC 9112 §2.2). */
    CHECK_INT_EQ(parse("GET / HTTP/1.0\n\n", &r), HTTP_OK);
    CHECK_INT_EQ(parse("GET / HTTP/1.1\r\n\r\n", &r), HTTP_BAD_REQUEST);
    CHECK_INT_EQ(parse("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", &r), HTTP_BAD_REQUEST);
    CHECK_INT_EQ(parse("GET / HTTP/2.0\r\n\r\n", &r), HTTP_BAD_VERSION);
    CHECK_INT_EQ(parse("GET / HTTP/0.9\r\n\r\n", &r), HTTP_BAD_VERSION);
    CHECK_INT_EQ(parse("GET / HTTP/1\r\n\r\n", &r), HTTP_BAD_REQUEST);
    CHECK_INT_EQ(parse("GET / http/1.1\r\nHost: a\r\n\r\n", &r), HTTP_BAD_REQUEST);
}

static void test_methods(void)
{
    struct http_request r;
    CHECK_INT_EQ(parse("POST /metrics HTTP/1.0\r\n\r\n", &r), HTTP_OK);
    CHECK_INT_EQ(r.method, HTTP_METHOD_OTHER);
    /* Methods are case-sensitive. */
    CHECK_INT_EQ(parse("get /metrics HTTP/1.0\r\n\r\n", &r), HTTP_OK);
    CHECK_INT_EQ(r.method, HTTP_METHOD_OTHER);
    CHECK_INT_EQ(parse("GETS /metrics HTTP/1.0\r\n\r\n", &r), HTTP_OK);
    CHECK_INT_EQ(r.method, HTTP_METHOD_OTHER);
}

static void test_malformed(void)
{
    struct http_request r;
    CHECK_INT_EQ(parse("GET /metrics\r\n\r\n", &r), HTTP_BAD_REQUEST);
    CHECK_INT_EQ(parse("GET  /metrics HTTP/1.0\r\n\r\n", &r), HTTP_BAD_REQUEST);
    CHECK_INT_EQ(parse(" GET / HTTP/1.0\r\n\r\n", &r), HTTP_BAD_REQUEST);
    CHECK_INT_EQ(parse("GET / HTTP/1.0 \r\n\r\n", &r), HTTP_BAD_REQUEST);
    CHECK_INT_EQ(parse("GE\rT / HTTP/1.0\r\n\r\n", &r), HTTP_BAD_REQUEST);
    CHECK_INT_EQ(parse("GET / HTTP/1.0\r\nNoColon\r\n\r\n", &r), HTTP_BAD_REQUEST);
    CHECK_INT_EQ(parse("GET / HTTP/1.0\r\nBad Name: x\r\n\r\n", &r), HTTP_BAD_REQUEST);
    CHECK_INT_EQ(parse("GET / HTTP/1.0\r\nA: b\r\n folded\r\n\r\n", &r), HTTP_BAD_REQUEST);
    CHECK_INT_EQ(parse("GET / HTTP/1.0\r\nA: b\x01\r\n\r\n", &r), HTTP_BAD_REQUEST);
    CHECK_INT_EQ(parse("GET / HTTP/1.0\r\nA: b\rc\r\n\r\n", &r), HTTP_BAD_REQUEST);
    /* Refused as soon as the bad line is complete, before the end of the head. */
    CHECK_INT_EQ(parse("BAD\r\n", &r), HTTP_BAD_REQUEST);
    CHECK_INT_EQ(parse("GET / HTTP/1.0\r\n:x\r\n", &r), HTTP_BAD_REQUEST);
    /* obs-text in a value is allowed. */
    CHECK_INT_EQ(parse("GET / HTTP/1.0\r\nA: caf\xc3\xa9\r\n\r\n", &r), HTTP_OK);
}

static void test_limits(void)
{
    char big[6000], target[400];
    struct http_request r;

    memset(big, 0, sizeof(big));
    strcpy(big, "GET /metrics HTTP/1.1\r\nHost: x\r\n");
    while (strlen(big) < 4200)
        strcat(big, "X-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
    CHECK_INT_EQ(parse(big, &r), HTTP_TOO_LARGE);
    strcat(big, "\r\n");
    CHECK_INT_EQ(parse(big, &r), HTTP_TOO_LARGE);
    CHECK_INT_EQ(http_parse_request((const uint8_t *)big, strlen(big), sizeof(big), &r), HTTP_OK);
    /* A request line without its end beyond the limit. */
    memset(big, 'A', 5000);
    big[5000] = '\0';
    CHECK_INT_EQ(parse(big, &r), HTTP_TOO_LARGE);
    memset(target, 'a', sizeof(target));
    target[0] = '/';
    target[sizeof(target) - 1] = '\0';
    snprintf(big, sizeof(big), "GET %s HTTP/1.0\r\n\r\n", target);
    CHECK_INT_EQ(parse(big, &r), HTTP_URI_TOO_LONG);
    CHECK_INT_EQ(http_verdict_status(HTTP_TOO_LARGE), 431);
    CHECK_INT_EQ(http_verdict_status(HTTP_BAD_REQUEST), 400);
    CHECK_INT_EQ(http_verdict_status(HTTP_URI_TOO_LONG), 414);
    CHECK_INT_EQ(http_verdict_status(HTTP_BAD_VERSION), 505);
    CHECK_INT_EQ(http_verdict_status(HTTP_OK), 0);
}

static void test_format_head(void)
{
    char buf[256], small[16];
    int n = http_format_head(405, "text/plain", 19, "GET, HEAD", buf, sizeof(buf));
    CHECK_STR_EQ(buf, "HTTP/1.1 405 Method Not Allowed\r\nContent-Type: text/plain\r\n"
                      "Content-Length: 19\r\nAllow: GET, HEAD\r\nConnection: close\r\n\r\n");
    CHECK_INT_EQ(n, strlen(buf));
    CHECK_INT_EQ(http_format_head(405, "text/plain", 19, "GET, HEAD", small, sizeof(small)), n);
    CHECK_INT_EQ(strlen(small), sizeof(small) - 1);
    http_format_head(200, NULL, 0, NULL, buf, sizeof(buf));
    CHECK_STR_EQ(buf, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    CHECK_STR_EQ(http_reason(431), "Request Header Fields Too Large");
}

int main(void)
{
    RUN(test_get);
    RUN(test_prefixes_incomplete);
    RUN(test_versions_and_host);
    RUN(test_methods);
    RUN(test_malformed);
    RUN(test_limits);
    RUN(test_format_head);
    return check_summary();
}
