"""The host: OS, WSL, container, cgroup limit, RAM, swap, /dev/shm, memlock, NUMA, a path's fs."""
from __future__ import annotations

import re

from llmdoctor.facts import Host, Machine
from llmdoctor.probes.source import NotRecorded, Source

CGROUP_V1_UNLIMITED = 1 << 62   # v1 reports "no limit" as a page-rounded 2^63-1


def probe_host(src: Source, machine: Machine, path: str | None = None) -> str | None:
    h = machine.host
    plat = src.call("platform")
    h.os, h.kernel, h.arch = plat["system"], plat["release"], plat["machine"]
    h.distro = _distro(src.try_read("/etc/os-release"))
    h.wsl = _is_wsl(src, h.kernel)
    h.container = _container(src)
    _read_meminfo(src, h)
    _read_cgroup(src, h)
    _read_shm(src, h)
    _read_memlock(src, h)
    _read_numa(src, h)
    h.jetson_model = _jetson_model(src)
    if path:
        _read_path(src, h, path)
    return None


def _distro(os_release: str | None) -> str | None:
    if not os_release:
        return None
    fields = dict(re.findall(r'^([A-Z_]+)="?([^"\n]*)"?$', os_release, re.M))
    return fields.get("PRETTY_NAME") or fields.get("NAME")


def _is_wsl(src: Source, kernel: str | None) -> bool:
    version = src.try_read("/proc/version") or ""
    if re.search(r"microsoft|wsl", (kernel or "") + version, re.I):
        return True
    return src.exists("/proc/sys/fs/binfmt_misc/WSLInterop")


def _container(src: Source) -> str | None:
    env = src.call("environ")
    if env.get("KUBERNETES_SERVICE_HOST"):
        return "kubernetes"
    if src.exists("/run/.containerenv") or env.get("container") == "podman":
        return "podman"
    if src.exists("/.dockerenv"):
        return "docker"
    cgroup = src.try_read("/proc/1/cgroup") or ""
    for marker, name in (("kubepods", "kubernetes"), ("docker", "docker"),
                         ("containerd", "containerd"), ("lxc", "lxc")):
        if marker in cgroup:
            return name
    return env.get("container") or None


def _meminfo_bytes(text: str, key: str) -> int | None:
    m = re.search(rf"^{key}:\s+(\d+)\s*kB", text, re.M)
    return int(m.group(1)) * 1024 if m else None


def _read_meminfo(src: Source, h: Host) -> None:
    text = src.try_read("/proc/meminfo")
    if text is None:
        h.unknown["ram"] = "/proc/meminfo not readable"
        return
    h.ram_total_bytes = _meminfo_bytes(text, "MemTotal")
    h.ram_available_bytes = _meminfo_bytes(text, "MemAvailable")
    h.swap_total_bytes = _meminfo_bytes(text, "SwapTotal")
    h.swap_free_bytes = _meminfo_bytes(text, "SwapFree")


def _read_cgroup(src: Source, h: Host) -> None:
    own = src.try_read("/proc/self/cgroup") or ""
    v2 = re.search(r"^0::(/\S*)$", own, re.M)
    candidates = []
    if v2:
        rel = v2.group(1).rstrip("/")
        candidates.append((2, f"/sys/fs/cgroup{rel}/memory.max"))
    candidates += [(2, "/sys/fs/cgroup/memory.max"),
                   (1, "/sys/fs/cgroup/memory/memory.limit_in_bytes")]
    for version, path in candidates:
        text = src.try_read(path)
        if text is None:
            continue
        h.cgroup_version = version
        value = text.strip()
        if value.isdigit() and int(value) < CGROUP_V1_UNLIMITED:
            h.cgroup_memory_limit_bytes = int(value)
            if h.ram_available_bytes is not None:
                # inside a limit, what we may use is the smaller of the two
                h.ram_available_bytes = min(h.ram_available_bytes, int(value))
        return
    h.unknown["cgroup_memory_limit_bytes"] = "no cgroup memory controller file readable"


def _read_shm(src: Source, h: Host) -> None:
    try:
        st = src.call("statvfs", "/dev/shm")
    except (OSError, NotRecorded) as exc:
        h.unknown["shm"] = f"/dev/shm: {exc}"
        return
    h.shm_total_bytes, h.shm_free_bytes = st["total"], st["free"]


def _read_memlock(src: Source, h: Host) -> None:
    text = src.try_read("/proc/self/limits")
    m = re.search(r"^Max locked memory\s+(\S+)\s+(\S+)\s+bytes", text or "", re.M)
    if not m:
        h.unknown["memlock_limit_bytes"] = "/proc/self/limits not readable"
        return
    soft = m.group(1)
    h.memlock_unlimited = soft == "unlimited"
    h.memlock_limit_bytes = None if h.memlock_unlimited else int(soft)


def _read_numa(src: Source, h: Host) -> None:
    try:
        names = src.listdir("/sys/devices/system/node")
    except (OSError, NotRecorded):
        h.unknown["numa_nodes"] = "/sys/devices/system/node not readable"
        return
    h.numa_nodes = sum(1 for n in names if re.fullmatch(r"node\d+", n)) or None


def _jetson_model(src: Source) -> str | None:
    model = src.try_read("/proc/device-tree/model")
    if model and re.search(r"jetson|thor|orin|xavier", model, re.I):
        return model.strip("\x00\n ")
    return None


def _read_path(src: Source, h: Host, path: str) -> None:
    h.path = path
    try:
        real = src.call("realpath", path)
        st = src.call("statvfs", real)
    except (OSError, NotRecorded) as exc:
        h.unknown["path"] = f"{path}: {exc}"
        return
    h.path_free_bytes = st["free"]
    mounts = src.try_read("/proc/mounts") or ""
    best = ("", None)
    for line in mounts.splitlines():
        parts = line.split()
        if len(parts) >= 3:
            mnt = parts[1].replace("\\040", " ")
            if (real == mnt or real.startswith(mnt.rstrip("/") + "/")) and len(mnt) >= len(best[0]):
                best = (mnt, parts[2])
    h.path_fs_type = best[1]
