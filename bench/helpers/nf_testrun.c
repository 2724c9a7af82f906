/*
 * nf_testrun LINK_PIN in|out 4|6 udp|tcp SRC DST DPORT REPEAT
 *
 * The kernel's own time per run of the netfilter program behind a pinned
 * link, on one synthetic packet (BPF_PROG_TEST_RUN, Linux >= 6.4): the
 * program runs REPEAT times back to back on one CPU, without the network
 * stack around it. Stable where packet-rate ratios swing, so the benchmark
 * prints it next to them. Prints "<ns per run> <verdict>".
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <linux/if_ether.h>
#include <linux/netfilter.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int die(const char *what)
{
	perror(what);
	return 1;
}

int main(int argc, char **argv)
{
	unsigned char pkt[128] = {0}, *p = pkt;
	unsigned char ctx[2]; /* struct nf_hook_state's leading hook and pf */
	struct bpf_link_info li;
	__u32 len = sizeof(li);
	int link, prog, v6, tcp, in, l4, ip;

	if (argc != 9) {
		fprintf(stderr, "usage: %s LINK_PIN in|out 4|6 udp|tcp SRC DST DPORT REPEAT\n", argv[0]);
		return 2;
	}
	in = !strcmp(argv[2], "in");
	v6 = !strcmp(argv[3], "6");
	tcp = !strcmp(argv[4], "tcp");
	link = bpf_obj_get(argv[1]);
	if (link < 0)
		return die(argv[1]);
	memset(&li, 0, sizeof(li));
	if (bpf_link_get_info_by_fd(link, &li, &len))
		return die("link info");
	prog = bpf_prog_get_fd_by_id(li.prog_id);
	if (prog < 0)
		return die("program fd");

	/* LOCAL_IN runs take an Ethernet frame (the kernel's eth_type_trans);
	 * LOCAL_OUT runs start at the IP header. */
	if (in) {
		p[12] = v6 ? 0x86 : 0x08;
		p[13] = v6 ? 0xdd : 0x00;
		p += ETH_HLEN;
	}
	l4 = tcp ? 20 : 8;
	if (v6) {
		p[0] = 0x60;
		*(unsigned short *)(p + 4) = htons(l4);
		p[6] = tcp ? IPPROTO_TCP : IPPROTO_UDP;
		p[7] = 64;
		if (inet_pton(AF_INET6, argv[5], p + 8) != 1 || inet_pton(AF_INET6, argv[6], p + 24) != 1)
			return fprintf(stderr, "bad IPv6 address\n"), 2;
		ip = 40;
	} else {
		p[0] = 0x45;
		*(unsigned short *)(p + 2) = htons(20 + l4);
		p[8] = 64;
		p[9] = tcp ? IPPROTO_TCP : IPPROTO_UDP;
		if (inet_pton(AF_INET, argv[5], p + 12) != 1 || inet_pton(AF_INET, argv[6], p + 16) != 1)
			return fprintf(stderr, "bad IPv4 address\n"), 2;
		ip = 20;
	}
	*(unsigned short *)(p + ip) = htons(40000);
	*(unsigned short *)(p + ip + 2) = htons(atoi(argv[7]));
	if (tcp)
		p[ip + 12] = 5 << 4;
	else
		*(unsigned short *)(p + ip + 4) = htons(8);
	ctx[0] = in ? NF_INET_LOCAL_IN : NF_INET_LOCAL_OUT;
	ctx[1] = v6 ? NFPROTO_IPV6 : NFPROTO_IPV4;

	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = (__u32)(p - pkt) + ip + l4, .ctx_in = ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = atoi(argv[8]));
	if (bpf_prog_test_run_opts(prog, &o))
		return die("BPF_PROG_TEST_RUN");
	printf("%u %u\n", o.duration, o.retval);
	close(prog);
	close(link);
	return 0;
}
