"""Typed records of a multi-node cluster: each node's Machine facts (the same probe as one machine)
plus what only matters between nodes: network interfaces, RDMA devices, the communication
environment, the model path's fingerprint, and the Ray view of the node.

`Cluster` also carries summaries computed from the nodes (summary.py): versions that differ, the
fabric, the communication variables, the model path and the GPU layout. The rules read those
(`cluster.skew`, `cluster.fabric`, ...); they are recomputed whenever a cluster is built or loaded,
so a recorded document cannot disagree with its nodes. Unknown stays None: a node that was not
probed (what-if) leaves the facts it would have given unknown, and the rules reading them do not fire.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from llmdoctor.facts import Machine


@dataclass
class NetInterface:
    name: str
    operstate: Optional[str] = None          # /sys/class/net/X/operstate: "up" | "down" | "unknown" | ...
    kind: Optional[str] = None               # "ether" | "infiniband" | "loopback" | "other" (from its ARP type)
    virtual: bool = False                    # under /sys/devices/virtual (bridges, veth, docker0, lo)
    mtu: Optional[int] = None
    speed_mbps: Optional[int] = None         # None: the driver does not say (down links, virtual)
    addresses: list[str] = field(default_factory=list)   # IPv4 and global IPv6 addresses


@dataclass
class IbPort:
    port: int
    state: Optional[str] = None              # "ACTIVE" | "DOWN" | "INIT" | "ARMED" (from "4: ACTIVE")
    phys_state: Optional[str] = None         # "LinkUp" | "Polling" | "Disabled" | ...
    rate: Optional[str] = None               # as the kernel writes it: "400 Gb/sec (4X NDR)"
    rate_gbps: Optional[float] = None
    link_layer: Optional[str] = None         # "InfiniBand" | "Ethernet" (RoCE)


@dataclass
class IbDevice:
    """An RDMA device under /sys/class/infiniband (InfiniBand HCA or RoCE NIC)."""
    name: str                                # "mlx5_0"
    hca_type: Optional[str] = None
    fw_ver: Optional[str] = None
    netdevs: list[str] = field(default_factory=list)   # its network interfaces (RoCE, IPoIB)
    ports: list[IbPort] = field(default_factory=list)


@dataclass
class ModelFingerprint:
    """What a node sees at the model path: enough to tell whether two nodes hold the same files,
    without reading the weights (names and sizes of every file, contents of the small ones)."""
    path: str
    exists: bool = False
    is_dir: Optional[bool] = None
    files: Optional[int] = None
    total_bytes: Optional[int] = None
    digest: Optional[str] = None             # sha256 over (name, size) of every file + small files' bytes
    error: Optional[str] = None              # why it could not be read (permission, too many files)


@dataclass
class NodeFacts:
    label: str                               # how the report names the node (hostname, else address)
    machine: Machine
    address: Optional[str] = None            # the node's IP as Ray knows it
    hostname: Optional[str] = None
    node_id: Optional[str] = None            # Ray's node id (hex)
    is_head: bool = False
    probed: bool = True                      # False: a what-if node (--nodes), only its GPUs are given
    ray_version: Optional[str] = None
    ray_resources: dict[str, float] = field(default_factory=dict)   # Ray's view: CPU, GPU, memory
    interfaces: list[NetInterface] = field(default_factory=list)
    ib_devices: list[IbDevice] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)   # NCCL_*, GLOO_*, ... of the Ray worker
    model: Optional[ModelFingerprint] = None
    error: Optional[str] = None              # the probe task failed or did not answer


@dataclass
class VersionSkew:
    """One version that differs between nodes."""
    name: str                                # "driver" | "cuda_driver" | "torch" | "torch_cuda" | "vllm" | "sglang" | "python" | "nccl" | "ray"
    label: str                               # "NVIDIA driver", "vLLM", ...
    values: dict[str, str] = field(default_factory=dict)   # node label -> version ("not installed")
    summary: str = ""                        # "570.86.15 on a, b; 550.54.14 on c"


@dataclass
class Fabric:
    """RDMA (InfiniBand/RoCE) between the probed nodes."""
    rdma_nodes: list[str] = field(default_factory=list)      # nodes with at least one ACTIVE RDMA port
    no_rdma_nodes: list[str] = field(default_factory=list)   # nodes with none
    down_ports: list[str] = field(default_factory=list)      # "node: mlx5_1 port 1 DOWN (Polling)"
    link_layers: list[str] = field(default_factory=list)     # distinct link layers of active ports
    rates_gbps: list[float] = field(default_factory=list)    # distinct fastest active rate per node
    rate_summary: str = ""                   # "400 Gb/s x8 on a, b; 200 Gb/s x8 on c"


@dataclass
class EnvCheck:
    """One communication variable across the nodes: where it is set, and where its value selects
    nothing that exists (an interface that is up with an address; an RDMA device)."""
    variable: str                            # "NCCL_SOCKET_IFNAME" | "GLOO_SOCKET_IFNAME" | "NCCL_IB_HCA"
    set_on: list[str] = field(default_factory=list)
    unset_on: list[str] = field(default_factory=list)
    values: dict[str, str] = field(default_factory=dict)        # node -> value, where set
    missing_on: list[str] = field(default_factory=list)         # nodes where the value selects nothing
    missing_detail: str = ""                 # "b: eth1 (has eth0, ib0)"
    differs: bool = False                    # set to different values on different nodes


@dataclass
class ModelPathCheck:
    path: str
    missing_on: list[str] = field(default_factory=list)   # nodes where the path does not exist
    differs: bool = False                    # the files differ between the nodes that have them
    summary: str = ""                        # "2 files, 15.0 GiB on a; 1 file, 3.0 GiB on b"


@dataclass
class Layout:
    """The GPUs a tensor x pipeline layout can use: vLLM puts TP inside a node, PP across nodes."""
    gpu_nodes: int = 0                       # nodes with at least one GPU
    gpus_per_node: list[int] = field(default_factory=list)   # per node, in node order
    gpus_total: int = 0
    min_gpus_per_node: int = 0
    max_gpus_per_node: int = 0
    usable_gpus: int = 0                     # min per node x GPU nodes: what TP = min, PP = nodes uses
    idle_gpus: int = 0
    ray_gpus_total: Optional[int] = None     # Ray's GPU resource over all nodes (None: not from Ray)
    ray_gpu_mismatch: list[str] = field(default_factory=list)   # "b: Ray 0, probed 8"


@dataclass
class NodeCommand:
    node: str
    role: str                                # "head" | "worker"
    argv: list[str] = field(default_factory=list)
    note: Optional[str] = None


@dataclass
class ClusterLaunch:
    """How one engine is started across the nodes: the layout and each node's commands, in order."""
    engine: str
    layout: str                              # "TP 8 x PP 2 (vLLM on Ray)"
    tensor_parallel_size: int = 1
    pipeline_parallel_size: int = 1
    nodes: int = 1
    steps: list[NodeCommand] = field(default_factory=list)
    fits: Optional[bool] = None              # the plan of that layout fits
    not_modelled: list[str] = field(default_factory=list)


@dataclass
class Cluster:
    source: str                              # "ray:<address>" | "facts:<file>" | "what-if"
    nodes: list[NodeFacts] = field(default_factory=list)
    ray_version: Optional[str] = None        # the driver's Ray
    head: Optional[str] = None               # label of the head node
    model_path: Optional[str] = None         # the path each node was asked about
    # summaries (summary.py), recomputed from the nodes:
    node_count: int = 0
    probed_nodes: int = 0
    failed_nodes: list[str] = field(default_factory=list)   # "b: no answer within 120 s"
    skew: list[VersionSkew] = field(default_factory=list)
    fabric: Optional[Fabric] = None          # None: a node was not probed (what-if)
    env_checks: list[EnvCheck] = field(default_factory=list)
    model_check: Optional[ModelPathCheck] = None
    layout: Layout = field(default_factory=Layout)
    launches: list[ClusterLaunch] = field(default_factory=list)   # set by the planner (app layer)
    notes: list[str] = field(default_factory=list)
