"""config.json -> per-layer attention kinds, KV shapes, recurrent state, MoE and MTP facts.

Conventions follow the HF modeling code and vLLM's reading of it:
- `layer_types` (transformers >= 4.53) wins when present. When absent, the config class's rule
  (config_defaults.json `derived.layer_types`, generated from transformers) gives it.
- Qwen3-Next / Qwen3.5: layer i is full attention iff (i + 1) % full_attention_interval == 0
  (transformers `configuration_qwen3_next.py`); the rest are Gated DeltaNet ("linear").
- Gemma-2: even layers slide (`modeling_gemma2.py`: `not bool(layer_idx % 2)`); Gemma-3: layer i
  slides iff (i + 1) % sliding_window_pattern != 0 (default 6).
- Nemotron-H: `hybrid_override_pattern`, one char per block: M mamba2, * attention, - MLP, E MoE.
- Jamba: attention iff i % attn_layer_period == attn_layer_offset, MoE iff
  i % expert_layer_period == expert_layer_offset (`configuration_jamba.py`).
- DeepSeek-V2/V3 (MLA): one latent of kv_lora_rank + qk_rope_head_dim per token, no V
  (vLLM `model_arch_config_convertor.get_head_size`).
- Gemma-3n/Gemma-4 KV sharing: the last num_kv_shared_layers layers reuse the KV of the last earlier
  layer of the same type (transformers `modeling_gemma3n.py`, vLLM `kv_sharing_target_layer_name`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from llmdoctor.checkpoint.config_view import MAX_EXPERTS, MAX_LAYERS, ConfigView
from llmdoctor.checkpoint.spec import (
    FULL, LINEAR, MAMBA, MLA, MLP_ONLY, SLIDING, LayerSpec, MoESpec, RecurrentState,
)
from llmdoctor.errors import InputError

LAYER_TYPE_NAMES = {
    "full_attention": FULL, "attention": FULL, "global": FULL, "global_attention": FULL,
    "sliding_attention": SLIDING, "sliding": SLIDING, "local": SLIDING, "local_sliding": SLIDING,
    "chunked_attention": SLIDING,
    "linear_attention": LINEAR, "mamba": MAMBA, "mamba2": MAMBA, "mlp": MLP_ONLY,
}
# transformers >= 5 names Nemotron-H blocks with generic layer types (configuration_nemotron_h.py).
FAMILY_LAYER_TYPE_NAMES = {"nemotron_h": {"linear_attention": MAMBA, "moe": MLP_ONLY}}
GDN_MODEL_TYPES = {"qwen3_next", "qwen3_5", "qwen3_5_text", "qwen3_5_moe", "qwen3_5_moe_text"}
MLA_MODEL_TYPES = {"deepseek_v2", "deepseek_v3", "deepseek_v32", "kimi_k2", "kimi_vl"}
DTYPE_BYTES = {"float32": 4, "fp32": 4, "float16": 2, "bfloat16": 2, "fp16": 2, "bf16": 2, "float8": 1}


@dataclass
class AttentionShape:
    num_heads: int
    num_kv_heads: int
    head_dim: int


def attention_shape(cfg: ConfigView) -> AttentionShape:
    hidden = cfg.req_int("hidden_size", alt=("d_model", "n_embd"))
    heads = cfg.req_int("num_attention_heads", alt=("n_head", "num_heads"))
    kv_heads = cfg.int_("num_key_value_heads", None) or heads
    head_dim = cfg.int_("head_dim") or cfg.int_("attention_head_dim") or hidden // heads
    return AttentionShape(heads, kv_heads, head_dim)


def layer_kinds(cfg: ConfigView, num_layers: int) -> list[str]:
    mt = cfg.model_type or ""
    pattern = cfg.str_("hybrid_override_pattern")
    if pattern is not None:
        kinds = {"M": MAMBA, "*": FULL, "-": MLP_ONLY, "E": MLP_ONLY}
        if len(pattern) != num_layers or any(ch not in kinds for ch in pattern):
            raise InputError(f"{cfg.where}: hybrid_override_pattern does not describe {num_layers} layers")
        return [kinds[ch] for ch in pattern]
    types = cfg.list_("layer_types") or cfg.list_("layers_block_type")
    if types is not None:
        names = {**LAYER_TYPE_NAMES, **FAMILY_LAYER_TYPE_NAMES.get(mt, {})}
        if len(types) >= num_layers and all(isinstance(t, str) and t in names for t in types[:num_layers]):
            return [names[t] for t in types[:num_layers]]
        if cfg.is_given("layer_types") or cfg.is_given("layers_block_type"):
            raise InputError(f"{cfg.where}: layer_types must name {num_layers} known layer types")
        # The config class's default names a kind the reader does not model: the family rules decide.
    if mt in GDN_MODEL_TYPES:
        interval = cfg.int_("full_attention_interval", 4, hi=MAX_LAYERS, lo=1)
        return [FULL if (i + 1) % interval == 0 else LINEAR for i in range(num_layers)]
    if mt == "jamba":
        period = cfg.int_("attn_layer_period", 8, hi=MAX_LAYERS, lo=1)
        offset = cfg.int_("attn_layer_offset", 4, hi=MAX_LAYERS)
        return [FULL if i % period == offset else MAMBA for i in range(num_layers)]
    if cfg.int_("kv_lora_rank") and (mt in MLA_MODEL_TYPES or cfg.has("qk_rope_head_dim")):
        return [MLA] * num_layers
    if mt == "gemma2":
        return [SLIDING if i % 2 == 0 else FULL for i in range(num_layers)]
    if mt in ("gemma3", "gemma3_text"):
        period = cfg.int_("sliding_window_pattern", 6, hi=MAX_LAYERS, lo=1)
        return [FULL if (i + 1) % period == 0 else SLIDING for i in range(num_layers)]
    return [_uniform_kind(cfg, i) for i in range(num_layers)]


def _uniform_kind(cfg: ConfigView, index: int) -> str:
    """Mistral/Phi-3 style: one sliding_window for every layer, unless switched off."""
    window = cfg.int_("sliding_window", None, hi=1 << 40)
    if not window:
        return FULL
    if cfg.bool_("use_sliding_window") is False:
        return FULL
    max_pos = cfg.int_("max_position_embeddings", None, hi=1 << 40)
    if max_pos and window >= max_pos:
        return FULL            # Phi-4: window == context, so nothing ever slides
    # Qwen2: only layers at or above max_window_layers slide (vLLM qwen2.py).
    max_window_layers = cfg.int_("max_window_layers", None, hi=MAX_LAYERS)
    if cfg.bool_("use_sliding_window") and max_window_layers is not None and index < max_window_layers:
        return FULL
    return SLIDING


def moe_layer_flags(cfg: ConfigView, num_layers: int) -> list[bool]:
    mt = cfg.model_type or ""
    experts = num_routed_experts(cfg)
    if not experts:
        return [False] * num_layers
    pattern = cfg.str_("hybrid_override_pattern")
    if pattern is not None:
        return [ch == "E" for ch in pattern]
    if mt == "jamba":
        period = cfg.int_("expert_layer_period", 2, hi=MAX_LAYERS, lo=1)
        offset = cfg.int_("expert_layer_offset", 1, hi=MAX_LAYERS)
        return [i % period == offset for i in range(num_layers)]
    if cfg.has("first_k_dense_replace") or mt in MLA_MODEL_TYPES or mt.startswith("glm4_moe"):
        first_dense = cfg.int_("first_k_dense_replace", 0, hi=MAX_LAYERS)
        freq = cfg.int_("moe_layer_freq", 1, hi=MAX_LAYERS, lo=1)
        return [i >= first_dense and i % freq == 0 for i in range(num_layers)]
    mlp_only = set(cfg.int_list("mlp_only_layers") or [])
    step = cfg.int_("decoder_sparse_step", 1, hi=MAX_LAYERS, lo=1)
    return [i not in mlp_only and (i + 1) % step == 0 for i in range(num_layers)]


def num_routed_experts(cfg: ConfigView) -> int:
    for key in ("num_experts", "n_routed_experts", "num_local_experts", "moe_num_experts"):
        value = cfg.int_(key, None, hi=MAX_EXPERTS)
        if value:
            return value
    return 0


def experts_per_token(cfg: ConfigView) -> int:
    for key in ("num_experts_per_tok", "experts_per_token", "top_k_experts", "moe_top_k"):
        value = cfg.int_(key, None, hi=MAX_EXPERTS)
        if value:
            return value
    return 0


def num_shared_experts(cfg: ConfigView) -> int:
    if cfg.int_("shared_expert_intermediate_size"):
        return 1                                   # Qwen2-MoE / Qwen3-Next / Qwen3.5 style
    if cfg.model_type in ("gemma4", "gemma4_text") and cfg.bool_("enable_moe_block"):
        return 1                                   # the dense MLP runs beside the routed experts
    return cfg.int_("n_shared_experts", 0, hi=MAX_EXPERTS) or 0


def moe_spec(cfg: ConfigView, flags: list[bool]) -> Optional[MoESpec]:
    experts = num_routed_experts(cfg)
    if not experts or not any(flags):
        return None
    inter = cfg.int_("moe_intermediate_size") or cfg.int_("expert_intermediate_size")
    if inter is None and (cfg.model_type or "") in ("mixtral", "gpt_oss", "jamba"):
        inter = cfg.int_("intermediate_size")
    return MoESpec(
        num_experts=experts,
        experts_per_token=experts_per_token(cfg),
        shared_experts=num_shared_experts(cfg),
        moe_layers=sum(flags),
        expert_intermediate_size=inter,
    )


def mtp_layer_count(cfg: ConfigView) -> tuple[int, Optional[str]]:
    """MTP / nextn layers shipped with the checkpoint, plus a note when inferred."""
    for key in ("mtp_num_hidden_layers", "num_nextn_predict_layers", "nextn_predict_layers"):
        value = cfg.int_(key, None, hi=64)
        if value is not None:
            return value, None
    if cfg.model_type == "qwen3_next":
        # Qwen3-Next checkpoints ship mtp.* weights, but the config does not count them;
        # vLLM's qwen3_next_mtp.py falls back to one layer.
        return 1, "Qwen3-Next: one MTP layer assumed (mtp.* weights; the config does not state it)"
    return 0, None


def recurrent_state(cfg: ConfigView, kind: str, model_dtype_bytes: int) -> Optional[tuple[RecurrentState, int]]:
    """State shape and bytes per sequence at TP=1 (conv in the model dtype, SSM in its own dtype)."""
    ssm_dtype = cfg.str_("mamba_ssm_dtype") or cfg.str_("mamba_ssm_cache_dtype")
    ssm_bytes = DTYPE_BYTES.get(ssm_dtype or "", model_dtype_bytes)
    if kind == LINEAR:
        nk = cfg.req_int("linear_num_key_heads")
        nv = cfg.req_int("linear_num_value_heads")
        dk = cfg.req_int("linear_key_head_dim")
        dv = cfg.req_int("linear_value_head_dim")
        kernel = cfg.int_("linear_conv_kernel_dim", 4, lo=1)
        conv_dim = 2 * nk * dk + nv * dv
        state = RecurrentState(type="gdn", conv_dim=conv_dim, conv_kernel=kernel, ssm_elements=nv * dk * dv,
                               num_heads=nv, num_k_heads=nk, head_dim_k=dk, head_dim_v=dv, ssm_dtype=ssm_dtype)
    elif kind == MAMBA:
        hidden = cfg.req_int("hidden_size")
        if cfg.int_("mamba_num_heads"):
            heads = cfg.req_int("mamba_num_heads")
            head_dim = cfg.req_int("mamba_head_dim")
            d_inner = heads * head_dim
            d_state = cfg.req_int("ssm_state_size")
            groups = cfg.int_("n_groups", 1, lo=1)
            kernel = cfg.int_("conv_kernel", 4, lo=1)
            state = RecurrentState(type="mamba2", conv_dim=d_inner + 2 * groups * d_state, conv_kernel=kernel,
                                   ssm_elements=heads * head_dim * d_state, num_heads=heads, d_inner=d_inner,
                                   d_state=d_state, n_groups=groups, ssm_dtype=ssm_dtype)
        else:
            d_inner = (cfg.int_("mamba_expand", 2) or 2) * hidden
            d_state = cfg.int_("mamba_d_state", 16, lo=1)
            kernel = cfg.int_("mamba_d_conv", 4, lo=1)
            state = RecurrentState(type="mamba1", conv_dim=d_inner, conv_kernel=kernel,
                                   ssm_elements=d_inner * d_state, d_inner=d_inner, d_state=d_state,
                                   ssm_dtype=ssm_dtype)
    else:
        return None
    nbytes = state.conv_dim * (state.conv_kernel - 1) * model_dtype_bytes + state.ssm_elements * ssm_bytes
    return state, nbytes


def build_layers(cfg: ConfigView, num_layers: int, model_dtype_bytes: int) -> list[LayerSpec]:
    kinds = layer_kinds(cfg, num_layers)
    moe_flags = moe_layer_flags(cfg, num_layers)
    shape = attention_shape(cfg)
    window = cfg.int_("sliding_window", None, hi=1 << 40) or cfg.int_("attention_chunk_size", None, hi=1 << 40)
    global_head_dim = cfg.int_("global_head_dim")
    global_kv_heads = cfg.int_("num_global_key_value_heads")
    k_eq_v = bool(cfg.bool_("attention_k_eq_v"))
    layers = []
    state_cache: dict[str, tuple] = {}
    for index, kind in enumerate(kinds):
        layer = LayerSpec(index=index, kind=kind, is_moe=moe_flags[index])
        if kind in (FULL, SLIDING):
            layer.num_kv_heads = shape.num_kv_heads
            layer.head_dim_k = layer.head_dim_v = shape.head_dim
            if kind == FULL and global_head_dim:
                layer.head_dim_k = layer.head_dim_v = global_head_dim     # Gemma-4 global layers
            if kind == FULL and k_eq_v and global_kv_heads:
                layer.num_kv_heads = global_kv_heads
            if kind == SLIDING:
                layer.window = window
        elif kind == MLA:
            rank = cfg.req_int("kv_lora_rank")
            rope = cfg.req_int("qk_rope_head_dim")
            layer.num_kv_heads, layer.kv_lora_rank, layer.rope_dim = 1, rank, rope
            layer.head_dim_k, layer.head_dim_v = rank + rope, 0
            if cfg.int_("qk_nope_head_dim") and cfg.int_("v_head_dim"):
                layer.mla_qk_head_dim = cfg.int_("qk_nope_head_dim") + rope
                layer.mla_v_head_dim = cfg.int_("v_head_dim")
        elif kind in (LINEAR, MAMBA):
            if kind not in state_cache:
                state_cache[kind] = recurrent_state(cfg, kind, model_dtype_bytes)
            layer.state, layer.state_bytes = state_cache[kind]
        layers.append(layer)
    _apply_kv_sharing(cfg, layers)
    return layers


def _apply_kv_sharing(cfg: ConfigView, layers: list[LayerSpec]) -> None:
    shared = cfg.int_("num_kv_shared_layers", 0, hi=MAX_LAYERS) or 0
    if not shared or shared >= len(layers):
        return
    first_shared = len(layers) - shared
    for layer in layers[first_shared:]:
        for source in reversed(layers[:first_shared]):
            if source.kind == layer.kind:
                layer.kv_shared_from = source.index
                break
