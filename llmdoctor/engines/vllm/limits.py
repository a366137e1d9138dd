"""The longest max_model_len vLLM accepts for a model, derived as vLLM derives it.

vllm/config/model.py `_get_and_verify_max_len` (0.33.0 :2545) with the keys of
vllm/transformers_utils/model_arch_config_convertor.py `derive_max_model_len_and_key` (:374):
the smallest of the length keys in the text config, replaced by model_max_length when that is set,
times the RoPE scaling factor (not for su/longrope/llama3, nor for yarn from 0.31.0 on, nor for
Gemma 3). A longer --max-model-len is refused unless VLLM_ALLOW_LONG_MAX_MODEL_LEN is set.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from llmdoctor.engines.vllm.versions import has

KEYS = ("max_position_embeddings", "n_positions", "max_seq_len", "seq_length", "model_max_length",
        "max_target_positions", "max_sequence_length", "max_seq_length", "seq_len")
ALLOW_ENV = "VLLM_ALLOW_LONG_MAX_MODEL_LEN"
SOURCE = "vllm/config/model.py _get_and_verify_max_len"


@dataclass(frozen=True)
class ContextLimit:
    tokens: int
    key: str                        # the config key it comes from
    model_max_length: Optional[int]  # a larger model_max_length lets a user value through


def context_limit(model: Any, version: Optional[str]) -> Optional[ContextLimit]:
    spec = model.spec
    keys = spec.context_keys or ({"max_position_embeddings": spec.max_position_embeddings}
                                 if spec.max_position_embeddings else {})
    found = [(keys[k], k) for k in KEYS if k in keys]
    if not found:
        return None
    derived, key = min(found)
    if keys.get("model_max_length"):
        derived, key = keys["model_max_length"], "model_max_length"
    base = derived
    skip = {"su", "longrope", "llama3"} | ({"yarn", "deepseek_yarn", "deepseek_llama_scaling"}
                                         if has("yarn_length_already_scaled", version) else set())
    if spec.rope_scaling and "gemma3" not in (model.model_type or ""):
        factor = 1.0
        for rope in spec.rope_scaling:
            if rope.rope_type not in skip:
                factor = rope.factor if rope.factor is not None else factor
                if rope.rope_type == "yarn" and rope.original_max_position_embeddings:
                    base = rope.original_max_position_embeddings      # up to 0.29.0
        derived = int(base * factor)
    return ContextLimit(tokens=int(derived), key=key, model_max_length=keys.get("model_max_length"))


def refusal(requested: int, limit: ContextLimit) -> str:
    """vLLM's message (0.33.0 :2663-2676), as it prints it."""
    return (f"User-specified max_model_len ({requested}) is greater than the derived max_model_len "
            f"({limit.key}={limit.tokens} or model_max_length={limit.model_max_length} in model's config.json). "
            f"To allow overriding this maximum, set the env var {ALLOW_ENV}=1.")


def refuses(requested: int, limit: Optional[ContextLimit], env: dict) -> bool:
    if limit is None or requested <= limit.tokens:
        return False
    if limit.model_max_length is not None and requested <= limit.model_max_length:
        return False
    return str(env.get(ALLOW_ENV, "")).lower() not in ("1", "true")
