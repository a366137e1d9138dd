"""NVIDIA GPUs through NVML: identity, memory, bandwidth, PCIe, NVLink, P2P, MIG, processes."""
from __future__ import annotations

from llmdoctor.facts import Gpu, Machine, NvLinkState, P2PLink, GpuProcess
from llmdoctor.probes.base import Unavailable
from llmdoctor.probes.source import NotRecorded, NvmlError, Source

NVLINK_MAX_LINKS = 18          # NVML_NVLINK_MAX_LINKS
# NVML_P2P_STATUS_* values (nvml.h)
P2P_STATUS = {0: "ok", 1: "chipset_not_supported", 2: "gpu_not_supported",
              3: "io_topology_not_supported", 4: "disabled_by_regkey", 5: "not_supported",
              6: "unknown"}
# nvmlDeviceArchitecture_t
ARCHITECTURES = {2: "Kepler", 3: "Maxwell", 4: "Pascal", 5: "Volta", 6: "Turing", 7: "Ampere",
                 8: "Ada", 9: "Hopper", 10: "Blackwell"}
# nvmlNvlinkVersion_t -> the NVLink generation it names
NVLINK_VERSIONS = {1: "1.0", 2: "2.0", 3: "2.2", 4: "3.0", 5: "3.1", 6: "4.0", 7: "5.0", 8: "6.0"}
UNIFIED_MEMORY_NAMES = ("GB10", "Thor", "Orin", "Xavier", "Jetson")
# Init failures that mean "no usable NVIDIA GPU here" rather than a broken install.
ABSENT_CODES = {"LibraryNotFound": "NVML library not found (no NVIDIA driver installed)",
                "DriverNotLoaded": "NVIDIA driver is not loaded",
                "NoPermission": "no permission to talk to the NVIDIA driver"}
INIT_ERRORS = {"LibRmVersionMismatch": "NVIDIA driver/library version mismatch: the kernel module "
                                       "and the user-space library differ (reboot, or reload the "
                                       "nvidia kernel module)"}


class _Reader:
    """Reads one field at a time; a failing field is recorded as unknown, the rest goes on."""

    def __init__(self, src: Source, gpu: Gpu):
        self.src, self.gpu = src, gpu

    def get(self, field: str, query: str, *args):
        try:
            return self.src.nvml(query, self.gpu.index, *args)
        except NvmlError as exc:
            if exc.code == "GpuIsLost":
                self.gpu.lost = True
            self.gpu.unknown.setdefault(field, f"NVML {exc.code}")
        except NotRecorded:
            self.gpu.unknown.setdefault(field, "not recorded")
        return None


MAX_GPUS = 1024                  # NVML answers above this are a damaged recording, not a machine

def probe_nvidia(src: Source, machine: Machine) -> str | None:
    try:
        machine.software.driver_version = src.nvml("driver_version")
        count = src.nvml("device_count")
    except NvmlError as exc:
        if exc.code in ABSENT_CODES:
            raise Unavailable(ABSENT_CODES[exc.code]) from None
        raise RuntimeError(INIT_ERRORS.get(exc.code, f"NVML {exc.code}: {exc}")) from None
    except NotRecorded:
        raise Unavailable("no NVML answers in this recording") from None
    try:
        cuda = src.nvml("cuda_driver_version")
        machine.software.cuda_driver_version = f"{cuda // 1000}.{(cuda % 1000) // 10}"
    except (NvmlError, NotRecorded):
        machine.software.cuda_driver_version = None
    if not isinstance(count, int) or isinstance(count, bool) or not 0 <= count <= MAX_GPUS:
        raise RuntimeError(f"NVML reports {str(count)[:40]} GPUs; expected 0..{MAX_GPUS}")
    gpus = [_read_gpu(src, i) for i in range(count)]
    machine.gpus.extend(gpus)
    machine.p2p.extend(_read_p2p(src, [g for g in gpus if not g.lost]))
    lost = [str(g.index) for g in gpus if g.lost]
    if not gpus:
        raise Unavailable("NVML found no NVIDIA GPU")
    return f"GPU {', '.join(lost)} lost (fell off the bus or needs a reset)" if lost else None


def _read_gpu(src: Source, index: int) -> Gpu:
    gpu = Gpu(index=index, vendor="nvidia")
    r = _Reader(src, gpu)
    gpu.name = r.get("name", "name")
    if gpu.lost:
        return gpu
    gpu.uuid = r.get("uuid", "uuid")
    gpu.pci_bus_id = r.get("pci_bus_id", "pci_bus_id")
    cc = r.get("compute_capability", "cuda_compute_capability")
    if cc:
        gpu.cc_major, gpu.cc_minor = int(cc[0]), int(cc[1])
        gpu.compute_capability = f"{gpu.cc_major}.{gpu.cc_minor}"
    arch = r.get("architecture", "architecture")
    gpu.architecture = ARCHITECTURES.get(arch) if arch is not None else None
    _read_memory(r, gpu)
    clock = r.get("max_memory_clock_mhz", "max_mem_clock_mhz")
    width = r.get("memory_bus_width_bits", "memory_bus_width")
    gpu.max_memory_clock_mhz, gpu.memory_bus_width_bits = clock, width
    if clock and width:
        # NVML reports the memory clock at half the data rate for DDR-type memories (HBM and
        # GDDR alike): H100 SXM 2619 MHz x 2 x 5120 bit / 8 = 3.35 TB/s, as NVIDIA publishes.
        gpu.memory_bandwidth_bytes_per_s = clock * 1_000_000 * 2 * width // 8
    gpu.cuda_cores = r.get("cuda_cores", "num_gpu_cores")
    p = gpu.pcie
    p.gen_current = r.get("pcie.gen_current", "pcie_gen_current")
    p.gen_max = r.get("pcie.gen_max", "pcie_gen_max")
    p.gen_gpu_max = r.get("pcie.gen_gpu_max", "pcie_gen_gpu_max")
    p.width_current = r.get("pcie.width_current", "pcie_width_current")
    p.width_max = r.get("pcie.width_max", "pcie_width_max")
    gpu.nvlink = _read_nvlink(r)
    mig = r.get("mig_mode", "mig_mode")
    if mig is not None:
        gpu.mig_enabled, gpu.mig_pending = bool(mig[0]), bool(mig[1])
    _read_processes(r, gpu)
    display = r.get("display_active", "display_active")
    gpu.display_active = bool(display) if display is not None else None
    power = r.get("power_limit_w", "power_limit_mw")
    gpu.power_limit_w = power / 1000 if power is not None else None
    ecc = r.get("ecc_enabled", "ecc_mode")
    gpu.ecc_enabled = bool(ecc[0]) if ecc is not None else None
    gpu.unified_memory = bool(gpu.name and any(n in gpu.name for n in UNIFIED_MEMORY_NAMES))
    return gpu


def _read_memory(r: _Reader, gpu: Gpu) -> None:
    mem = r.get("memory", "memory_info_v2")
    if mem is None:   # older drivers lack the v2 query; fall back to v1
        mem = r.get("memory", "memory_info")
        if mem is not None:
            gpu.unknown.pop("memory", None)
            gpu.unknown["memory_reserved_bytes"] = "NVML v1 memory info has no reserved field"
    else:
        gpu.unknown.pop("memory", None)
    if mem is None:
        return
    gpu.memory_total_bytes, gpu.memory_free_bytes = mem["total"], mem["free"]
    gpu.memory_used_bytes = mem["used"]
    gpu.memory_reserved_bytes = mem.get("reserved")


def _read_nvlink(r: _Reader) -> NvLinkState:
    active, versions, first_error = 0, set(), None
    for link in range(NVLINK_MAX_LINKS):
        try:
            state = r.src.nvml("nvlink_state", r.gpu.index, link)
        except (NvmlError, NotRecorded) as exc:
            first_error = first_error or exc
            continue
        if state:
            active += 1
            try:
                versions.add(r.src.nvml("nvlink_version", r.gpu.index, link))
            except (NvmlError, NotRecorded):
                continue
    if active == 0 and first_error is not None:
        code = getattr(first_error, "code", "not recorded")
        if code == "NotSupported":   # the GPU has no NVLink (or NVML cannot see it)
            return NvLinkState(supported=False, active_links=0, version=None)
        r.gpu.unknown["nvlink"] = f"NVML {code}"
        return NvLinkState()
    return NvLinkState(supported=True, active_links=active,
                       version=NVLINK_VERSIONS.get(max(versions)) if versions else None)


def _read_processes(r: _Reader, gpu: Gpu) -> None:
    seen = {}
    for kind, query in (("compute", "compute_processes"), ("graphics", "graphics_processes")):
        for p in r.get("processes", query) or []:
            seen.setdefault(p["pid"], GpuProcess(pid=p["pid"], used_memory_bytes=p["used"], kind=kind))
    gpu.processes = list(seen.values())
    known = [p.used_memory_bytes for p in gpu.processes if p.used_memory_bytes is not None]
    gpu.processes_memory_bytes = sum(known) if "processes" not in gpu.unknown else None


def _read_p2p(src: Source, gpus: list[Gpu]) -> list[P2PLink]:
    links = []
    for i, a in enumerate(gpus):
        for b in gpus[i + 1:]:
            links.append(P2PLink(gpu_a=a.index, gpu_b=b.index,
                                 read=_p2p(src, a.index, b.index, "NVML_P2P_CAPS_INDEX_READ"),
                                 nvlink=_p2p(src, a.index, b.index, "NVML_P2P_CAPS_INDEX_NVLINK")))
    return links


def _p2p(src: Source, a: int, b: int, cap: str) -> str | None:
    try:
        return P2P_STATUS.get(src.nvml("p2p_status", a, b, cap), "unknown")
    except (NvmlError, NotRecorded):
        return None
