"""A stand-in for the pynvml module that raises the REAL pynvml exception classes.

It answers from a table of GPUs; any field may be set to an exception class to simulate a driver
that cannot answer it. Used to drive every NVML failure mode through llmdoctor's nvml module.
"""
import ctypes
from types import SimpleNamespace

import pynvml


class FakeNvml:
    NVMLError = pynvml.NVMLError
    NVML_CLOCK_MEM = pynvml.NVML_CLOCK_MEM
    NVML_P2P_CAPS_INDEX_READ = pynvml.NVML_P2P_CAPS_INDEX_READ      # a one-element tuple in pynvml
    NVML_P2P_CAPS_INDEX_NVLINK = pynvml.NVML_P2P_CAPS_INDEX_NVLINK
    nvmlMemory_v2 = pynvml.nvmlMemory_v2

    def __init__(self, gpus, init_error=None, driver="580.95.05", cuda=13000):
        self.gpus, self.init_error, self.driver, self.cuda = gpus, init_error, driver, cuda
        self.calls = []

    def _field(self, handle, name, *args):
        self.calls.append(name)
        value = self.gpus[handle][name]
        if isinstance(value, type) and issubclass(value, pynvml.NVMLError):
            raise value()
        return value(*args) if callable(value) else value

    def nvmlInit(self):
        if self.init_error:
            raise self.init_error()

    def nvmlShutdown(self):
        pass

    def nvmlSystemGetDriverVersion(self):
        return self.driver

    def nvmlSystemGetCudaDriverVersion(self):
        return self.cuda

    def nvmlDeviceGetCount(self):
        return len(self.gpus)

    def nvmlDeviceGetHandleByIndex(self, i):
        lost = self.gpus[i].get("lost")
        if lost:
            raise pynvml.NVMLError_GpuIsLost()
        return i

    def nvmlDeviceGetName(self, h): return self._field(h, "name")
    def nvmlDeviceGetUUID(self, h): return self._field(h, "uuid")
    def nvmlDeviceGetPciInfo(self, h): return SimpleNamespace(busId=self._field(h, "bus"), pciDeviceId=0x2330)
    def nvmlDeviceGetCudaComputeCapability(self, h): return self._field(h, "cc")
    def nvmlDeviceGetArchitecture(self, h): return self._field(h, "arch")

    def nvmlDeviceGetMemoryInfo(self, h, version=None):
        if version is not None:
            v2 = self._field(h, "mem_v2")
            return SimpleNamespace(**v2)
        return SimpleNamespace(**self._field(h, "mem"))

    def nvmlDeviceGetMaxClockInfo(self, h, clock): return self._field(h, "clock")
    def nvmlDeviceGetMemoryBusWidth(self, h): return self._field(h, "bus_width")
    def nvmlDeviceGetNumGpuCores(self, h): return self._field(h, "cores")
    def nvmlDeviceGetCurrPcieLinkGeneration(self, h): return self._field(h, "gen")
    def nvmlDeviceGetMaxPcieLinkGeneration(self, h): return self._field(h, "gen_max")
    def nvmlDeviceGetGpuMaxPcieLinkGeneration(self, h): return self._field(h, "gen_gpu_max")
    def nvmlDeviceGetCurrPcieLinkWidth(self, h): return self._field(h, "width")
    def nvmlDeviceGetMaxPcieLinkWidth(self, h): return self._field(h, "width_max")
    def nvmlDeviceGetNvLinkState(self, h, link): return self._field(h, "nvlink", link)
    def nvmlDeviceGetNvLinkVersion(self, h, link): return 6          # NVML_NVLINK_VERSION_4_0

    def nvmlDeviceGetP2PStatus(self, a, b, cap):
        if not isinstance(cap, int):      # the real binding passes it to ctypes, which wants an int
            raise ctypes.ArgumentError(f"argument 3: wrong type {type(cap).__name__}")
        return self._field(a, "p2p")
    def nvmlDeviceGetMigMode(self, h): return self._field(h, "mig")
    def nvmlDeviceGetComputeRunningProcesses(self, h): return self._field(h, "procs")
    def nvmlDeviceGetGraphicsRunningProcesses(self, h): return []
    def nvmlDeviceGetPowerManagementLimit(self, h): return self._field(h, "power")
    def nvmlDeviceGetEccMode(self, h): return self._field(h, "ecc")
    def nvmlDeviceGetDisplayActive(self, h): return self._field(h, "display")


def h100(**overrides):
    gpu = dict(name="NVIDIA H100 80GB HBM3", uuid="GPU-db1818e1-4d16-328f-c22c-e0d656b26cea",
               bus="00000000:00:06.0", cc=(9, 0), arch=9,
               mem_v2=dict(total=85520809984, free=85017493504, used=0, reserved=503316480),
               mem=dict(total=85520809984, free=85017493504, used=503316480),
               clock=2619, bus_width=5120, cores=16896, gen=5, gen_max=5, gen_gpu_max=5, width=16,
               width_max=16, nvlink=pynvml.NVMLError_NotSupported, p2p=0, mig=(0, 0),
               procs=[SimpleNamespace(pid=4242, usedGpuMemory=1 << 30)], power=700000, ecc=(1, 1),
               display=0)
    gpu.update(overrides)
    return gpu
