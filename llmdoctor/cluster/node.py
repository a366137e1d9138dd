"""What one node reports about itself: the Machine facts (the same probes as `llmdoctor probe`), its
network interfaces, its RDMA devices, the communication environment and what it sees at the model
path. `probe_node` runs on the node (as a Ray task, or by hand) and returns plain data, so the
caller needs nothing of this process but the dict.

Reads /sys/class/net and /sys/class/infiniband through the probes' Source (so a recording could
answer them), the interface addresses through psutil, and the model path's file names and sizes.
"""
from __future__ import annotations

import hashlib
import os
import re
import socket
import sys
from typing import Any, Optional

from llmdoctor.cluster.records import IbDevice, IbPort, ModelFingerprint, NetInterface, NodeFacts
from llmdoctor.facts import to_dict
from llmdoctor.probes.source import NotRecorded, Source

# Variables that pick the network NCCL, Gloo and the engines use between nodes.
COMM_ENV_PREFIXES = ("NCCL_", "GLOO_", "UCX_", "NVSHMEM_")
COMM_ENV_NAMES = ("TP_SOCKET_IFNAME", "VLLM_HOST_IP", "VLLM_PORT", "SGLANG_HOST_IP", "MASTER_ADDR",
                  "MASTER_PORT", "CUDA_VISIBLE_DEVICES", "RAY_ADDRESS")
_SECRET = re.compile(r"(KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL)", re.I)

ARPHRD = {"1": "ether", "32": "infiniband", "772": "loopback"}
MAX_FILES = 20000            # a model directory with more is not walked further
MAX_DEPTH = 4
SMALL_FILE = 1 << 20         # files up to this size are hashed whole (configs, tokenizers, templates)
MAX_HASHED = 64 << 20        # ... up to this many bytes in all
HEAD_BYTES = 1 << 20         # a single large file (GGUF): its first MiB is hashed


def comm_env(environ: dict) -> dict[str, str]:
    out = {}
    for k, v in sorted(environ.items()):
        if k.startswith(COMM_ENV_PREFIXES) or k in COMM_ENV_NAMES:
            out[k] = "<scrubbed>" if _SECRET.search(k) else v
    return out


def _try(src: Source, path: str) -> Optional[str]:
    text = src.try_read(path)
    return text.strip() if text is not None else None


def _int(text: Optional[str]) -> Optional[int]:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


def _listdir(src: Source, path: str) -> list[str]:
    try:
        return list(src.listdir(path))
    except (OSError, NotRecorded):
        return []


def read_interfaces(src: Source, addresses: Optional[dict[str, list[str]]] = None) -> list[NetInterface]:
    """/sys/class/net: every interface, its state, type, MTU and speed; addresses from psutil."""
    if addresses is None:
        addresses = interface_addresses()
    out = []
    for name in _listdir(src, "/sys/class/net"):
        base = f"/sys/class/net/{name}"
        try:
            real = src.call("realpath", base)
        except (OSError, NotRecorded):
            real = ""
        speed = _int(_try(src, f"{base}/speed"))
        out.append(NetInterface(
            name=name, operstate=_try(src, f"{base}/operstate"),
            kind=ARPHRD.get(_try(src, f"{base}/type") or "", "other"),
            virtual="/devices/virtual/" in str(real), mtu=_int(_try(src, f"{base}/mtu")),
            speed_mbps=speed if speed is not None and speed > 0 else None,
            addresses=list(addresses.get(name, []))))
    return out


def interface_addresses() -> dict[str, list[str]]:
    """IPv4 and non-link-local IPv6 addresses per interface (psutil; empty where it is missing)."""
    try:
        import psutil
        found = psutil.net_if_addrs()
    except Exception:     # psutil missing on the node, or no permission: addresses unknown
        return {}
    out: dict[str, list[str]] = {}
    for name, addrs in found.items():
        for a in addrs:
            if a.family == socket.AF_INET or (a.family == socket.AF_INET6 and not a.address.lower().startswith("fe80")):
                out.setdefault(name, []).append(a.address.split("%")[0])
    return out


def _after_colon(text: Optional[str]) -> Optional[str]:
    """'4: ACTIVE' -> 'ACTIVE'; '5: LinkUp' -> 'LinkUp'."""
    if text is None:
        return None
    return text.split(":", 1)[1].strip() if ":" in text else text.strip()


def _rate_gbps(text: Optional[str]) -> Optional[float]:
    m = re.match(r"\s*([\d.]+)\s*Gb/sec", text or "")
    return float(m.group(1)) if m else None


def read_ib_devices(src: Source) -> list[IbDevice]:
    """/sys/class/infiniband: each RDMA device, its ports' state, rate and link layer."""
    out = []
    for name in _listdir(src, "/sys/class/infiniband"):
        base = f"/sys/class/infiniband/{name}"
        dev = IbDevice(name=name, hca_type=_try(src, f"{base}/hca_type"), fw_ver=_try(src, f"{base}/fw_ver"),
                       netdevs=_listdir(src, f"{base}/device/net"))
        for port in _listdir(src, f"{base}/ports"):
            if not port.isdigit():
                continue
            p = f"{base}/ports/{port}"
            rate = _try(src, f"{p}/rate")
            dev.ports.append(IbPort(port=int(port), state=_after_colon(_try(src, f"{p}/state")),
                                    phys_state=_after_colon(_try(src, f"{p}/phys_state")), rate=rate,
                                    rate_gbps=_rate_gbps(rate), link_layer=_try(src, f"{p}/link_layer")))
        out.append(dev)
    return out


def fingerprint(path: str) -> ModelFingerprint:
    """Names and sizes of the files at `path` (and the bytes of the small ones), hashed together."""
    fp = ModelFingerprint(path=path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return fp
    except OSError as exc:
        fp.error = f"cannot stat: {exc.strerror or exc}"
        return fp
    fp.exists = True
    h = hashlib.sha256()
    if not os.path.isdir(path):
        fp.is_dir, fp.files, fp.total_bytes = False, 1, st.st_size
        h.update(f"{os.path.basename(path)}\0{st.st_size}\n".encode())
        try:
            with open(path, "rb") as fh:
                h.update(fh.read(HEAD_BYTES))
        except OSError as exc:
            fp.error = f"cannot read: {exc.strerror or exc}"
        fp.digest = h.hexdigest()
        return fp
    fp.is_dir = True
    entries: list[tuple[str, int, str]] = []
    hashed = 0
    root_depth = path.rstrip(os.sep).count(os.sep)
    for dirpath, dirnames, filenames in os.walk(path, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        if dirpath.count(os.sep) - root_depth >= MAX_DEPTH:
            dirnames[:] = []
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            full = os.path.join(dirpath, name)
            try:
                size = os.stat(full).st_size          # follows symlinks (HF cache snapshots)
            except OSError:
                size = -1
            digest = ""
            if 0 <= size <= SMALL_FILE and hashed + size <= MAX_HASHED:
                try:
                    with open(full, "rb") as fh:
                        digest = hashlib.sha256(fh.read(SMALL_FILE)).hexdigest()
                    hashed += size
                except OSError:
                    digest = "unreadable"
            entries.append((os.path.relpath(full, path), size, digest))
            if len(entries) >= MAX_FILES:
                fp.error = f"more than {MAX_FILES} files: compared the first {MAX_FILES}"
                break
        if len(entries) >= MAX_FILES:
            break
    for rel, size, digest in sorted(entries):
        h.update(f"{rel}\0{size}\0{digest}\n".encode())
    fp.files = len(entries)
    fp.total_bytes = sum(max(s, 0) for _, s, _ in entries)
    fp.digest = h.hexdigest()
    return fp


def probe_node(model_path: Optional[str] = None, drop_env: tuple[str, ...] = ()) -> dict[str, Any]:
    """Probe this node; the NodeFacts as a plain dict. `drop_env` names variables the caller set
    itself (Ray's CUDA_VISIBLE_DEVICES for a task without GPUs) and that the engine would not see."""
    from llmdoctor.probes import probe_machine
    saved = {k: os.environ.pop(k) for k in drop_env if k in os.environ}
    try:
        src = Source()
        machine = probe_machine(src, path=model_path)
        env = comm_env(dict(os.environ))
    finally:
        os.environ.update(saved)
    hostname = socket.gethostname()
    node = NodeFacts(label=hostname, machine=machine, hostname=hostname, env=env,
                     interfaces=read_interfaces(src), ib_devices=read_ib_devices(src),
                     model=fingerprint(model_path) if model_path else None)
    ray = sys.modules.get("ray")
    node.ray_version = getattr(ray, "__version__", None)
    return to_dict(node)


if __name__ == "__main__":   # python -m llmdoctor.cluster.node [MODEL_PATH]: this node's facts as JSON
    import json
    print(json.dumps(probe_node(sys.argv[1] if len(sys.argv) > 1 else None), indent=1))
