"""GGUF file-type recipes: the ggml type llama.cpp's quantizer gives each tensor role, and the size of
a GGUF made from an HF config (used when the user names a quant such as "Q4_K_M" but has no file).

Block sizes: llama.cpp `ggml/src/ggml-common.h` (mirrored in llmdoctor.checkpoint.ggml_types).
Per-role choices: llama.cpp `src/llama-quant.cpp` (0c1e57098), `llama_tensor_get_type`:
- output.weight -> Q6_K for the K-quants (Q8_0 stays Q8_0); token_embd keeps the base type, except in a
  tied model (no output.weight), where it is quantized as the output is ("!qs.has_output" branch);
- Q4_K_M / Q5_K_M: attn_v and ffn_down -> Q6_K on the layers where `use_more_bits(i, n)`
  (first n/8, last n/8, and every third layer between);
- Q2_K: attn_v -> Q4_K when n_gqa >= 4 else Q3_K, ffn_down -> Q3_K, attn_output -> Q3_K;
- a tensor whose rows (ne[0], its input width) are not a whole number of the type's blocks falls back
  (`tensor_type_fallback`): Q4_K -> Q5_0, Q5_K -> Q5_1, Q6_K -> Q8_0, Q2_K / Q3_K -> Q4_0, IQ* -> IQ4_NL,
  and to F16 where even that does not divide (Gemma-3-1B's 1152-wide rows in a Q4_K_M: Q5_0 and Q8_0).
"UD-*_XL" (Unsloth dynamic) files are not llama.cpp file types; their mix is an assumption here:
experts at the base type, attention / shared / dense tensors at Q4_K, output Q6_K.
Every size computed here is an ESTIMATE (norms, biases and 1-D tensors are counted as F32).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from llmdoctor.checkpoint.ggml_types import GGML_TYPES

_BYTES = {name: (size, block) for name, block, size in GGML_TYPES.values()}


# llama-quant.cpp tensor_type_fallback (0c1e57098): a 256-block type over rows that are not a multiple of 256
FALLBACK = {"Q4_K": "Q5_0", "Q5_K": "Q5_1", "Q6_K": "Q8_0", "Q2_K": "Q4_0", "Q3_K": "Q4_0",
            "IQ1_S": "IQ4_NL", "IQ1_M": "IQ4_NL", "IQ2_XXS": "IQ4_NL", "IQ2_XS": "IQ4_NL", "IQ2_S": "IQ4_NL",
            "IQ3_XXS": "IQ4_NL", "IQ3_S": "IQ4_NL", "IQ4_XS": "IQ4_NL"}


def type_for_rows(ggml_type: str, ncols: int) -> str:
    """The type llama-quantize writes for a tensor of rows `ncols` wide asked to be `ggml_type`."""
    if not ncols or ncols % _BYTES[ggml_type.upper()][1] == 0:
        return ggml_type
    fb = FALLBACK.get(ggml_type.upper(), ggml_type.upper())
    return fb if ncols % _BYTES[fb][1] == 0 else "F16"


def bits_per_weight(ggml_type: str) -> float:
    size, block = _BYTES[ggml_type.upper()]
    return size * 8 / block


@dataclass(frozen=True)
class Recipe:
    base: str                       # most 2-D tensors
    output: str                     # output.weight (lm_head)
    embedding: str                  # token_embd.weight
    attn_v_more: str | None = None  # attn_v on use_more_bits layers
    ffn_down_more: str | None = None
    attn_v: str | None = None       # attn_v on other layers (None = base)
    ffn_down: str | None = None
    attn_output: str | None = None
    dense_in_moe: str | None = None # non-expert tensors of MoE models (UD mixes)
    notes: list[str] = field(default_factory=list)


RECIPES: dict[str, Recipe] = {
    "F16": Recipe("F16", "F16", "F16"),
    "BF16": Recipe("BF16", "BF16", "BF16"),
    "Q8_0": Recipe("Q8_0", "Q8_0", "Q8_0"),
    "Q6_K": Recipe("Q6_K", "Q6_K", "Q6_K"),
    "Q5_K_M": Recipe("Q5_K", "Q6_K", "Q5_K", attn_v_more="Q6_K", ffn_down_more="Q6_K"),
    "Q5_K_S": Recipe("Q5_K", "Q6_K", "Q5_K"),
    "Q4_K_M": Recipe("Q4_K", "Q6_K", "Q4_K", attn_v_more="Q6_K", ffn_down_more="Q6_K"),
    "Q4_K_S": Recipe("Q4_K", "Q6_K", "Q4_K"),
    "Q4_0": Recipe("Q4_0", "Q6_K", "Q4_0"),
    "Q3_K_M": Recipe("Q3_K", "Q6_K", "Q3_K", attn_v="Q4_K", ffn_down="Q4_K", attn_output="Q4_K"),
    "Q2_K": Recipe("Q2_K", "Q6_K", "Q2_K", attn_v="Q3_K", ffn_down="Q3_K", attn_output="Q3_K"),
    # LLAMA_FTYPE_MOSTLY_MXFP4_MOE: routed experts (3-D tensors) MXFP4, every other tensor and the output Q8_0
    "MXFP4_MOE": Recipe("MXFP4", "Q8_0", "Q8_0", dense_in_moe="Q8_0"),
    "UD-Q2_K_XL": Recipe("Q2_K", "Q6_K", "Q4_K", dense_in_moe="Q4_K",
                         notes=["UD-Q2_K_XL is Unsloth's dynamic mix, not a llama.cpp file type: "
                                "experts assumed Q2_K, other tensors Q4_K, output Q6_K"]),
    "UD-Q4_K_XL": Recipe("Q4_K", "Q6_K", "Q4_K", dense_in_moe="Q5_K",
                         notes=["UD-Q4_K_XL is Unsloth's dynamic mix: experts assumed Q4_K, other tensors Q5_K"]),
}


def normalize_quant(name: str | None) -> str | None:
    if not name:
        return None
    key = name.upper().replace("-", "_")
    if key.startswith("UD_"):
        key = "UD-" + key[3:]
    key = {"MXFP4": "MXFP4_MOE"}.get(key, key)
    return key if key in RECIPES else None


def use_more_bits(i_layer: int, n_layers: int) -> bool:
    """llama-quant.cpp: the layers that get more bits in the *_M recipes."""
    return i_layer < n_layers // 8 or i_layer >= 7 * n_layers // 8 or (i_layer - n_layers // 8) % 3 == 2


@dataclass
class GgufEstimate:
    embedding: int
    output: int                     # a tied model's output is its token_embd, loaded again on the output device
    per_layer: list[int]            # all tensors of each decoder layer
    per_layer_experts: list[int]    # the routed-expert share of each layer
    total: int                      # the file: a tied model stores token_embd once
    tied: bool
    notes: list[str]


def _bytes(params: float, ggml_type: str) -> int:
    return int(params * bits_per_weight(ggml_type) / 8)


def estimate_from_config(model, quant: str) -> GgufEstimate:
    """Size of a GGUF of `model` (an HF config's ModelInfo) quantized with `quant`. Parameter counts come
    from the architecture: experts = n_experts x 3 x hidden x expert_ffn per MoE layer, attn_v =
    hidden x kv_heads x head_dim, ffn_down = 1/3 of a dense FFN; the rest of each layer at the base
    type. Vision towers and MTP layers are left out (llama.cpp keeps vision in a separate mmproj file)."""
    recipe = RECIPES[normalize_quant(quant) or "Q4_K_M"]
    spec = model.spec
    bpp = _checkpoint_bytes_per_param(model)
    hidden, n_layers = spec.hidden_size, spec.num_layers
    notes = list(recipe.notes) + [f"GGUF size estimated from the config for {quant} (llama-quant.cpp recipe), not read from a file"]
    heads, hd = spec.num_attention_heads or 0, spec.head_dim or 0
    q_width = heads * hd or hidden
    # each role at the type its rows allow: most tensors read the hidden state (rows `hidden` wide), attn_output
    # the attention's output (q_width), ffn_down the FFN's (intermediate or expert width)
    t = lambda ggml_type, ncols=hidden: type_for_rows(ggml_type, ncols)
    fell = sorted({f"{ty} -> {t(ty, n)} ({n}-wide rows)" for ty, n in
                   [(recipe.base, hidden), (recipe.output, hidden), (recipe.base, q_width),
                    (recipe.ffn_down_more or recipe.base, spec.intermediate_size or 0),
                    (recipe.base, (spec.moe.expert_intermediate_size or 0) if spec.moe else 0)] if t(ty, n) != ty})
    if fell:
        notes.append("rows not a whole number of the type's blocks fall back as llama-quantize does: "
                     + ", ".join(fell))
    emb_params = spec.vocab_size * hidden
    tied = not model.weights.lm_head
    embedding = _bytes(emb_params, t(recipe.output if tied else recipe.embedding))
    output = embedding if tied else _bytes(emb_params, t(recipe.output))
    per_layer, per_experts = [], []
    for i, layer in enumerate(spec.layers):
        expert_params = 0
        ffe = spec.moe.expert_intermediate_size if spec.moe else None
        if spec.moe and layer.is_moe and ffe:
            expert_params = spec.moe.num_experts * 3 * hidden * ffe
        total_params = _layer_params(model, i, bpp)
        expert_params = min(expert_params, total_params) if total_params else expert_params
        other = max(total_params - expert_params, 0)
        attn_v = hidden * (layer.num_kv_heads or 0) * (layer.head_dim_v or 0) if layer.kind == "full" else 0
        attn_out = hidden * q_width if layer.kind in ("full", "sliding") else 0
        more = use_more_bits(i, n_layers)
        v_type = t((recipe.attn_v_more if more and recipe.attn_v_more else recipe.attn_v) or recipe.base)
        down_type = (recipe.ffn_down_more if more and recipe.ffn_down_more else recipe.ffn_down) or recipe.base
        if expert_params:
            down_params = expert_params / 3
            experts = _bytes(expert_params - down_params, t(recipe.base)) + _bytes(down_params, t(down_type, ffe))
            dense_type = recipe.dense_in_moe or recipe.base
            rest = (_bytes(other - attn_v, t(dense_type))
                    + _bytes(attn_v, t(recipe.dense_in_moe) if recipe.dense_in_moe else v_type))
        else:
            ffn = 3 * hidden * (spec.intermediate_size or 0)
            down_params = ffn / 3 if ffn <= other else 0
            attn_out = attn_out if attn_out + attn_v + down_params <= other else 0
            experts = 0
            rest = (_bytes(other - attn_v - down_params - attn_out, t(recipe.base)) + _bytes(attn_v, v_type)
                    + _bytes(down_params, t(down_type, spec.intermediate_size or 0))
                    + _bytes(attn_out, t(recipe.attn_output or recipe.base, q_width)))
        per_layer.append(experts + rest)
        per_experts.append(experts)
    total = embedding + sum(per_layer) + (0 if tied else output)
    return GgufEstimate(embedding, output, per_layer, per_experts, total, tied, notes)


def _checkpoint_bytes_per_param(model) -> float:
    dtype = (model.torch_dtype or "bfloat16").lower()
    return 4.0 if dtype in ("float32", "fp32") else 2.0


def _layer_params(model, i: int, bpp: float) -> int:
    """Parameters of decoder layer i. Config-only readers store bytes at the checkpoint dtype; routed
    experts may be stored in a packed dtype (NVFP4 ...), so they are recounted from the architecture."""
    w = model.weights
    if i >= len(w.per_layer):
        return 0
    layer_bytes = w.per_layer[i]
    expert_bytes = w.per_layer_experts[i] if i < len(w.per_layer_experts) else 0
    spec = model.spec
    expert_params = 0
    if spec.moe and spec.layers[i].is_moe and spec.moe.expert_intermediate_size:
        expert_params = spec.moe.num_experts * 3 * spec.hidden_size * spec.moe.expert_intermediate_size
    elif expert_bytes:
        expert_params = int(expert_bytes / bpp)
    return int((layer_bytes - expert_bytes) / bpp) + expert_params
