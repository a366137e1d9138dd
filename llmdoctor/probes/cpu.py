"""The CPU: model, cores, threads, and the instruction-set flags CPU inference cares about."""
from __future__ import annotations

import json
import re
import subprocess
import sys

from llmdoctor.facts import Machine
from llmdoctor.probes.source import NotRecorded, Source

INFERENCE_FLAGS = re.compile(r"^(avx|avx2|avx512\w*|avx_vnni|amx\w*|f16c|fma|sse4_2|neon|asimd\w*|sve\w*)$")
CPUINFO_DEADLINE_S = 4.0    # py-cpuinfo can take seconds or hang; never wait longer


def probe_cpu(src: Source, machine: Machine) -> str | None:
    cpu = machine.cpu
    text = src.try_read("/proc/cpuinfo")
    if text:
        _from_proc(text, cpu)
        cpu.source = "/proc/cpuinfo"
    else:
        _from_py_cpuinfo(src, cpu)
    cpu.threads = cpu.threads or _count(src, True)
    cpu.cores = cpu.cores or _count(src, False)
    return None


def _from_proc(text: str, cpu) -> None:
    first = text.split("\n\n", 1)[0]
    fields = dict(re.findall(r"^([^\t:]+?)\s*:\s*(.*)$", first, re.M))
    cpu.model = fields.get("model name") or fields.get("Model") or fields.get("Hardware")
    cpu.vendor = fields.get("vendor_id") or fields.get("CPU implementer")
    flags = (fields.get("flags") or fields.get("Features") or "").split()
    cpu.flags = sorted(f for f in set(flags) if INFERENCE_FLAGS.match(f))
    cpu.threads = len(re.findall(r"^processor\s*:", text, re.M)) or None
    pairs = set(re.findall(r"^physical id\s*:\s*(\d+).*?^core id\s*:\s*(\d+)", text, re.M | re.S))
    cores_per = fields.get("cpu cores")
    sockets = len(set(re.findall(r"^physical id\s*:\s*(\d+)", text, re.M))) or 1
    if cores_per and cores_per.isdigit():
        cpu.cores = int(cores_per) * sockets
    elif pairs:
        cpu.cores = len(pairs)


def _from_py_cpuinfo(src: Source, cpu) -> None:
    try:
        out = src.run([sys.executable, "-m", "cpuinfo", "--json"], CPUINFO_DEADLINE_S)
        info = json.loads(out["stdout"]) if out["rc"] == 0 else {}
    except (OSError, TimeoutError, subprocess.TimeoutExpired, ValueError, NotRecorded) as exc:
        cpu.source = f"os (py-cpuinfo failed: {type(exc).__name__})"
        return
    cpu.model = info.get("brand_raw")
    cpu.vendor = info.get("vendor_id_raw")
    cpu.flags = sorted(f for f in info.get("flags", []) if INFERENCE_FLAGS.match(f))
    cpu.source = "py-cpuinfo" if info else "os"


def _count(src: Source, logical: bool) -> int | None:
    try:
        return src.call("cpu_count", logical)
    except NotRecorded:
        return None
