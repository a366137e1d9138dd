"""SGLang's recommended launch command."""
from __future__ import annotations

from llmdoctor.checkpoint.spec import ModelInfo
from llmdoctor.plan.records import Plan, PlanRequest
from llmdoctor.plan.recommend import value_of


def build_command(plan: Plan, model: ModelInfo, request: PlanRequest, rec: dict) -> list[str]:
    """The recommended `python -m sglang.launch_server` argv: the user's flags, then what llmdoctor recommends."""
    path = request.command.model if request.command and request.command.model else model.path
    user = request.flags
    argv = ["python", "-m", "sglang.launch_server", "--model-path", path,
            "--tp-size", str(user.get("tp_size") or value_of(rec, "tensor_parallel_size", 1)),
            "--context-length", str(value_of(rec, "max_model_len", plan.max_model_len))]
    if value_of(rec, "dtype"):
        argv += ["--dtype", "half"]
    if user.get("mem_fraction_static"):
        argv += ["--mem-fraction-static", str(user["mem_fraction_static"])]
    kv = user.get("kv_cache_dtype") or (("fp8_e4m3") if value_of(rec, "kv_cache_dtype") else None)
    if kv and kv != "auto":
        argv += ["--kv-cache-dtype", kv]
    tool = user.get("tool_call_parser") or value_of(rec, "tool_call_parser")
    if tool:
        argv += ["--tool-call-parser", tool]
    reasoning = user.get("reasoning_parser") or value_of(rec, "reasoning_parser")
    if reasoning:
        argv += ["--reasoning-parser", reasoning]
    return argv
