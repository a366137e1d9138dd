"""vLLM's recommended launch command."""
from __future__ import annotations

import json

from llmdoctor.checkpoint.spec import ModelInfo
from llmdoctor.plan.records import Plan, PlanRequest
from llmdoctor.plan.recommend import value_of


def build_command(plan: Plan, model: ModelInfo, request: PlanRequest, rec: dict) -> list[str]:
    """The recommended `vllm serve` argv: the user's flags, then what llmdoctor recommends."""
    path = request.command.model if request.command and request.command.model else model.path
    user = request.flags
    argv = ["vllm", "serve", path, "--tensor-parallel-size", str(user.get("tensor_parallel_size") or value_of(rec, "tensor_parallel_size", 1))]
    pp = user.get("pipeline_parallel_size") or value_of(rec, "pipeline_parallel_size")
    if pp and int(pp) > 1:
        argv += ["--pipeline-parallel-size", str(pp)]
    if value_of(rec, "dtype"):
        argv += ["--dtype", "half"]
    argv += ["--max-model-len", str(value_of(rec, "max_model_len", plan.max_model_len))]
    gmu = user.get("gpu_memory_utilization") or value_of(rec, "gpu_memory_utilization")
    if gmu:
        argv += ["--gpu-memory-utilization", str(gmu)]
    kv = user.get("kv_cache_dtype") or value_of(rec, "kv_cache_dtype")
    if kv and kv != "auto":
        argv += ["--kv-cache-dtype", str(kv)]
    for key in ("max_num_seqs", "max_num_batched_tokens", "mamba_cache_mode", "enforce_eager"):
        if key in user and user[key] is not None:
            argv += [f"--{key.replace('_', '-')}"] + ([] if isinstance(user[key], bool) else [str(user[key])])
    spec = user.get("speculative_config") or value_of(rec, "speculative_config")
    if spec:
        argv += ["--speculative-config", json.dumps(spec, separators=(",", ":"))]
    tool = user.get("tool_call_parser") or value_of(rec, "tool_call_parser")
    if tool:
        argv += ["--enable-auto-tool-choice", "--tool-call-parser", tool]
    reasoning = user.get("reasoning_parser") or value_of(rec, "reasoning_parser")
    if reasoning:
        argv += ["--reasoning-parser", reasoning]
    return argv
