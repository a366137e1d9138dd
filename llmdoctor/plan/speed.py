"""Decode and prefill speed upper bounds.

Decode of one stream is memory-bound: every token reads the active weights of each rank and the KV
of the context once, so tok/s <= bandwidth / bytes-per-token. Tensor parallel ranks read in
parallel but pay two all-reduces per layer. This is an upper bound: kernels reach 60-85% of peak
bandwidth, and sampling, scheduling and (for llama.cpp) graph launch add time.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from llmdoctor.checkpoint.spec import ModelInfo

# One all-reduce of a token's hidden state: latency-bound. Assumed, not measured here.
ALLREDUCE_SECONDS = {"nvlink": 8e-6, "pcie": 25e-6, "none": 0.0}


@dataclass
class SpeedEstimate:
    tokens_per_s: Optional[float]
    bytes_per_token: int
    assumptions: list[str] = field(default_factory=list)


def active_weight_bytes(model: ModelInfo, weight_bytes: Optional[int] = None) -> int:
    """Weights one decoded token reads: everything except the routed experts that are not picked.
    `weight_bytes` overrides the model's total (e.g. a GGUF file's real size); the MoE share is
    scaled from the model's breakdown. The input embedding is a row lookup, not a full read."""
    w = model.weights
    total = weight_bytes if weight_bytes is not None else (model.weight_bytes or 0)
    known = sum(w.per_layer) + w.embedding + w.lm_head + w.mtp + w.vision + w.other
    scale = total / known if known else 1.0
    read = total - (w.embedding + w.vision + w.mtp) * scale
    moe = model.spec.moe
    if moe and moe.num_experts and w.per_layer_experts:
        experts = sum(w.per_layer_experts) * scale
        read -= experts * (1 - moe.experts_per_token / moe.num_experts)
    return max(int(read), 0)


def decode_upper_bound(active_bytes_per_rank: int, kv_bytes_per_token_per_rank: int, context: int,
                       bandwidth_bytes_per_s: Optional[float], *, tp: int = 1, num_layers: int = 0,
                       link: str = "pcie") -> SpeedEstimate:
    per_token = active_bytes_per_rank + kv_bytes_per_token_per_rank * context
    notes = [f"decode tok/s is an upper bound: bandwidth / bytes read per token "
             f"(active weights per rank + KV of a {context}-token context)"]
    if not bandwidth_bytes_per_s:
        notes.append("memory bandwidth unknown: no decode estimate")
        return SpeedEstimate(None, per_token, notes)
    seconds = per_token / bandwidth_bytes_per_s
    if tp > 1:
        comm = ALLREDUCE_SECONDS.get(link, ALLREDUCE_SECONDS["pcie"])
        seconds += 2 * num_layers * comm
        notes.append(f"tensor parallel {tp}: 2 all-reduces per layer at {comm * 1e6:.0f} us each over "
                     f"{link} (assumed latency)")
    return SpeedEstimate(1.0 / seconds, per_token, notes)


def prefill_upper_bound(active_params: Optional[int], flops_per_s: Optional[float], utilisation: float = 0.5) -> SpeedEstimate:
    """tok/s <= utilisation * peak FLOPs / (2 * active parameters)."""
    if not active_params or not flops_per_s:
        return SpeedEstimate(None, 0, ["prefill: peak FLOPs of this GPU not in the table; no estimate"])
    return SpeedEstimate(utilisation * flops_per_s / (2 * active_params), 0,
                         [f"prefill from 2 FLOPs per active parameter per token at {utilisation:.0%} of peak"])
