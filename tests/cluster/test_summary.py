"""The cluster-wide facts computed from the nodes: NCCL/Gloo selectors, versions that differ, the
fabric, the model path's fingerprint, the GPU layout."""
from __future__ import annotations

import copy

from llmdoctor.cluster.node import comm_env, fingerprint, read_ib_devices, read_interfaces
from llmdoctor.cluster.records import Cluster, IbDevice, IbPort, NetInterface, NodeFacts
from llmdoctor.cluster.summary import nccl_select, summarize
from llmdoctor.facts import Gpu, Machine
from llmdoctor.probes.source import ReplaySource, call_key


def test_nccl_selectors_follow_nccl_syntax():
    names = ["lo", "eth0", "eth1", "docker0", "ens1f0"]
    assert nccl_select("eth", names) == ["eth0", "eth1"]
    assert nccl_select("=eth0", names) == ["eth0"]
    assert nccl_select("=eth", names) == []
    assert nccl_select("^docker,lo", names) == ["eth0", "eth1", "ens1f0"]
    assert nccl_select("^=docker0", names) == ["lo", "eth0", "eth1", "ens1f0"]
    assert nccl_select("eth,ens", names) == ["eth0", "eth1", "ens1f0"]
    assert nccl_select("mlx5_0:1,mlx5_1", ["mlx5_0", "mlx5_1", "mlx5_2"]) == ["mlx5_0", "mlx5_1"]


def _node(label, gpus=2, env=None, ifaces=("eth0",), ports=(("mlx5_0", "ACTIVE", 400.0),), **kw) -> NodeFacts:
    m = Machine(source="test", gpus=[Gpu(index=i, vendor="nvidia", name="H100") for i in range(gpus)])
    m.software.driver_version = kw.pop("driver", "570.86.15")
    m.software.packages = kw.pop("packages", {"vllm": "0.11.0", "torch": "2.8.0"})
    m.software.torch_version = m.software.packages.get("torch")
    devs: dict[str, IbDevice] = {}
    for name, state, rate in ports:
        devs.setdefault(name, IbDevice(name=name)).ports.append(
            IbPort(port=1, state=state, rate_gbps=rate, link_layer="InfiniBand"))
    return NodeFacts(label=label, machine=m, address=kw.pop("address", None),
                     interfaces=[NetInterface(name=i, operstate="up", addresses=["10.0.0.1"]) for i in ifaces],
                     ib_devices=list(devs.values()), env=env or {}, **kw)


def test_versions_that_differ_and_not_installed():
    a = _node("a")
    b = _node("b", driver="550.54.14", packages={"torch": "2.8.0"})      # no vLLM on b
    c = summarize(Cluster(source="test", nodes=[a, b]))
    skew = {s.name: s for s in c.skew}
    assert set(skew) == {"driver", "vllm"}
    assert skew["vllm"].values == {"a": "0.11.0", "b": "not installed"}
    assert "550.54.14 on b" in skew["driver"].summary


def test_driver_is_compared_among_gpu_nodes_only():
    head = _node("head", gpus=0, driver=None)
    c = summarize(Cluster(source="test", nodes=[head, _node("a"), _node("b")]))
    assert [s.name for s in c.skew] == []
    assert c.layout.gpu_nodes == 2 and c.layout.gpus_per_node == [0, 2, 2]


def test_fabric_asymmetric_port_and_rates():
    a = _node("a", ports=(("mlx5_0", "ACTIVE", 400.0), ("mlx5_1", "ACTIVE", 400.0)))
    b = _node("b", ports=(("mlx5_0", "ACTIVE", 200.0), ("mlx5_1", "DOWN", 400.0)))
    c = _node("c", ports=())
    f = summarize(Cluster(source="test", nodes=[a, b, c])).fabric
    assert f.rdma_nodes == ["a", "b"] and f.no_rdma_nodes == ["c"]
    assert f.down_ports == ["b: mlx5_1 port 1 DOWN"]
    assert f.rates_gbps == [400.0, 200.0]


def test_env_checks_nccl_prefix_gloo_exact_and_partial():
    a = _node("a", env={"NCCL_SOCKET_IFNAME": "eth", "GLOO_SOCKET_IFNAME": "eth0", "NCCL_IB_HCA": "mlx5"})
    b = _node("b", ifaces=("enp1s0",), env={"NCCL_SOCKET_IFNAME": "eth", "NCCL_IB_HCA": "=mlx5_4"})
    checks = {x.variable: x for x in summarize(Cluster(source="test", nodes=[a, b])).env_checks}
    assert checks["NCCL_SOCKET_IFNAME"].missing_on == ["b"]
    assert "has enp1s0" in checks["NCCL_SOCKET_IFNAME"].missing_detail
    assert checks["GLOO_SOCKET_IFNAME"].set_on == ["a"] and checks["GLOO_SOCKET_IFNAME"].unset_on == ["b"]
    assert checks["GLOO_SOCKET_IFNAME"].missing_on == []
    assert checks["NCCL_IB_HCA"].missing_on == ["b"] and checks["NCCL_IB_HCA"].differs


def test_what_if_nodes_leave_the_network_unknown():
    n = _node("a", probed=False)
    c = summarize(Cluster(source="what-if", nodes=[n, copy.deepcopy(n)]))
    assert c.fabric is None and c.env_checks == []
    assert [x.label for x in c.nodes] == ["a#0", "a#1"]


def test_same_hostname_nodes_get_distinct_labels():
    a, b = _node("host", address="127.0.0.1", node_id="aaaaaa11"), _node("host", address="127.0.0.1", node_id="bbbbbb22")
    c = summarize(Cluster(source="test", nodes=[a, b]))
    assert len({n.label for n in c.nodes}) == 2


def test_fingerprint_names_sizes_and_small_files(tmp_path):
    for root in ("x", "y"):
        d = tmp_path / root
        d.mkdir()
        (d / "config.json").write_text('{"a": 1}')
        (d / "model.safetensors").write_bytes(b"\0" * 2048)
    assert fingerprint(str(tmp_path / "x")).digest == fingerprint(str(tmp_path / "y")).digest
    (tmp_path / "y" / "config.json").write_text('{"a": 2}')
    fx, fy = fingerprint(str(tmp_path / "x")), fingerprint(str(tmp_path / "y"))
    assert fx.digest != fy.digest and fx.files == 2 and fx.total_bytes == 2048 + 8
    missing = fingerprint(str(tmp_path / "nope"))
    assert not missing.exists and missing.digest is None


def test_sysfs_readers_through_a_replayed_source():
    calls = {
        call_key("listdir", ("/sys/class/net",)): {"ok": ["eth0", "lo"]},
        call_key("realpath", ("/sys/class/net/eth0",)): {"ok": "/sys/devices/pci0000:00/0000:00:03.0/net/eth0"},
        call_key("realpath", ("/sys/class/net/lo",)): {"ok": "/sys/devices/virtual/net/lo"},
        call_key("read_text", ("/sys/class/net/eth0/operstate",)): {"ok": "up\n"},
        call_key("read_text", ("/sys/class/net/eth0/type",)): {"ok": "1\n"},
        call_key("read_text", ("/sys/class/net/eth0/speed",)): {"ok": "100000\n"},
        call_key("read_text", ("/sys/class/net/lo/type",)): {"ok": "772\n"},
        call_key("listdir", ("/sys/class/infiniband",)): {"ok": ["mlx5_0"]},
        call_key("listdir", ("/sys/class/infiniband/mlx5_0/ports",)): {"ok": ["1"]},
        call_key("read_text", ("/sys/class/infiniband/mlx5_0/ports/1/state",)): {"ok": "4: ACTIVE\n"},
        call_key("read_text", ("/sys/class/infiniband/mlx5_0/ports/1/phys_state",)): {"ok": "5: LinkUp\n"},
        call_key("read_text", ("/sys/class/infiniband/mlx5_0/ports/1/rate",)): {"ok": "400 Gb/sec (4X NDR)\n"},
        call_key("read_text", ("/sys/class/infiniband/mlx5_0/ports/1/link_layer",)): {"ok": "InfiniBand\n"},
    }
    src = ReplaySource({"calls": calls})
    ifs = {i.name: i for i in read_interfaces(src, {"eth0": ["10.0.0.1"]})}
    assert ifs["eth0"].kind == "ether" and not ifs["eth0"].virtual and ifs["eth0"].speed_mbps == 100000
    assert ifs["lo"].kind == "loopback" and ifs["lo"].virtual
    (dev,) = read_ib_devices(src)
    assert dev.ports[0].state == "ACTIVE" and dev.ports[0].rate_gbps == 400.0 and dev.ports[0].phys_state == "LinkUp"


def test_comm_env_keeps_network_variables_and_scrubs_secrets():
    env = comm_env({"NCCL_SOCKET_IFNAME": "eth0", "GLOO_SOCKET_IFNAME": "eth0", "HOME": "/root",
                    "NCCL_IB_SECRET_KEY": "x", "VLLM_HOST_IP": "10.0.0.1"})
    assert env == {"GLOO_SOCKET_IFNAME": "eth0", "NCCL_IB_SECRET_KEY": "<scrubbed>", "NCCL_SOCKET_IFNAME": "eth0",
                   "VLLM_HOST_IP": "10.0.0.1"}
