"""The GPU table (rules/data/gpus.csv): name -> vendor, compute capability, VRAM, bandwidth, bus,
peak tensor throughput per dtype, and where the figures come from.

Rows name their sources in the `source` column (a few datacenter rows rest on one source, or on
press where the vendor publishes no sheet, and say so). Modded cards
(a 22 GB RTX 2080 Ti) are the stock row with --vram-gib. A GPU that is not in the table is planned
from a generic row when --vram-gib (and --bandwidth-gbs) say what it has.

FLOPs columns are dense (no 2:4 sparsity), per GPU, from the vendor's figures: fp16/bf16/fp8/fp4
in TFLOPS with FP32 accumulation (what inference GEMMs use; GeForce cards run it at half the
FP16-accumulate rate), int8 in TOPS. Empty: the GPU has no such tensor path, or no figure was
sourced; the `source` column says which.
"""
from __future__ import annotations

import csv
import difflib
import io
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Optional

from llmdoctor.facts import Gpu
from llmdoctor.plan.common import GIB, MIB
from llmdoctor.resources import data_text


@dataclass(frozen=True)
class GpuRow:
    name: str
    nvml_name: str
    vendor: str
    architecture: str
    compute_capability: Optional[str]
    vram_gb: float
    nvml_total_mib: Optional[int]
    bandwidth_gb_s: Optional[float]
    bus: str
    fp16_tflops: Optional[float] = None
    bf16_tflops: Optional[float] = None
    fp8_tflops: Optional[float] = None
    fp4_tflops: Optional[float] = None
    int8_tops: Optional[float] = None
    source: str = ""
    in_table: bool = True

    def dense_tflops(self, dtype: str) -> Optional[float]:
        """Peak dense tensor throughput for a dtype ("bf16", "fp8", "int8", ...), None if not known."""
        key = {"float16": "fp16", "half": "fp16", "bfloat16": "bf16", "nvfp4": "fp4", "mxfp4": "fp4"}.get(dtype, dtype)
        return getattr(self, "int8_tops" if key == "int8" else f"{key}_tflops", None)


_VENDOR_WORDS = re.compile(r"\b(nvidia|geforce|intel|amd|radeon)\b")


def _norm(name: str) -> str:
    text = _VENDOR_WORDS.sub(" ", name.lower())
    return re.sub(r"[^a-z0-9]+", "", text)


def _float(text: Optional[str]) -> Optional[float]:
    return float(text) if text else None


@lru_cache(maxsize=1)
def rows() -> tuple[GpuRow, ...]:
    out = []
    for r in csv.DictReader(io.StringIO(data_text("gpus.csv"), newline="")):
        out.append(GpuRow(
            name=r["name"], nvml_name=r["nvml_name"], vendor=r["vendor"],
            architecture=r["architecture"], compute_capability=r["compute_capability"] or None,
            vram_gb=float(r["vram_gb"]), nvml_total_mib=int(r["nvml_total_mib"]) if r["nvml_total_mib"] else None,
            bandwidth_gb_s=_float(r["bandwidth_gb_s"]), bus=r["bus"],
            fp16_tflops=_float(r.get("fp16_tflops")), bf16_tflops=_float(r.get("bf16_tflops")),
            fp8_tflops=_float(r.get("fp8_tflops")), fp4_tflops=_float(r.get("fp4_tflops")),
            int8_tops=_float(r.get("int8_tops")), source=r.get("source") or ""))
    return tuple(out)


def _keys(row: GpuRow) -> tuple[str, ...]:
    return tuple(k for k in (_norm(row.name), _norm(row.nvml_name)) if k)


def lookup(name: str) -> Optional[GpuRow]:
    """Exact normalized match on the table name or NVML name; then the rows containing it (those that
    start with it first), shortest name first; then the rows containing every word of it
    ("Jetson Thor", "HGX B200"). Keys under 3 characters match exactly only ("L2" is not the L20)."""
    key = _norm(name)
    if not key:
        return None
    for row in rows():
        if key in _keys(row):
            return row
    if len(key) < 3:
        return None
    hits = [row for row in rows() if any(_contains(k, key) for k in _keys(row))]
    if not hits:
        words = [w for w in re.split(r"[^a-z0-9]+", _VENDOR_WORDS.sub(" ", name.lower())) if w]
        if len(words) > 1:
            hits = [row for row in rows() if all(any(_contains(k, w) for k in _keys(row)) for w in words)]
    starting = [row for row in hits if any(k.startswith(key) for k in _keys(row))]
    return min(starting or hits, key=lambda r: len(r.name)) if hits else None


_TIER = ("ti", "super", "xt")      # a higher card of the same number: "RTX 2080" is not the RTX 2080 Ti


def _contains(row_key: str, key: str) -> bool:
    """The row's name holds the asked name, and not as the start of a higher tier's number."""
    at = row_key.find(key)
    return at >= 0 and not row_key[at + len(key):].startswith(_TIER)


def close_names(name: str, n: int = 5) -> list[str]:
    """Table names that look like `name`, for the error that says it is not in the table."""
    key = _norm(name)
    by_key: dict[str, str] = {}
    for row in rows():
        for k in _keys(row):
            by_key.setdefault(k, row.name)
    out: list[str] = []
    for k in difflib.get_close_matches(key, list(by_key), n=n * 2, cutoff=0.6):
        if by_key[k] not in out:
            out.append(by_key[k])
    return out[:n]


def generic_row(name: str, vram_gib: float, bandwidth_gb_s: Optional[float] = None) -> GpuRow:
    """A row for a GPU the table does not know: only what the user said (memory, bandwidth). The
    vendor is read from the name (NVIDIA unless it says AMD/Radeon/Instinct or Intel/Arc)."""
    text = name.lower()
    if re.search(r"\b(amd|radeon|instinct)\b|\bmi\d{3}", text):
        vendor = "amd"
    elif re.search(r"\b(intel|arc)\b", text):
        vendor = "intel"
    else:
        vendor = "nvidia"
    return GpuRow(name=name, nvml_name=name, vendor=vendor, architecture="unknown (not in the GPU table)",
                  compute_capability=None, vram_gb=vram_gib * GIB / 1e9, nvml_total_mib=None,
                  bandwidth_gb_s=bandwidth_gb_s, bus="", source="--vram-gib/--bandwidth-gbs", in_table=False)


def what_if_gpu(row: GpuRow, index: int, vram_gib: Optional[float] = None,
                bandwidth_gb_s: Optional[float] = None) -> Gpu:
    """A facts.Gpu for a GPU that is not here. Total memory: --vram-gib, else the NVML total the
    table records, else the marketing size in GiB (an assumption the plan states). Bandwidth:
    --bandwidth-gbs, else the table's."""
    if vram_gib is not None:
        total = int(vram_gib * GIB)
    elif row.nvml_total_mib:
        total = row.nvml_total_mib * MIB
    else:
        total = int(row.vram_gb * GIB)
    bandwidth = bandwidth_gb_s if bandwidth_gb_s is not None else row.bandwidth_gb_s
    cc = row.compute_capability
    major, minor = (int(cc.split(".")[0]), int(cc.split(".")[1])) if cc else (None, None)
    gen = re.search(r"PCIe (\d)", row.bus)
    gpu = Gpu(index=index, vendor=row.vendor, name=row.nvml_name or row.name,
              architecture=row.architecture, compute_capability=cc, cc_major=major, cc_minor=minor,
              memory_total_bytes=total, memory_free_bytes=None,
              memory_bandwidth_bytes_per_s=int(bandwidth * 1e9) if bandwidth else None,
              unified_memory="integrated" in row.bus.lower())
    if gen:
        gpu.pcie.gen_current = gpu.pcie.gen_max = int(gen.group(1))
    gpu.nvlink.supported = "nvlink" in row.bus.lower()
    nvl = re.search(r"NVLink (\d)", row.bus)
    if nvl and (row.bus.startswith(("SXM", "HGX")) or "NVL72" in row.name):
        # an SXM module sits on a board (HGX/DGX, NVL72) whose NVLink is wired: all its links are up (NVIDIA
        # datasheets: V100 6, A100 12, H100/H200/H20 and Blackwell 18, the export parts A800/H800 8); PCIe
        # cards with an optional bridge (H100 NVL, A100 PCIe) are left on PCIe
        gpu.nvlink.version = f"{nvl.group(1)}.0"
        gpu.nvlink.active_links = 8 if re.search(r"[AH]800", row.name) else {"2": 6, "3": 12}.get(nvl.group(1), 18)
    return gpu
