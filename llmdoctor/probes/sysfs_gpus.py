"""Intel and AMD GPUs from sysfs (/sys/class/drm), plus the vendor tools present.

Without a vendor library we only know what the kernel driver exposes: vendor, device id, driver,
and on amdgpu the VRAM size. Everything else stays None with the reason in `unknown`.
"""
from __future__ import annotations

import re

from llmdoctor.facts import Gpu, Machine
from llmdoctor.probes.base import Unavailable
from llmdoctor.probes.source import NotRecorded, Source

VENDORS = {"0x8086": "intel", "0x1002": "amd"}
# Intel discrete GPUs by PCI device id: (name, VRAM bytes) from Intel's product pages.
INTEL_DEVICES = {
    "0xe20b": ("Intel Arc B580", 12 << 30), "0xe20c": ("Intel Arc B570", 10 << 30),
    "0x56a0": ("Intel Arc A770", 16 << 30), "0x56a1": ("Intel Arc A750", 8 << 30),
    "0x56a5": ("Intel Arc A380", 6 << 30), "0xe211": ("Intel Arc Pro B60", 24 << 30),
}


def probe_sysfs_gpus(src: Source, machine: Machine) -> str | None:
    try:
        cards = [c for c in src.listdir("/sys/class/drm") if re.fullmatch(r"card\d+", c)]
    except (OSError, NotRecorded):
        raise Unavailable("/sys/class/drm not readable") from None
    found = []
    for card in cards:
        base = f"/sys/class/drm/{card}/device"
        vendor_id = (src.try_read(f"{base}/vendor") or "").strip().lower()
        vendor = VENDORS.get(vendor_id)
        if vendor is None:
            continue
        found.append(_gpu(src, base, vendor, len(machine.gpus) + len(found)))
    machine.gpus.extend(found)
    if not found:
        raise Unavailable("no Intel or AMD GPU in /sys/class/drm")
    return None


def _gpu(src: Source, base: str, vendor: str, index: int) -> Gpu:
    device_id = (src.try_read(f"{base}/device") or "").strip().lower() or None
    driver = None
    try:
        driver = src.call("realpath", f"{base}/driver").rsplit("/", 1)[-1]
    except (OSError, NotRecorded):
        driver = None
    gpu = Gpu(index=index, vendor=vendor, device_id=device_id, driver=driver)
    if vendor == "amd":
        vram = (src.try_read(f"{base}/mem_info_vram_total") or "").strip()
        used = (src.try_read(f"{base}/mem_info_vram_used") or "").strip()
        if vram.isdigit():
            gpu.memory_total_bytes = int(vram)
            if used.isdigit():
                gpu.memory_free_bytes = int(vram) - int(used)
        else:
            gpu.unknown["memory_total_bytes"] = "amdgpu did not expose mem_info_vram_total"
        gpu.name = f"AMD GPU {device_id}"
        gpu.unknown["compute_capability"] = "AMD GPUs have gfx targets, not CUDA compute capability"
    else:
        name, vram = INTEL_DEVICES.get(device_id or "", (None, None))
        gpu.name = name or f"Intel GPU {device_id}"
        gpu.memory_total_bytes = vram
        why = "from Intel's published size for this device id; the driver does not expose it"
        gpu.unknown["memory_total_bytes"] = why if vram else "unknown device id; the driver does not expose VRAM"
        gpu.unknown["memory_free_bytes"] = "the i915/xe driver does not expose free VRAM (xpu-smi does)"
        gpu.unknown["compute_capability"] = "Intel GPUs have no CUDA compute capability"
    return gpu


def probe_unified_memory(src: Source, machine: Machine) -> str | None:
    """Jetson / GB10: the GPU shares system RAM, so free RAM is its VRAM."""
    jetson = machine.host.jetson_model
    nvidia = [g for g in machine.gpus if g.vendor == "nvidia"]
    if jetson and not nvidia:
        # Jetson boards may have no NVML; describe the integrated GPU from the board model.
        machine.gpus.append(Gpu(index=len(machine.gpus), vendor="nvidia", name=jetson,
                                unified_memory=True, cc_major=None, cc_minor=None,
                                unknown={"compute_capability": "NVML not available on this board"}))
    unified = [g for g in machine.gpus if g.unified_memory]
    if not unified:
        raise Unavailable("no unified-memory GPU")
    host = machine.host
    for g in unified:
        if g.memory_total_bytes is None and host.ram_total_bytes is not None:
            g.memory_total_bytes = host.ram_total_bytes
            g.memory_free_bytes = host.ram_available_bytes
            g.unknown["memory_total_bytes"] = "unified memory: system RAM is the GPU's memory"
    return f"{len(unified)} unified-memory GPU(s); free system memory is their VRAM"
