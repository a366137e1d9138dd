"""What the vLLM planner predicts for the tensor- and pipeline-parallel cases in cases.json (vLLM 0.26.0,
H200s), to set beside vLLM's own figures once the cases run (issue: two-GPU measurement).

    python benchmarks/vllm_parallel/predict.py            # prints one line of figures per case

Run the cases on the device with /work/shared/tools/vllm-on-device/vrun.py WORKDIR cases.json (the *-tp1
cases on one H200; the others need the nvidia-h200-x2 kind with NCCL_NVLS_ENABLE=0 and
TORCH_SYMM_MEM_DISABLE_MULTICAST=1), keep the logs in fixtures/logs/vllm-parallel/, and add the figures as
held-out rows of tests/plan/accuracy_cases.py with their targets set before comparing.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from llmdoctor.checkpoint import read_model  # noqa: E402
from llmdoctor.engines import make_plan  # noqa: E402
from llmdoctor.plan import target_what_if  # noqa: E402
from llmdoctor.plan.records import PlanRequest  # noqa: E402

GIB = 1 << 30


def main() -> None:
    cases = json.loads((Path(__file__).parent / "cases.json").read_text())
    for cid, case in cases.items():
        kw = dict(case["kwargs"])
        kw.pop("trust_remote_code", None)
        gpus = kw.get("tensor_parallel_size", 1) * kw.get("pipeline_parallel_size", 1)
        flags = {"gpu_memory_utilization": 0.9, **kw}
        plan = make_plan(target_what_if("H200", count=gpus), read_model(str(ROOT / case["model"])),
                         PlanRequest(engine="vllm", engine_version="0.26.0", flags=flags))
        print(json.dumps({"case": cid, "weights_gib_per_gpu": round(plan.weights.bytes_per_gpu / GIB, 2),
                          "available_kv_gib": round(plan.kv_cache.available_bytes_per_gpu / GIB, 2),
                          "kv_tokens": plan.kv_cache.tokens, "max_concurrency": plan.max_concurrency,
                          "fits": plan.fits}))


if __name__ == "__main__":
    main()
