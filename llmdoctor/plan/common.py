"""Small shared helpers of the planner: units, versions, dtype sizes, the CUDA-visible total."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Optional

GIB = 1 << 30
MIB = 1 << 20

# Bytes per element of the dtypes the engines accept for weights, activations and KV.
DTYPE_BYTES = {
    "float32": 4, "fp32": 4, "float": 4,
    "bfloat16": 2, "bf16": 2, "float16": 2, "fp16": 2, "half": 2,
    "fp8": 1, "fp8_e4m3": 1, "fp8_e5m2": 1, "fp8_inc": 1, "int8": 1,
}


def cdiv(a: int, b: int) -> int:
    return -(-a // b)


def vtuple(version: Optional[str]) -> tuple[int, int, int]:
    """'0.19.2.dev0+g...' -> (0, 19, 2). Unknown parts are 0."""
    if not version:
        return (0, 0, 0)
    parts = []
    for piece in str(version).split("+")[0].split(".")[:3]:       # a recording may hold a number
        digits = "".join(ch for ch in piece if ch.isdigit()) if piece[:1].isdigit() else ""
        if not digits:
            break
        parts.append(int(digits))
    while len(parts) < 3:
        parts.append(0)
    return tuple(parts)  # type: ignore[return-value]


def at_least(version: Optional[str], other: str) -> bool:
    return vtuple(version) >= vtuple(other)


def canonical_dtype(name: Optional[str]) -> Optional[str]:
    if name is None:
        return None
    n = str(name).lower().replace("torch.", "")
    return {"half": "float16", "fp16": "float16", "bf16": "bfloat16", "float": "float32",
            "fp32": "float32"}.get(n, n)


def cuda_total_bytes(gpu: Any) -> Optional[int]:
    """What torch.cuda.mem_get_info() reports as total: NVML total minus the driver-reserved part
    (an H100 80GB: NVML 81559 MiB, reserved 480 MiB, CUDA 79.19 GiB)."""
    total = getattr(gpu, "memory_total_bytes", None)
    if total is None:
        return None
    return total - (getattr(gpu, "memory_reserved_bytes", None) or 0)


def human_int(value: Any) -> int:
    """vLLM's human_readable_int (vllm/engine/arg_utils.py): k/m/g/t decimal, K/M/G/T binary."""
    if isinstance(value, (int, float)):
        return int(value)
    text = str(value).strip()
    decimal = {"k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12}
    binary = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
    if text and text[-1] in decimal:
        return int(float(text[:-1]) * decimal[text[-1]])
    if text and text[-1] in binary:
        return int(float(text[:-1]) * binary[text[-1]])
    return int(float(text))


def resolve_version(request: Any, target: Any, package: str, newest: str) -> tuple[str, str]:
    """Which engine version the plan models, and why: a version the user passed, else the one
    installed on the machine, else the one the command names (an image tag), else the newest read."""
    installed = (getattr(target.software, "packages", None) or {}).get(package)
    if request.engine_version and not request.command:
        return request.engine_version, "flag"
    if installed:
        return installed, "installed"
    if request.engine_version:
        return request.engine_version, "command"
    return newest, "assumed-newest"


@dataclass(frozen=True)
class Change:
    """One behaviour an engine version introduced, and where in the engine's source it lives."""
    since: str                      # first version that has it (versions between those read count as the later)
    what: str
    source: str                     # file · function, and the versions read on either side


def has_change(table: Mapping[str, Change], name: str, version: Optional[str]) -> bool:
    return at_least(version, table[name].since)


MAX_NUMBER = 2 ** 53           # larger than any count or size an engine takes; past it floats lose integers
MAX_DEPTH = 8


def sane(value: Any, depth: int = 0) -> bool:
    """A flag value the planner can compute with: finite numbers of sane size, bounded text and nesting."""
    if value is None or isinstance(value, bool):
        return True
    if isinstance(value, int):
        return -MAX_NUMBER <= value <= MAX_NUMBER
    if isinstance(value, float):
        return math.isfinite(value) and abs(value) <= MAX_NUMBER
    if isinstance(value, str):
        return len(value) <= 65536
    if isinstance(value, (list, tuple)):
        return depth < MAX_DEPTH and len(value) <= 4096 and all(sane(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return depth < MAX_DEPTH and len(value) <= 4096 and all(
            isinstance(k, str) and sane(v, depth + 1) for k, v in value.items())
    return False


def bounded_json(raw: Any) -> Any:
    """json.loads for a flag value, or the text itself when it is not JSON, too long or too deep."""
    import json
    text = str(raw)
    if len(text) > 65536:
        return text
    try:
        return json.loads(text)
    except (TypeError, ValueError, RecursionError):
        return text


def parallel_sizes(tp_value, pp_value, engine: str, problems: list[str]) -> tuple[int, int]:
    """Tensor- and pipeline-parallel sizes as given; one below 1 cannot start the engine (its world size
    would be zero or negative): said as a problem, and 1 is planned instead so the arithmetic stays sane."""
    sizes = []
    for name, value in (("tensor parallel size", tp_value), ("pipeline parallel size", pp_value)):
        n = 1 if value in (None, "") else int(value)
        if n < 1:
            problems.append(f"{engine} cannot start with {name} {n}: it must be at least 1")
            n = 1
        sizes.append(n)
    return sizes[0], sizes[1]
