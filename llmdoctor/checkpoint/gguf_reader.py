"""A bounded GGUF header reader (v2/v3, little-endian): metadata and tensor infos, never tensor data.

Layout (ggml `docs/gguf.md`): magic "GGUF", u32 version, u64 tensor count, u64 KV count, the KV
pairs (string key, u32 value type, value), the tensor infos (string name, u32 n_dims, u64 dims,
u32 ggml type, u64 offset), padding to `general.alignment` (default 32), then the data.

Large arrays (a 150k-entry token list, merges, scores) are skipped: numeric ones by one seek,
string ones by walking each element's length prefix without decoding. Every count and length is
checked against what the file can still hold before anything is allocated.
"""
from __future__ import annotations

import os
import re
import struct
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from llmdoctor.checkpoint.bounded_io import describe_os_error
from llmdoctor.checkpoint.ggml_types import GGML_TYPES
from llmdoctor.errors import InputError

MAGIC = b"GGUF"
MAX_KV = 1_000_000
MAX_TENSORS = 10_000_000
MAX_KEY_BYTES = 65_536
MAX_STRING_BYTES = 64 * 1024 * 1024          # chat templates run to a few hundred KB
MAX_TENSOR_NAME = 1024                        # ggml's own limit is 64
MAX_DIMS = 4                                  # GGML_MAX_DIMS
MAX_DIM = 1 << 50
KEEP_ARRAY_MAX = 4096                         # per-layer arrays are kept; vocab-sized ones skipped
MAX_ARRAY_DEPTH = 3
MAX_SPLITS = 9_999
CHUNK = 1 << 20

T_STRING, T_ARRAY = 8, 9
SCALAR_FORMATS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?",
                  10: "<Q", 11: "<q", 12: "<d"}
SCALAR_STRUCTS = {t: struct.Struct(f) for t, f in SCALAR_FORMATS.items()}
_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")
_SPLIT_NAME = re.compile(r"^(?P<stem>.*)-(?P<no>\d{5})-of-(?P<count>\d{5})\.gguf$")


@dataclass(frozen=True)
class SkippedArray:
    """An array left unread; its length is what we need (vocab size = len(tokenizer.ggml.tokens))."""
    element_type: int
    count: int


@dataclass(frozen=True)
class GGUFTensor:
    name: str
    shape: tuple[int, ...]
    ggml_type: int
    offset: int
    nbytes: int
    split: int = 0

    @property
    def type_name(self) -> str:
        return GGML_TYPES[self.ggml_type][0]


@dataclass
class GGUFHeader:
    path: str
    version: int
    file_bytes: int
    metadata: dict[str, Any]
    tensors: list[GGUFTensor]
    data_offset: int
    alignment: int = 32
    split_files: list[str] = field(default_factory=list)


class _Cursor:
    """Buffered little-endian reads with absolute-position bounds."""

    def __init__(self, handle: BinaryIO, file_bytes: int, path: str):
        self.handle, self.file_bytes, self.path = handle, file_bytes, path
        self.buf, self.pos, self.base = b"", 0, 0

    @property
    def offset(self) -> int:
        return self.base + self.pos

    def remaining(self) -> int:
        return self.file_bytes - self.offset

    def need(self, n: int) -> None:
        if self.pos + n <= len(self.buf):
            return
        if n > self.remaining():
            raise InputError(f"{self.path}: truncated GGUF header at byte {self.offset}")
        if self.pos > len(self.buf):                  # a skip jumped past the buffer
            self.handle.seek(self.offset)
            self.base, self.buf, self.pos = self.offset, b"", 0
        rest = self.buf[self.pos:]
        self.base += self.pos
        self.buf = rest + self.handle.read(max(n - len(rest), CHUNK))
        self.pos = 0
        if len(self.buf) < n:
            raise InputError(f"{self.path}: truncated GGUF header at byte {self.offset}")

    def skip(self, n: int) -> None:
        if n > self.remaining():
            raise InputError(f"{self.path}: GGUF value of {n} bytes runs past the end of the file")
        self.pos += n

    def u32(self) -> int:
        self.need(4)
        (value,) = _U32.unpack_from(self.buf, self.pos)
        self.pos += 4
        return value

    def u64(self) -> int:
        self.need(8)
        (value,) = _U64.unpack_from(self.buf, self.pos)
        self.pos += 8
        return value

    def scalar(self, value_type: int):
        fmt = SCALAR_STRUCTS[value_type]
        self.need(fmt.size)
        (value,) = fmt.unpack_from(self.buf, self.pos)
        self.pos += fmt.size
        return value

    def raw_string(self, limit: int, what: str) -> bytes:
        length = self.u64()
        if length > limit or length > self.remaining():
            raise InputError(f"{self.path}: {what} of {length} bytes at byte {self.offset - 8} is too long")
        self.need(length)
        data = self.buf[self.pos:self.pos + length]
        self.pos += length
        return data

    def strict_string(self, limit: int, what: str) -> str:
        data = self.raw_string(limit, what)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise InputError(f"{self.path}: {what} at byte {self.offset - len(data)} is not valid UTF-8") from None

    def skip_strings(self, count: int) -> None:
        """Walk `count` length-prefixed strings without decoding them (the 150k-token case).
        The loop keeps its state in locals: it runs once per vocabulary entry."""
        unpack = _U64.unpack_from
        buf, pos = self.buf, self.pos
        end_of_file = self.file_bytes - self.base          # in buffer coordinates
        for _ in range(count):
            if pos + 8 > len(buf):
                self.pos = pos
                self.need(8)
                buf, pos = self.buf, self.pos
                end_of_file = self.file_bytes - self.base
            (length,) = unpack(buf, pos)
            pos += 8 + length
            if length > MAX_STRING_BYTES or pos > end_of_file:
                self.pos = pos - length
                raise InputError(f"{self.path}: array string of {length} bytes at byte {self.offset - 8} is too long")
        self.pos = pos


def _read_value(cur: _Cursor, value_type: int, key: str, depth: int = 0):
    if value_type in SCALAR_STRUCTS:
        return cur.scalar(value_type)
    if value_type == T_STRING:
        return cur.raw_string(MAX_STRING_BYTES, f"value of {key!r}").decode("utf-8", "replace")
    if value_type == T_ARRAY:
        if depth >= MAX_ARRAY_DEPTH:
            raise InputError(f"{cur.path}: arrays nested too deeply in {key!r}")
        element_type = cur.u32()
        count = cur.u64()
        if element_type in SCALAR_STRUCTS:
            size = SCALAR_STRUCTS[element_type].size
            if count * size > cur.remaining():
                raise InputError(f"{cur.path}: array {key!r} of {count} elements runs past the end of the file")
            if count > KEEP_ARRAY_MAX:
                cur.skip(count * size)
                return SkippedArray(element_type, count)
            cur.need(count * size)
            values = list(struct.unpack_from(f"<{count}{SCALAR_FORMATS[element_type][1]}", cur.buf, cur.pos))
            cur.pos += count * size
            return values
        if element_type == T_STRING:
            if count * 8 > cur.remaining():
                raise InputError(f"{cur.path}: array {key!r} of {count} strings runs past the end of the file")
            if count > KEEP_ARRAY_MAX:
                cur.skip_strings(count)
                return SkippedArray(element_type, count)
            return [cur.raw_string(MAX_STRING_BYTES, f"element of {key!r}").decode("utf-8", "replace") for _ in range(count)]
        if element_type == T_ARRAY:
            if count * 12 > cur.remaining():
                raise InputError(f"{cur.path}: array {key!r} of {count} arrays runs past the end of the file")
            items = [_read_value(cur, T_ARRAY, key, depth + 1) for _ in range(count)]
            return items if count <= KEEP_ARRAY_MAX else SkippedArray(element_type, count)
        raise InputError(f"{cur.path}: array {key!r} has unknown element type {element_type}")
    raise InputError(f"{cur.path}: metadata {key!r} has unknown value type {value_type}")


def read_gguf_header(path: str, split: int = 0) -> GGUFHeader:
    from llmdoctor.safe_io import open_regular
    try:
        with open_regular(path, "GGUF file") as handle:
            file_bytes = os.fstat(handle.fileno()).st_size
            return _parse(_Cursor(handle, file_bytes, path), split)
    except OSError as exc:
        raise InputError(describe_os_error(path, exc)) from None


def _parse(cur: _Cursor, split: int) -> GGUFHeader:
    path = cur.path
    if cur.file_bytes < 24:
        raise InputError(f"{path}: {cur.file_bytes} bytes, too small for a GGUF header")
    cur.need(4)
    if cur.buf[:4] != MAGIC:
        raise InputError(f"{path}: not a GGUF file (bad magic)")
    cur.pos = 4
    version = cur.u32()
    if version not in (2, 3):
        if version in (1,):
            raise InputError(f"{path}: GGUF version 1 is not supported (re-convert the model)")
        if version & 0xFFFF == 0 and (version >> 24) in (2, 3):
            raise InputError(f"{path}: big-endian GGUF is not supported")
        raise InputError(f"{path}: unsupported GGUF version {version}")
    tensor_count = cur.u64()
    kv_count = cur.u64()
    if kv_count > MAX_KV or kv_count * 12 > cur.remaining():
        raise InputError(f"{path}: GGUF claims {kv_count} metadata entries, more than the file can hold")
    if tensor_count > MAX_TENSORS or tensor_count * 24 > cur.remaining():
        raise InputError(f"{path}: GGUF claims {tensor_count} tensors, more than the file can hold")
    metadata: dict[str, Any] = {}
    for _ in range(kv_count):
        key = cur.strict_string(MAX_KEY_BYTES, "metadata key")
        value_type = cur.u32()
        metadata[key] = _read_value(cur, value_type, key)
    alignment = metadata.get("general.alignment", 32)
    if not isinstance(alignment, int) or alignment <= 0 or alignment & (alignment - 1) or alignment > 1 << 20:
        raise InputError(f"{path}: general.alignment {alignment!r} is not a power of two")
    infos = [_tensor_info(cur) for _ in range(tensor_count)]
    data_offset = -(-cur.offset // alignment) * alignment
    tensors = _check_tensors(infos, data_offset, cur.file_bytes, alignment, path, split)
    return GGUFHeader(path=path, version=version, file_bytes=cur.file_bytes, metadata=metadata,
                      tensors=tensors, data_offset=data_offset, alignment=alignment)


def _tensor_info(cur: _Cursor) -> tuple[str, tuple[int, ...], int, int]:
    name = cur.strict_string(MAX_TENSOR_NAME, "tensor name")
    n_dims = cur.u32()
    if not 1 <= n_dims <= MAX_DIMS:
        raise InputError(f"{cur.path}: tensor {name!r} has {n_dims} dimensions")
    dims = tuple(cur.u64() for _ in range(n_dims))
    if any(d > MAX_DIM for d in dims):
        raise InputError(f"{cur.path}: tensor {name!r} has an impossible dimension")
    ggml_type = cur.u32()
    offset = cur.u64()
    if ggml_type not in GGML_TYPES:
        raise InputError(f"{cur.path}: tensor {name!r} has unknown ggml type {ggml_type} (newer than this reader?)")
    return name, dims, ggml_type, offset


def _check_tensors(infos, data_offset: int, file_bytes: int, alignment: int, path: str, split: int) -> list[GGUFTensor]:
    tensors, seen = [], set()
    data_bytes = file_bytes - data_offset
    for name, dims, ggml_type, offset in infos:
        if name in seen:
            raise InputError(f"{path}: duplicate tensor {name!r}")
        seen.add(name)
        _, block, size = GGML_TYPES[ggml_type]
        if dims[0] % block:
            raise InputError(f"{path}: tensor {name!r} row of {dims[0]} is not a multiple of its block size {block}")
        numel = 1
        for d in dims:
            numel *= d
        nbytes = numel // block * size
        if offset % alignment:
            raise InputError(f"{path}: tensor {name!r} offset {offset} is not aligned to {alignment}")
        if offset + nbytes > data_bytes:
            raise InputError(f"{path}: tensor {name!r} extends past the end of the file (truncated?)")
        tensors.append(GGUFTensor(name, dims, ggml_type, offset, nbytes, split))
    ordered = sorted(tensors, key=lambda t: t.offset)
    for before, after in zip(ordered, ordered[1:]):
        if after.offset < before.offset + before.nbytes:
            raise InputError(f"{path}: tensors {before.name!r} and {after.name!r} overlap")
    return tensors


def split_paths(path: str) -> list[str]:
    """All files of a split set given any one of them; [path] for an unsplit file."""
    directory, name = os.path.split(path)
    match = _SPLIT_NAME.match(name)
    if not match:
        return [path]
    count = int(match.group("count"))
    if not 1 <= count <= MAX_SPLITS:
        raise InputError(f"{path}: split count {count} is out of range")
    stem = match.group("stem")
    paths = [os.path.join(directory, f"{stem}-{i:05d}-of-{count:05d}.gguf") for i in range(1, count + 1)]
    missing = [p for p in paths if not os.path.lexists(p)]
    if missing:
        raise InputError(f"{path}: split set is incomplete, {len(missing)} of {count} missing (e.g. {os.path.basename(missing[0])})")
    return paths


def read_gguf(path: str) -> GGUFHeader:
    """The first split's metadata plus the tensors of every split."""
    paths = split_paths(path)
    first = read_gguf_header(paths[0], 0)
    declared = first.metadata.get("split.count")
    if len(paths) > 1 and declared not in (None, len(paths)):
        raise InputError(f"{paths[0]}: split.count says {declared}, the file names say {len(paths)}")
    names = {t.name for t in first.tensors}
    for index, other in enumerate(paths[1:], start=1):
        header = read_gguf_header(other, index)
        for tensor in header.tensors:
            if tensor.name in names:
                raise InputError(f"{other}: tensor {tensor.name!r} also appears in an earlier split")
            names.add(tensor.name)
        first.tensors.extend(header.tensors)
        first.file_bytes += header.file_bytes
    first.split_files = [os.path.basename(p) for p in paths]
    return first
