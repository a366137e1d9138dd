"""The GPU architectures a CUDA library was compiled for, read from its ELF `.nv_fatbin` section.

torch.cuda.get_arch_list() answers the same question but needs torch imported (seconds, and it may
initialise CUDA). The fatbin section is a run of containers (magic 0xBA55ED50, a 16-byte header and
the size of its entries); each entry has its kind (1 PTX, 2 cubin), header size, payload size and, at
byte 28, the architecture number (75, 90, ...). Only headers are read, through mmap, with bounds.
"""
from __future__ import annotations

import mmap
import struct

from llmdoctor.errors import InputError

FATBIN_MAGIC = 0xBA55ED50
SECTION = b".nv_fatbin"
MAX_ENTRIES = 1_000_000        # libtorch_cuda has tens of thousands; stop well before anything absurd
KINDS = {1: "compute", 2: "sm"}


def fatbin_archs(path: str) -> list[str]:
    """The architectures the library's kernels were built for, torch style ('sm_90' machine code,
    'compute_90' PTX). A few bundled kernels (CUTLASS and friends) add architectures of their own;
    the build's list is what most kernels carry, so an architecture found in fewer than half as many
    kernel containers as the most common one is left out (torch 2.11+cu130: sm_89, sm_103, sm_121)."""
    counts = fatbin_arch_counts(path)
    if not counts:
        return []
    most = max(counts.values())
    return sorted((a for a, n in counts.items() if n * 2 >= most), key=_order)


def fatbin_arch_counts(path: str) -> dict[str, int]:
    """For each architecture, how many fatbin containers (kernel files) carry it."""
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
        start, size = _section(data, path)
        return _walk(data, start, start + size, path)


def _order(arch: str) -> tuple:
    kind, _, number = arch.partition("_")
    return (int(number) if number.isdigit() else 0, kind != "sm")


def _section(data, path: str) -> tuple[int, int]:
    if len(data) < 64 or data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise InputError(f"{path}: not a 64-bit little-endian ELF library")
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    if shentsize < 64 or shstrndx >= shnum or shoff + shnum * shentsize > len(data):
        raise InputError(f"{path}: section headers out of the file")
    headers = [struct.unpack_from("<IIQQQQ", data, shoff + i * shentsize) for i in range(shnum)]
    names_off = headers[shstrndx][4]
    for name, _type, _flags, _addr, off, size in headers:
        at = names_off + name
        if data[at:at + len(SECTION) + 1] == SECTION + b"\0":
            if off + size > len(data):
                raise InputError(f"{path}: .nv_fatbin runs past the end of the file")
            return off, size
    raise InputError(f"{path}: no .nv_fatbin section (not built with CUDA kernels)")


def _walk(data, p: int, end: int, path: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    seen = 0
    while p + 16 <= end:
        magic, _version, header, entries_size = struct.unpack_from("<IHHQ", data, p)
        if magic != FATBIN_MAGIC:
            p += 8                  # containers are 8-byte aligned; skip padding between them
            continue
        q, stop = p + header, min(p + header + entries_size, end)
        here = set()
        while q + 32 <= stop:
            kind, _, entry_header, payload = struct.unpack_from("<HHIQ", data, q)
            arch, = struct.unpack_from("<I", data, q + 28)
            if kind in KINDS and 10 <= arch < 1000:
                here.add(f"{KINDS[kind]}_{arch}")
            seen += 1
            if seen > MAX_ENTRIES or entry_header < 32:
                stop = -1
                break
            q += entry_header + payload
        for arch in here:
            counts[arch] = counts.get(arch, 0) + 1
        if stop < 0:
            return counts
        p = stop
    return counts
