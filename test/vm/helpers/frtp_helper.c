// frtp VM test helper: operations a shell cannot do directly. Exit 0 when the
// operation succeeded, 1 when it failed with EACCES/EPERM, 2 otherwise.
//   frtp_helper uring-open PATH      openat through io_uring (no syscall tracepoint sees it)
//   frtp_helper mmap-exec PATH       mmap(PROT_READ|PROT_EXEC) of the file
//   frtp_helper mprotect-exec PATH   mmap(PROT_READ), then mprotect(+PROT_EXEC)
//   frtp_helper open-loop PATH N     open+close N times (benchmark)
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static int result(const char *what, int err)
{
	if (!err) {
		printf("%s: ok\n", what);
		return 0;
	}
	printf("%s: %s\n", what, strerror(err));
	return (err == EACCES || err == EPERM) ? 1 : 2;
}

static int uring_open(const char *path)
{
	struct io_uring_params p;
	memset(&p, 0, sizeof(p));
	int fd = syscall(__NR_io_uring_setup, 4, &p);
	if (fd < 0)
		return result("io_uring_setup", errno) ? 2 : 2;
	size_t sq_sz = p.sq_off.array + p.sq_entries * sizeof(unsigned);
	size_t cq_sz = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	char *sq = mmap(NULL, sq_sz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQ_RING);
	char *cq = mmap(NULL, cq_sz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_CQ_RING);
	struct io_uring_sqe *sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE,
					 MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQES);
	if (sq == MAP_FAILED || cq == MAP_FAILED || sqes == MAP_FAILED)
		return result("io_uring mmap", errno) ? 2 : 2;
	unsigned *tail = (unsigned *)(sq + p.sq_off.tail);
	unsigned mask = *(unsigned *)(sq + p.sq_off.ring_mask);
	unsigned *array = (unsigned *)(sq + p.sq_off.array);
	unsigned idx = *tail & mask;
	struct io_uring_sqe *e = &sqes[idx];
	memset(e, 0, sizeof(*e));
	e->opcode = IORING_OP_OPENAT;
	e->fd = AT_FDCWD;
	e->addr = (unsigned long)path;
	e->open_flags = O_RDONLY;
	array[idx] = idx;
	__atomic_store_n(tail, *tail + 1, __ATOMIC_RELEASE);
	if (syscall(__NR_io_uring_enter, fd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0)
		return result("io_uring_enter", errno) ? 2 : 2;
	unsigned *chead = (unsigned *)(cq + p.cq_off.head);
	unsigned cmask = *(unsigned *)(cq + p.cq_off.ring_mask);
	struct io_uring_cqe *cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
	int res = cqes[*chead & cmask].res;
	__atomic_store_n(chead, *chead + 1, __ATOMIC_RELEASE);
	return result("io_uring openat", res < 0 ? -res : 0);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: frtp_helper uring-open|mmap-exec|mprotect-exec|open-loop PATH [N]\n");
		return 2;
	}
	const char *cmd = argv[1], *path = argv[2];
	if (!strcmp(cmd, "uring-open"))
		return uring_open(path);
	if (!strcmp(cmd, "open-loop")) {
		long n = argc > 3 ? atol(argv[3]) : 1000;
		for (long i = 0; i < n; i++) {
			int fd = open(path, O_RDONLY);
			if (fd < 0)
				return result("open", errno);
			close(fd);
		}
		return 0;
	}
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return result("open", errno);
	if (!strcmp(cmd, "mmap-exec")) {
		void *m = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
		return result("mmap PROT_EXEC", m == MAP_FAILED ? errno : 0);
	}
	if (!strcmp(cmd, "mprotect-exec")) {
		void *m = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
		if (m == MAP_FAILED)
			return result("mmap PROT_READ", errno);
		return result("mprotect PROT_EXEC", mprotect(m, 4096, PROT_READ | PROT_EXEC) ? errno : 0);
	}
	fprintf(stderr, "unknown command %s\n", cmd);
	return 2;
}
