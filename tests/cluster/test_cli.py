"""Multi-node what-if (--nodes with --gpu/--gpus), the option errors, and the message without Ray."""
from __future__ import annotations

import json
import sys

import pytest

from llmdoctor.app.cli import main

from ..conftest import FIXTURES

MODEL = str(FIXTURES / "models" / "deepseek-ai--DeepSeek-V3")


def test_what_if_nodes_plan_vllm_tp_per_node_pp_per_node(capsys):
    code = main(["plan", MODEL, "--engine", "vllm", "--nodes", "2", "--gpu", "H100 SXM5", "--gpus", "8", "--json"])
    doc = json.loads(capsys.readouterr().out)
    plan = doc["plan"]
    assert (plan["tensor_parallel_size"], plan["pipeline_parallel_size"], plan["num_gpus"]) == (8, 2, 16)
    assert code == (0 if plan["fits"] else 1)
    cluster = doc["cluster"]
    assert cluster["source"] == "what-if" and cluster["fabric"] is None
    roles = [(s["node"], s["role"]) for s in cluster["launches"][0]["steps"]]
    assert roles == [("node0", "head"), ("node1", "worker"), ("node0", "head")]
    assert "--address=<head-ip>:6379" in cluster["launches"][0]["steps"][1]["argv"]


def test_what_if_check_has_no_network_findings(capsys):
    main(["check", MODEL, "--nodes", "2", "--gpu", "H100 SXM5", "--gpus", "8", "--engine", "vllm", "--json"])
    doc = json.loads(capsys.readouterr().out)
    codes = {f["code"] for f in doc["findings"]}
    assert not codes & {"LD618", "LD619", "LD620", "LD621", "LD622", "LD623", "LD624", "LD625"}


def test_user_command_is_planned_as_given(capsys):
    main(["check", "--nodes", "2", "--gpu", "H100 SXM5", "--gpus", "8", "--json", "--", "vllm", "serve", MODEL,
          "--tensor-parallel-size", "16"])
    doc = json.loads(capsys.readouterr().out)
    assert (doc["plan"]["tensor_parallel_size"], doc["plan"]["pipeline_parallel_size"]) == (16, 1)
    assert "LD617" in {f["code"] for f in doc["findings"]}        # TP spans the two nodes


def test_a_model_that_fits_one_node_says_so(capsys):
    small = str(FIXTURES / "models" / "Qwen--Qwen3-8B")
    main(["plan", small, "--engine", "vllm", "--nodes", "2", "--gpu", "H100 SXM5", "--gpus", "8", "--json"])
    notes = json.loads(capsys.readouterr().out)["cluster"]["notes"]
    assert any("fits on one node" in n for n in notes)


def test_llamacpp_over_rpc_says_what_is_not_modelled(capsys):
    main(["plan", MODEL, "--engine", "llamacpp", "--nodes", "3", "--gpu", "RTX 4090", "--gpus", "2", "--json"])
    launch = json.loads(capsys.readouterr().out)["cluster"]["launches"][0]
    assert [s["argv"][0] for s in launch["steps"]] == ["rpc-server", "rpc-server", "llama-server"]
    assert any("RPC" in n for n in launch["not_modelled"])


@pytest.mark.parametrize("args,needle", [
    (["--nodes", "2", "--cluster", "x.json"], "one of --ray-address, --cluster and --nodes"),
    (["--nodes", "2", "--machine", str(FIXTURES / "machines" / "a10-24gb.json")], "--machine describes one machine"),
    (["--cluster", str(FIXTURES / "machines" / "a10-24gb.json")], "not a cluster document"),
    (["--ray-address", MODEL], "took"),
])
def test_usage_errors(capsys, args, needle):
    assert main(["check", MODEL, *args]) == 2
    assert needle in capsys.readouterr().err


def test_a_hand_edited_cluster_file_is_a_usage_error(tmp_path, capsys):
    doc = json.loads((FIXTURES / "clusters" / "h200x2-2node-healthy.json").read_text())
    doc["cluster"]["nodes"][1]["machine"]["gpus"][0]["memory_total_bytes"] = "lots"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    assert main(["check", MODEL, "--cluster", str(bad)]) == 2
    assert "cluster.nodes[1].machine.gpus[0].memory_total_bytes" in capsys.readouterr().err


def test_ray_address_without_ray_says_how_to_install(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)          # import ray -> ImportError
    assert main(["probe", "--ray-address", "127.0.0.1:1"]) == 2
    err = capsys.readouterr().err
    assert "needs Ray" in err and "llmdoctor-preflight[cluster]" in err


def test_probe_ray_address_prints_the_cluster(capsys, monkeypatch):
    """`probe --ray-address` without a cluster: the recorded fabric cluster stands in for Ray's answer."""
    from llmdoctor.cluster import ray_probe
    from llmdoctor.cluster.load import load_cluster
    seen = {}

    def fake(address, model_path=None, timeout_s=120.0, ship_code=True):
        seen.update(address=address, model_path=model_path, timeout_s=timeout_s)
        return load_cluster(str(FIXTURES / "clusters" / "h200x2-3node-fabric.json"))
    monkeypatch.setattr(ray_probe, "probe_cluster", fake)
    assert main(["probe", "--ray-address", "head:6379", "--ray-timeout", "30", "--path", "fixtures"]) == 0
    out = capsys.readouterr().out
    assert "gpu-c" in out and "selects nothing" in out and "NCCL_SOCKET_IFNAME" in out
    assert seen["address"] == "head:6379" and seen["timeout_s"] == 30 and seen["model_path"].endswith("fixtures")
    assert main(["probe", "--ray-address", "head:6379", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["cluster"]["node_count"] == 3 and doc["machine"]["gpus"]
    assert main(["probe", "--ray-address", "head:6379", "--record", "x.json"]) == 2


def test_tui_is_refused_for_a_cluster(capsys):
    assert main(["check", MODEL, "--nodes", "2", "--gpu", "H100 SXM5", "--tui"]) == 2
