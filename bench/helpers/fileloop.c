// Benchmark workload for trace-file: `fileloop open N FILE` opens and closes
// FILE N times; `fileloop rw N FILE` makes N calls alternating pwrite and
// pread of 64 bytes. Prints the loop's wall time in seconds on stderr.
// Built statically so that no loader activity adds file events.
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
		fprintf(stderr, "usage: fileloop open|rw N FILE\n");
		return 2;
	}
	long n = atol(argv[2]);
	const char *path = argv[3];
	char buf[64];
	memset(buf, 'x', sizeof(buf));
	double t0 = now();
	if (strcmp(argv[1], "open") == 0) {
		for (long i = 0; i < n; i++) {
			int fd = open(path, O_RDONLY);
			if (fd < 0) {
				perror("open");
				return 1;
			}
			close(fd);
		}
	} else {
		int fd = open(path, O_RDWR);
		if (fd < 0) {
			perror("open");
			return 1;
		}
		for (long i = 0; i < n; i++) {
			ssize_t r = (i & 1) ? pread(fd, buf, sizeof(buf), 0) : pwrite(fd, buf, sizeof(buf), 0);
			if (r < 0) {
				perror("rw");
				return 1;
			}
		}
		close(fd);
	}
	fprintf(stderr, "%.3f\n", now() - t0);
	return 0;
}
