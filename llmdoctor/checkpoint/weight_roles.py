"""Attribute tensors to roles (embedding, lm_head, decoder layer N, experts, MTP, vision) by name.

HF names follow the modeling files (`model.layers.N.mlp.experts.E.up_proj.weight`,
`model.language_model.layers.N...`, `mtp.layers.0...`, `backbone.layers.N.mixer...`); GGUF names follow
llama.cpp's `llama-arch.cpp` tensor table (`token_embd`, `output`, `blk.N.ffn_up_exps`, `blk.N.nextn.*`).
"""
from __future__ import annotations

import re
from typing import Iterable, Optional

from llmdoctor.checkpoint.spec import WeightBreakdown

_VISION = re.compile(r"(^|\.)(visual|vision_tower|vision_model|vision_encoder|vision|image_newline|multi_modal_projector|"
                     r"mm_projector|embed_vision|audio_tower|audio|embed_audio|vit|siglip|mm)(\.|$)")
_AUDIO = re.compile(r"(^|\.)(audio_tower|embed_audio|audio)(\.|$)|^a\.")
_HF_LAYER = re.compile(r"(?:^|\.)(?:layers|h|blocks|block)\.(\d+)\.")
_HF_EMBED = re.compile(r"(embed_tokens|wte|tok_embeddings|word_embeddings|(^|\.)embeddings?\.weight)")
_HF_HEAD = re.compile(r"^(lm_head|embed_out|output)\.|(^|\.)lm_head\.")
_GGUF_LAYER = re.compile(r"^blk\.(\d+)\.")


def hf_role(name: str, num_layers: int) -> tuple[str, Optional[int]]:
    if _VISION.search(name):
        return "vision", None
    if name.startswith("mtp.") or ".mtp." in name:
        return "mtp", None
    match = _HF_LAYER.search(name)
    if match:
        index = int(match.group(1))
        if index >= num_layers:
            return "mtp", None                        # DeepSeek/GLM store nextn layers after the decoder
        return ("experts" if _is_routed_expert(name) else "layer"), index
    if _HF_HEAD.search(name):
        return "lm_head", None
    if _HF_EMBED.search(name):
        return "embedding", None
    return "other", None


def gguf_role(name: str, num_layers: int) -> tuple[str, Optional[int]]:
    match = _GGUF_LAYER.match(name)
    if match:
        index = int(match.group(1))
        if index >= num_layers or ".nextn." in name:
            return "mtp", None
        return ("experts" if "_exps" in name else "layer"), index
    if name.startswith("token_embd") or name.startswith("per_layer_token_embd"):
        return "embedding", None
    if name.startswith("output.") or name == "output":
        return "lm_head", None
    if name.startswith(("v.", "mm.", "a.")):
        return "vision", None
    return "other", None


def _is_routed_expert(name: str) -> bool:
    return ".experts." in name and "shared_expert" not in name


def breakdown(entries: Iterable[tuple[str, int]], num_layers: int, classify) -> WeightBreakdown:
    result = WeightBreakdown(per_layer=[0] * num_layers, per_layer_experts=[0] * num_layers)
    for name, nbytes in entries:
        role, index = classify(name, num_layers)
        if role == "layer":
            result.per_layer[index] += nbytes
        elif role == "experts":
            result.per_layer[index] += nbytes
            result.per_layer_experts[index] += nbytes
        elif role == "embedding":
            result.embedding += nbytes
        elif role == "lm_head":
            result.lm_head += nbytes
        elif role == "mtp":
            result.mtp += nbytes
        elif role == "vision":
            result.vision += nbytes
            if _AUDIO.search(name):
                result.audio += nbytes
        else:
            result.other += nbytes
    return result
