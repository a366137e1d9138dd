"""The recorded multi-node documents (fixtures/clusters/): each scenario fires exactly its cluster
rules, the plan lays TP inside a node and PP across nodes, and the output validates against the schema."""
from __future__ import annotations

import json

import jsonschema
import pytest

from llmdoctor.app.cli import main
from llmdoctor.render.json_schema import render_schema

from ..conftest import FIXTURES
from . import build_fixtures

CLUSTERS = FIXTURES / "clusters"
MODEL = str(FIXTURES / "models" / "Qwen--Qwen3-32B")
CLUSTER_CODES = {f"LD6{n}" for n in range(12, 27)}

EXPECTED = {
    "h200x2-2node-healthy.json": set(),
    "h200x2-2node-skew.json": {"LD612", "LD613", "LD614", "LD616", "LD625"},
    "h200x2-3node-fabric.json": {"LD618", "LD619", "LD620", "LD622", "LD623", "LD624"},
}


def check(capsys, *args) -> tuple[int, dict]:
    code = main(["check", MODEL, "--json", *args])
    return code, json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("name", sorted(build_fixtures.FIXTURES))
def test_fixture_is_what_the_builder_writes(name):
    assert (CLUSTERS / name).read_text(encoding="utf-8") == build_fixtures.render(name), \
        "run: python tests/cluster/build_fixtures.py"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_cluster_rules_fire_on_their_scenario(capsys, name):
    code, doc = check(capsys, "--cluster", str(CLUSTERS / name), "--engine", "vllm")
    fired = {f["code"] for f in doc["findings"]} & CLUSTER_CODES
    assert fired == EXPECTED[name]
    assert code == (1 if any(f["severity"] == "error" for f in doc["findings"]) else 0)
    jsonschema.validate(doc, json.loads(render_schema()))     # the records' schema (docs/json-schema.json is its copy)


def test_plan_across_nodes_puts_tp_in_the_node_and_pp_across(capsys):
    _, doc = check(capsys, "--cluster", str(CLUSTERS / "h200x2-3node-fabric.json"), "--engine", "vllm")
    plan = doc["plan"]
    assert (plan["tensor_parallel_size"], plan["pipeline_parallel_size"], plan["num_gpus"]) == (2, 3, 6)
    argv = plan["command"]
    assert argv[argv.index("--pipeline-parallel-size") + 1] == "3"
    assert argv[argv.index("--distributed-executor-backend") + 1] == "ray"
    (launch,) = doc["cluster"]["launches"]
    steps = [(s["node"], s["role"], s["argv"]) for s in launch["steps"]]
    assert steps[0][2][-3:] == ["ray", "start", "--head", "--port=6379"][-3:]
    assert ("gpu-b", "worker") == steps[1][:2] and "--address=10.0.0.1:6379" in steps[1][2]
    # gpu-b's NCCL_SOCKET_IFNAME names an interface it lacks: the command pins the one carrying its address
    assert "NCCL_SOCKET_IFNAME=eth0" in steps[1][2]
    assert steps[-1][2] == argv


def test_machine_rules_run_on_every_node_and_say_which(capsys):
    _, doc = check(capsys, "--cluster", str(CLUSTERS / "h200x2-2node-skew.json"), "--engine", "vllm")
    ld101 = next(f for f in doc["findings"] if f["code"] == "LD101")
    assert ld101["message"].startswith("On node gpu-b:") and ld101["evidence"]["nodes"] == ["gpu-b"]


def test_sglang_multi_node_commands(capsys):
    _, doc = check(capsys, "--cluster", str(CLUSTERS / "h200x2-2node-healthy.json"), "--engine", "sglang")
    assert doc["plan"]["tensor_parallel_size"] == 4
    (launch,) = doc["cluster"]["launches"]
    for rank, step in enumerate(launch["steps"]):
        argv = step["argv"]
        assert argv[argv.index("--nnodes") + 1] == "2" and argv[argv.index("--node-rank") + 1] == str(rank)
        assert argv[argv.index("--dist-init-addr") + 1] == "10.0.0.1:20000"


def test_text_report_shows_the_nodes_and_the_commands(capsys):
    main(["check", MODEL, "--cluster", str(CLUSTERS / "h200x2-3node-fabric.json"), "--engine", "vllm"])
    out = capsys.readouterr().out
    assert "gpu-c" in out and "Multi-node launch, vllm" in out and "ray start --address=10.0.0.1:6379" in out
    assert "LD622" in out
