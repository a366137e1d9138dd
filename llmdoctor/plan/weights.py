"""Weight bytes each GPU rank loads, from the model's per-role breakdown.

What vLLM's "Model loading took X GiB" measures (vllm/v1/worker/gpu_model_runner.py load_model,
v0.19-v0.21): torch-allocated bytes after loading, i.e. the rank's shard of every weight plus
persistent buffers such as the rotary cos/sin cache, plus draft/MTP weights when a drafter is loaded.
SGLang's "Load weight end ... mem usage" is the same quantity measured as a drop in free memory.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from llmdoctor.checkpoint.spec import MLA, ModelInfo
from llmdoctor.plan.common import DTYPE_BYTES, canonical_dtype
from llmdoctor.plan.records import WeightBreakdown


@dataclass
class RankWeights:
    bytes_per_gpu: int                 # busiest rank
    bytes_total: int
    per_stage: list[int] = field(default_factory=list)
    details: Optional[WeightBreakdown] = None
    assumptions: list[str] = field(default_factory=list)


def pp_split(num_layers: int, pp: int) -> list[range]:
    """Contiguous, as even as possible; the remainder goes to the later stages
    (vllm/distributed/utils.py get_pp_indices)."""
    base, extra = divmod(num_layers, pp)
    out, start = [], 0
    for stage in range(pp):
        n = base + (1 if stage >= pp - extra else 0)
        out.append(range(start, start + n))
        start += n
    return out


def rank_weights(model: ModelInfo, tp: int, pp: int, dtype: str, *, online_quant: Optional[str] = None,
                 load_mtp: bool = False, rope_cache: bool = True,
                 skip_towers: frozenset[str] = frozenset(), expert_scale: float = 1.0,
                 extra_last_stage: int = 0, head_scale: float = 1.0, layer_layout_scale: float = 1.0) -> RankWeights:
    """`skip_towers`: the towers the engine does not build ("vision", "audio"), e.g. vLLM's at
    --limit-mm-per-prompt 0 for all their modalities. `expert_scale`: routed-expert bytes as the engine
    lays them out over the checkpoint's (padding of quantized kernels). `extra_last_stage`: bytes per rank
    the engine adds on the last pipeline stage (a speculative drafter's own weights). `head_scale`: lm_head
    bytes as the engine builds them over the checkpoint's (a head the engine quantizes after all).
    `layer_layout_scale`: decoder-layer bytes as the engine's kernel lays them out (e.g. expanded zero points)."""
    w = model.weights
    notes: list[str] = []
    scale = 1.0
    quantized = model.quantization is not None and model.quantization.method != "gguf"
    ckpt = canonical_dtype(model.torch_dtype) or "bfloat16"
    target = canonical_dtype(dtype) or ckpt
    if not quantized and ckpt in DTYPE_BYTES and target in DTYPE_BYTES:
        scale = DTYPE_BYTES[target] / DTYPE_BYTES[ckpt]
    layer_scale = scale * layer_layout_scale
    if online_quant in ("fp8", "fp8_e4m3", "ptpc_fp8") and not quantized:
        # Online FP8: linear weights become 1 byte; norms, embeddings and lm_head stay in dtype.
        layer_scale = 1.0 / DTYPE_BYTES.get(ckpt, 2)
        notes.append("online --quantization fp8: decoder-layer weights counted at 1 byte per parameter "
                     "(norms, embeddings, lm_head and vision tower stay in the model dtype)")
    experts = list(w.per_layer_experts) + [0] * (len(w.per_layer) - len(w.per_layer_experts))
    per_layer = [int((b + e * (expert_scale - 1)) * layer_scale) for b, e in zip(w.per_layer, experts)] or [0]
    embed = int(w.embedding * scale)
    head = int(w.lm_head * scale * head_scale)
    audio = min(w.audio, w.vision)
    towers = {"vision": w.vision - audio, "audio": audio}
    skipped = {t: b for t, b in towers.items() if t in skip_towers and b}
    if skipped:
        notes.append(f"{' and '.join(skipped)} tower(s) not built ({sum(skipped.values()) / 2**30:.2f} GiB of "
                     "checkpoint weights not loaded)")
    vision = int((w.vision - sum(skipped.values())) * scale)
    mtp = int(w.mtp * layer_scale) if load_mtp else 0
    other = int(w.other * scale)
    rope = 0
    spec = model.spec
    if rope_cache and spec.full_attention_layers + spec.sliding_attention_layers and spec.head_dim:
        # vLLM's rotary cos/sin cache: [max_position, rotary_dim] in the model dtype
        # (vllm/model_executor/layers/rotary_embedding). Full rotary dim assumed.
        rope = (spec.max_position_embeddings or 0) * spec.head_dim * DTYPE_BYTES.get(target, 2)
    stages = pp_split(len(per_layer), pp)
    per_stage = []
    for i, rng in enumerate(stages):
        b = sum(per_layer[j] for j in rng) // tp + rope + other // tp
        if i == 0:
            b += embed // tp + vision // tp        # vocab-parallel embedding; tower sharded by TP
        if i == pp - 1:
            b += head // tp + mtp // tp + extra_last_stage
        per_stage.append(b)
    total = sum(per_layer) + embed + head + vision + mtp + other + extra_last_stage * tp
    details = WeightBreakdown(embedding=embed, lm_head=head, layers=sum(per_layer), vision=vision, mtp=mtp,
                              other=other, rope_cache_per_rank=rope, dtype_scale=scale)
    if model.weights_computed:
        notes.append("weights computed from config.json (no safetensors headers read)")
    return RankWeights(max(per_stage), total, per_stage, details, notes)


def mla_absorbed_bytes(model: ModelInfo, tp: int, pp: int, elem_bytes: int) -> int:
    """Bytes per rank (the busiest pipeline stage) of MLA's absorbed W_UK and W_UV held apart from kv_b_proj, as
    vLLM and SGLang keep them for decode: kv_lora x heads x (qk_nope + v_head) elements a layer. 0 without MLA."""
    s = model.spec
    mla = [layer for layer in s.layers or [] if layer.kind == MLA]
    if not mla:
        return 0
    layer = mla[0]
    qk_nope = (layer.mla_qk_head_dim or 0) - (layer.rope_dim or 0)
    heads = max((s.num_attention_heads or 0) // max(tp, 1), 1)
    per_layer = (layer.kv_lora_rank or 0) * heads * (qk_nope + (layer.mla_v_head_dim or 0)) * elem_bytes
    return per_layer * -(-len(mla) // max(pp, 1))
