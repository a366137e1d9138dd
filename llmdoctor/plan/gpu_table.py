"""The GPU table (rules/data/gpus.csv): name -> vendor, compute capability, VRAM, bandwidth, bus.

Only rows verified against two sources were taken from the shared knowledge table. Modded cards
(a 22 GB RTX 2080 Ti) are the stock row with --vram-gib.
"""
from __future__ import annotations

import csv
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


def _norm(name: str) -> str:
    text = name.lower()
    text = re.sub(r"\b(nvidia|geforce|intel|amd|radeon)\b", " ", text)
    return re.sub(r"[^a-z0-9]+", "", text)


@lru_cache(maxsize=1)
def rows() -> tuple[GpuRow, ...]:
    out = []
    for r in csv.DictReader(io.StringIO(data_text("gpus.csv"), newline="")):
        out.append(GpuRow(
            name=r["name"], nvml_name=r["nvml_name"], vendor=r["vendor"],
            architecture=r["architecture"], compute_capability=r["compute_capability"] or None,
            vram_gb=float(r["vram_gb"]), nvml_total_mib=int(r["nvml_total_mib"]) if r["nvml_total_mib"] else None,
            bandwidth_gb_s=float(r["bandwidth_gb_s"]) if r["bandwidth_gb_s"] else None, bus=r["bus"]))
    return tuple(out)


def lookup(name: str) -> Optional[GpuRow]:
    """Exact normalized match on the table name or NVML name, then the shortest row containing it."""
    key = _norm(name)
    if not key:
        return None
    for row in rows():
        if key in (_norm(row.name), _norm(row.nvml_name)):
            return row
    hits = [row for row in rows() if key in _norm(row.name) or (row.nvml_name and key in _norm(row.nvml_name))]
    return min(hits, key=lambda r: len(r.name)) if hits else None


def what_if_gpu(row: GpuRow, index: int, vram_gib: Optional[float] = None) -> Gpu:
    """A facts.Gpu for a GPU that is not here. Total memory: --vram-gib, else the NVML total the
    table records, else the marketing size in GiB (an assumption the plan states)."""
    if vram_gib is not None:
        total = int(vram_gib * GIB)
    elif row.nvml_total_mib:
        total = row.nvml_total_mib * MIB
    else:
        total = int(row.vram_gb * GIB)
    cc = row.compute_capability
    major, minor = (int(cc.split(".")[0]), int(cc.split(".")[1])) if cc else (None, None)
    gen = re.search(r"PCIe (\d)", row.bus)
    gpu = Gpu(index=index, vendor=row.vendor, name=row.nvml_name or row.name,
              architecture=row.architecture, compute_capability=cc, cc_major=major, cc_minor=minor,
              memory_total_bytes=total, memory_free_bytes=None,
              memory_bandwidth_bytes_per_s=int(row.bandwidth_gb_s * 1e9) if row.bandwidth_gb_s else None,
              unified_memory="integrated" in row.bus.lower())
    if gen:
        gpu.pcie.gen_current = gpu.pcie.gen_max = int(gen.group(1))
    gpu.nvlink.supported = "nvlink" in row.bus.lower()
    return gpu
