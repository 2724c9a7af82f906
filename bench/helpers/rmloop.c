/* rm-forbid benchmark workload (static, shipped into the VM).
 *   rmloop unlink N DIR   N times: create DIR/f<i>, close, unlink it
 *   rmloop open N FILE    N times: open FILE, close
 * Prints the elapsed seconds. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: rmloop unlink|open N PATH\n");
		return 2;
	}
	long n = atol(argv[2]);
	char name[4096];
	double t0 = now();
	if (!strcmp(argv[1], "unlink")) {
		for (long i = 0; i < n; i++) {
			snprintf(name, sizeof(name), "%s/f%ld", argv[3], i);
			int fd = open(name, O_CREAT | O_WRONLY | O_TRUNC, 0600);
			if (fd < 0 || close(fd) || unlink(name)) {
				perror(name);
				return 1;
			}
		}
	} else {
		for (long i = 0; i < n; i++) {
			int fd = open(argv[3], O_RDONLY);
			if (fd < 0 || close(fd)) {
				perror(argv[3]);
				return 1;
			}
		}
	}
	printf("%.3f\n", now() - t0);
	return 0;
}
