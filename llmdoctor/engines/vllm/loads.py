"""What vLLM loads beyond the checkpoint's plain sums: the towers it skips, a speculative drafter's own
weights, the padding of MXFP4 expert layouts, and MLA's 16-bit copy of a quantized kv_b_proj."""
from __future__ import annotations

from typing import Optional

from llmdoctor.checkpoint.quant import NVFP4_BYTES
from llmdoctor.checkpoint.spec import ModelInfo
from llmdoctor.engines.vllm.versions import has
from llmdoctor.plan.common import DTYPE_BYTES, GIB, canonical_dtype
from llmdoctor.plan.weights import mla_absorbed_bytes

# Model types whose vision tower also serves video (_mark_tower_model(vllm_config, {"image", "video"}) in
# vllm/model_executor/models/*.py, v0.26.0): their tower is skipped only when video is 0 as well.
VIDEO_TOWERS = {"gemma4", "qwen2_vl", "qwen2_5_vl", "qwen3_vl", "qwen3_vl_moe", "qwen3_5", "qwen3_5_moe",
                "qwen2_5_omni", "qwen3_omni_moe", "glm4v", "glm4v_moe", "internvl_chat", "interns1",
                "llava_onevision", "ernie4_5_moe_vl", "keye", "minicpmv", "molmo2", "phi4mm", "ovis2_5"}


def skipped_towers(settings: dict, version: str, model_type: str = "") -> frozenset[str]:
    """Towers vLLM does not build: those whose modalities all have --limit-mm-per-prompt 0, or all with
    --language-model-only (vllm/model_executor/models/interfaces.py · SupportsMultiModal._mark_tower_model)."""
    if not has("mm_tower_skip", version):
        return frozenset()
    if settings.get("language_model_only"):
        return frozenset({"vision", "audio"})
    limits = settings.get("limit_mm_per_prompt")
    if not isinstance(limits, dict):
        return frozenset()

    def zero(modality: str) -> bool:
        value = limits.get(modality)
        if isinstance(value, dict):
            value = value.get("count")
        return value == 0 and not isinstance(value, bool)
    skipped = set()
    if zero("image") and (zero("video") or model_type not in VIDEO_TOWERS):
        skipped.add("vision")
    if zero("audio"):
        skipped.add("audio")
    return frozenset(skipped)


def loads_drafter(method: str) -> bool:
    """Whether a --speculative-config method loads a model of its own beside the target (EAGLE heads, draft
    models): MTP methods run the target's own extra layers, n-gram and suffix decoding none."""
    method = str(method or "")
    return not method.endswith("mtp") and method not in ("ngram", "ngram_gpu", "suffix")


def eagle_drafter_params(model: ModelInfo, method: str) -> int:
    """Parameters of an EAGLE / EAGLE-3 drafter of the target's shape (vllm/model_executor/models/
    llama_eagle.py, llama_eagle3.py): one decoder layer (EAGLE-3's attention takes the embedding and the
    hidden state side by side: 2 x hidden into qkv) and the fc that folds the target's hidden states
    (2 x hidden -> hidden for EAGLE, 3 x hidden -> hidden for EAGLE-3), embedding and lm_head shared with the
    target (v1/spec_decode/llm_base_proposer.py _maybe_share_*: so for a head that carries none). A
    dummy-weight EAGLE-3 Llama-3.1-8B drafter measured 0.56 GiB (vLLM 0.26.0, H200); a real EAGLE-3 head with
    its own draft-vocabulary lm_head carries more, which reading its checkpoint counts."""
    spec = model.spec
    h = spec.hidden_size
    hd = spec.head_dim or h // max(1, spec.num_attention_heads or 1)
    nh, nkv = spec.num_attention_heads or 1, spec.num_kv_heads or spec.num_attention_heads or 1
    inner = spec.intermediate_size or 4 * h
    width = 2 * h if method == "eagle3" else h
    qkv = width * (nh + 2 * nkv) * hd
    return qkv + nh * hd * h + 3 * h * inner + (3 if method == "eagle3" else 2) * h * h


def draft_weight_bytes(draft: ModelInfo, method: str, act_bytes: int) -> int:
    """What vLLM loads for a drafter read from disk: every tensor of its checkpoint (an EAGLE head without
    an embedding or lm_head shares the target's); from a config alone, an EAGLE head is its layers and fc,
    a draft model all its weights."""
    if not draft.weights_computed and draft.weight_bytes:
        return int(draft.weight_bytes)
    if method in ("eagle", "eagle3"):
        return eagle_drafter_params(draft, method) * max(1, draft.spec.num_layers) * act_bytes
    return int(draft.weight_bytes or 0)


def modelopt_head_scale(model: ModelInfo) -> tuple[float, str]:
    """A ModelOpt quantization_config in config.json names its unquantized modules under `ignore`; vLLM reads
    only that key there (`exclude_modules` only from hf_quant_config.json's "quantization":
    vllm/model_executor/layers/quantization/modelopt.py from_config, v0.19 and v0.26). A config.json that
    lists lm_head under `exclude_modules` alone therefore gets a quantized lm_head in vLLM (SGLang 0.5.23
    falls back to `exclude_modules`). From a config alone, the lm_head is counted as vLLM builds it."""
    q = model.quantization
    raw = q.raw if q is not None and isinstance(q.raw, dict) else {}
    if not (q and q.method == "modelopt" and model.weights_computed and "ignore" not in raw
            and "lm_head" in str(raw.get("exclude_modules", ""))):
        return 1.0, ""
    per_param = {"nvfp4": NVFP4_BYTES, "fp8_e4m3": 1.0}.get(q.weight_dtype or "")
    if per_param is None:
        return 1.0, ""
    scale = per_param / DTYPE_BYTES.get(canonical_dtype(model.torch_dtype) or "bfloat16", 2)
    return scale, ("lm_head quantized like the layers: vLLM reads a config.json ModelOpt exclusion list only "
                   "under `ignore`, and this one names lm_head under `exclude_modules`")


def machete_layer_scale(model: ModelInfo, tp: int, gpu, version: str) -> tuple[float, str]:
    """AWQ on Hopper: vLLM picks Machete ahead of Marlin (kernels/linear/__init__.py _POSSIBLE_KERNELS) when the
    group size is 64, 128 or per-channel and the per-rank shapes divide by 64 (in) and 128 (out); its
    transform_w_zp replaces the packed zero points by -scale x zero in the activation dtype: 2 bytes per group
    and output column instead of bits/8 (mixed_precision/machete.py). Decoder-layer bytes scale by that."""
    q, spec = model.quantization, model.spec
    cc = (getattr(gpu, "cc_major", None), getattr(gpu, "cc_minor", None))
    if not (q and q.method in ("awq", "awq_marlin") and q.bits in (4, 8) and cc == (9, 0)
            and getattr(gpu, "vendor", "nvidia") == "nvidia" and has("awq_machete_hopper", version)):
        return 1.0, ""
    g, hidden, inter = q.group_size, spec.hidden_size or 0, spec.intermediate_size or 0
    # per-channel (one zero a column) changes nothing measurable; MoE experts run on fused-MoE kernels instead
    if g not in (64, 128) or spec.moe or not hidden or hidden % 128 or (inter // max(1, tp)) % 128:
        return 1.0, ""
    b = q.bits / 8
    scale = (b + 4 / g) / (b + (2 + b) / g)
    return scale, (f"AWQ on Hopper runs on vLLM's Machete kernel, which keeps zero points as fp16 per group: "
                   f"x{scale:.4f} decoder-layer bytes")


def mxfp4_expert_scale(model: ModelInfo, tp: int, gpu) -> tuple[float, str]:
    """MXFP4 experts as vLLM lays them out on NVIDIA GPUs: hidden rounded up to 256 and the per-rank
    intermediate to 128 (vllm/model_executor/layers/fused_moe/oracle/mxfp4.py
    mxfp4_round_up_hidden_size_and_intermediate_size, Marlin; TRT-LLM rounds both to 256). On Hopper the
    Triton backend's swizzled layout came out the same size in three gpt-oss runs (vLLM 0.10.1, 0.14.1,
    0.19.0 on H100: calibration)."""
    moe, q = model.spec.moe, model.quantization
    if not (moe and q and q.method == "mxfp4" and moe.expert_intermediate_size) or getattr(gpu, "vendor", "nvidia") != "nvidia":
        return 1.0, ""
    h, i = model.spec.hidden_size, max(1, moe.expert_intermediate_size // tp)
    cc = getattr(gpu, "cc_major", None) or 9
    ih = 256 if cc >= 10 else 128
    hp, ip = -(-h // 256) * 256, -(-i // ih) * ih
    scale = hp * ip / (h * i)
    return scale, (f"MXFP4 experts padded to hidden {hp} x intermediate {ip} per rank (from {h} x {i}): "
                   f"x{scale:.3f} expert bytes")


def mla_absorbed_copy_bytes(model: ModelInfo, tp: int, pp: int, act_bytes: int, online_quant: Optional[str],
                            version: str) -> tuple[int, str]:
    """Bytes per rank of the 16-bit W_UK_T and W_UV vLLM keeps for MLA decode (v0.26
    model_executor/layers/attention/mla_attention.py process_weights_after_loading): taken from kv_b_proj through
    get_and_maybe_dequant_weights, so views of it when it is 16-bit, a new 16-bit copy beside it when it is
    quantized (a DeepSeek-V3/R1 fp8 checkpoint: kv_lora x heads x (qk_nope + v_head) x 2 B a layer)."""
    q = model.quantization
    quantized = bool(online_quant) or (q is not None and q.method != "gguf" and not any(
        "kv_b" in m or "self_attn" in m for m in q.unquantized_modules))
    total = mla_absorbed_bytes(model, tp, pp, act_bytes) if quantized and has("mla_kv_b_16bit_copy", version) else 0
    if not total:
        return 0, ""
    return total, (f"MLA: vLLM keeps 16-bit W_UK/W_UV dequantized from the quantized kv_b_proj beside it "
                   f"({total / GIB:.2f} GiB per GPU)")
