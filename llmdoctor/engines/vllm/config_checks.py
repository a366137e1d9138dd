"""vLLM's config validation on the parsed flags: what it refuses after argparse accepted the command
(engines/vllm/startup_checks.md rows 2, 12 and the serve-argument checks), quoting its messages."""
from __future__ import annotations

import math
from typing import Any, Optional

from llmdoctor.engines.cli_table import table
from llmdoctor.engines.vllm.versions import has
from llmdoctor.plan.records import CommandIssue


def _number(value: Any) -> Optional[float]:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def check_config(flags: dict, version: Optional[str], env: dict) -> list[CommandIssue]:
    t = table("vllm")
    v = t.version_for(version) if t else version
    out: list[CommandIssue] = []
    gmu = _number(flags.get("gpu_memory_utilization"))
    if gmu is not None:
        if has("gmu_bounds_checked", v) and not (0 < gmu <= 1):        # NaN fails both comparisons
            which = "greater than 0" if not gmu > 0 else "less than or equal to 1"
            out.append(CommandIssue(
                kind="bad-config", flag="--gpu-memory-utilization", value=str(flags["gpu_memory_utilization"]),
                refuses=True, hint="a fraction of the GPU's memory, e.g. 0.9",
                message=f"1 validation error for CacheConfig gpu_memory_utilization: Input should be {which}",
                source=f"vllm/config/cache.py CacheConfig.gpu_memory_utilization Field(gt=0, le=1) (vllm {v})"))
        elif not has("gmu_bounds_checked", v) and (gmu > 1.0 or math.isnan(gmu)):
            out.append(CommandIssue(
                kind="bad-config", flag="--gpu-memory-utilization", value=str(flags["gpu_memory_utilization"]),
                refuses=True, hint="a fraction of the GPU's memory, e.g. 0.9",
                message=f"GPU memory utilization must be less than 1.0. Got {gmu}.",
                source=f"vllm CacheConfig._verify_args (vllm {v})"))
    kv = flags.get("kv_cache_dtype")
    values = ((t.extra.get("kv_cache_dtype_values") or {}).get(v) or {}) if t else {}
    if kv is not None and values and values.get("enforced_by") != "argparse choices" \
            and str(kv) not in values.get("values", []):
        out.append(CommandIssue(
            kind="bad-config", flag="--kv-cache-dtype", value=str(kv), refuses=True, hint=None,
            message=f"Invalid kv_cache_dtype: {str(kv)!r}. Valid values are: {values['values']}",
            source=f"{values.get('file', 'vllm/config/cache.py')} CacheConfig._validate_cache_dtype (vllm {v})"))
    if flags.get("enable_auto_tool_choice") is True and not flags.get("tool_call_parser"):
        out.append(CommandIssue(
            kind="bad-config", flag="--enable-auto-tool-choice", value=None, refuses=True,
            hint="add --tool-call-parser for the model family",
            message="Error: --enable-auto-tool-choice requires --tool-call-parser",
            source=f"vllm/entrypoints/openai/cli_args.py validate_parsed_serve_args (vllm {v})"))
    return out
