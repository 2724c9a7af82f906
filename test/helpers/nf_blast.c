/* Load generator for bench/net-filter.sh (not installed).
 *   nf_blast udp-sink PORT SECONDS          count UDP datagrams received
 *   nf_blast udp-send ADDR PORT SECONDS LEN blast LEN-byte datagrams with sendmmsg
 *   nf_blast tcp-sink PORT SECONDS          accept and close connections
 *   nf_blast tcp-conn ADDR PORT SECONDS     connect/close loop; prints connections/s
 *   nf_blast tcp-count ADDR PORT COUNT      COUNT connections in a row (RST on close), each
 *                                           must connect within 2 s; prints "ok N failed M
 *                                           seconds S" and exits 1 on any failure (it stops
 *                                           after 10)
 * Prints one number: packets (or connections) per second. Bounded in time. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int addr_of(const char *host, int port, struct sockaddr_storage *ss)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(port);
		return sizeof(*a4);
	}
	if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		return sizeof(*a6);
	}
	fprintf(stderr, "bad address %s\n", host);
	exit(2);
}

static int bound(int type, int port)
{
	int fd = socket(AF_INET6, type, 0), one = 1, zero = 0;
	struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons(port), .sin6_addr = in6addr_any};
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a))) {
		perror("bind");
		exit(1);
	}
	return fd;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: see the comment at the top of nf_blast.c\n");
		return 2;
	}
	const char *mode = argv[1];
	if (!strcmp(mode, "udp-sink") || !strcmp(mode, "tcp-sink")) {
		int tcp = mode[0] == 't';
		int fd = bound(tcp ? SOCK_STREAM : SOCK_DGRAM, atoi(argv[2]));
		double secs = atof(argv[3]), end = now() + secs;
		struct timeval tv = {0, 100000};
		long n = 0;
		static char bufs[BATCH][2048];
		struct mmsghdr msgs[BATCH];
		struct iovec iov[BATCH];
		int rcv = 8 << 20;
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if (tcp)
			listen(fd, 4096);
		for (int i = 0; i < BATCH; i++) {
			iov[i] = (struct iovec){bufs[i], sizeof(bufs[i])};
			memset(&msgs[i], 0, sizeof(msgs[i]));
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
		}
		while (now() < end) {
			if (tcp) {
				int c = accept(fd, NULL, NULL);
				if (c >= 0) {
					close(c);
					n++;
				}
			} else {
				int r = recvmmsg(fd, msgs, BATCH, 0, NULL);
				if (r > 0)
					n += r;
			}
		}
		printf("%.0f\n", n / secs);
		return 0;
	}
	if (argc < 5)
		return 2;
	if (!strcmp(mode, "tcp-count")) {
		struct sockaddr_storage ts;
		socklen_t tl = addr_of(argv[2], atoi(argv[3]), &ts);
		long count = atol(argv[4]), ok = 0, failed = 0;
		double t0 = now();
		for (long i = 0; i < count && failed < 10; i++) {
			int fd = socket(ts.ss_family, SOCK_STREAM, 0);
			struct linger lg = {1, 0}; /* RST on close: no TIME_WAIT pile-up */
			struct timeval to = {2, 0};
			setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
			setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &to, sizeof(to));
			if (connect(fd, (struct sockaddr *)&ts, tl) == 0) {
				ok++;
			} else {
				failed++;
				fprintf(stderr, "connection %ld: %s\n", i + 1, strerror(errno));
			}
			close(fd);
		}
		printf("ok %ld failed %ld seconds %.1f\n", ok, failed, now() - t0);
		return failed || ok != count;
	}
	struct sockaddr_storage ss;
	socklen_t sl = addr_of(argv[2], atoi(argv[3]), &ss);
	double secs = atof(argv[4]), end = now() + secs;
	long n = 0;
	if (!strcmp(mode, "udp-send")) {
		int len = argc > 5 ? atoi(argv[5]) : 64;
		static char payload[2048];
		struct mmsghdr msgs[BATCH];
		struct iovec iov = {payload, len > 2048 ? 2048 : len};
		int fd = socket(ss.ss_family, SOCK_DGRAM, 0);
		if (connect(fd, (struct sockaddr *)&ss, sl)) {
			perror("connect");
			return 1;
		}
		for (int i = 0; i < BATCH; i++) {
			memset(&msgs[i], 0, sizeof(msgs[i]));
			msgs[i].msg_hdr.msg_iov = &iov;
			msgs[i].msg_hdr.msg_iovlen = 1;
		}
		while (now() < end) {
			int r = sendmmsg(fd, msgs, BATCH, 0);
			if (r > 0)
				n += r;
		}
	} else if (!strcmp(mode, "tcp-conn")) {
		while (now() < end) {
			int fd = socket(ss.ss_family, SOCK_STREAM, 0);
			struct linger lg = {1, 0}; /* RST on close: no TIME_WAIT pile-up */
			setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
			if (connect(fd, (struct sockaddr *)&ss, sl) == 0)
				n++;
			close(fd);
		}
	} else {
		return 2;
	}
	printf("%.0f\n", n / secs);
	return 0;
}
