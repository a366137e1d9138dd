"""Every NVML failure mode, through a fake NVML raising the real pynvml exception classes."""
import pynvml
import pytest

from llmdoctor.probes import nvml, probe_machine
from llmdoctor.probes.source import RecordingSource, ReplaySource, Source

from .fake_pynvml import FakeNvml, h100


@pytest.fixture
def use_fake(monkeypatch):
    def _install(fake):
        nvml.reset()
        monkeypatch.setattr(nvml, "_import_pynvml", lambda: fake)
        return fake
    yield _install
    nvml.reset()


def _probe(name, machine):
    return next(p for p in machine.probes if p.name == name)


def test_healthy_gpu_reports_every_field(use_fake):
    use_fake(FakeNvml([h100()]))
    m = probe_machine()
    g = m.gpus[0]
    assert _probe("nvidia", m).status == "ok"
    assert g.compute_capability == "9.0" and (g.cc_major, g.cc_minor) == (9, 0)
    assert g.memory_total_bytes == 85520809984 and g.memory_reserved_bytes == 503316480
    # 2619 MHz x 2 (double data rate) x 5120 bit / 8 = 3.352 TB/s, NVIDIA's published 3.35 TB/s
    assert g.memory_bandwidth_bytes_per_s == 3_352_320_000_000
    assert (g.pcie.gen_current, g.pcie.width_max) == (5, 16)
    assert g.processes[0].pid == 4242 and g.processes_memory_bytes == 1 << 30
    assert m.software.driver_version == "580.95.05" and m.software.cuda_driver_version == "13.0"
    assert g.power_limit_w == 700.0 and g.ecc_enabled is True and g.mig_enabled is False


@pytest.mark.parametrize("error, status, words", [
    (pynvml.NVMLError_LibraryNotFound, "unavailable", "library not found"),
    (pynvml.NVMLError_DriverNotLoaded, "unavailable", "driver is not loaded"),
    (pynvml.NVMLError_LibRmVersionMismatch, "error", "version mismatch"),
    (pynvml.NVMLError_Unknown, "error", "Unknown"),
])
def test_init_failures_never_stop_other_probes(use_fake, error, status, words):
    use_fake(FakeNvml([h100()], init_error=error))
    m = probe_machine()
    p = _probe("nvidia", m)
    assert p.status == status and words in p.reason
    assert m.gpus == []
    assert _probe("host", m).status == "ok" and _probe("cpu", m).status == "ok"


def test_missing_nvidia_ml_py_package(use_fake, monkeypatch):
    def _missing():
        raise ImportError("No module named 'pynvml'")
    nvml.reset()
    monkeypatch.setattr(nvml, "_import_pynvml", _missing)
    p = _probe("nvidia", probe_machine())
    assert p.status == "unavailable"


def test_not_supported_field_keeps_the_rest(use_fake):
    use_fake(FakeNvml([h100(gen=pynvml.NVMLError_NotSupported, mem_v2=pynvml.NVMLError_FunctionNotFound)]))
    g = probe_machine().gpus[0]
    assert g.pcie.gen_current is None and g.unknown["pcie.gen_current"] == "NVML NotSupported"
    # v2 memory info missing: falls back to v1, which has no reserved field
    assert g.memory_total_bytes == 85520809984 and g.memory_reserved_bytes is None
    assert "memory" not in g.unknown
    assert g.compute_capability == "9.0" and g.nvlink.supported is False


def test_one_gpu_lost_others_kept(use_fake):
    use_fake(FakeNvml([h100(), h100(lost=True), h100()]))
    m = probe_machine()
    assert [g.lost for g in m.gpus] == [False, True, False]
    assert m.gpus[2].memory_total_bytes == 85520809984
    p = _probe("nvidia", m)
    assert p.status == "ok" and "GPU 1 lost" in p.reason
    assert [(l.gpu_a, l.gpu_b) for l in m.p2p] == [(0, 2)]


def test_recording_replays_identically_and_is_scrubbed(use_fake):
    use_fake(FakeNvml([h100(), h100(p2p=5)]))
    rec = RecordingSource(Source())
    live = probe_machine(rec)
    doc = rec.document("test")
    text = str(doc)
    assert "db1818e1" not in text and "GPU-scrubbed-0" in text
    replayed = probe_machine(ReplaySource(doc))
    assert [g.memory_total_bytes for g in replayed.gpus] == [g.memory_total_bytes for g in live.gpus]
    assert replayed.p2p[0].read == live.p2p[0].read == "ok"
    assert replayed.software.driver_version == "580.95.05"


def test_recorded_failure_replays_as_failure(use_fake):
    use_fake(FakeNvml([h100()], init_error=pynvml.NVMLError_DriverNotLoaded))
    rec = RecordingSource(Source())
    probe_machine(rec)
    p = _probe("nvidia", probe_machine(ReplaySource(rec.document())))
    assert p.status == "unavailable" and "not loaded" in p.reason


def test_nvlink_pair_with_p2p(use_fake):
    linked = dict(nvlink=lambda link: 1, p2p=0)
    use_fake(FakeNvml([h100(**linked), h100(**linked)]))
    m = probe_machine()
    assert [(g.nvlink.active_links, g.nvlink.version) for g in m.gpus] == [(18, "4.0"), (18, "4.0")]
    assert m.p2p[0].read == "ok"          # the tuple-valued pynvml constant reached NVML as an int


def test_binding_mismatch_leaves_one_field_unknown(use_fake):
    def wrong_signature(*args):
        raise TypeError("nvmlDeviceGetNumGpuCores() takes 1 positional argument")
    use_fake(FakeNvml([h100(cores=wrong_signature)]))
    m = probe_machine()
    g = m.gpus[0]
    assert g.cuda_cores is None and g.unknown["cuda_cores"] == "NVML Unexpected"
    assert g.memory_total_bytes == 85520809984
    assert next(p for p in m.probes if p.name == "nvidia").status == "ok"
