/*
 * #define constants of the kernel that BTF (and so vmlinux.h) does not carry.
 * Each names the kernel header it comes from; values are the x86-64 ABI.
 * Included by BPF code (after vmlinux.h) and by user space.
 */
#ifndef KW_KERNEL_CONSTS_H
#define KW_KERNEL_CONSTS_H

/* include/uapi/asm-generic/errno-base.h */
#define KW_EPERM 1
#define KW_EACCES 13
#define KW_EBUSY 16
#define KW_EEXIST 17

/* include/uapi/asm-generic/signal.h */
#define KW_SIGHUP 1

/* include/uapi/linux/magic.h */
#define KW_PROC_SUPER_MAGIC 0x9fa0

/* include/linux/ptrace.h: ptrace_may_access() modes */
#define KW_PTRACE_MODE_ATTACH 0x02

/* include/uapi/asm-generic/mman-common.h */
#define KW_PROT_READ 0x1
#define KW_PROT_WRITE 0x2
#define KW_PROT_EXEC 0x4

/* include/uapi/asm-generic/fcntl.h (octal) */
#define KW_O_ACCMODE 00000003
#define KW_O_CREAT 00000100
#define KW_O_TRUNC 00001000
#define KW_O_APPEND 00002000

/* include/linux/fs.h: file->f_mode bits */
#define KW_FMODE_READ (1U << 0)
#define KW_FMODE_WRITE (1U << 1)
#define KW_FMODE_EXEC (1U << 5)

/* include/linux/mm.h: vma->vm_flags */
#define KW_VM_READ 0x00000001UL
#define KW_VM_EXEC 0x00000004UL

/* include/uapi/linux/mman.h: mmap flags */
#define KW_MAP_SHARED 0x01

/* include/linux/fs.h: permission masks (security_file_permission) */
#define KW_MAY_WRITE 0x00000002
#define KW_MAY_READ 0x00000004
#define KW_MAY_APPEND 0x00000008

/* include/uapi/linux/xattr.h */
#define KW_XATTR_SECURITY_PREFIX "security."
#define KW_XATTR_NAME_POSIX_ACL_ACCESS "system.posix_acl_access"
#define KW_XATTR_NAME_POSIX_ACL_DEFAULT "system.posix_acl_default"

/* include/linux/kdev_t.h: the kernel's dev_t is major << 20 | minor */
#define KW_MINORBITS 20

/* include/uapi/linux/fcntl.h */
#define KW_AT_FDCWD -100
#define KW_AT_REMOVEDIR 0x200

/* include/uapi/linux/stat.h (octal) */
#define KW_S_IFMT 00170000
#define KW_S_IFREG 0100000
#define KW_S_IFDIR 0040000

/* include/uapi/linux/fs.h: renameat2(2) flags */
#define KW_RENAME_EXCHANGE (1 << 1)

/* include/uapi/linux/magic.h: filesystems whose files have no path a
 * policy could name (processes, kernel objects, pipes, sockets) */
#define KW_PROC_SUPER_MAGIC 0x9fa0
#define KW_SYSFS_MAGIC 0x62656572
#define KW_CGROUP_SUPER_MAGIC 0x27e0eb
#define KW_CGROUP2_SUPER_MAGIC 0x63677270
#define KW_BPF_FS_MAGIC 0xcafe4a11
#define KW_DEBUGFS_MAGIC 0x64626720
#define KW_TRACEFS_MAGIC 0x74726163
#define KW_SECURITYFS_MAGIC 0x73636673
#define KW_PIPEFS_MAGIC 0x50495045
#define KW_SOCKFS_MAGIC 0x534F434B
#define KW_ANON_INODE_FS_MAGIC 0x09041934
#define KW_NSFS_MAGIC 0x6e736673
#define KW_DEVPTS_SUPER_MAGIC 0x1cd1

/* include/uapi/linux/netfilter.h: verdicts */
#define KW_NF_DROP 0
#define KW_NF_ACCEPT 1

/* include/linux/skbuff.h: skb->_nfct is the nf_conn pointer with the
 * enum ip_conntrack_info in its low bits */
#define KW_NFCT_INFOMASK 7UL

/* include/uapi/linux/if_ether.h: skb->protocol, in network order */
#define KW_ETH_P_IP 0x0800
#define KW_ETH_P_IPV6 0x86DD

/* include/uapi/linux/icmp.h: the ICMP errors and replies (they answer
 * another flow) */
#define KW_ICMP_ECHOREPLY 0
#define KW_ICMP_DEST_UNREACH 3
#define KW_ICMP_SOURCE_QUENCH 4
#define KW_ICMP_REDIRECT 5
#define KW_ICMP_TIME_EXCEEDED 11
#define KW_ICMP_PARAMETERPROB 12
#define KW_ICMP_TIMESTAMPREPLY 14
/* include/uapi/linux/icmpv6.h: types below 128 are errors */
#define KW_ICMPV6_INFO_MIN 128
#define KW_ICMPV6_ECHO_REPLY 129

/* include/linux/socket.h */
#define KW_AF_INET 2
#define KW_AF_INET6 10

/* include/uapi/linux/in6.h: IPv6 extension headers */
#define KW_IPPROTO_HOPOPTS 0
#define KW_IPPROTO_ROUTING 43
#define KW_IPPROTO_FRAGMENT 44
#define KW_IPPROTO_DSTOPTS 60
#define KW_IPPROTO_ICMPV6 58

#endif
