"""Typed, bounded access to an untrusted config.json.

A config may carry a nested `text_config` (multimodal models: Qwen3.5, Gemma-3/4, Llava...). The
language-model fields live there, while `quantization_config` and `tie_word_embeddings` may sit at
the top level. ConfigView reads the text part first and falls back to the top level.

A key the config leaves out takes the default of its transformers config class, as engines that
load the config through transformers see it (Gemma-3 text configs carry no `head_dim`:
`Gemma3TextConfig` says 256). The defaults come from `config_defaults.json`, generated from
transformers' own classes by tools/config_defaults/gen_transformers_defaults.py (its docstring
describes the table and the rules of `derived` keys); the table is read once, on first use.
"""
from __future__ import annotations

import json
from functools import lru_cache
from typing import Any, Callable, Optional

from llmdoctor.errors import InputError

MAX_LAYERS = 10_000
MAX_DIM = 1 << 24            # hidden sizes, head dims, vocabularies (Gemma's 262k fits easily)
MAX_EXPERTS = 1 << 16

# Hand-written defaults for model types transformers has no config class for (the generated table
# covers every type it knows); consulted after the table.
MODEL_TYPE_DEFAULTS: dict[str, dict[str, Any]] = {}

_MISSING = object()


@lru_cache(maxsize=1)
def defaults_table() -> dict[str, dict]:
    """model_type -> entry of config_defaults.json (class defaults from transformers)."""
    from llmdoctor.resources import package_text

    return json.loads(package_text("llmdoctor.checkpoint", "config_defaults.json"))["model_types"]


def _rule_value(rule: dict, get: Callable[[str], Any], given: Callable[[str], Any]) -> Any:
    """A derived default (the rule vocabulary of gen_transformers_defaults.py), or None."""
    kind = rule.get("rule")
    if kind == "copy":
        return get(rule["from"])
    if kind == "floordiv":
        a, b = get(rule["from"][0]), get(rule["from"][1])
        ok = all(isinstance(v, int) and not isinstance(v, bool) for v in (a, b))
        return a // b if ok and b else None
    if kind == "len":
        value = get(rule["from"])
        return len(value) if isinstance(value, (list, str)) else None
    if kind in ("period", "sliding_from", "uniform"):
        layers = get("num_hidden_layers")
        if not isinstance(layers, int) or isinstance(layers, bool) or not 0 < layers <= MAX_LAYERS:
            return None
        if kind == "uniform":
            return ["sliding_attention" if get(rule["window"]) is not None else "full_attention"] * layers
        if kind == "sliding_from":
            window = get(rule["window"]) if get(rule["enable"]) else None
            start = get(rule["start"])
            if window is not None and not isinstance(start, int):
                return None
            return ["sliding_attention" if window is not None and i >= start else "full_attention"
                    for i in range(layers)]
        period = get(rule["key"]) if rule.get("key") else None
        if not isinstance(period, int) or isinstance(period, bool) or period <= 0:
            period = rule["period"]
        out = [rule["hit"] if (i + 1) % period == 0 else rule["miss"] for i in range(layers)]
        if rule.get("last"):
            out[-1] = rule["last"]
        return out
    if kind == "pattern":
        pattern = given(rule["key"])
        if isinstance(pattern, str):
            return [rule["map"].get(ch, ch) for ch in pattern]
        return list(rule["default"])
    if kind == "pattern_string":
        types = get(rule["from"])
        if isinstance(types, list) and all(isinstance(t, str) and t in rule["map"] for t in types):
            return "".join(rule["map"][t] for t in types)
        return None
    if kind == "rope":
        return rule["value"]
    return None                                      # "unverified": the reader keeps its own logic


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

    # -- lookups ---------------------------------------------------------------------------------

    def _entries(self) -> list[dict]:
        """Table entries to take defaults from: the text config's class, then the top-level class."""
        cached = self.__dict__.get("_entry_cache")
        if cached is not None:
            return cached
        table = defaults_table()
        top_type = self.top.get("model_type")
        top = table.get(top_type) if isinstance(top_type, str) else None
        text_type = self.text.get("model_type") if self.nested else None
        if not isinstance(text_type, str):
            text_type = top.get("text_config") if top else None
        text = table.get(text_type) if isinstance(text_type, str) else None
        entries = [e for e in ((text, top) if self.nested else (top, text)) if e]
        for mt in (text_type, top_type):
            if isinstance(mt, str) and mt in MODEL_TYPE_DEFAULTS:
                entries.append({"defaults": MODEL_TYPE_DEFAULTS[mt]})
        self._entry_cache = entries
        return entries

    def _names(self, key: str) -> list[str]:
        """The key and the names transformers' attribute_map treats as the same value."""
        memo = self.__dict__.setdefault("_names_memo", {})
        if key not in memo:
            memo[key] = self._alias_names(key)
        return memo[key]

    def _alias_names(self, key: str) -> list[str]:
        names = [key]
        for entry in self._entries():
            for src, tgt in entry.get("aliases", {}).items():
                if src == key and tgt not in names:
                    names.append(tgt)
                elif tgt == key and src not in names:
                    names.append(src)
        return names

    def _top_field(self, key: str) -> bool:
        """A field of the composite (multimodal) class itself, such as tie_word_embeddings: transformers
        reads it from the top level, whatever the text_config says."""
        if not self.nested:
            return False
        top_type = self.top.get("model_type")
        top = defaults_table().get(top_type) if isinstance(top_type, str) else None
        return bool(top and top.get("text_config") and key in top.get("defaults", {}))

    def _parts(self, key: str) -> tuple[dict, ...]:
        memo = self.__dict__.setdefault("_parts_memo", {})
        if key not in memo:
            memo[key] = (self.top,) if self._top_field(key) else (self.text, self.top)
        return memo[key]

    def given(self, key: str) -> Any:
        """The value config.json gives (text part first), or None; no defaults."""
        value = self._given(key)
        return None if value is _MISSING else value

    def is_given(self, key: str) -> bool:
        return self._given(key) is not _MISSING

    def _given(self, key: str) -> Any:
        names = self._names(key)
        for part in self._parts(key):
            for name in names:
                if name in part:
                    return part[name]
        return _MISSING

    def _default(self, key: str, derived_only: bool = False) -> Any:
        """The config class's default for a key the config leaves out (_MISSING when it has none)."""
        stack = self.__dict__.setdefault("_deriving", set())
        if key in stack:
            return _MISSING                           # a rule that leads back to itself
        entries = self._entries()
        if self._top_field(key):
            entries = entries[1:] + entries[:1]       # the composite class first
        names = self._names(key)
        stack.add(key)
        try:
            for entry in entries:
                for name in names:
                    if not derived_only:
                        for section in ("defaults", "kwargs"):
                            if name in entry.get(section, {}):
                                return entry[section][name]
                    rule = entry.get("derived", {}).get(name)
                    if rule is not None:
                        value = _rule_value(rule, lambda k: self.raw(k), self.given)
                        return _MISSING if value is None else value
            return _MISSING
        finally:
            stack.discard(key)

    def _lookup(self, key: str) -> tuple[Any, bool]:
        """(value, given). A key given as null keeps None, except where the class computes the value
        from others when it is None (head_dim, num_key_value_heads, layer_types...)."""
        value = self._given(key)
        if value is not _MISSING and value is not None:
            return value, True
        default = self._default(key, derived_only=value is not _MISSING)
        if default is not _MISSING:
            return default, False
        return (None, value is not _MISSING)

    def raw(self, key: str, default: Any = None) -> Any:
        value, _ = self._lookup(key)
        return default if value is None else value

    def has(self, key: str) -> bool:
        return self.raw(key) is not None

    def int_(self, key: str, default: Optional[int] = None, hi: int = MAX_DIM, lo: int = 0) -> Optional[int]:
        value, given = self._lookup(key)
        if value is None:
            return default
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            if not given:
                return default                        # a class default of another kind ("auto")
            raise InputError(f"{self.where}: {key} must be an integer, found {type(value).__name__}")
        if not lo <= value <= hi:
            if not given:
                return default                        # a class default this reader cannot use
            raise InputError(f"{self.where}: {key} = {value} is outside [{lo}, {hi}]")
        return value

    def req_int(self, key: str, hi: int = MAX_DIM, lo: int = 1, alt: tuple[str, ...] = ()) -> int:
        names = (key,) + alt
        for name in [n for n in names if self.is_given(n)] + [n for n in names if not self.is_given(n)]:
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
        value, given = self._lookup(key)
        if value is None or (not given and not isinstance(value, list)):
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
        """rope_theta as given, else that of the given rope_parameters (of the full-attention layers
        where they are per layer type), else the config class's default."""
        for source in (self.given, self.raw):
            theta = source("rope_theta")
            if isinstance(theta, (int, float)) and not isinstance(theta, bool):
                return float(theta)
            params = source("rope_parameters")
            if isinstance(params, dict):
                if isinstance(params.get("rope_theta"), (int, float)):
                    return float(params["rope_theta"])
                full = params.get("full_attention")
                if isinstance(full, dict) and isinstance(full.get("rope_theta"), (int, float)):
                    return float(full["rope_theta"])
        return None
