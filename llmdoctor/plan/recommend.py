"""Recommended settings and the launch command for a plan.

Parser names come from the model-family table shared with the rules (llmdoctor/families.py).
"""
from __future__ import annotations

import math
from dataclasses import replace
from typing import Any, Callable, Optional

from llmdoctor import families
from llmdoctor.checkpoint.spec import ModelInfo
from llmdoctor.plan.common import GIB, cuda_total_bytes
from llmdoctor.plan.records import Plan, PlanRequest, Recommendation, Target, VllmMemory

def parsers_for(model: ModelInfo, engine: str = "vllm") -> tuple[Optional[str], Optional[str]]:
    """The tool-call and reasoning parsers of the model's family, in this engine's names (the same
    table the rules check against: rules/data/parsers.toml)."""
    fam = families.match_family(model.model_type, families.model_names(model))
    tools, reasoning = families.tool_parsers(fam, engine), families.reasoning_parsers(fam, engine)
    return (tools[0] if tools else None), (reasoning[0] if reasoning else None)


def safe_gmu(target_gpus: list, version_outside_budget: float = 0.6 * GIB) -> tuple[Optional[float], str]:
    """Largest gpu_memory_utilization vLLM will accept and survive: measured free memory, less
    what sits outside the budget (CUDA context, NCCL, graphs captured later), over the total."""
    best = None
    for g in target_gpus:
        total, free = cuda_total_bytes(g), g.memory_free_bytes
        if not total or free is None:
            continue
        value = math.floor((free - version_outside_budget) / total * 100) / 100
        best = value if best is None else min(best, value)
    if best is None:
        return None, "free memory unknown (what-if or unprobed GPU): keep the engine default"
    best = max(min(best, 0.95), 0.05)
    return best, f"measured free memory less {version_outside_budget / GIB:.1f} GiB outside vLLM's budget"


def mtp_tokens(num_gpus: int, concurrency: float) -> int:
    """The seeds' rule of thumb: 3 on 1-2 GPUs, 4 on more; fewer when KV is short."""
    n = 3 if num_gpus <= 2 else 4
    if concurrency < 1.0:
        n = 1
    elif concurrency < 2.0:
        n = min(n, 2)
    return n


def valid_tp_sizes(model: ModelInfo, num_gpus: int) -> list[int]:
    heads, kv = model.spec.num_attention_heads or 0, model.spec.num_kv_heads or 0
    out = []
    for tp in range(1, num_gpus + 1):
        if heads and heads % tp:
            continue
        if kv and model.spec.mla_layers == 0 and kv % tp and tp % kv:
            continue
        out.append(tp)
    return out


def recommend(plan: Plan, target: Target, model: ModelInfo, request: PlanRequest,
              build_command: Callable[[Plan, ModelInfo, PlanRequest, dict], list[str]]) -> Plan:
    """The plan with its recommendations, and the command `build_command` (the engine's) makes of them."""
    rec: dict[str, Recommendation] = {}
    n = len(target.gpus)
    tps = valid_tp_sizes(model, n)
    if tps:
        tp = max(tps)
        rec["tensor_parallel_size"] = Recommendation(tp, f"largest size <= {n} GPUs dividing the attention and KV heads")
        if tp < n and n % tp == 0:
            rec["pipeline_parallel_size"] = Recommendation(n // tp, "heads do not divide across all GPUs")
    gpu0 = target.gpus[0] if target.gpus else None
    if gpu0 is not None and gpu0.vendor == "nvidia" and (gpu0.cc_major or 9) < 8:
        rec["dtype"] = Recommendation("half", "no bfloat16 below compute capability 8.0")
    if plan.engine == "vllm":
        gmu, why = safe_gmu(target.gpus[: max(plan.tensor_parallel_size * plan.pipeline_parallel_size, 1)])
        if gmu is not None:
            rec["gpu_memory_utilization"] = Recommendation(gmu, why)
    if plan.max_concurrency < 1.0 and plan.kv_cache.dtype not in ("fp8", "fp8_e4m3", "fp8_e5m2"):
        rec["kv_cache_dtype"] = Recommendation("fp8", "KV cache holds less than one full-length request; fp8 halves it")
    fit_len = plan.details.max_model_len_for_concurrency if isinstance(plan.details, VllmMemory) else None
    if fit_len:
        rec["max_model_len"] = Recommendation(fit_len, f"largest context at the requested concurrency "
                                                       f"{request.flags.get('concurrency', 1)}")
    if model.spec.mtp_layers:
        k = mtp_tokens(n, plan.max_concurrency)
        rec["speculative_config"] = Recommendation(
            {"method": "mtp", "num_speculative_tokens": k},
            "model carries MTP layers; 3 tokens on 1-2 GPUs, 4 on more, fewer when KV is short")
    tool, reasoning = parsers_for(model, plan.engine)
    if tool:
        rec["tool_call_parser"] = Recommendation(tool, f"tool-call format of the {model.model_type} family")
    if reasoning:
        rec["reasoning_parser"] = Recommendation(reasoning, f"thinking format of the {model.model_type} family")
    return replace(plan, recommendations=rec, command=build_command(plan, model, request, rec))


def value_of(rec: dict, key: str, default: Any = None) -> Any:
    """A recommended value, or `default` when there is no such recommendation."""
    return rec[key].value if key in rec else default
