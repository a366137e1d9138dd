"""The live no-GPU path, replay of every recorded machine, and the recorded machines' figures."""
import json
import subprocess
import sys

import pytest

from llmdoctor.probes.replay import load_machine

from ..conftest import MACHINES, ROOT


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "llmdoctor", *args], capture_output=True, text=True,
                          timeout=120, cwd=ROOT)


def test_live_no_gpu_machine_exits_zero_and_says_so():
    out = run_cli("probe")
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stdout + out.stderr
    has_gpu = "GPUs" in out.stdout
    assert has_gpu or "No GPU found" in out.stdout


def test_live_json_has_the_contract_fields():
    out = run_cli("probe", "--json", "--path", str(ROOT))
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["schema_version"] == 1
    m = doc["machine"]
    for field in ("ram_total_bytes", "ram_available_bytes", "shm_total_bytes", "container", "wsl"):
        assert field in m["host"]
    for field in ("driver_version", "cuda_driver_version", "nvcc", "python_version", "packages"):
        assert field in m["software"]
    assert {p["status"] for p in m["probes"]} <= {"ok", "unavailable", "error"}
    assert all(set(p) == {"name", "status", "reason", "elapsed_ms"} for p in m["probes"])


@pytest.mark.parametrize("name", sorted(p.stem for p in MACHINES.glob("*.json")))
def test_every_recorded_machine_replays_through_the_cli(name):
    out = run_cli("probe", "--machine", str(MACHINES / f"{name}.json"), "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["machine"]["source"] == f"replay:{name}.json"
    assert not [p for p in doc["machine"]["probes"] if p["status"] == "error"]


def test_h100_capture_real_figures(machine_file):
    m = load_machine(machine_file("h100-80gb-hbm3"))
    g = m.gpus[0]
    # shared/captures/h100: nvidia-smi 81559 MiB, NVML total 85520809984 B, reserved 503316480 B
    assert g.name == "NVIDIA H100 80GB HBM3" and g.compute_capability == "9.0"
    assert g.memory_total_bytes == 85520809984 and g.memory_total_bytes >> 20 == 81559
    assert g.memory_reserved_bytes == 503316480
    assert round(g.memory_bandwidth_bytes_per_s / 1e12, 2) == 3.35
    assert (g.pcie.gen_current, g.pcie.width_current) == (5, 16)
    assert g.nvlink.supported is False          # NVLink queries answered NotSupported there
    assert m.software.driver_version == "580.159.04" and m.software.cuda_driver_version == "13.0"
    assert m.software.torch_cuda == "13.0" and m.host.container == "docker"


def test_h200_recorded_live(machine_file):
    g = load_machine(machine_file("h200-141gb-device")).gpus[0]
    assert g.name == "NVIDIA H200" and g.memory_total_bytes >> 20 == 143771
    assert round(g.memory_bandwidth_bytes_per_s / 1e12, 1) == 4.8


def test_seed_machines(machine_file):
    ti = load_machine(machine_file("rtx2080ti-22gb-x2-wsl"))
    assert [g.compute_capability for g in ti.gpus] == ["7.5", "7.5"]
    assert ti.gpus[0].memory_total_bytes >> 20 == 22528 and ti.host.wsl
    assert ti.p2p[0].read == "not_supported" and ti.software.nvcc[0].version == "13.3"
    s = load_machine(machine_file("rtx4080super-32gb-x2-pcie3")).gpus[0]
    assert (s.pcie.gen_current, s.pcie.gen_gpu_max) == (3, 4)
    a10 = load_machine(machine_file("a10-24gb")).gpus[0]
    assert a10.memory_total_bytes >> 20 == 23028          # 24 GB card, not 16 GB
    thor = load_machine(machine_file("jetson-thor"))
    assert thor.gpus[0].unified_memory and thor.gpus[0].memory_total_bytes == thor.host.ram_total_bytes
    arc = load_machine(machine_file("arc-b580-x2"))
    assert [(g.vendor, g.name, g.memory_total_bytes) for g in arc.gpus] == [("intel", "Intel Arc B580", 12 << 30)] * 2
    mig = load_machine(machine_file("a100-80gb-mig")).gpus[0]
    assert mig.mig_enabled and mig.nvlink.active_links == 12


def test_builder_output_matches_committed_files():
    sys.path.insert(0, str(MACHINES))
    try:
        import build
    finally:
        sys.path.pop(0)
    for name, doc in build.documents().items():
        assert (MACHINES / f"{name}.json").read_text() == build.render(doc), f"{name}.json is stale: run fixtures/machines/build.py"


@pytest.mark.parametrize("content, words", [
    ("{not json", "not valid JSON"), ("[1, 2]", "JSON object"), ('{"hello": 1}', "neither"),
])
def test_bad_machine_files_exit_2_with_one_line(tmp_path, content, words):
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    out = run_cli("probe", "--machine", str(bad))
    assert out.returncode == 2 and words in out.stderr and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_missing_machine_file_exit_2():
    out = run_cli("probe", "--machine", "/nonexistent/machine.json")
    assert out.returncode == 2 and "no such file" in out.stderr


def test_facts_document_round_trips(tmp_path, machine_file):
    out = run_cli("probe", "--machine", machine_file("rtx2080ti-22gb-x2-wsl"), "--json")
    facts = tmp_path / "facts.json"
    facts.write_text(out.stdout)
    again = run_cli("probe", "--machine", str(facts), "--json")
    a, b = json.loads(out.stdout)["machine"], json.loads(again.stdout)["machine"]
    assert a["gpus"] == b["gpus"] and a["host"] == b["host"]


def test_h100_recorded_live_agrees_with_the_capture(machine_file):
    live = load_machine(machine_file("h100-80gb-hbm3-live")).gpus[0]
    capture = load_machine(machine_file("h100-80gb-hbm3")).gpus[0]
    for field in ("name", "compute_capability", "memory_total_bytes", "memory_bandwidth_bytes_per_s",
                  "cuda_cores", "power_limit_w"):
        assert getattr(live, field) == getattr(capture, field), field
    assert live.pcie == capture.pcie and live.nvlink.supported is False
    # read from libtorch_cuda.so's fatbin headers; torch.cuda.get_arch_list() printed the same there
    software = load_machine(machine_file("h100-80gb-hbm3-live")).software
    assert software.torch_arch_list == ["sm_75", "sm_80", "sm_86", "sm_90", "sm_100", "sm_120"]


def test_two_h200_with_nvlink_recorded_live(machine_file):
    m = load_machine(machine_file("h200-x2-nvlink-live"))
    assert [(g.nvlink.active_links, g.nvlink.version) for g in m.gpus] == [(18, "4.0"), (18, "4.0")]
    assert (m.p2p[0].read, m.p2p[0].nvlink) == ("ok", "ok")
