"""What the verdict means (docs/verdict.md): "will not run" only when the engine stops or cannot serve
one request at the configured length; what breaks clients says whom, and the server runs."""
import json
import subprocess
import sys

from llmdoctor.diagnose.engine import Finding
from llmdoctor.facts import Machine
from llmdoctor.report import Report

from ..conftest import FIXTURES, ROOT
from ..diagnose.test_seeds import hand_plan


def finding(code, severity="warning", blocks=None, clients=()):
    return Finding(code=code, severity=severity, title=f"{code} title", message=f"{code} says", fix="",
                   blocks=blocks, clients=list(clients))


def report(plan=None, *findings):
    return Report(machine=Machine(source="test"), plan=plan, findings=list(findings))


def plan(**kw):
    return hand_plan("vllm", weights_per_gpu=1, weights_total=1, max_model_len=32768, **kw)


def test_a_finding_that_breaks_clients_is_not_will_not_run():
    v = report(plan(), finding("LD401", "error", clients=["agent clients that send the 'developer' role"])).verdict()
    assert v.status == "runs-with-warnings"
    assert v.headline == "Runs, but breaks agent clients that send the 'developer' role"


def test_an_error_that_does_not_stop_the_engine_is_a_warning_verdict():
    assert report(plan(), finding("LD107", "error")).verdict().status == "runs-with-warnings"


def test_the_engine_stops_at_the_earliest_stage_that_refuses():
    v = report(plan(fits=False, fits_reason="KV cache too small"),
               finding("LD301", "error", blocks="start"), finding("LD710", "error", blocks="command-line")).verdict()
    assert v.status == "will-not-run" and v.reason.startswith("LD710")
    v = report(plan(fits=False, fits_reason="KV cache too small"), finding("LD303", "error", blocks="serving")).verdict()
    assert v.reason == "KV cache too small"


def test_less_than_one_request_at_the_configured_length_never_reads_fits():
    v = report(plan(max_concurrency=0.21)).verdict()
    assert v.status == "will-not-run" and "0.21x" in v.reason


def test_plain_runs():
    assert report(plan(max_concurrency=1.5)).verdict().status == "runs"


def _check(*args):
    out = subprocess.run([sys.executable, "-m", "llmdoctor", "check", "--json", *args], capture_output=True,
                         text=True, timeout=120, cwd=ROOT)
    return out.returncode, json.loads(out.stdout) if out.stdout.strip() else None


def test_sglang_pool_below_one_request_will_not_run():
    """SGLang rejects inputs longer than its pool (max_req_input_len): the plan does not fit."""
    code, doc = _check("--model-path", str(FIXTURES / "models" / "Qwen--Qwen3-8B"), "--gpu", "RTX 4090",
                       "--", "python", "-m", "sglang.launch_server", "--model-path", "Qwen/Qwen3-8B",
                       "--context-length", "40960")
    assert doc["plan"]["kv_cache"]["tokens"] < 40960 and doc["verdict"]["status"] == "will-not-run"
    assert "less than one request" in doc["plan"]["fits_reason"]


def test_the_recommended_command_passes_the_same_checks():
    code, doc = _check("--model-path", str(FIXTURES / "models" / "Qwen--Qwen3-8B"), "--gpu", "RTX 4090", "--",
                       "vllm", "serve", "Qwen/Qwen3-8B", "--max-model-len", "65536", "--kv-cache-dtype", "fp4")
    assert doc["verdict"]["status"] == "will-not-run"
    rec = doc["plan"]["command"]
    assert "fp4" not in rec and int(rec[rec.index("--max-model-len") + 1]) <= 40960
    code, again = _check("--model-path", str(FIXTURES / "models" / "Qwen--Qwen3-8B"), "--gpu", "RTX 4090", "--", *rec)
    assert again["verdict"]["status"] != "will-not-run" and not again["derived"]["command_refusals"]
