"""On a machine with a real NVIDIA GPU: llmdoctor's probe must agree with nvidia-smi."""
import shutil
import subprocess

import pytest

from llmdoctor.probes import probe_machine

pytestmark = pytest.mark.gpu

QUERY = "index,memory.total,compute_cap,driver_version,pcie.link.gen.current,pcie.link.width.current,pcie.link.gen.max,pcie.link.width.max,name"


def _smi_rows():
    if not shutil.which("nvidia-smi"):
        pytest.skip("nvidia-smi not on PATH")
    out = subprocess.run(["nvidia-smi", f"--query-gpu={QUERY}", "--format=csv,noheader,nounits"],
                         capture_output=True, text=True, timeout=30, check=True).stdout
    return [[c.strip() for c in line.split(",")] for line in out.strip().splitlines()]


def test_probe_matches_nvidia_smi():
    rows = _smi_rows()
    machine = probe_machine()
    nvidia = [g for g in machine.gpus if g.vendor == "nvidia"]
    assert len(nvidia) == len(rows)
    for g, row in zip(nvidia, rows):
        index, mem_mib, cc, driver, gen, width, gen_max, width_max, name = row
        assert g.index == int(index)
        assert g.name == name
        # nvidia-smi prints total memory in MiB, rounded down
        assert g.memory_total_bytes // (1 << 20) == int(mem_mib)
        assert g.compute_capability == cc
        assert machine.software.driver_version == driver
        assert g.pcie.gen_current == int(gen)
        assert g.pcie.width_current == int(width)
        assert g.pcie.gen_max == int(gen_max)
        assert g.pcie.width_max == int(width_max)
        assert g.memory_bandwidth_bytes_per_s > 0


def test_torch_arch_list_matches_torch_itself():
    torch = pytest.importorskip("torch")
    if not torch.version.cuda:
        pytest.skip("torch is not a CUDA build")
    machine = probe_machine()
    assert machine.software.torch_arch_list == torch.cuda.get_arch_list()
