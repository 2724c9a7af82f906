/* How hard the verifier worked for a loaded BPF program (test helper, not installed).
 *   verified-insns PIN|PROG_ID...
 * PIN: a pinned link or program under /sys/fs/bpf; PROG_ID: a program id.
 * Prints "NAME PROG_ID VERIFIED_INSNS ARG" per argument (NAME is cut to 15
 * characters by the kernel; ARG tells them apart); exits 1 if any failed.
 * bpftool on Debian 12 does not show bpf_prog_info.verified_insns, and the
 * kernel refuses a program past 1,000,000 of them: the tests keep a budget
 * under that (test/lib.sh, kw_verifier_budget). 0 means the kernel predates
 * the field (Linux 5.16). */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A pin may hold a link or a program; the anon inode's name says which. */
static int is_link(int fd)
{
	char proc[64], target[64];
	ssize_t n;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	n = readlink(proc, target, sizeof(target) - 1);
	if (n < 0)
		return 0;
	target[n] = 0;
	return strcmp(target, "anon_inode:bpf-link") == 0;
}

static int show(const char *arg)
{
	struct bpf_prog_info info = {0};
	__u32 len = sizeof(info);
	char *end;
	unsigned long id = strtoul(arg, &end, 10);
	int fd;

	if (*arg && !*end) {
		fd = bpf_prog_get_fd_by_id(id);
	} else {
		fd = bpf_obj_get(arg);
		if (fd < 0) {
			fprintf(stderr, "verified-insns: %s: cannot open the pin: %s\n", arg, strerror(errno));
			return -1;
		}
		if (is_link(fd)) {
			struct bpf_link_info link = {0};
			__u32 llen = sizeof(link);

			if (bpf_link_get_info_by_fd(fd, &link, &llen)) {
				fprintf(stderr, "verified-insns: %s: link info: %s\n", arg, strerror(errno));
				close(fd);
				return -1;
			}
			close(fd);
			id = link.prog_id;
			fd = bpf_prog_get_fd_by_id(id);
		}
	}
	if (fd < 0) {
		int err = errno;

		fprintf(stderr, "verified-insns: %s: program id %lu: %s%s\n", arg, id, strerror(err),
			err == EPERM ? " (is its daemon's guard on? docs/guard.md)" : "");
		return -1;
	}
	if (bpf_prog_get_info_by_fd(fd, &info, &len)) {
		fprintf(stderr, "verified-insns: %s: program info: %s\n", arg, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	printf("%s %u %u %s\n", info.name[0] ? info.name : "-", info.id, info.verified_insns, arg);
	return 0;
}

int main(int argc, char **argv)
{
	int rc = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: verified-insns PIN|PROG_ID... (see test/helpers/verified_insns.c)\n");
		return 2;
	}
	for (int i = 1; i < argc; i++)
		if (show(argv[i]))
			rc = 1;
	return rc;
}
