"""Parameter counts from config.json alone, matrix by matrix, split by role.

Roles matter twice: the active count (only experts_per_token of the routed experts run) and the
computed weight bytes of a config-only checkpoint (quantization usually spares embeddings, norms
and routers). Shapes follow each family's HF modeling file (named per branch below).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Optional

from llmdoctor.checkpoint.config_view import ConfigView
from llmdoctor.checkpoint.hf_layers import (
    attention_shape, experts_per_token, moe_layer_flags, mtp_layer_count, num_routed_experts, num_shared_experts,
)
from llmdoctor.checkpoint.spec import FULL, LINEAR, MAMBA, MLA, MLP_ONLY, SLIDING, LayerSpec

QKV_BIAS_TYPES = {"qwen2", "qwen2_moe", "qwen2_vl", "qwen2_5_vl"}
QK_NORM_PREFIXES = ("qwen3", "gemma3", "gemma4", "olmo2")
FOUR_NORM_PREFIXES = ("gemma2", "gemma3", "gemma4")
ROUTER_BIAS_TYPES = {"gpt_oss"}                          # router Linear with bias
SCORE_BIAS_TYPES = {"deepseek_v3", "deepseek_v32", "kimi_k2", "glm4_moe", "nemotron_h"}   # e_score_correction_bias
NON_GATED_MLP_TYPES = {"nemotron_h", "gpt2", "phi"}      # up/down only (relu2, gelu)


@dataclass
class LayerParams:
    """One decoder layer's parameters by role."""
    attention: int = 0          # projections of attention / GDN / mamba mixers (quantizable)
    mlp: int = 0                # dense MLP and shared experts (quantizable)
    experts: int = 0            # routed experts, all of them (quantizable)
    experts_active: int = 0     # routed experts that run for one token
    router: int = 0             # routers and their biases (kept in high precision)
    small: int = 0              # norms, biases, conv kernels, A_log, sinks (kept in high precision)

    @property
    def total(self) -> int:
        return self.attention + self.mlp + self.experts + self.router + self.small

    @property
    def active(self) -> int:
        return self.attention + self.mlp + self.experts_active + self.router + self.small


@dataclass
class ParamTally:
    embedding: int
    lm_head: int
    final_norm: int
    layers: list[LayerParams]
    mtp: list[LayerParams]                 # MTP layers; their embedding/head copies sit in mtp_vocab
    mtp_vocab: int = 0                     # DeepSeek/GLM MTP layers store their own embed + head
    vision: Optional[int] = None           # multimodal towers (vision and audio) with their projectors
    notes: list[str] = field(default_factory=list)
    # Gemma-3n / Gemma-4 E-series per-layer embeddings (PLE): the packed table
    # embed_tokens_per_layer [vocab_size_per_layer_input, num_layers x hidden_size_per_layer_input]
    # and per_layer_model_projection (hidden -> num_layers x hidden_size_per_layer_input) + its norm.
    per_layer_embedding: int = 0
    per_layer_projection: int = 0
    audio: Optional[int] = None            # the audio tower's share of `vision` (vLLM skips it alone at audio=0)

    @property
    def mtp_total(self) -> int:
        return sum(p.total for p in self.mtp) + self.mtp_vocab

    @property
    def total(self) -> int:
        body = sum(p.total for p in self.layers)
        return (self.embedding + self.per_layer_embedding + self.per_layer_projection + self.lm_head
                + self.final_norm + body + self.mtp_total + (self.vision or 0))

    @property
    def active(self) -> int:
        """Every parameter one token touches, embeddings included (the Qwen / Mixtral convention;
        the per-layer embedding table counts as an embedding). MTP and vision are left out: they do
        not run for a text token of the main model."""
        body = sum(p.active for p in self.layers)
        return (self.embedding + self.per_layer_embedding + self.per_layer_projection + self.lm_head
                + self.final_norm + body)


def count_params(cfg: ConfigView, layers: list[LayerSpec]) -> ParamTally:
    mt = cfg.model_type or ""
    hidden = cfg.req_int("hidden_size", alt=("d_model", "n_embd"))
    vocab = cfg.req_int("vocab_size")
    tied = cfg.bool_("tie_word_embeddings", True)     # transformers' PretrainedConfig default
    per_layer = [layer_params(cfg, layer.kind, layer.is_moe) for layer in layers]
    # Gemma-4 KV-shared layers keep their k/v projections and k_norm in this count: the checkpoint
    # stores them (transformers drops them on load via _keys_to_ignore_on_load_unexpected) and vLLM's
    # gemma4.py builds a QKVParallelLinear for every layer and loads them.
    if mt.startswith("gemma4") and cfg.bool_("use_double_wide_mlp"):
        # Gemma4TextMLP: intermediate_size x 2 on the KV-shared layers (modeling_gemma4.py).
        inter = cfg.int_("intermediate_size") or 0
        for layer, params in zip(layers, per_layer):
            if layer.kv_shared_from is not None:
                params.mlp += 3 * hidden * inter
    tally = ParamTally(
        embedding=vocab * hidden,
        lm_head=0 if tied else vocab * hidden,
        final_norm=hidden,
        layers=per_layer,
        mtp=[],
    )
    _add_per_layer_embeddings(cfg, tally, len(layers), hidden)
    _add_mtp(cfg, tally, len(layers), hidden, vocab)
    tally.vision, vision_note = vision_params(cfg)
    if vision_note:
        tally.notes.append(vision_note)
    audio, audio_note = audio_params(cfg)
    if audio_note:
        tally.notes.append(audio_note)
    if audio:
        tally.audio = audio
        tally.vision = (tally.vision or 0) + audio
    if mt.startswith("gemma4"):
        tally.notes.append("Gemma-4: router scales and per-layer scalars are not in config.json; counts may be off by a few thousand parameters")
    return tally


def layer_params(cfg: ConfigView, kind: str, is_moe: bool, force_full: bool = False) -> LayerParams:
    mt = cfg.model_type or ""
    hidden = cfg.req_int("hidden_size", alt=("d_model", "n_embd"))
    params = LayerParams()
    if kind in (FULL, SLIDING) or force_full:
        _attention(cfg, FULL if force_full else kind, params, hidden)
    elif kind == MLA:
        _mla(cfg, params, hidden)
    elif kind == LINEAR:
        _gated_deltanet(cfg, params, hidden)
    elif kind == MAMBA:
        _mamba(cfg, params, hidden)
    _feed_forward(cfg, kind, is_moe, params, hidden)
    if mt.startswith("nemotron_h"):
        norms = 1                                   # one pre-norm per block
    elif mt.startswith(FOUR_NORM_PREFIXES):
        norms = 4                                   # pre/post attention and pre/post feed-forward
    else:
        norms = 2
    params.small += norms * hidden
    if mt.startswith("gemma4"):
        params.small += 1                           # layer_scalar
    per_layer_dim = per_layer_input_dim(cfg)
    if per_layer_dim:
        # per_layer_input_gate (h -> p), per_layer_projection (p -> h), post_per_layer_input_norm
        # (Gemma4TextDecoderLayer / Gemma3nTextDecoderLayer).
        params.mlp += 2 * hidden * per_layer_dim
        params.small += hidden
    return params


def per_layer_input_dim(cfg: ConfigView) -> int:
    """hidden_size_per_layer_input of a Gemma-3n / Gemma-4 E-series text config (0: no per-layer inputs)."""
    if not (cfg.model_type or "").startswith(("gemma4", "gemma3n")):
        return 0
    return cfg.int_("hidden_size_per_layer_input") or 0


def _add_per_layer_embeddings(cfg: ConfigView, tally: ParamTally, num_layers: int, hidden: int) -> None:
    """Gemma-3n / Gemma-4 per-layer embeddings (Gemma4TextModel.__init__, modeling_gemma4.py): the
    table embed_tokens_per_layer [vocab_size_per_layer_input, num_layers * p], the projection
    per_layer_model_projection (h -> num_layers * p) and per_layer_projection_norm (p)."""
    mt = cfg.model_type or ""
    dim = per_layer_input_dim(cfg)
    if not dim:
        return
    vocab = cfg.int_("vocab_size_per_layer_input") or cfg.req_int("vocab_size")
    tally.per_layer_embedding = vocab * num_layers * dim
    tally.per_layer_projection = hidden * num_layers * dim + dim
    if mt.startswith("gemma3n"):
        tally.notes.append("Gemma-3n: AltUp and LAuReL blocks are not counted (only Gemma-4's layer shapes are modelled)")


def _attention(cfg: ConfigView, kind: str, params: LayerParams, hidden: int) -> None:
    mt = cfg.model_type or ""
    shape = attention_shape(cfg)
    heads, kv_heads, head_dim = shape.num_heads, shape.num_kv_heads, shape.head_dim
    k_eq_v = False
    if kind == FULL and cfg.int_("global_head_dim"):
        head_dim = cfg.req_int("global_head_dim")
    if kind == FULL and cfg.bool_("attention_k_eq_v") and cfg.int_("num_global_key_value_heads"):
        kv_heads, k_eq_v = cfg.req_int("num_global_key_value_heads"), True
    gated = mt == "qwen3_next" or bool(cfg.bool_("attn_output_gate"))
    q_out = heads * head_dim * (2 if gated else 1)
    kv_out = kv_heads * head_dim
    params.attention += hidden * q_out + hidden * kv_out * (1 if k_eq_v else 2) + heads * head_dim * hidden
    attention_bias = bool(cfg.bool_("attention_bias"))
    if attention_bias or mt in QKV_BIAS_TYPES:
        params.small += q_out + kv_out * (1 if k_eq_v else 2)
        if attention_bias and mt != "glm4_moe":   # GLM-4.5: q/k/v bias only (modeling_glm4_moe.py)
            params.small += hidden
    if mt.startswith(QK_NORM_PREFIXES) or (mt == "glm4_moe" and cfg.bool_("use_qk_norm")):
        params.small += 2 * head_dim
    if mt == "gpt_oss":
        params.small += heads                       # attention sinks


def _mla(cfg: ConfigView, params: LayerParams, hidden: int) -> None:
    """DeepSeek-V2/V3 multi-head latent attention (modeling_deepseek.py)."""
    heads = cfg.req_int("num_attention_heads")
    rank = cfg.req_int("kv_lora_rank")
    rope = cfg.req_int("qk_rope_head_dim")
    nope = cfg.req_int("qk_nope_head_dim")
    v_dim = cfg.req_int("v_head_dim")
    q_rank = cfg.int_("q_lora_rank")
    if q_rank:
        params.attention += hidden * q_rank + q_rank * heads * (nope + rope)
        params.small += q_rank                      # q_a_layernorm
    else:
        params.attention += hidden * heads * (nope + rope)
    params.attention += hidden * (rank + rope) + rank * heads * (nope + v_dim) + heads * v_dim * hidden
    params.small += rank                            # kv_a_layernorm


def _gated_deltanet(cfg: ConfigView, params: LayerParams, hidden: int) -> None:
    """Qwen3-Next / Qwen3.5 Gated DeltaNet (modeling_qwen3_next.py): in_proj_qkvz + in_proj_ba."""
    nk, nv = cfg.req_int("linear_num_key_heads"), cfg.req_int("linear_num_value_heads")
    dk, dv = cfg.req_int("linear_key_head_dim"), cfg.req_int("linear_value_head_dim")
    kernel = cfg.int_("linear_conv_kernel_dim", 4, lo=1)
    key_dim, value_dim = nk * dk, nv * dv
    params.attention += hidden * (2 * key_dim + 2 * value_dim) + hidden * 2 * nv + value_dim * hidden
    params.small += (2 * key_dim + value_dim) * kernel + 2 * nv + dv    # conv1d, dt_bias + A_log, gated norm


def _mamba(cfg: ConfigView, params: LayerParams, hidden: int) -> None:
    if cfg.int_("mamba_num_heads"):
        # Mamba2 as in modeling_nemotron_h.py
        heads, head_dim = cfg.req_int("mamba_num_heads"), cfg.req_int("mamba_head_dim")
        d_inner = heads * head_dim
        d_state = cfg.req_int("ssm_state_size")
        groups = cfg.int_("n_groups", 1, lo=1)
        kernel = cfg.int_("conv_kernel", 4, lo=1)
        conv_dim = d_inner + 2 * groups * d_state
        in_out = hidden * (2 * d_inner + 2 * groups * d_state + heads)
        params.attention += in_out + d_inner * hidden
        if cfg.bool_("mamba_proj_bias") or cfg.bool_("use_bias"):
            params.small += 2 * d_inner + 2 * groups * d_state + heads + hidden
        params.small += conv_dim * kernel + (conv_dim if cfg.bool_("use_conv_bias", True) else 0)
        params.small += 3 * heads + d_inner          # dt_bias, A_log, D, gated norm
        return
    # Mamba1 as in modeling_jamba.py
    d_inner = (cfg.int_("mamba_expand", 2) or 2) * hidden
    d_state = cfg.int_("mamba_d_state", 16, lo=1)
    kernel = cfg.int_("mamba_d_conv", 4, lo=1)
    dt_rank = cfg.int_("mamba_dt_rank") or math.ceil(hidden / 16)
    params.attention += hidden * 2 * d_inner + d_inner * (dt_rank + 2 * d_state) + dt_rank * d_inner + d_inner * hidden
    params.small += d_inner * kernel + d_inner + d_inner + d_inner * d_state + d_inner   # conv(+bias), dt bias, A_log, D
    params.small += dt_rank + 2 * d_state                                                 # dt/B/C layernorms


def _feed_forward(cfg: ConfigView, kind: str, is_moe: bool, params: LayerParams, hidden: int) -> None:
    mt = cfg.model_type or ""
    matrices = 2 if mt in NON_GATED_MLP_TYPES else 3
    pattern = cfg.str_("hybrid_override_pattern")
    if pattern is not None and kind != MLP_ONLY:
        return                                       # Nemotron-H: mixer blocks carry no MLP
    if not is_moe:
        inter = cfg.int_("intermediate_size")
        if inter:
            params.mlp += matrices * hidden * inter
        return
    experts = num_routed_experts(cfg)
    inter = cfg.int_("moe_intermediate_size") or cfg.int_("expert_intermediate_size") or cfg.req_int("intermediate_size")
    per_expert = matrices * hidden * inter
    if mt == "gpt_oss":
        per_expert += 2 * inter + hidden             # gate_up_proj_bias, down_proj_bias
    params.experts += experts * per_expert
    params.experts_active += experts_per_token(cfg) * per_expert
    params.router += hidden * experts
    if mt in ROUTER_BIAS_TYPES or mt in SCORE_BIAS_TYPES:
        params.router += experts
    shared = num_shared_experts(cfg)
    if not shared:
        return
    shared_inter = cfg.int_("shared_expert_intermediate_size") or cfg.int_("moe_shared_expert_intermediate_size")
    if shared_inter:
        params.mlp += matrices * hidden * shared_inter
        if cfg.int_("shared_expert_intermediate_size"):
            params.router += hidden              # Qwen shared_expert_gate
    elif mt.startswith("gemma4"):
        params.mlp += matrices * hidden * cfg.req_int("intermediate_size")
    else:
        params.mlp += shared * matrices * hidden * inter       # DeepSeek/GLM: n_shared x moe_intermediate_size


def _add_mtp(cfg: ConfigView, tally: ParamTally, num_layers: int, hidden: int, vocab: int) -> None:
    count, note = mtp_layer_count(cfg)
    if note:
        tally.notes.append(note)
    if not count:
        return
    mt = cfg.model_type or ""
    flags = moe_layer_flags(cfg, num_layers + count)
    for i in range(count):
        is_moe = flags[num_layers + i]
        if mt.startswith(("qwen3_next", "qwen3_5")):
            # mtp.fc (2h -> h), two pre-fc norms, one full-attention decoder layer, a final norm
            # (vLLM qwen3_next_mtp.py); embeddings and head are shared with the main model.
            layer = layer_params(cfg, FULL, is_moe, force_full=True)
            layer.attention += 2 * hidden * hidden
            layer.small += 3 * hidden
            if cfg.bool_("mtp_use_dedicated_embeddings"):
                tally.mtp_vocab += vocab * hidden
        else:
            # DeepSeek-V3 / GLM-4.5 nextn layer: enorm, hnorm, eh_proj (2h -> h), shared_head.norm,
            # plus a stored copy of embed_tokens and shared_head.head (vLLM deepseek_mtp.py).
            kind = MLA if cfg.int_("kv_lora_rank") and cfg.has("qk_rope_head_dim") else FULL
            layer = layer_params(cfg, kind, is_moe)
            layer.attention += 2 * hidden * hidden
            layer.small += 3 * hidden
            tally.mtp_vocab += 2 * vocab * hidden
        tally.mtp.append(layer)


def vision_params(cfg: ConfigView) -> tuple[Optional[int], Optional[str]]:
    vision = cfg.top.get("vision_config")
    if not isinstance(vision, dict):
        return None, None
    view = ConfigView(vision, cfg.where + " vision_config")
    vision_type = view.model_type or ""
    if vision_type.startswith("gemma4"):
        return _gemma4_vision(view, cfg.int_("hidden_size"))
    if vision_type.startswith("gemma3n"):
        return None, "Gemma-3n vision tower (MobileNet-V5) present, but its size is not computable from config.json: not counted"
    hidden = view.int_("hidden_size") or view.int_("embed_dim")
    depth = view.int_("depth") or view.int_("num_hidden_layers")
    inter = view.int_("intermediate_size")
    if not (hidden and depth and inter):
        return None, "vision tower present, but vision_config lacks the sizes to count it"
    patch = view.int_("patch_size", 14) or 14
    channels = view.int_("in_channels") or view.int_("num_channels") or 3
    temporal = view.int_("temporal_patch_size", 1) or 1
    # Per ViT block: qkv + proj with biases, two-matrix MLP with biases, two LayerNorms (w + b).
    block = 4 * hidden * hidden + 4 * hidden + 2 * hidden * inter + inter + hidden + 4 * hidden
    total = depth * block + channels * temporal * patch * patch * hidden + hidden
    positions = view.int_("num_position_embeddings")
    image = view.int_("image_size")
    if positions:
        total += positions * hidden
    elif image:
        total += (image // patch) ** 2 * hidden
    out_hidden = view.int_("out_hidden_size")
    merge = view.int_("spatial_merge_size")
    if out_hidden and merge:
        # Qwen-VL patch merger: LayerNorm, fc (h*m^2 -> h*m^2), fc (h*m^2 -> out), one per deepstack level too.
        merged = hidden * merge * merge
        merger = 2 * hidden + merged * merged + merged + merged * out_hidden + out_hidden
        deepstack = len(view.list_("deepstack_visual_indexes") or [])
        total += merger * (1 + deepstack)
        if (view.model_type or "").startswith(("qwen3_5", "qwen3_vl")):
            return total, None
        return total, "vision tower counted as a Qwen3-VL-style ViT from vision_config (approximate for this family)"
    text_hidden = cfg.int_("hidden_size")
    if text_hidden:
        total += hidden * text_hidden                # a linear projector into the text width
    return total, "vision tower counted as a generic ViT from vision_config (approximate)"


def _gemma4_vision(view: ConfigView, text_hidden: Optional[int]) -> tuple[Optional[int], Optional[str]]:
    """Gemma-4 vision tower (Gemma4VisionModel in modeling_gemma4.py) plus embed_vision: patch
    embedder (input_proj 3·p² -> h, a 2 x position_embedding_size x h position table), encoder layers
    of q/k/v/o + gated MLP (no biases), q/k norms and four RMSNorms; each ClippableLinear carries four
    scalar clip buffers, stored in the checkpoint."""
    hidden, depth = view.int_("hidden_size"), view.int_("num_hidden_layers")
    inter, heads = view.int_("intermediate_size"), view.int_("num_attention_heads")
    if not (hidden and depth and inter and heads):
        return None, "Gemma-4 vision tower present, but vision_config lacks the sizes to count it"
    kv_heads = view.int_("num_key_value_heads") or heads
    head_dim = view.int_("head_dim") or hidden // heads
    clip = 4 if view.bool_("use_clipped_linears", False) else 0
    layer = (hidden * heads * head_dim + 2 * hidden * kv_heads * head_dim + heads * head_dim * hidden
             + 3 * hidden * inter + 2 * head_dim + 4 * hidden + 7 * clip)
    patch = view.int_("patch_size", 16) or 16
    positions = view.int_("position_embedding_size") or 0
    total = depth * layer + 3 * patch * patch * hidden + 2 * positions * hidden
    if view.bool_("standardize", False):
        total += 2 * hidden                          # std_bias, std_scale
    total += hidden * (text_hidden or 0)             # embed_vision.embedding_projection
    return total, None


def audio_params(cfg: ConfigView) -> tuple[Optional[int], Optional[str]]:
    """The audio tower and its projector into the text width, where config.json sizes it."""
    audio = cfg.top.get("audio_config")
    if not isinstance(audio, dict):
        return None, None
    view = ConfigView(audio, cfg.where + " audio_config")
    if (view.model_type or "").startswith("gemma4"):
        return _gemma4_audio(view, cfg.int_("hidden_size"))
    return None, f"audio tower ({view.model_type or 'unknown type'}) present in config.json but not counted"


def _gemma4_audio(view: ConfigView, text_hidden: Optional[int]) -> tuple[Optional[int], Optional[str]]:
    """Gemma-4 audio encoder (Gemma4AudioModel in modeling_gemma4.py) plus embed_audio: a two-conv
    subsampler and input projection, then conformer layers (two macaron feed-forwards h -> 4h -> h,
    chunked attention q/k/v/post + relative_k_proj + per_dim_scale, a light conv block with a
    depthwise conv, RMSNorms), output_proj (h -> output_proj_dims, with bias)."""
    hidden, depth = view.int_("hidden_size"), view.int_("num_hidden_layers")
    heads = view.int_("num_attention_heads")
    channels = view.int_list("subsampling_conv_channels", max_len=2) or []
    if not (hidden and depth and heads and len(channels) == 2):
        return None, "Gemma-4 audio tower present, but audio_config lacks the sizes to count it"
    c0, c1 = channels
    kernel = view.int_("conv_kernel_size", 5) or 5
    out_dims = view.int_("output_proj_dims") or hidden
    clip = 4 if view.bool_("use_clipped_linears", False) else 0
    feed_forward = 8 * hidden * hidden + 2 * hidden + 2 * clip
    attention = 5 * hidden * hidden + hidden // heads + 4 * clip
    light_conv = 3 * hidden * hidden + hidden * kernel + 2 * hidden + 2 * clip
    layer = 2 * feed_forward + attention + light_conv + 3 * hidden
    subsample = 9 * c0 + c0 + 9 * c0 * c1 + c1 + (c0 // 4) * c1 * hidden
    total = subsample + depth * layer + hidden * out_dims + out_dims
    total += out_dims * (text_hidden or 0)          # embed_audio.embedding_projection
    return total, None
