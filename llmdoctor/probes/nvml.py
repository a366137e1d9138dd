"""The one module that talks to NVML (nvidia-ml-py).

It turns each NVML query into plain data (ints, strings, dicts) and each NVML failure into
`NvmlError(code)`, so that answers can be recorded and replayed without pynvml. Devices are
addressed by index; handles stay inside this module.
"""
from __future__ import annotations

import ctypes
from typing import Any, Callable

from llmdoctor.probes.source import NvmlError

_state: dict[str, Any] = {"lib": None, "init_error": None, "handles": {}}


def _import_pynvml():
    import pynvml  # the only pynvml import in llmdoctor
    return pynvml


def _lib():
    if _state["init_error"] is not None:
        raise _state["init_error"]
    if _state["lib"] is None:
        try:
            lib = _import_pynvml()
        except ImportError as exc:
            _state["init_error"] = NvmlError("LibraryNotFound", f"nvidia-ml-py is not installed: {exc}")
            raise _state["init_error"] from None
        try:
            lib.nvmlInit()
        except lib.NVMLError as exc:
            _state["init_error"] = _convert(lib, exc)
            raise _state["init_error"] from None
        _state["lib"] = lib
    return _state["lib"]


def reset() -> None:
    """Forget the loaded library (tests swap in a fake pynvml)."""
    lib = _state["lib"]
    if lib is not None:
        try:
            lib.nvmlShutdown()
        except lib.NVMLError:
            pass  # shutting down a library we are discarding; nothing to report
    _state.update(lib=None, init_error=None, handles={})


def _convert(lib, exc: BaseException) -> NvmlError:
    name = type(exc).__name__
    code = name[len("NVMLError_"):] if name.startswith("NVMLError_") else "Unknown"
    try:
        message = str(exc)
    except Exception:  # pynvml's __str__ calls back into the library, which may be gone
        message = name
    return NvmlError(code, message)


def _handle(lib, index: int):
    handles = _state["handles"]
    if index not in handles:
        handles[index] = lib.nvmlDeviceGetHandleByIndex(index)
    return handles[index]


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _memory_v2(lib, h) -> dict:
    m = lib.nvmlDeviceGetMemoryInfo(h, version=lib.nvmlMemory_v2)
    return {"total": m.total, "free": m.free, "used": m.used, "reserved": m.reserved}


def _memory_v1(lib, h) -> dict:
    m = lib.nvmlDeviceGetMemoryInfo(h)
    return {"total": m.total, "free": m.free, "used": m.used}


def _processes(getter: Callable) -> list[dict]:
    out = []
    for p in getter:
        used = getattr(p, "usedGpuMemory", None)
        # NVML reports "not available" as a huge sentinel (e.g. under some containers)
        out.append({"pid": int(p.pid), "used": int(used) if used is not None and used < (1 << 62) else None})
    return out


def _constant(lib, name: str) -> int:
    """pynvml defines some enum constants as one-element tuples (NVML_P2P_CAPS_INDEX_READ = 0,)."""
    value = getattr(lib, name)
    return int(value[0] if isinstance(value, tuple) else value)


def _device_query(fn: Callable[[Any, Any], Any]) -> Callable[..., Any]:
    def query(lib, index: int, *rest):
        return fn(lib, _handle(lib, index), *rest)
    return query


_QUERIES: dict[str, Callable[..., Any]] = {
    "driver_version": lambda lib: _text(lib.nvmlSystemGetDriverVersion()),
    "cuda_driver_version": lambda lib: int(lib.nvmlSystemGetCudaDriverVersion()),
    "device_count": lambda lib: int(lib.nvmlDeviceGetCount()),
    "name": _device_query(lambda lib, h: _text(lib.nvmlDeviceGetName(h))),
    "uuid": _device_query(lambda lib, h: _text(lib.nvmlDeviceGetUUID(h))),
    "pci_bus_id": _device_query(lambda lib, h: _text(lib.nvmlDeviceGetPciInfo(h).busId)),
    "pci_device_id": _device_query(lambda lib, h: int(lib.nvmlDeviceGetPciInfo(h).pciDeviceId)),
    "cuda_compute_capability": _device_query(
        lambda lib, h: list(lib.nvmlDeviceGetCudaComputeCapability(h))),
    "memory_info_v2": _device_query(_memory_v2),
    "memory_info": _device_query(_memory_v1),
    "max_mem_clock_mhz": _device_query(
        lambda lib, h: int(lib.nvmlDeviceGetMaxClockInfo(h, lib.NVML_CLOCK_MEM))),
    "memory_bus_width": _device_query(lambda lib, h: int(lib.nvmlDeviceGetMemoryBusWidth(h))),
    "num_gpu_cores": _device_query(lambda lib, h: int(lib.nvmlDeviceGetNumGpuCores(h))),
    "architecture": _device_query(lambda lib, h: int(lib.nvmlDeviceGetArchitecture(h))),
    "pcie_gen_current": _device_query(lambda lib, h: int(lib.nvmlDeviceGetCurrPcieLinkGeneration(h))),
    "pcie_gen_max": _device_query(lambda lib, h: int(lib.nvmlDeviceGetMaxPcieLinkGeneration(h))),
    "pcie_gen_gpu_max": _device_query(lambda lib, h: int(lib.nvmlDeviceGetGpuMaxPcieLinkGeneration(h))),
    "pcie_width_current": _device_query(lambda lib, h: int(lib.nvmlDeviceGetCurrPcieLinkWidth(h))),
    "pcie_width_max": _device_query(lambda lib, h: int(lib.nvmlDeviceGetMaxPcieLinkWidth(h))),
    "nvlink_state": _device_query(lambda lib, h, link: int(lib.nvmlDeviceGetNvLinkState(h, link))),
    "nvlink_version": _device_query(lambda lib, h, link: int(lib.nvmlDeviceGetNvLinkVersion(h, link))),
    "p2p_status": lambda lib, a, b, cap: int(lib.nvmlDeviceGetP2PStatus(
        _handle(lib, a), _handle(lib, b), _constant(lib, cap))),
    "mig_mode": _device_query(lambda lib, h: list(lib.nvmlDeviceGetMigMode(h))),
    "compute_processes": _device_query(
        lambda lib, h: _processes(lib.nvmlDeviceGetComputeRunningProcesses(h))),
    "graphics_processes": _device_query(
        lambda lib, h: _processes(lib.nvmlDeviceGetGraphicsRunningProcesses(h))),
    "power_limit_mw": _device_query(lambda lib, h: int(lib.nvmlDeviceGetPowerManagementLimit(h))),
    "ecc_mode": _device_query(lambda lib, h: list(lib.nvmlDeviceGetEccMode(h))),
    "display_active": _device_query(lambda lib, h: int(lib.nvmlDeviceGetDisplayActive(h))),
}

QUERY_NAMES = tuple(_QUERIES)


def call(func: str, *args: Any) -> Any:
    """Answer one NVML query by name; raise NvmlError on any NVML failure."""
    query = _QUERIES[func]
    lib = _lib()
    try:
        return query(lib, *args)
    except lib.NVMLError as exc:
        raise _convert(lib, exc) from None
    except (ctypes.ArgumentError, TypeError, AttributeError) as exc:
        # an nvidia-ml-py release whose signature or struct differs: this field is unknown, not fatal
        raise NvmlError("Unexpected", f"{func}: {type(exc).__name__}: {exc}") from None
