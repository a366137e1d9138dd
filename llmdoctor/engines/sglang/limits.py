"""The longest context_length SGLang accepts for a model, derived as SGLang derives it.

python/sglang/srt/utils/hf_transformers/common.py `get_context_length` (0.5.23 :677): the first of
CONTEXT_LENGTH_KEYS present in the text config, times rope_scaling's factor unless the entry has
original_max_position_embeddings or is llama3; 2048 when no key is present. A longer
--context-length is refused by ModelConfig._derive_context_length (srt/configs/model_config.py
:1314) unless SGLANG_ALLOW_OVERWRITE_LONGER_CONTEXT_LEN is true.
"""
from __future__ import annotations

from typing import Any, Optional

from llmdoctor.engines.vllm.limits import ContextLimit

KEYS = ("max_sequence_length", "seq_length", "max_seq_len", "model_max_length", "max_position_embeddings")
ALLOW_ENV = "SGLANG_ALLOW_OVERWRITE_LONGER_CONTEXT_LEN"
SOURCE = "python/sglang/srt/configs/model_config.py ModelConfig._derive_context_length"


def context_limit(model: Any, version: Optional[str]) -> ContextLimit:
    spec = model.spec
    keys = spec.context_keys or ({"max_position_embeddings": spec.max_position_embeddings}
                                 if spec.max_position_embeddings else {})
    key = next((k for k in KEYS if k in keys), None)
    value = keys[key] if key else 2048
    factor = 1.0
    rope = spec.rope_scaling[0] if spec.rope_scaling else None
    if rope is not None and rope.factor and not rope.original_max_position_embeddings and rope.rope_type != "llama3":
        factor = rope.factor
    return ContextLimit(tokens=int(factor * value), key=key or "default", model_max_length=None)


def refusal(requested: int, limit: ContextLimit) -> str:
    return (f"Warning: User-specified context_length ({requested}) is greater than the derived context_length "
            f"({limit.tokens}). This may lead to incorrect model outputs or CUDA errors. Note that the derived "
            f"context_length may differ from max_position_embeddings in the model's config. To allow overriding "
            f"this maximum, set the env var {ALLOW_ENV}=1")


def refuses(requested: int, limit: Optional[ContextLimit], env: dict) -> bool:
    if limit is None or requested <= limit.tokens:
        return False
    return str(env.get(ALLOW_ENV, "")).lower() not in ("1", "true", "yes", "on")
