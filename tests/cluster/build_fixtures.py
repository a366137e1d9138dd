"""Build the cluster documents in fixtures/clusters/ (the `llmdoctor probe --ray-address ... --json`
format) for the skew and fabric rules.

Each node's Machine facts are a real recording (fixtures/machines/h200-x2-nvlink-live.json, 2x H200,
replayed through the probes) with the versions the scenario changes; the network facts (interfaces,
/sys/class/infiniband devices, NCCL/Gloo variables), the Ray view and the model path's fingerprint
are written here, in the shapes the node probe produces. Run `python tests/cluster/build_fixtures.py`
to rewrite the files; tests/cluster/test_recorded.py fails when the committed files differ.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "fixtures" / "clusters"
sys.path.insert(0, str(ROOT))

from llmdoctor.cluster.records import (Cluster, IbDevice, IbPort, ModelFingerprint, NetInterface,  # noqa: E402
                                       NodeFacts)
from llmdoctor.cluster.summary import summarize  # noqa: E402
from llmdoctor.probes.replay import load_machine  # noqa: E402
from llmdoctor.report import Report  # noqa: E402

GIB = 1 << 30
MODEL = "/models/Qwen3-32B"
DIGEST = "5f0c3c1f9d2e4a7b8c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b"


def machine():
    m = load_machine(str(ROOT / "fixtures" / "machines" / "h200-x2-nvlink-live.json"))
    m.software.packages = {**m.software.packages, "vllm": "0.11.0", "ray": "2.49.1"}
    for p in m.probes:            # timings vary from run to run
        p.elapsed_ms = 0.0
    return m


def ports(rate: str, n: int, state: str = "ACTIVE", layer: str = "InfiniBand") -> list[IbPort]:
    gbps = float(rate.split()[0])
    return [IbPort(port=i + 1, state=state, phys_state="LinkUp" if state == "ACTIVE" else "Polling",
                   rate=rate, rate_gbps=gbps, link_layer=layer) for i in range(n)]


def ib(count: int, rate: str = "400 Gb/sec (4X NDR)") -> list[IbDevice]:
    return [IbDevice(name=f"mlx5_{i}", hca_type="MT4129", fw_ver="28.39.1002", netdevs=[f"ibp{i}s0"],
                     ports=ports(rate, 1)) for i in range(count)]


def interfaces(address: str, eth: str = "eth0", ipoib: int = 2) -> list[NetInterface]:
    out = [NetInterface(name="lo", operstate="unknown", kind="loopback", virtual=True, mtu=65536,
                        addresses=["127.0.0.1", "::1"]),
           NetInterface(name=eth, operstate="up", kind="ether", mtu=9000, speed_mbps=100000, addresses=[address]),
           NetInterface(name="docker0", operstate="down", kind="ether", virtual=True, mtu=1500,
                        addresses=["172.17.0.1"])]
    last = address.rsplit(".", 1)[1]
    out += [NetInterface(name=f"ibp{i}s0", operstate="up", kind="infiniband", mtu=4092,
                         addresses=[f"192.168.{100 + i}.{last}"]) for i in range(ipoib)]
    return out


def node(label: str, address: str, head: bool = False, **kw) -> NodeFacts:
    n = NodeFacts(label=label, machine=machine(), address=address, hostname=label, node_id=f"{label:0<56}"[:56],
                  is_head=head, ray_version="2.49.1", ray_resources={"CPU": 96.0, "GPU": 2.0, "memory": 1.6e12},
                  interfaces=interfaces(address), ib_devices=ib(2),
                  env={"NCCL_SOCKET_IFNAME": "eth0", "GLOO_SOCKET_IFNAME": "eth0", "NCCL_IB_HCA": "mlx5"},
                  model=ModelFingerprint(path=MODEL, exists=True, is_dir=True, files=27, total_bytes=int(61.1 * GIB),
                                         digest=DIGEST))
    n.machine.source = f"ray:{address}"
    for k, v in kw.items():
        setattr(n, k, v)
    return n


def document(nodes: list[NodeFacts], description: str) -> dict:
    cluster = summarize(Cluster(source="ray:10.0.0.1:6379", nodes=nodes, ray_version="2.49.1", model_path=MODEL,
                                notes=[description]))
    doc = Report(machine=nodes[0].machine, cluster=cluster).document()
    doc["tool"]["version"] = "fixture"
    return doc


def healthy() -> dict:
    return document([node("gpu-a", "10.0.0.1", head=True), node("gpu-b", "10.0.0.2")],
                    "2 nodes of 2x H200, same software, 2x NDR InfiniBand each, variables set alike")


def skew() -> dict:
    b = node("gpu-b", "10.0.0.2", ray_resources={"CPU": 96.0, "GPU": 0.0, "memory": 1.6e12},
             model=ModelFingerprint(path=MODEL, exists=False))
    sw = b.machine.software
    sw.driver_version, sw.cuda_driver_version = "570.195.03", "12.8"
    sw.packages = {**sw.packages, "vllm": "0.10.2", "nvidia-nccl-cu13": "2.27.7"}
    return document([node("gpu-a", "10.0.0.1", head=True), b],
                    "gpu-b: another driver, vLLM and NCCL; Ray started there with --num-gpus 0; the model not copied")


def fabric() -> dict:
    b = node("gpu-b", "10.0.0.2", env={"NCCL_SOCKET_IFNAME": "eth1", "NCCL_IB_HCA": "=mlx5_4"},
             ib_devices=ib(2, "200 Gb/sec (4X HDR)"))
    b.ib_devices[1].ports = ports("200 Gb/sec (4X HDR)", 1, state="DOWN")
    c = node("gpu-c", "10.0.0.3", interfaces=interfaces("10.0.0.3", eth="enp1s0", ipoib=0), ib_devices=[],
             env={"NCCL_SOCKET_IFNAME": "=enp1s0"})
    return document([node("gpu-a", "10.0.0.1", head=True), b, c],
                    "gpu-b: links trained at HDR, mlx5_1 down, NCCL_SOCKET_IFNAME=eth1 and NCCL_IB_HCA=mlx5_4 "
                    "that it does not have; gpu-c: no RDMA, GLOO_SOCKET_IFNAME unset")


FIXTURES = {"h200x2-2node-healthy.json": healthy, "h200x2-2node-skew.json": skew,
            "h200x2-3node-fabric.json": fabric}


def render(name: str) -> str:
    return json.dumps(FIXTURES[name](), indent=1, sort_keys=True) + "\n"


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    for name in FIXTURES:
        (OUT / name).write_text(render(name), encoding="utf-8")
        print(f"wrote {OUT / name}")
