/* Loopback NTP load generator for benchmarks: keeps WINDOW requests in flight
 * to HOST:PORT for SECONDS and prints replies per second. Loopback only. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    struct sockaddr_in to;
    unsigned char req[48], rep[1500];
    int window = 32, fd, inflight = 0;
    long sent = 0, got = 0;
    double seconds, end, start;
    if (argc < 4) {
        fprintf(stderr, "usage: ntpload HOST PORT SECONDS [WINDOW]\n");
        return 2;
    }
    memset(&to, 0, sizeof(to));
    to.sin_family = AF_INET;
    to.sin_port = htons((unsigned short)atoi(argv[2]));
    if (inet_pton(AF_INET, argv[1], &to.sin_addr) != 1 ||
        (ntohl(to.sin_addr.s_addr) >> 24) != 127) {
        fprintf(stderr, "ntpload: loopback IPv4 addresses only\n");
        return 2;
    }
    seconds = atof(argv[3]);
    if (argc > 4)
        window = atoi(argv[4]);
    fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&to, sizeof(to)) < 0)
        return 1;
    memset(req, 0, sizeof(req));
    req[0] = (4 << 3) | 3;
    start = now_s();
    end = start + seconds;
    while (now_s() < end) {
        struct pollfd pfd = {fd, POLLIN, 0};
        while (inflight < window) {
            memcpy(req + 40, &sent, sizeof(sent));
            if (send(fd, req, sizeof(req), 0) < 0)
                break;
            sent++;
            inflight++;
        }
        if (poll(&pfd, 1, 100) <= 0) {
            inflight = 0; /* lost: refill the window */
            continue;
        }
        while (recv(fd, rep, sizeof(rep), MSG_DONTWAIT) > 0) {
            got++;
            if (inflight > 0)
                inflight--;
        }
    }
    printf("%.0f\n", got / (now_s() - start));
    close(fd);
    return 0;
}
