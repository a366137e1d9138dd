"""A real two-node Ray cluster on loopback (ray.cluster_utils.Cluster): `check --ray-address` runs one
probe task pinned to each node, assembles the cluster, plans across it and fires the variable rule set
up on the worker node. Skipped when Ray is not installed (the [cluster] extra).

Every process binds 127.0.0.1 only, the dashboard is off, and the cluster's processes are stopped
at the end of the module (Cluster.shutdown removes exactly the nodes it started)."""
from __future__ import annotations

import json
import os
import time

import pytest

ray = pytest.importorskip("ray", reason="Ray is not installed: pip install 'llmdoctor-preflight[cluster]'")

from llmdoctor.app.cli import main  # noqa: E402

from ..conftest import FIXTURES  # noqa: E402

MODEL = str(FIXTURES / "models" / "Qwen--Qwen3-8B")
BOGUS_IF = "llmdtest9"           # an interface name no machine has
BUDGET_S = 90


@pytest.fixture(scope="module")
def local_cluster():
    from ray._private import ray_constants
    from ray.cluster_utils import Cluster
    with pytest.MonkeyPatch.context() as mp:
        # Ray turns a loopback address into the machine's outside address unless this is off; keep
        # every process, the drivers included, on 127.0.0.1
        mp.setenv("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
        mp.setattr(ray_constants, "ENABLE_RAY_CLUSTER", False)
        mp.setenv("RAY_USAGE_STATS_ENABLED", "0")
        start = time.monotonic()
        cluster = Cluster(initialize_head=True, shutdown_at_exit=True,
                          head_node_args={"node_ip_address": "127.0.0.1", "num_cpus": 1, "include_dashboard": False})
        try:
            cluster.add_node(node_ip_address="127.0.0.1", num_cpus=1,
                             env_vars={"NCCL_SOCKET_IFNAME": BOGUS_IF, "GLOO_SOCKET_IFNAME": "lo"})
            yield cluster, start
        finally:
            if ray.is_initialized():
                ray.shutdown()
            cluster.shutdown()


def test_check_over_a_two_node_ray_cluster(local_cluster, capsys):
    """One `check --ray-address` run: it probes both nodes through Ray (the same path as `probe
    --ray-address`, tested without Ray in test_cli.py), plans across them and runs the rules."""
    cluster, start = local_cluster
    code = main(["check", MODEL, "--ray-address", cluster.address, "--engine", "vllm", "--gpu", "H100 SXM5",
                 "--gpus", "2", "--json", "--ray-timeout", "60"])
    doc = json.loads(capsys.readouterr().out)
    c = doc["cluster"]
    assert c["source"] == f"ray:{cluster.address}" and c["node_count"] == 2 and c["failed_nodes"] == []
    heads = [n for n in c["nodes"] if n["is_head"]]
    assert len(heads) == 1 and all(n["address"] == "127.0.0.1" for n in c["nodes"])
    assert len({n["label"] for n in c["nodes"]}) == 2 and len({n["node_id"] for n in c["nodes"]}) == 2
    for n in c["nodes"]:
        assert n["machine"]["software"]["python_version"] and n["ray_version"] == ray.__version__
        assert any(i["name"] == "lo" for i in n["interfaces"])
        assert n["model"]["exists"] and n["model"]["path"] == os.path.abspath(MODEL)
    worker = next(n for n in c["nodes"] if not n["is_head"])
    assert worker["env"]["NCCL_SOCKET_IFNAME"] == BOGUS_IF            # read in the Ray worker's environment
    assert c["model_check"]["missing_on"] == [] and not c["model_check"]["differs"]

    codes = {f["code"] for f in doc["findings"]}
    assert {"LD622", "LD624"} <= codes and code == 1          # NCCL_SOCKET_IFNAME selects nothing on the worker
    assert (doc["plan"]["tensor_parallel_size"], doc["plan"]["pipeline_parallel_size"]) == (2, 2)
    steps = c["launches"][0]["steps"]
    assert f"--address={cluster.address}" in steps[1]["argv"]        # the worker joins this cluster's GCS
    assert not ray.is_initialized()                            # the CLI disconnected
    assert time.monotonic() - start < BUDGET_S
