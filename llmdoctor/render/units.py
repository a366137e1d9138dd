"""Number formatting shared by the text renderers (bytes stay integers in JSON)."""
from __future__ import annotations

GIB = 1 << 30
MIB = 1 << 20


def gib(value: int | float | None, digits: int = 2) -> str:
    return "unknown" if value is None else f"{value / GIB:.{digits}f} GiB"


def gbps(value: int | None) -> str:
    return "unknown" if value is None else f"{value / 1e9:,.0f} GB/s"


def show(value, unknown: str = "unknown") -> str:
    if value is None:
        return unknown
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
