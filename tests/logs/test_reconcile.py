"""Reconcile: the planner run with the log's flags, compared figure by figure with the log.
Cases are the logs whose model configs are in fixtures/models. Versions the log does not print
are inferred from the issue date (stated per case)."""
import json

import pytest

pytest.importorskip("llmdoctor.plan")
from llmdoctor.checkpoint import read_model
from llmdoctor.logs.reconcile import reconcile, request_flags
from llmdoctor.engines import make_plan
from llmdoctor.plan import target_from_machine, target_what_if
from llmdoctor.plan.records import PlanRequest
from llmdoctor.probes.replay import load_machine

from .conftest import LOGS, ROOT, runs

# file -> (model dir, machine: recorded file or what-if GPU, engine version, why that version)
CASES = {
    "vllm/vllm-10517-llama31-8b-3090-maxlen-20k-ok.log": ("meta-llama--Llama-3.1-8B", "what-if:RTX 3090", "0.6.4", "V0, issue of Nov 2024"),
    "vllm/vllm-10517-llama31-8b-3090-maxlen-29k-fail.log": ("meta-llama--Llama-3.1-8B", "what-if:RTX 3090", "0.6.4", "V0, issue of Nov 2024"),
    "vllm/vllm-23278-gpt-oss-120b-h100-negative-kv.log": ("openai--gpt-oss-120b", "h100-80gb-hbm3", "0.10.1", "issue of Aug 2025"),
    "vllm/vllm-27508-gpt-oss-120b-h100-gmu095-kv.log": ("openai--gpt-oss-120b", "h100-80gb-hbm3", "0.11.0", "issue of Oct 2025"),
    "vllm/vllm-33155-gpt-oss-120b-h100-v0.14.1-load.log": ("openai--gpt-oss-120b", "h100-80gb-hbm3", "0.14.1", "issue title"),
}
RUN_FLAGS = {r["file"]: {k: v for k, v in r["flags"].items() if not isinstance(v, str) or " " not in v} for r in runs()}


def _setup(rel, analyze):
    model_dir, machine, version, _ = CASES[rel]
    model = read_model(str(ROOT / "fixtures" / "models" / model_dir / "config.json"))
    if machine.startswith("what-if:"):
        target = target_what_if(machine.split(":", 1)[1])
    else:
        target = target_from_machine(load_machine(str(ROOT / "fixtures" / "machines" / f"{machine}.json")))
    return analyze(rel), model, target, version


@pytest.mark.parametrize("rel", sorted(CASES))
def test_rows_compare_plan_with_log(analyze, rel):
    report, model, target, version = _setup(rel, analyze)
    rows, note = reconcile(report, model, target, engine_version=version, extra_flags=RUN_FLAGS.get(rel))
    assert note is None
    flags = request_flags(report)
    flags.update(RUN_FLAGS.get(rel) or {})
    plan = make_plan(target, model, PlanRequest(engine="vllm", engine_version=version, flags=flags))
    by = {r.figure: r for r in rows}
    if "weights_bytes" in report.facts:
        assert by["weights per GPU"].predicted == plan.weights.bytes_per_gpu
        assert by["weights per GPU"].actual == report.facts["weights_bytes"]
    for r in rows:
        assert r.actual is not None and r.predicted is not None
        assert r.error_pct == pytest.approx((r.predicted - r.actual) / abs(r.actual) * 100, abs=0.051)
    if "available_kv_bytes" in report.facts:
        assert by["available KV memory"].actual == report.facts["available_kv_bytes"]
        assert by["available KV memory"].predicted == plan.kv_cache.available_bytes_per_gpu
    if "kv_tokens" in report.facts:
        assert by["KV tokens"].predicted == plan.kv_cache.tokens


def test_flags_from_the_log_reach_the_planner(analyze):
    report = analyze("seeds/001-vllm-xpu-gemma4-e4b-tp2-startup.log")
    flags = request_flags(report)
    assert flags["tensor_parallel_size"] == 2 and flags["gpu_memory_utilization"] == 0.8
    assert flags["kv_cache_dtype"] == "fp8" and flags["enforce_eager"] is True and flags["max_model_len"] == 131072
    assert "served_model_name" not in flags


def test_bf16_weights_of_llama_8b_match_within_one_percent(analyze):
    rel = "vllm/vllm-10517-llama31-8b-3090-maxlen-20k-ok.log"
    report, model, target, version = _setup(rel, analyze)
    rows, _ = reconcile(report, model, target, engine_version=version, extra_flags=RUN_FLAGS[rel])
    [w] = [r for r in rows if r.figure == "weights per GPU"]
    assert abs(w.error_pct) < 1.0


def test_cli_reconcile_json(capsys):
    from llmdoctor.app.cli import main
    rc = main(["logs", str(LOGS / "vllm/vllm-33155-gpt-oss-120b-h100-v0.14.1-load.log"), "--json",
               "--model", str(ROOT / "fixtures/models/openai--gpt-oss-120b/config.json"),
               "--machine", str(ROOT / "fixtures/machines/h100-80gb-hbm3.json"), "--engine-version", "0.14.1"])
    assert rc == 0
    rows = json.loads(capsys.readouterr().out)["logs"]["reconcile"]
    assert [r["figure"] for r in rows] == ["weights per GPU"]
    assert rows[0]["actual"] == round(64.38 * (1 << 30)) and isinstance(rows[0]["predicted"], int)


def test_logs_model_takes_the_what_if_gpu_instead_of_this_machine(capsys):
    """On a machine with no GPU, --gpu plans for the GPU the log ran on (no -100 % rows)."""
    from llmdoctor.app.cli import main
    log = str(LOGS / "vllm" / "vllm-10517-llama31-8b-3090-maxlen-20k-ok.log")
    code = main(["logs", log, "--model", str(ROOT / "fixtures" / "models" / "meta-llama--Llama-3.1-8B"), "--gpu", "RTX 3090",
                 "--engine-version", "0.6.4", "--json"])
    doc = json.loads(capsys.readouterr().out)
    rows = {r["figure"]: r for r in doc["logs"]["reconcile"]}
    assert code == 0 and abs(rows["weights per GPU"]["error_pct"]) < 1
    assert all(r["error_pct"] > -90 for r in doc["logs"]["reconcile"])
