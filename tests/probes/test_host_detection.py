"""WSL, container, cgroup, /dev/shm and memlock detection from recorded answers."""
import json

from llmdoctor.probes import probe_machine
from llmdoctor.probes.source import ReplaySource


def key(name, *args):
    return name + json.dumps(list(args), separators=(",", ":"))


def machine(**files):
    calls = {key("platform"): {"ok": {"system": "Linux", "release": "6.6.87.2-microsoft-standard-WSL2",
                                      "machine": "x86_64", "python_version": "3.10.20",
                                      "python_executable": "/usr/bin/python3", "node": "h"}},
             key("environ"): {"ok": files.pop("env", {})}}
    for (kind, path), value in files.pop("answers", {}).items():
        calls[key(kind, path)] = {"ok": value}
    return probe_machine(ReplaySource({"calls": calls}))


def test_wsl_from_kernel_release():
    assert machine().host.wsl is True


def test_docker_podman_kubernetes():
    assert machine(answers={("exists", "/.dockerenv"): True}).host.container == "docker"
    assert machine(answers={("exists", "/run/.containerenv"): True}).host.container == "podman"
    assert machine(env={"KUBERNETES_SERVICE_HOST": "10.0.0.1"}).host.container == "kubernetes"
    assert machine(answers={("read_text", "/proc/1/cgroup"): "12:memory:/kubepods/burstable/pod1\n"}).host.container == "kubernetes"
    assert machine().host.container is None


def test_cgroup_v2_limit_caps_available_ram():
    h = machine(answers={
        ("read_text", "/proc/meminfo"): "MemTotal: 65536000 kB\nMemAvailable: 60000000 kB\n",
        ("read_text", "/proc/self/cgroup"): "0::/docker/abc\n",
        ("read_text", "/sys/fs/cgroup/docker/abc/memory.max"): "8589934592\n"}).host
    assert h.cgroup_version == 2 and h.cgroup_memory_limit_bytes == 8 << 30
    assert h.ram_total_bytes == 65536000 * 1024 and h.ram_available_bytes == 8 << 30


def test_cgroup_v2_unlimited_and_v1_sentinel():
    h = machine(answers={("read_text", "/sys/fs/cgroup/memory.max"): "max\n"}).host
    assert h.cgroup_version == 2 and h.cgroup_memory_limit_bytes is None
    h = machine(answers={("read_text", "/sys/fs/cgroup/memory/memory.limit_in_bytes"): "9223372036854771712\n"}).host
    assert h.cgroup_version == 1 and h.cgroup_memory_limit_bytes is None
    h = machine(answers={("read_text", "/sys/fs/cgroup/memory/memory.limit_in_bytes"): "17179869184\n"}).host
    assert h.cgroup_version == 1 and h.cgroup_memory_limit_bytes == 16 << 30


def test_docker_default_shm_and_memlock():
    h = machine(answers={("statvfs", "/dev/shm"): {"total": 64 << 20, "free": 64 << 20},
                         ("read_text", "/proc/self/limits"):
                             "Max locked memory         65536                65536                bytes\n"}).host
    assert h.shm_total_bytes == 64 << 20
    assert h.memlock_limit_bytes == 65536 and h.memlock_unlimited is False


def test_unreadable_files_leave_unknowns_with_reasons():
    h = machine().host
    assert h.ram_total_bytes is None and "ram" in h.unknown
    assert h.shm_total_bytes is None and "shm" in h.unknown


def test_a_program_that_floods_its_output_is_cut_and_stopped():
    """An nvcc wrapper that prints gigabytes is read up to the cap as it comes, then killed."""
    import subprocess
    import time
    from llmdoctor.probes.source import MAX_FILE_READ, _run
    start = time.monotonic()
    out = _run(["sh", "-c", "yes nvcc | head -c 2000000000"], 20)
    assert len(out["stdout"]) == MAX_FILE_READ and time.monotonic() - start < 10
    assert _run(["sh", "-c", "echo hi; echo err >&2; exit 3"], 5) == {"rc": 3, "stdout": "hi\n", "stderr": "err\n"}
    try:
        _run(["sleep", "5"], 0.3)
    except subprocess.TimeoutExpired:
        pass
    else:
        raise AssertionError("no timeout")
