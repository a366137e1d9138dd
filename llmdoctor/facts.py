"""Typed records for machine facts. Unknown values are None (with a reason where one is known)."""
from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Optional


@dataclass
class PcieLink:
    gen_current: Optional[int] = None
    gen_max: Optional[int] = None          # max the link (slot + GPU) supports
    gen_gpu_max: Optional[int] = None      # max the GPU itself supports
    width_current: Optional[int] = None
    width_max: Optional[int] = None


@dataclass
class NvLinkState:
    supported: Optional[bool] = None       # None: NVML could not say
    active_links: Optional[int] = None
    version: Optional[str] = None          # NVLink generation, "4.0"


@dataclass
class GpuProcess:
    pid: int
    used_memory_bytes: Optional[int]
    kind: str                              # "compute" | "graphics"


@dataclass
class Gpu:
    index: int
    vendor: str                            # "nvidia" | "intel" | "amd"
    name: Optional[str] = None
    uuid: Optional[str] = None
    pci_bus_id: Optional[str] = None
    architecture: Optional[str] = None
    compute_capability: Optional[str] = None   # "9.0"
    cc_major: Optional[int] = None
    cc_minor: Optional[int] = None
    memory_total_bytes: Optional[int] = None
    memory_free_bytes: Optional[int] = None
    memory_used_bytes: Optional[int] = None
    memory_reserved_bytes: Optional[int] = None
    memory_bandwidth_bytes_per_s: Optional[int] = None
    max_memory_clock_mhz: Optional[int] = None
    memory_bus_width_bits: Optional[int] = None
    cuda_cores: Optional[int] = None
    pcie: PcieLink = field(default_factory=PcieLink)
    nvlink: NvLinkState = field(default_factory=NvLinkState)
    mig_enabled: Optional[bool] = None
    mig_pending: Optional[bool] = None
    processes: list[GpuProcess] = field(default_factory=list)
    processes_memory_bytes: Optional[int] = None
    display_active: Optional[bool] = None
    power_limit_w: Optional[float] = None
    ecc_enabled: Optional[bool] = None
    unified_memory: bool = False           # Jetson / GB10: VRAM is system memory
    device_id: Optional[str] = None        # PCI device id (sysfs GPUs)
    driver: Optional[str] = None           # kernel driver (sysfs GPUs)
    lost: bool = False
    unknown: dict[str, str] = field(default_factory=dict)   # field -> why it is None


@dataclass
class P2PLink:
    gpu_a: int
    gpu_b: int
    read: Optional[str]                    # "ok" | "not_supported" | "chipset_not_supported" | ... | None
    nvlink: Optional[str] = None


@dataclass
class Host:
    os: Optional[str] = None
    distro: Optional[str] = None
    kernel: Optional[str] = None
    arch: Optional[str] = None
    wsl: bool = False
    container: Optional[str] = None        # "docker" | "podman" | "kubernetes" | "containerd" | "lxc" | None
    cgroup_version: Optional[int] = None
    cgroup_memory_limit_bytes: Optional[int] = None   # None: no limit or unknown
    ram_total_bytes: Optional[int] = None
    ram_available_bytes: Optional[int] = None
    swap_total_bytes: Optional[int] = None
    swap_free_bytes: Optional[int] = None
    shm_total_bytes: Optional[int] = None
    shm_free_bytes: Optional[int] = None
    memlock_limit_bytes: Optional[int] = None   # None: unlimited or unknown (see unknown)
    memlock_unlimited: Optional[bool] = None
    numa_nodes: Optional[int] = None
    path: Optional[str] = None
    path_fs_type: Optional[str] = None
    path_free_bytes: Optional[int] = None
    jetson_model: Optional[str] = None
    unknown: dict[str, str] = field(default_factory=dict)


@dataclass
class Cpu:
    model: Optional[str] = None
    vendor: Optional[str] = None
    cores: Optional[int] = None
    threads: Optional[int] = None
    flags: list[str] = field(default_factory=list)    # only the ones that matter for inference
    source: Optional[str] = None                      # "/proc/cpuinfo" | "py-cpuinfo" | "os"


@dataclass
class Nvcc:
    path: str
    version: Optional[str] = None
    max_gcc: Optional[int] = None          # newest gcc major its host_config.h accepts


@dataclass
class Binary:
    name: str
    path: str
    version: Optional[str] = None


@dataclass
class Software:
    python_version: Optional[str] = None
    python_executable: Optional[str] = None
    driver_version: Optional[str] = None
    cuda_driver_version: Optional[str] = None   # the CUDA version the driver supports, "13.0"
    nvcc: list[Nvcc] = field(default_factory=list)
    gcc_version: Optional[str] = None
    torch_version: Optional[str] = None
    torch_cuda: Optional[str] = None
    torch_hip: Optional[str] = None
    torch_arch_list: Optional[list[str]] = None
    packages: dict[str, str] = field(default_factory=dict)
    binaries: list[Binary] = field(default_factory=list)
    gpu_tools: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    unknown: dict[str, str] = field(default_factory=dict)


@dataclass
class ProbeStatus:
    name: str
    status: str                            # "ok" | "unavailable" | "error"
    reason: Optional[str]
    elapsed_ms: float


@dataclass
class Machine:
    source: str                            # "live" | "replay:<file>" | "facts:<file>" | "what-if"
    gpus: list[Gpu] = field(default_factory=list)
    p2p: list[P2PLink] = field(default_factory=list)
    host: Host = field(default_factory=Host)
    cpu: Cpu = field(default_factory=Cpu)
    software: Software = field(default_factory=Software)
    probes: list[ProbeStatus] = field(default_factory=list)
    description: Optional[str] = None


def to_dict(record: Any) -> Any:
    return dataclasses.asdict(record)


def from_dict(cls: type, data: Any) -> Any:
    """Rebuild a dataclass tree from the dict `to_dict` made (used to replay a facts document)."""
    if data is None:
        return None
    if not dataclasses.is_dataclass(cls):
        return data
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for f in dataclasses.fields(cls):
        if f.name in data:
            kwargs[f.name] = _convert(hints[f.name], data[f.name])
    return cls(**kwargs)


def _convert(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        return _convert(inner[0], value) if len(inner) == 1 else value
    if origin is list and args:
        return [_convert(args[0], v) for v in value]
    if dataclasses.is_dataclass(hint):
        return from_dict(hint, value)
    return value
