"""Opening input files safely: regular files only, refused by stat() before open() (a FIFO named
model.gguf, /dev/zero or a symlink to it would block or never end), with a size cap on whole reads.
Every reader of user input goes through here. Foundations: imports nothing above llmdoctor.errors."""
from __future__ import annotations

import errno
import os
import stat
from typing import BinaryIO

from llmdoctor.errors import InputError

_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def describe_os_error(path: str, exc: OSError) -> str:
    """One line for an OSError on `path`."""
    if exc.errno == errno.ELOOP:
        return f"{path}: symlink loop"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"{path}: permission denied"
    if exc.errno == errno.ENOENT:
        return f"{path}: no such file"
    if exc.errno == errno.EISDIR:
        return f"{path}: is a directory, expected a file"
    return f"{path}: cannot read ({exc.strerror or exc.__class__.__name__})"


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def open_regular(path: str, what: str = "file") -> BinaryIO:
    """A binary handle on `path`, which must be a regular file (symlinks to one are fine)."""
    try:
        st = os.stat(path)
    except OSError as exc:
        raise InputError(describe_os_error(str(path), exc)) from None
    except ValueError:                              # an embedded NUL
        raise InputError(f"{path!r}: not a valid path") from None
    if not stat.S_ISREG(st.st_mode):
        raise InputError(f"{path}: is {_kind(st.st_mode)}, expected a {what}")
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise InputError(describe_os_error(str(path), exc)) from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):      # swapped between stat and open
        os.close(fd)
        raise InputError(f"{path}: changed while being opened; expected a {what}")
    return os.fdopen(fd, "rb")


def read_regular(path: str, limit: int, what: str = "file") -> bytes:
    """The whole of a regular file of at most `limit` bytes."""
    with open_regular(path, what) as fh:
        size = os.fstat(fh.fileno()).st_size
        if size > limit:
            raise InputError(f"{path}: {size} bytes, over the {limit}-byte limit for a {what}")
        try:
            data = fh.read(limit + 1)
        except OSError as exc:
            raise InputError(describe_os_error(str(path), exc)) from None
    if len(data) > limit:                           # a file that grew, or a /proc-style size of 0
        raise InputError(f"{path}: over the {limit}-byte limit for a {what}")
    return data


MAX_NESTING = 64


def nesting_depth(value, limit: int = MAX_NESTING) -> int:
    """How deeply lists and objects nest in a JSON value, counted without recursion (stops past `limit`)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, (list, dict)):
            deepest = max(deepest, depth)
            if deepest > limit:
                return deepest
            stack.extend((child, depth + 1) for child in (node.values() if isinstance(node, dict) else node))
    return deepest


def check_nesting(value, where: str, limit: int = MAX_NESTING) -> None:
    if nesting_depth(value, limit) > limit:
        raise InputError(f"{where}: JSON nested more than {limit} levels deep")


def address_space_bytes() -> int:
    """This process's virtual memory size (Linux /proc); OSError elsewhere."""
    import resource
    with open("/proc/self/statm", "rb") as fh:
        return int(fh.read().split()[0]) * resource.getpagesize()
