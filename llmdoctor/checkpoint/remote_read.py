"""Reading fetched header bytes with the same bounded readers as local files.

The readers (read_model and below) open files, check every tensor's offsets against the file's size,
and never read tensor data. A remote model is therefore read through stand-ins in a private temporary
directory: a small side file (config.json, ...) is a link to its copy in the cache, and a weight file
is its header bytes followed by a hole up to its real size (a sparse file: the disk holds only the
header). read_model reads that directory exactly as it reads a local model; the directory is removed
afterwards, and the model's path and any message name the remote model instead.

The GGUF header's length is not known before it is parsed, so a GGUF file's bytes are first parsed
from a RemotePrefix (fetched on demand) with the reader's own parser; that says where the tensor data
begins, and only the bytes before it are kept.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from typing import Optional

from llmdoctor.checkpoint.remote_http import RemoteError, RemotePrefix
from llmdoctor.errors import InputError

SPARSE_SLACK = 16 << 20          # a stand-in may take this much more disk than its header


def parse_gguf_prefix(prefix: RemotePrefix, label: str, split: int = 0):
    """The GGUF header of a remote file, parsed by gguf_reader's bounded parser; the prefix then holds
    at least the bytes before the tensor data (header.data_offset)."""
    from llmdoctor.checkpoint.gguf_reader import _Cursor, _parse
    header = _parse(_Cursor(prefix, prefix.size, label), split)
    prefix.ensure(header.data_offset, exact=True)
    return header


def plain_name(name: str, where: str) -> str:
    base = name.rsplit("/", 1)[-1]
    if base in ("", ".", "..") or "\\" in base or "\x00" in base or len(base) > 255:
        raise RemoteError(where, f"file name {name[:80]!r} is not a plain file name")
    return base


class Shadow:
    """A temporary directory of stand-ins for a remote model's files."""

    def __init__(self, label: str):
        self.label = label
        self.dir = tempfile.mkdtemp(prefix="llmdoctor-remote-")

    def __enter__(self) -> "Shadow":
        return self

    def __exit__(self, *exc) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)

    def path(self, name: str) -> str:
        return os.path.join(self.dir, plain_name(name, self.label))

    def link(self, name: str, target: str) -> str:
        """A side file already in the cache."""
        path = self.path(name)
        try:
            os.symlink(os.path.abspath(target), path)
        except OSError:
            shutil.copyfile(target, path)
        return path

    def header_only(self, name: str, header: bytes, size: int) -> str:
        """A weight file: its header, then a hole up to `size`."""
        if os.name == "nt":
            raise RemoteError(self.label, "remote reads need sparse files, which this reader does not make on Windows yet")
        path = self.path(name)
        with open(path, "xb") as fh:
            fh.write(header)
            fh.truncate(size)
        st = os.stat(path)
        if getattr(st, "st_blocks", 0) * 512 > len(header) + SPARSE_SLACK:
            os.unlink(path)
            raise RemoteError(self.label, f"the temporary directory ({tempfile.gettempdir()}) does not keep sparse "
                                          "files; point TMPDIR at one that does (ext4, xfs, btrfs, tmpfs, APFS)")
        return path

    def read(self, entry: Optional[str] = None):
        """read_model on the stand-ins; the result and its messages name the remote model."""
        from llmdoctor.checkpoint import read_model
        try:
            info = read_model(entry or self.dir)
        except InputError as exc:
            raise InputError(self.relabel(str(exc))) from None
        info.path = self.label
        info.notes = [self.relabel(n) for n in info.notes]
        return info

    def relabel(self, text: str) -> str:
        return text.replace(self.dir + os.sep, self.label + "/").replace(self.dir, self.label)
