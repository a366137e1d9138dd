"""llmdoctor's figures for the vLLM cases in cases.json (vLLM 0.26.0 on one H200), written *before* the cases
run, so the comparison with vLLM's own figures is a held-out check (issue: model semantics and accuracy).

    python benchmarks/vllm_memory/predict.py [cases.json] > benchmarks/vllm_memory/predictions.jsonl

Run the cases on the device with ../shared/tools/vllm-on-device/vrun.py WORKDIR cases.json; keep the logs in
fixtures/logs/vllm-h200/ and compare with `python benchmarks/vllm_memory/compare.py`.
Targets, set before measuring (TARGETS): what a user reads off the plan (weights, KV memory and tokens,
start or not) and the speed figures; the budget's parts (activation, non-torch, graphs) are reported
beside them without a target of their own.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks" / "speed"))

from llmdoctor.checkpoint import read_model  # noqa: E402
from speedlib import plan_capturing  # noqa: E402
from llmdoctor.plan import speed_model as sm  # noqa: E402
from llmdoctor.plan import target_what_if  # noqa: E402
from llmdoctor.plan.records import PlanRequest  # noqa: E402

GIB = 1 << 30
VERSION = "0.26.0"
GPU = "H200 SXM"
DECODE_CONTEXT = 640          # vrun.py: 256 tokens decoded after a 512-token prompt
PROMPT = 512
# |llmdoctor / vLLM - 1| at most, in %; "starts" must agree exactly
TARGETS = {"model_loading_gib": 3.0, "available_kv_gib": 10.0, "kv_tokens": 10.0, "decode_tok_s": 30.0,
           "prefill_tok_s": 30.0, "starts": 0}


def predict(case: dict, env: dict | None = None) -> dict:
    kw = dict(case["kwargs"])
    kw.pop("trust_remote_code", None)
    gpus = kw.get("tensor_parallel_size", 1) * kw.get("pipeline_parallel_size", 1)
    spec = kw.get("speculative_config")
    if isinstance(spec, dict) and spec.get("model"):
        kw["speculative_config"] = {**spec, "model": str(ROOT / spec["model"])}
    plan, x = plan_capturing(target_what_if(GPU, count=gpus), read_model(str(ROOT / case["model"])),
                             PlanRequest(engine="vllm", engine_version=VERSION, flags=kw,
                                         env=env or {"VLLM_USE_FLASHINFER_SAMPLER": "0"}))
    d = plan.details
    out = {"model_loading_gib": plan.weights.bytes_per_gpu / GIB,
           "peak_activation_gib": plan.activation_bytes_per_gpu / GIB,
           "non_torch_gib": getattr(d, "non_torch_bytes", 0) / GIB,
           "cudagraph_gib": getattr(d, "cudagraph_bytes", 0) / GIB,
           "available_kv_gib": plan.kv_cache.available_bytes_per_gpu / GIB,
           "kv_tokens": plan.kv_cache.tokens, "starts": int(plan.fits)}
    if x is not None and x.bandwidth and not spec:
        p = sm._params("vllm")
        out["decode_tok_s"] = 1.0 / sm.step_seconds(x, 1, DECODE_CONTEXT, p)
        t = sm.prefill_seconds(x, PROMPT, 0, p)
        if t:
            out["prefill_tok_s"] = PROMPT / (t + sm.step_seconds(x, 1, PROMPT, p))   # vrun times prompt + 1 token
    return {k: round(v, 3) if isinstance(v, float) else v for k, v in out.items()}


def main() -> None:
    """predict.py [CASES.json] [CASE ...]: one line of figures per case (all cases without names)."""
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "cases.json"
    cases = json.loads(path.read_text())
    for cid in sys.argv[2:] or list(cases):
        print(json.dumps({"case": cid, **predict(cases[cid])}))


if __name__ == "__main__":
    main()
