"""Records the log doctor produces: cleaned lines, extracted facts, matched events.

Sizes are ints in bytes, counts are ints; the JSON `logs` section is built from these records only.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional


@dataclass
class LogLine:
    """One logical log line after cleaning (prefixes stripped, wrapped pieces re-joined)."""
    no: int                      # 1-based number of the first physical line in the input
    text: str                    # the message, prefixes removed
    level: Optional[str] = None  # INFO / WARNING / ERROR ... when the engine printed one
    proc: Optional[str] = None   # "Worker_TP0", "EngineCore", "DP0 TP0", ...
    rank: Optional[int] = None   # tensor-parallel rank when the prefix names one
    pid: Optional[int] = None
    src: Optional[str] = None    # the engine's "file.py:123" when printed (tells kernels apart)


@dataclass
class Fact:
    name: str
    value: Any
    line: int                    # where it was read (first occurrence kept unless the extractor says so)
    device: Optional[str] = None # "0" (TP rank), "CUDA0", ... for per-device figures


@dataclass
class Event:
    code: str                    # LD8nn
    name: str
    severity: str                # info | warning | error
    lines: list[int]
    message: str
    fix: str
    harmless: bool = False


@dataclass
class UnknownError:
    line: int
    text: str                    # first line of the block
    exception: Optional[str] = None   # the "XError: ..." line of a traceback, when there is one


@dataclass
class ReconcileRow:
    figure: str
    unit: str
    predicted: Optional[float]
    actual: Optional[float]
    error_pct: Optional[float]   # (predicted - actual) / |actual| * 100
    note: str = ""


@dataclass
class LogReport:
    source: str
    engine: Optional[str]
    version: Optional[str]
    model: Optional[str]
    args: dict[str, Any]
    facts: dict[str, Any]
    fact_lines: dict[str, int]
    events: list[Event]
    unknown_errors: list[UnknownError]
    lines_read: int
    truncated: bool = False
    derived: list[str] = field(default_factory=list)     # how a derived figure was computed
    reconcile: list[ReconcileRow] = field(default_factory=list)
    reconcile_note: Optional[str] = None
