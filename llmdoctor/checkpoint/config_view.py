"""Typed, bounded access to an untrusted config.json.

A config may carry a nested `text_config` (multimodal models: Qwen3.5, Gemma-3/4, Llava...). The
language-model fields live there, while `quantization_config` and `tie_word_embeddings` may sit at
the top level. ConfigView reads the text part first and falls back to the top level.
"""
from __future__ import annotations

from typing import Any, Optional

from llmdoctor.errors import InputError

MAX_LAYERS = 10_000
MAX_DIM = 1 << 24            # hidden sizes, head dims, vocabularies (Gemma's 262k fits easily)
MAX_EXPERTS = 1 << 16

# Fields some published configs omit because transformers fills them from the config class's
# defaults (and vLLM reads them through transformers). Gemma-3 multimodal configs rely on
# `Gemma3TextConfig` defaults (transformers `models/gemma3/configuration_gemma3.py`).
MODEL_TYPE_DEFAULTS = {
    "gemma3_text": {"vocab_size": 262_208, "max_position_embeddings": 131_072, "sliding_window_pattern": 6,
                    "rope_theta": 1_000_000.0, "rope_local_base_freq": 10_000.0},
}


class ConfigView:
    def __init__(self, config: dict, where: str):
        if not isinstance(config, dict):
            raise InputError(f"{where}: expected a JSON object")
        self.top = config
        text = config.get("text_config")
        if text is not None and not isinstance(text, dict):
            raise InputError(f"{where}: text_config must be an object")
        # Some multimodal configs (Llava) also name the LM under "llm_config" or "language_config".
        for alt in ("llm_config", "language_config"):
            if text is None and isinstance(config.get(alt), dict):
                text = config[alt]
        self.text = text if text is not None else config
        self.nested = text is not None
        self.where = where

    def raw(self, key: str, default: Any = None) -> Any:
        if key in self.text:
            return self.text[key]
        if key in self.top:
            return self.top[key]
        return MODEL_TYPE_DEFAULTS.get(self.model_type or "", {}).get(key, default)

    def has(self, key: str) -> bool:
        return key in self.text or key in self.top or key in MODEL_TYPE_DEFAULTS.get(self.model_type or "", {})

    def int_(self, key: str, default: Optional[int] = None, hi: int = MAX_DIM, lo: int = 0) -> Optional[int]:
        value = self.raw(key, None)
        if value is None:
            return default
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            raise InputError(f"{self.where}: {key} must be an integer, found {type(value).__name__}")
        if not lo <= value <= hi:
            raise InputError(f"{self.where}: {key} = {value} is outside [{lo}, {hi}]")
        return value

    def req_int(self, key: str, hi: int = MAX_DIM, lo: int = 1, alt: tuple[str, ...] = ()) -> int:
        for name in (key,) + alt:
            value = self.int_(name, None, hi, lo)
            if value is not None:
                return value
        raise InputError(f"{self.where}: missing {key}")

    def float_(self, key: str) -> Optional[float]:
        value = self.raw(key, None)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None
        return float(value)

    def bool_(self, key: str, default: Optional[bool] = None) -> Optional[bool]:
        value = self.raw(key, None)
        return value if isinstance(value, bool) else default

    def str_(self, key: str) -> Optional[str]:
        value = self.raw(key, None)
        return value if isinstance(value, str) else None

    def list_(self, key: str, max_len: int = MAX_LAYERS) -> Optional[list]:
        value = self.raw(key, None)
        if value is None:
            return None
        if not isinstance(value, list) or len(value) > max_len:
            raise InputError(f"{self.where}: {key} must be a list of at most {max_len} entries")
        return value

    def int_list(self, key: str, max_len: int = MAX_LAYERS) -> Optional[list[int]]:
        values = self.list_(key, max_len)
        if values is None:
            return None
        if not all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= MAX_DIM for v in values):
            raise InputError(f"{self.where}: {key} must hold small non-negative integers")
        return values

    @property
    def model_type(self) -> Optional[str]:
        text_type = self.text.get("model_type")
        if isinstance(text_type, str):
            return text_type
        top = self.top.get("model_type")
        return top if isinstance(top, str) else None

    @property
    def architecture(self) -> Optional[str]:
        archs = self.top.get("architectures") or self.text.get("architectures")
        if isinstance(archs, list) and archs and isinstance(archs[0], str):
            return archs[0]
        return None

    def rope_theta(self) -> Optional[float]:
        theta = self.float_("rope_theta")
        if theta is not None:
            return theta
        params = self.raw("rope_parameters")
        if isinstance(params, dict):
            if isinstance(params.get("rope_theta"), (int, float)):
                return float(params["rope_theta"])
            full = params.get("full_attention")
            if isinstance(full, dict) and isinstance(full.get("rope_theta"), (int, float)):
                return float(full["rope_theta"])
        return None
