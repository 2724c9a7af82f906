#!/usr/bin/env python3
"""Print the ids of every BPF program, map and link ("prog 12", "map 40", ...).

Uses BPF_*_GET_NEXT_ID, which needs no descriptor of the objects: kwarden's
guard refuses descriptors for its own objects (even to bpftool), but ids can
still be listed, so the package test can tell which objects were ours."""
import ctypes
import os
import sys

libc = ctypes.CDLL(None, use_errno=True)
SYS_bpf = 321  # x86-64
CMDS = {"prog": 11, "map": 12, "link": 31}


class Attr(ctypes.Structure):
    _fields_ = [("start_id", ctypes.c_uint32), ("next_id", ctypes.c_uint32),
                ("open_flags", ctypes.c_uint32), ("pad", ctypes.c_uint8 * 116)]


for kind, cmd in CMDS.items():
    start = 0
    while True:
        a = Attr(start_id=start)
        if libc.syscall(SYS_bpf, cmd, ctypes.byref(a), ctypes.sizeof(a)) != 0:
            e = ctypes.get_errno()
            if e == 2:  # ENOENT: no more
                break
            sys.exit(f"bpf_ids: BPF {kind} GET_NEXT_ID: {os.strerror(e)}")
        print(kind, a.next_id)
        start = a.next_id
