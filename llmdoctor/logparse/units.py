"""Sizes and numbers as engines print them -> ints.

vLLM before ~0.8 and SGLang print "GB" for values computed as bytes / 2**30, so "GB" from those engines
is GiB; Ollama and llama.cpp print binary units with their real names. `gb_is_gib` says which.
"""
from __future__ import annotations

import re
import warnings

_UNITS = {"b": 1, "kb": 1000, "mb": 1000**2, "gb": 1000**3, "tb": 1000**4,
          "kib": 1024, "mib": 1024**2, "gib": 1024**3, "tib": 1024**4}
SIZE = r"-?\d+(?:\.\d+)?\s*(?:[KMGT]i?B|B)"
_SIZE_RE = re.compile(r"(-?\d+(?:\.\d+)?)\s*([KMGT]i?B|B)\b", re.I)


def to_bytes(text: str, gb_is_gib: bool = True) -> int | None:
    """"6.29 GiB" -> 6753876541; "14.9888 GB" (vLLM V0) -> GiB. None when there is no size."""
    m = _SIZE_RE.search(text)
    if not m:
        return None
    unit = m.group(2).lower()
    if gb_is_gib and unit in ("kb", "mb", "gb", "tb"):
        unit = unit[0] + "ib"
    return round(float(m.group(1)) * _UNITS[unit])


def num(text: str) -> float:
    """"131,072" -> 131072.0."""
    return float(text.replace(",", "").replace("_", ""))


def to_int(text: str) -> int:
    return int(num(text))


def gib(n: float | int | None) -> str:
    return "?" if n is None else f"{n / 1024**3:.2f} GiB"


def quiet_ast(fn, *args, **kwargs):
    """ast.literal_eval / ast.parse on text from a log: a garbled number ("12abc") makes Python's compiler
    print a SyntaxWarning to stderr before it fails; a log is data, so that warning is noise here."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        return fn(*args, **kwargs)
