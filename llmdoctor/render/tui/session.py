"""What the TUI is given: a report, and a way to ask the planner for another one.

The app never probes or plans itself; `replan` is supplied by the pipeline (the planner is pure,
so recomputing on every what-if change is cheap).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional


@dataclass
class WhatIf:
    """The knobs of the what-if panel; None keeps what the report was made with."""
    engine: Optional[str] = None
    num_gpus: Optional[int] = None
    tensor_parallel_size: Optional[int] = None
    max_model_len: Optional[int] = None
    concurrency: Optional[int] = None
    kv_cache_dtype: Optional[str] = None
    gpu_memory_utilization: Optional[float] = None
    n_gpu_layers: Optional[int] = None


@dataclass
class Session:
    report: Any                                   # llmdoctor.report.Report
    replan: Callable[[WhatIf], Any]               # WhatIf -> Report
    rule_doc: Callable[[str], Optional[str]]      # rule code -> markdown doc
    save_json: Callable[[Any], str]               # Report -> the file it was written to (OSError when it cannot)
    engines: tuple[str, ...]                      # the engines the what-if panel offers
