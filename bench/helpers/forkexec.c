/* Benchmark workload: N x (fork, exec argv, wait); prints elapsed seconds.
 * An argument "@MARK" is replaced by $KW_MARK, so the marker that tracers'
 * captures are counted by appears only in the children's argv. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: forkexec N PROGRAM [ARGS...]\n");
		return 2;
	}
	long n = atol(argv[1]);
	for (int i = 2; i < argc; i++)
		if (!strcmp(argv[i], "@MARK") && getenv("KW_MARK"))
			argv[i] = getenv("KW_MARK");
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < n; i++) {
		pid_t p = fork();
		if (p == 0) {
			execv(argv[2], argv + 2);
			_exit(127);
		}
		int st;
		if (p < 0 || waitpid(p, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st)) {
			fprintf(stderr, "forkexec: iteration %ld failed\n", i);
			return 1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%.3f\n", (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9);
	return 0;
}
