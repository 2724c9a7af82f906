#!/usr/bin/env python3
# The workload of trace-file's host and VM tests: one of every traced
# operation on DIR, through relative paths, dirfds (dir_fd=) and a symlink.
import os
import sys

d = sys.argv[1]
os.chdir(d)
os.umask(0)
fd = os.open("rel.txt", os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o640)
os.write(fd, b"hello world")
os.close(fd)
fd = os.open("rel.txt", os.O_RDONLY | os.O_CLOEXEC)
os.read(fd, 11)
os.close(fd)
os.mkdir("sub", 0o750)
dfd = os.open("sub", os.O_RDONLY | os.O_DIRECTORY)
fd = os.open("at.txt", os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o600, dir_fd=dfd)
os.pwrite(fd, b"x" * 100, 0)
os.lseek(fd, 100, 0)
os.writev(fd, [b"abc", b"def"])
os.close(fd)
os.symlink("sub", "lnk")
fd = os.open("lnk/at.txt", os.O_RDONLY | os.O_CLOEXEC)  # through the symlink
os.read(fd, 4096)
os.ftruncate(os.open("at.txt", os.O_WRONLY, dir_fd=dfd), 1)
os.close(fd)
os.chmod("rel.txt", 0o600)
os.chown("rel.txt", 0, 0)
os.truncate("rel.txt", 3)
os.link("rel.txt", "hard.txt")
os.rename("hard.txt", "moved.txt", dst_dir_fd=dfd)
os.unlink("moved.txt", dir_fd=dfd)
try:
    open("nope/missing")
except OSError:
    pass
try:
    os.unlink("nofile")
except OSError:
    pass
os.mkdir("sub/empty")
os.rmdir("empty", dir_fd=dfd)
os.mkdir("sub/empty2")
os.rmdir("sub/empty2")
try:
    os.mkdir("sub")
except OSError:
    pass
os.unlink("lnk")
