"""SGLang's checks on the parsed flags that a pre-launch tool can evaluate (engines/sglang/startup_checks.md)."""
from __future__ import annotations

from typing import Optional

from llmdoctor.engines.cli_table import table
from llmdoctor.plan.records import CommandIssue


def check_config(flags: dict, version: Optional[str], env: dict) -> list[CommandIssue]:
    t = table("sglang")
    v = t.version_for(version) if t else version
    out: list[CommandIssue] = []
    raw = flags.get("mem_fraction_static")
    if raw is not None:
        try:
            mfs = float(raw)
        except (TypeError, ValueError):
            mfs = None
        if mfs is not None and not 0 < mfs < 1:          # NaN too
            out.append(CommandIssue(
                kind="bad-config", flag="--mem-fraction-static", value=str(raw), refuses=True,
                hint="a fraction of the free GPU memory, e.g. 0.85",
                message=f"--mem-fraction-static {raw} is outside (0, 1): SGLang does not check it and stops at the "
                        "KV pool allocation (\"Not enough memory. Please try to increase --mem-fraction-static.\" "
                        "or CUDA out of memory)",
                source=f"python/sglang/srt/mem_cache/kv_cache_configurator.py; no range check in server_args.py (sglang {v})"))
    return out
