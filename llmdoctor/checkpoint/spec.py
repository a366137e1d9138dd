"""The normalized model spec: what every checkpoint reader produces and the planner reads.

Every format (HF safetensors, config-only, GGUF) is reduced to these records. Unknown values are
None, never a marker string. Sizes are bytes (int); parameter counts are ints.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

# Layer kinds (model.spec.layers[].kind)
FULL = "full"          # global attention, KV grows with context
SLIDING = "sliding"    # sliding-window attention, KV bounded by the window
LINEAR = "linear"      # linear attention (Gated DeltaNet, ...): fixed recurrent state
MAMBA = "mamba"        # Mamba / Mamba2 SSM: fixed recurrent state
MLA = "mla"            # multi-head latent attention: one compressed latent per token
MLP_ONLY = "mlp"       # no token mixer at all (Nemotron-H "-"/"E" blocks): no KV, no state
LAYER_KINDS = (FULL, SLIDING, LINEAR, MAMBA, MLA, MLP_ONLY)


@dataclass
class RecurrentState:
    """Shape facts of a linear-attention / Mamba layer's state (whole model, TP=1).

    conv_dim x (conv_kernel - 1) elements of conv state, plus ssm_elements of SSM state.
    Engines shard both by tensor parallel size; dtypes are chosen by the engine.
    """
    type: str                          # "gdn" | "mamba2" | "mamba1" | other
    conv_dim: int                      # channels of the causal conv state
    conv_kernel: int                   # conv kernel width K (state keeps K-1 columns)
    ssm_elements: int                  # elements of the SSM / delta-rule state
    num_heads: Optional[int] = None    # value heads (GDN) or SSM heads (Mamba2), for TP sharding
    num_k_heads: Optional[int] = None  # GDN key heads
    head_dim_k: Optional[int] = None
    head_dim_v: Optional[int] = None
    d_inner: Optional[int] = None
    d_state: Optional[int] = None
    n_groups: Optional[int] = None
    ssm_dtype: Optional[str] = None    # dtype the checkpoint asks for (e.g. Qwen3.5 mamba_ssm_dtype)


@dataclass
class LayerSpec:
    index: int
    kind: str                                  # one of LAYER_KINDS
    num_kv_heads: Optional[int] = None         # attention layers (1 for MLA)
    head_dim_k: Optional[int] = None           # per head; MLA: kv_lora_rank + rope_dim
    head_dim_v: Optional[int] = None           # per head; MLA: 0 (no separate V)
    window: Optional[int] = None               # sliding layers
    kv_lora_rank: Optional[int] = None         # MLA
    rope_dim: Optional[int] = None             # MLA qk_rope_head_dim
    mla_qk_head_dim: Optional[int] = None      # MLA materialized per head: qk_nope + qk_rope (the prefill form)
    mla_v_head_dim: Optional[int] = None       # MLA materialized per head: v_head_dim
    state: Optional[RecurrentState] = None     # linear / mamba layers
    state_bytes: Optional[int] = None          # recurrent state bytes per sequence at TP=1
    kv_shared_from: Optional[int] = None       # layer index whose KV this layer reuses (no own KV)
    is_moe: bool = False


@dataclass
class MoESpec:
    num_experts: int
    experts_per_token: int
    shared_experts: int = 0
    moe_layers: int = 0                        # decoder layers with routed experts
    expert_intermediate_size: Optional[int] = None


@dataclass
class VisionSpec:
    params: Optional[int]
    bytes: Optional[int]


@dataclass
class QuantSpec:
    method: str                                # awq | gptq | fp8 | compressed-tensors | modelopt | mxfp4 | bitsandbytes | gguf | ...
    bits: Optional[float] = None
    group_size: Optional[int] = None
    unquantized_modules: list[str] = field(default_factory=list)
    weight_dtype: Optional[str] = None         # e.g. "int4", "fp8_e4m3", "nvfp4", "mxfp4"
    activation_dtype: Optional[str] = None     # e.g. "fp8" for W8A8, None for weight-only
    kv_cache_scheme: Optional[str] = None      # checkpoint-provided KV quantization, if any
    raw: dict = field(default_factory=dict)    # the quantization_config as given (untrusted)


@dataclass
class ChatTemplate:
    source: str                                # file the template came from
    sha256: str
    length: int
    text: Optional[str] = None                 # kept for rules that render it; not printed raw


@dataclass
class WeightBreakdown:
    """Bytes by role, as stored in the checkpoint (or computed for config-only)."""
    embedding: int = 0                         # token embeddings (input)
    lm_head: int = 0                           # output projection (0 when tied)
    per_layer: list[int] = field(default_factory=list)          # each decoder layer, all tensors
    per_layer_experts: list[int] = field(default_factory=list)  # routed-expert share of each layer
    mtp: int = 0                               # MTP / nextn layers
    vision: int = 0                            # vision/audio towers and projectors
    audio: int = 0                             # the audio tower's share of `vision` (vLLM can skip it alone)
    other: int = 0                             # norms and anything unattributed


@dataclass
class RopeScaling:
    """One rope_scaling / rope_parameters entry (per layer type in newer configs)."""
    rope_type: str                             # "default" | "linear" | "dynamic" | "yarn" | "llama3" | "longrope" | ...
    factor: Optional[float] = None
    original_max_position_embeddings: Optional[int] = None


@dataclass
class ModelSpec:
    num_layers: int
    hidden_size: int
    vocab_size: int
    max_position_embeddings: Optional[int]
    num_attention_heads: Optional[int]
    num_kv_heads: Optional[int]                # of full-attention layers
    head_dim: Optional[int]
    intermediate_size: Optional[int]
    layers: list[LayerSpec]
    full_attention_layers: int
    sliding_attention_layers: int
    linear_attention_layers: int               # linear + mamba layers (fixed-size state)
    mla_layers: int
    moe: Optional[MoESpec]
    mtp_layers: int
    vision: Optional[VisionSpec]
    rope_theta: Optional[float] = None
    sliding_window: Optional[int] = None
    mlp_only_layers: int = 0                   # layers of kind "mlp" (no KV, no state)
    kv_shared_layers: int = 0                  # layers that reuse another layer's KV (allocate none)
    context_keys: dict[str, int] = field(default_factory=dict)   # length keys of the text config as given
                                               # (max_position_embeddings, seq_length, model_max_length, ...)
    rope_scaling: list[RopeScaling] = field(default_factory=list)   # rope_scaling / rope_parameters entries


@dataclass
class FileSummary:
    count: int
    total_bytes: int
    names: list[str] = field(default_factory=list)


@dataclass
class ModelInfo:
    """model.* in the facts document."""
    path: str
    format: str                                # "hf" | "hf-config-only" | "gguf"
    architecture: Optional[str]
    model_type: Optional[str]
    spec: ModelSpec
    params_total: Optional[int]
    params_active: Optional[int]
    weight_bytes: Optional[int]
    weight_bytes_by_dtype: dict[str, int]
    weights: WeightBreakdown
    quantization: Optional[QuantSpec]
    torch_dtype: Optional[str]
    tie_word_embeddings: Optional[bool]
    chat_template: Optional[ChatTemplate]
    files: FileSummary
    weights_computed: bool = False             # True when weights come from the architecture, not files
    gguf_file_type: Optional[str] = None       # e.g. "Q4_K_M" for GGUF
    generation_config: Optional[dict] = None
    notes: list[str] = field(default_factory=list)
    params_embedding: Optional[int] = None     # input token embedding(s); some model cards leave them out of "active"
    params_mtp: Optional[int] = None           # MTP / nextn layers, included in params_total, not in params_active
    params_exact: bool = False                 # True when every matrix was counted (tensor headers or a known architecture)
