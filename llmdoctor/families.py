"""Model families and the tool-call / reasoning parsers each engine has for them.

One table (rules/data/parsers.toml) serves both the planner, which puts parsers into the launch
command it recommends, and the rules, which check the parsers a user passes, so the two never
disagree. Engines name their parsers differently: SGLang's names are in `sglang_tool_parsers` /
`sglang_reasoning_parsers` where they differ from vLLM's.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Optional


@lru_cache(maxsize=1)
def families() -> tuple:
    from llmdoctor.resources import data_text
    try:
        import tomllib
    except ModuleNotFoundError:          # Python 3.10
        import tomli as tomllib
    return tuple(tomllib.loads(data_text("parsers.toml")).get("family", []))


def match_family(model_type: Optional[str], names: str) -> Optional[dict]:
    """The first family whose model_types hold `model_type` (and whose name_regex, if any, matches
    the model's path or architecture in `names`)."""
    mt = str(model_type or "").lower()
    for fam in families():
        if mt not in fam.get("model_types", []):
            continue
        rx = fam.get("name_regex")
        if rx and not re.search(rx, names):
            continue
        return fam
    return None


def tool_parsers(fam: Optional[dict], engine: Optional[str]) -> list[str]:
    if not fam:
        return []
    if engine == "sglang" and "sglang_tool_parsers" in fam:
        return list(fam["sglang_tool_parsers"])
    return list(fam.get("tool_parsers", []))


def reasoning_parsers(fam: Optional[dict], engine: Optional[str]) -> list[str]:
    if not fam:
        return []
    if engine == "sglang" and "sglang_reasoning_parsers" in fam:
        return list(fam["sglang_reasoning_parsers"])
    return list(fam.get("reasoning_parsers", []))


def model_names(model: Any) -> str:
    return " ".join(str(getattr(model, k, None) or "") for k in ("path", "architecture"))
