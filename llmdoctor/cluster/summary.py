"""The cluster-wide facts the rules read, computed from the nodes alone: versions that differ, the
RDMA fabric, the communication variables, the model path, and the GPUs a TP x PP layout can use.

Only nodes that were probed and answered take part in a comparison; a what-if node leaves the
fabric and the variables unknown (None or empty) rather than looking like a node without them.
"""
from __future__ import annotations

import re
from typing import Callable, Optional

from llmdoctor.cluster.records import (Cluster, EnvCheck, Fabric, Layout, ModelPathCheck, NodeFacts,
                                       VersionSkew)


def _pkg(name: str) -> Callable[[NodeFacts], Optional[str]]:
    return lambda n: (n.machine.software.packages or {}).get(name)


def _nccl(n: NodeFacts) -> Optional[str]:
    pk = n.machine.software.packages or {}
    return pk.get("nvidia-nccl-cu12") or pk.get("nvidia-nccl-cu13")


# name, label, read, compared among GPU nodes only, "not installed" counts as a version
VERSIONS: list[tuple[str, str, Callable[[NodeFacts], Optional[str]], bool, bool]] = [
    ("driver", "NVIDIA driver", lambda n: n.machine.software.driver_version, True, False),
    ("cuda_driver", "CUDA version of the driver", lambda n: n.machine.software.cuda_driver_version, True, False),
    ("torch", "torch", lambda n: n.machine.software.torch_version, False, True),
    ("torch_cuda", "torch's CUDA", lambda n: n.machine.software.torch_cuda, False, False),
    ("vllm", "vLLM", _pkg("vllm"), False, True),
    ("sglang", "SGLang", _pkg("sglang"), False, True),
    ("nccl", "NCCL (nvidia-nccl wheel)", _nccl, False, True),
    ("python", "Python", lambda n: n.machine.software.python_version, False, False),
    ("ray", "Ray", lambda n: n.ray_version, False, False),
]
NOT_INSTALLED = "not installed"
COMM_VARS = ("NCCL_SOCKET_IFNAME", "GLOO_SOCKET_IFNAME", "NCCL_IB_HCA")


def answered(cluster: Cluster) -> list[NodeFacts]:
    return [n for n in cluster.nodes if n.probed and not n.error]


def gpu_count(node: NodeFacts) -> int:
    return len([g for g in node.machine.gpus if not g.lost])


def unique_labels(nodes: list[NodeFacts]) -> None:
    """Hostnames name nodes; two nodes with one name (containers, a local test cluster) get their
    address, then the start of their Ray node id, added."""
    seen: dict[str, int] = {}
    for n in nodes:
        seen[n.label] = seen.get(n.label, 0) + 1
    for n in nodes:
        if seen[n.label] > 1:
            extra = n.address if n.address and n.address != n.label else None
            n.label = f"{n.label}@{extra}" if extra else n.label
    seen = {}
    for n in nodes:
        seen[n.label] = seen.get(n.label, 0) + 1
    for i, n in enumerate(nodes):
        if seen[n.label] > 1:
            n.label = f"{n.label}#{(n.node_id or str(i))[:6]}"


def _group(values: dict[str, str]) -> str:
    by: dict[str, list[str]] = {}
    for node, v in values.items():
        by.setdefault(v, []).append(node)
    return "; ".join(f"{v} on {', '.join(ns)}" for v, ns in sorted(by.items(), key=lambda kv: (-len(kv[1]), kv[0])))


def version_skew(nodes: list[NodeFacts]) -> list[VersionSkew]:
    out = []
    for name, label, read, gpu_only, missing_counts in VERSIONS:
        values: dict[str, str] = {}
        for n in nodes:
            if gpu_only and gpu_count(n) == 0:
                continue
            v = read(n)
            if v is None and missing_counts:
                v = NOT_INSTALLED
            if v is not None:
                values[n.label] = str(v)
        distinct = set(values.values())
        if len(distinct) > 1 and distinct != {NOT_INSTALLED}:
            out.append(VersionSkew(name=name, label=label, values=values, summary=_group(values)))
    return out


def _port_key(dev: str, port: int) -> str:
    return f"{dev} port {port}"


def fabric(nodes: list[NodeFacts]) -> Fabric:
    f = Fabric()
    active: dict[str, set[str]] = {}
    rates: dict[str, str] = {}
    layers, tops = set(), set()
    for n in nodes:
        keys = set()
        node_rates = []
        for d in n.ib_devices:
            for p in d.ports:
                if p.state == "ACTIVE":
                    keys.add(_port_key(d.name, p.port))
                    if p.link_layer:
                        layers.add(p.link_layer)
                    if p.rate_gbps:
                        node_rates.append(p.rate_gbps)
        active[n.label] = keys
        (f.rdma_nodes if keys else f.no_rdma_nodes).append(n.label)
        if node_rates:
            top = max(node_rates)
            tops.add(top)
            rates[n.label] = f"{top:g} Gb/s x{node_rates.count(top)}"
    # a port that is ACTIVE on another node but not here: a cable, a switch port or a driver
    for n in nodes:
        for d in n.ib_devices:
            for p in d.ports:
                key = _port_key(d.name, p.port)
                if p.state != "ACTIVE" and any(key in active[o.label] for o in nodes if o is not n):
                    f.down_ports.append(f"{n.label}: {key} {p.state or 'unknown'}"
                                        + (f" ({p.phys_state})" if p.phys_state else ""))
    f.link_layers = sorted(layers)
    f.rates_gbps = sorted(tops, reverse=True)
    f.rate_summary = _group(rates) if rates else ""
    return f


def _selectors(value: str) -> tuple[bool, bool, list[str]]:
    """NCCL's list syntax: '^' excludes, '=' matches whole names, ',' separates prefixes."""
    v = value.strip()
    exclude = v.startswith("^")
    v = v[1:] if exclude else v
    exact = v.startswith("=")
    v = v[1:] if exact else v
    return exclude, exact, [p.strip() for p in v.split(",") if p.strip()]


def nccl_select(value: str, names: list[str]) -> list[str]:
    """The names NCCL_SOCKET_IFNAME / NCCL_IB_HCA select among `names` (an IB_HCA item may carry
    ':port', which is left out of the device match)."""
    exclude, exact, items = _selectors(value)
    items = [re.sub(r":\d+$", "", i) for i in items]

    def hit(n: str) -> bool:
        return any(n == p if exact else n.startswith(p) for p in items)
    return [n for n in names if hit(n) != exclude]


def _usable_interfaces(n: NodeFacts) -> list[str]:
    return [i.name for i in n.interfaces if i.addresses and (i.operstate or "").lower() != "down"]


def env_checks(nodes: list[NodeFacts]) -> list[EnvCheck]:
    out = []
    for var in COMM_VARS:
        c = EnvCheck(variable=var)
        details = []
        for n in nodes:
            value = n.env.get(var)
            if value is None or not value.strip():
                c.unset_on.append(n.label)
                continue
            c.set_on.append(n.label)
            c.values[n.label] = value
            if var == "NCCL_IB_HCA":
                names = [d.name for d in n.ib_devices]
                chosen = nccl_select(value, names)
                have = ", ".join(names) or "no RDMA device"
            elif not n.interfaces:          # the interfaces could not be read: cannot judge
                continue
            else:
                names = _usable_interfaces(n)
                have = ", ".join(names) or "no interface with an address"
                if var == "GLOO_SOCKET_IFNAME":   # Gloo takes whole names, each must exist
                    wanted = [w.strip() for w in value.split(",") if w.strip()]
                    chosen = wanted if all(w in names for w in wanted) else []
                else:
                    chosen = nccl_select(value, names)
            if not chosen:
                c.missing_on.append(n.label)
                details.append(f"{n.label}: {value} (has {have})")
        c.differs = len(set(c.values.values())) > 1
        c.missing_detail = "; ".join(details)
        out.append(c)
    return out


def _gib(b: Optional[int]) -> str:
    return f"{b / (1 << 30):.1f} GiB" if b is not None else "? GiB"


def model_check(nodes: list[NodeFacts], path: Optional[str]) -> Optional[ModelPathCheck]:
    seen = [n for n in nodes if n.model is not None]
    if not path or not seen:
        return None
    c = ModelPathCheck(path=path)
    summaries = {}
    digests = set()
    for n in seen:
        m = n.model
        if not m.exists:
            c.missing_on.append(n.label)
            summaries[n.label] = "missing"
            continue
        digests.add(m.digest)
        summaries[n.label] = f"{m.files} file{'s' if m.files != 1 else ''}, {_gib(m.total_bytes)}"
    c.differs = len(digests) > 1
    c.summary = _group(summaries)
    return c


def layout(cluster: Cluster) -> Layout:
    counts = [gpu_count(n) for n in cluster.nodes if not n.error]
    gpu_nodes = [c for c in counts if c > 0]
    lay = Layout(gpus_per_node=counts, gpu_nodes=len(gpu_nodes), gpus_total=sum(counts),
                 min_gpus_per_node=min(gpu_nodes) if gpu_nodes else 0,
                 max_gpus_per_node=max(gpu_nodes) if gpu_nodes else 0)
    lay.usable_gpus = lay.min_gpus_per_node * lay.gpu_nodes
    lay.idle_gpus = lay.gpus_total - lay.usable_gpus
    from_ray = [n for n in cluster.nodes if n.ray_resources]
    if from_ray:
        lay.ray_gpus_total = int(sum(n.ray_resources.get("GPU", 0.0) for n in from_ray))
        for n in from_ray:
            if n.probed and not n.error:
                ray_gpus = int(n.ray_resources.get("GPU", 0.0))
                if ray_gpus != gpu_count(n):
                    lay.ray_gpu_mismatch.append(f"{n.label}: Ray {ray_gpus}, probed {gpu_count(n)}")
    return lay


def summarize(cluster: Cluster) -> Cluster:
    """Fill the cluster's summaries from its nodes (in place; returns the cluster)."""
    unique_labels(cluster.nodes)
    heads = [n for n in cluster.nodes if n.is_head]
    cluster.head = heads[0].label if heads else (cluster.nodes[0].label if cluster.nodes else None)
    nodes = answered(cluster)
    cluster.node_count = len(cluster.nodes)
    cluster.probed_nodes = len(nodes)
    cluster.failed_nodes = [f"{n.label}: {n.error}" for n in cluster.nodes if n.error]
    cluster.skew = version_skew(nodes)
    every_node_probed = all(n.probed for n in cluster.nodes) and bool(nodes)
    cluster.fabric = fabric(nodes) if every_node_probed else None
    cluster.env_checks = env_checks(nodes) if every_node_probed else []
    cluster.model_check = model_check(nodes, cluster.model_path)
    cluster.layout = layout(cluster)
    return cluster
