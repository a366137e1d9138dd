"""Read safetensors headers only: the 8-byte length and the JSON header, never tensor data.

Format facts (huggingface/safetensors, `safetensors/src/tensor.rs`): a little-endian u64 header
length N, then N bytes of UTF-8 JSON mapping tensor names to {dtype, shape, data_offsets}, plus an
optional "__metadata__" of str -> str. N is capped at 100,000,000 bytes. Offsets are relative to the
byte buffer after the header, must be in order, must not overlap, must not leave holes, and must end
exactly at the end of the file.
"""
from __future__ import annotations

import os
import struct
from dataclasses import dataclass

from llmdoctor.checkpoint.bounded_io import decode_json, describe_os_error, read_json_object
from llmdoctor.errors import InputError
from llmdoctor.safe_io import open_regular

MAX_HEADER_BYTES = 100_000_000          # safetensors' own cap (MAX_HEADER_SIZE)
MAX_TENSORS_PER_FILE = 1_000_000
MAX_DIMS = 16
MAX_SHARDS = 10_000

# Bits per element. Sub-byte types (F4, F6) are packed; their byte count must come out whole.
DTYPE_BITS = {
    "BOOL": 8, "U8": 8, "I8": 8, "F8_E4M3": 8, "F8_E5M2": 8, "F8_E8M0": 8,
    "I16": 16, "U16": 16, "F16": 16, "BF16": 16,
    "I32": 32, "U32": 32, "F32": 32,
    "I64": 64, "U64": 64, "F64": 64, "C64": 64,
    "F4": 4, "F6_E2M3": 6, "F6_E3M2": 6,
}


@dataclass(frozen=True)
class TensorEntry:
    name: str
    dtype: str
    shape: tuple[int, ...]
    nbytes: int
    file: str                          # shard file name (no directory)

    @property
    def numel(self) -> int:
        count = 1
        for dim in self.shape:
            count *= dim
        return count


@dataclass(frozen=True)
class ShardHeader:
    file: str
    file_bytes: int
    tensors: list[TensorEntry]
    metadata: dict[str, str]


def read_shard_header(path: str) -> ShardHeader:
    name = os.path.basename(path)
    try:
        with open_regular(path, "safetensors file") as handle:
            file_bytes = os.fstat(handle.fileno()).st_size
            prefix = handle.read(8)
            if len(prefix) < 8:
                raise InputError(f"{path}: truncated safetensors file ({file_bytes} bytes, no header length)")
            (header_len,) = struct.unpack("<Q", prefix)
            if header_len > MAX_HEADER_BYTES:
                raise InputError(f"{path}: safetensors header length {header_len} exceeds the format's 100 MB cap")
            if 8 + header_len > file_bytes:
                raise InputError(f"{path}: truncated safetensors file (header says {header_len} bytes, file has {file_bytes})")
            raw = handle.read(header_len)
    except OSError as exc:
        raise InputError(describe_os_error(path, exc)) from None
    if len(raw) != header_len:
        raise InputError(f"{path}: truncated safetensors header")
    header = decode_json(raw, f"{path}: safetensors header")
    if not isinstance(header, dict):
        raise InputError(f"{path}: safetensors header is not a JSON object")
    data_bytes = file_bytes - 8 - header_len
    metadata = _metadata(header.pop("__metadata__", None), path)
    if len(header) > MAX_TENSORS_PER_FILE:
        raise InputError(f"{path}: {len(header)} tensors, over the limit of {MAX_TENSORS_PER_FILE}")
    spans = []
    tensors = []
    for tensor_name, info in header.items():
        entry, begin, end = _tensor_entry(tensor_name, info, name, path)
        spans.append((begin, end, tensor_name))
        tensors.append(entry)
    _check_spans(spans, data_bytes, path)
    return ShardHeader(file=name, file_bytes=file_bytes, tensors=tensors, metadata=metadata)


def _metadata(value, path: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise InputError(f"{path}: safetensors __metadata__ must map strings to strings")
    return value


def _tensor_entry(tensor_name: str, info, file: str, path: str):
    if not isinstance(info, dict):
        raise InputError(f"{path}: tensor {tensor_name!r} has no dtype/shape/offsets object")
    dtype, shape, offsets = info.get("dtype"), info.get("shape"), info.get("data_offsets")
    if dtype not in DTYPE_BITS:
        raise InputError(f"{path}: tensor {tensor_name!r} has unknown dtype {str(dtype)[:20]!r}")
    if not isinstance(shape, list) or len(shape) > MAX_DIMS or not all(_is_uint(d) for d in shape):
        raise InputError(f"{path}: tensor {tensor_name!r} has an invalid shape")
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(_is_uint(o) for o in offsets)):
        raise InputError(f"{path}: tensor {tensor_name!r} has invalid data_offsets")
    begin, end = offsets
    if end < begin:
        raise InputError(f"{path}: tensor {tensor_name!r} ends before it begins")
    numel = 1
    for dim in shape:
        numel *= dim
    bits = numel * DTYPE_BITS[dtype]
    if bits % 8 or bits // 8 != end - begin:
        raise InputError(f"{path}: tensor {tensor_name!r} spans {end - begin} bytes, its shape and dtype need {bits / 8:g}")
    return TensorEntry(tensor_name, dtype, tuple(shape), end - begin, file), begin, end


def _is_uint(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _check_spans(spans: list, data_bytes: int, path: str) -> None:
    spans.sort()
    cursor = 0
    for begin, end, tensor_name in spans:
        if begin < cursor:
            raise InputError(f"{path}: tensor {tensor_name!r} overlaps the previous tensor")
        if begin > cursor:
            raise InputError(f"{path}: hole in the data buffer before tensor {tensor_name!r}")
        cursor = end
    if cursor > data_bytes:
        raise InputError(f"{path}: tensors extend {cursor - data_bytes} bytes past the end of the file (truncated?)")
    if cursor < data_bytes:
        raise InputError(f"{path}: {data_bytes - cursor} trailing bytes after the last tensor")


def shard_files(model_dir: str) -> tuple[list[str], list[str]]:
    """Shard names to read, plus notes. The index, when present, decides which files count."""
    notes = []
    index_path = os.path.join(model_dir, "model.safetensors.index.json")
    if os.path.lexists(index_path):
        index = read_json_object(index_path)
        weight_map = index.get("weight_map")
        if not isinstance(weight_map, dict) or not all(isinstance(v, str) for v in weight_map.values()):
            raise InputError(f"{index_path}: weight_map must map tensor names to file names")
        names = sorted(set(weight_map.values()))
        for name in names:
            if os.path.basename(name) != name or name in ("", ".", ".."):
                raise InputError(f"{index_path}: shard name {name[:80]!r} is not a plain file name")
        missing = [n for n in names if not os.path.lexists(os.path.join(model_dir, n))]
        if missing and len(missing) == len(names):
            # Config and index fetched, weights not yet: plan from the config.
            notes.append(f"model.safetensors.index.json lists {len(names)} shard(s), none present")
            return [], notes
        if missing:
            raise InputError(f"{index_path}: {len(missing)} shard(s) listed but missing, e.g. {missing[0]}")
    else:
        try:
            names = sorted(n for n in os.listdir(model_dir) if n.endswith(".safetensors") and not n.startswith("."))
        except OSError as exc:
            raise InputError(describe_os_error(model_dir, exc)) from None
        # Mistral repos ship consolidated.safetensors beside the HF shards; loaders read one set.
        consolidated = [n for n in names if n.startswith("consolidated")]
        if consolidated and len(consolidated) < len(names):
            names = [n for n in names if n not in consolidated]
            notes.append(f"ignored {len(consolidated)} consolidated*.safetensors file(s) (Mistral native format)")
    if len(names) > MAX_SHARDS:
        raise InputError(f"{model_dir}: {len(names)} safetensors shards, over the limit of {MAX_SHARDS}")
    return names, notes


def read_model_headers(model_dir: str) -> tuple[list[ShardHeader], list[str]]:
    names, notes = shard_files(model_dir)
    headers = [read_shard_header(os.path.join(model_dir, n)) for n in names]
    seen: dict[str, str] = {}
    for header in headers:
        for tensor in header.tensors:
            if tensor.name in seen:
                raise InputError(f"{model_dir}: tensor {tensor.name!r} appears in both {seen[tensor.name]} and {tensor.file}")
            seen[tensor.name] = tensor.file
    return headers, notes
