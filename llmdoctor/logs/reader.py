"""Bounded reading of a log file or stdin; binary input is refused with one line (exit 2)."""
from __future__ import annotations

import sys

from llmdoctor.errors import InputError

MAX_BYTES = 64 * 1024 * 1024      # a pasted or docker log; anything larger is cut, not loaded whole


def read_log_bytes(path: str, max_bytes: int = MAX_BYTES) -> tuple[bytes, bool]:
    """Return (data, truncated). `-` reads stdin."""
    try:
        if path == "-":
            data = sys.stdin.buffer.read(max_bytes + 1)
        else:
            from llmdoctor.safe_io import open_regular
            with open_regular(path, "log file") as fh:
                data = fh.read(max_bytes + 1)
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, not a log file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    truncated = len(data) > max_bytes
    return data[:max_bytes], truncated


def decode_log(data: bytes, name: str) -> str:
    """UTF-8 (with a BOM or UTF-16 as Windows tools write it) or refuse: a log is text."""
    if data.startswith(b"\xff\xfe") or data.startswith(b"\xfe\xff"):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise InputError(f"{name}: not a text log (bad UTF-16)") from None
    sample = data[:65536]
    if b"\x00" in sample:
        raise InputError(f"{name}: binary data, not a text log")
    text = data.decode("utf-8", errors="replace").lstrip("\ufeff")
    head = text[:65536]
    if head:
        bad = sum(1 for ch in head if ch == "\ufffd" or (ord(ch) < 32 and ch not in "\t\n\r\x1b\x0c"))
        if bad / len(head) > 0.05:                # a few stray bytes are tolerated, a blob is not
            raise InputError(f"{name}: binary data, not a text log")
    return text
