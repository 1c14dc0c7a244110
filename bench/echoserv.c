/* Minimal UDP "NTP" echo server, the machine's limit for the serving benchmark:
 * answers every 48-byte datagram with 48 bytes (the request with its transmit
 * timestamp copied into the origin field and mode 4), one recvfrom/sendto per
 * packet, nothing else. Loopback only. The system's default receive buffer, or RCVBUF
 * bytes asked (SO_RCVBUF, as our chronyd asks 1 MiB for its server sockets).
 *
 *   echoserv PORT [ADDRESS [RCVBUF]]   (ADDRESS defaults to 127.0.0.1) */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    struct sockaddr_in a;
    unsigned char buf[512];
    int fd;

    if (argc < 2) {
        fprintf(stderr, "usage: echoserv PORT [ADDRESS [RCVBUF]]\n");
        return 2;
    }
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)atoi(argv[1]));
    if (inet_pton(AF_INET, argc > 2 ? argv[2] : "127.0.0.1", &a.sin_addr) != 1 ||
        (ntohl(a.sin_addr.s_addr) >> 24) != 127) {
        fprintf(stderr, "echoserv: loopback IPv4 addresses only\n");
        return 2;
    }
    fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd >= 0 && argc > 3) {
        int rb = atoi(argv[3]);
        if (rb <= 0 || setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rb, sizeof(rb)) < 0) {
            perror("echoserv: SO_RCVBUF");
            return 1;
        }
    }
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
        perror("echoserv");
        return 1;
    }
    for (;;) {
        struct sockaddr_in from;
        socklen_t fl = sizeof(from);
        ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
        if (n != 48)
            continue;
        memcpy(buf + 24, buf + 40, 8);
        buf[0] = (unsigned char)((buf[0] & 0x38) | 4);
        sendto(fd, buf, 48, 0, (struct sockaddr *)&from, fl);
    }
}
