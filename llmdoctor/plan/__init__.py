"""What every engine's planner shares: the target hardware a plan is for (probed or what-if), the
plan records, the GPU table, weights per rank, recommendations and speed. Each engine's own memory
arithmetic lives in its package under llmdoctor/engines/; engines.make_plan dispatches to it.
"""
from __future__ import annotations

import copy
from typing import Any, Optional, Union

from llmdoctor.plan.records import Target


def _select(gpus: list, visible: Union[str, list, None]) -> list:
    """Apply CUDA_VISIBLE_DEVICES ("1,0", UUIDs, "" = none) or docker --gpus ("all", "count=2",
    '"device=1,2"') to the probed GPU list. Order follows the selector, as CUDA renumbers. Callers turn
    docker's bare `--gpus 2` (a count) into "count=2"; a bare number here is a device index."""
    if visible is None:
        return list(gpus)
    if isinstance(visible, (list, tuple)):
        items = [str(v) for v in visible]
    else:
        text = str(visible).strip().strip('"').strip("'")
        if text in ("all", ""):
            return list(gpus) if text == "all" else []
        if text.startswith("device="):
            text = text[len("device="):]
        if text.startswith("count="):
            n = text[len("count="):]
            return list(gpus) if n == "all" else list(gpus)[: int(n)]
        items = [t.strip() for t in text.split(",") if t.strip()]
    chosen = []
    for item in items:
        if item.lstrip("-").isdigit():
            idx = int(item)
            if idx < 0:
                break                                  # CUDA stops at the first invalid entry
            match = [g for g in gpus if g.index == idx]
        else:
            match = [g for g in gpus if g.uuid and g.uuid.startswith(item)]
        if not match:
            break
        chosen.append(match[0])
    return chosen


def target_from_machine(machine: Any, visible: Union[str, list, None] = None) -> Target:
    """The GPUs an engine started on this machine would see. `visible` defaults to the machine's
    own CUDA_VISIBLE_DEVICES."""
    if visible is None:
        visible = (machine.software.env or {}).get("CUDA_VISIBLE_DEVICES")
    gpus = _select(machine.gpus, visible)
    source = "probed" if machine.source == "live" else machine.source
    return Target(gpus=gpus, host=machine.host, software=machine.software, source=source)


def target_what_if(gpu_name: str, vram_gib: Optional[float] = None, count: int = 1, host: Any = None,
                   bandwidth_gbs: Optional[float] = None) -> Target:
    """Hardware that is not here, from the GPU table (rules/data/gpus.csv). A name the table does not
    know is planned as a generic GPU when --vram-gib gives its memory (--bandwidth-gbs its bandwidth);
    without --vram-gib it is a usage error that names the closest table entries."""
    from llmdoctor.errors import UsageError
    from llmdoctor.facts import Host, Software
    from llmdoctor.plan.gpu_table import close_names, generic_row, lookup, what_if_gpu
    row = lookup(gpu_name)
    if row is None:
        if vram_gib is None:
            close = close_names(gpu_name)
            near = f" (close: {', '.join(repr(n) for n in close)})" if close else ""
            raise UsageError(f"GPU {gpu_name!r} is not in the GPU table{near}; pass a known name "
                             "(e.g. 'RTX 4090', 'H100 SXM5', 'B200'), or --vram-gib N [--bandwidth-gbs N] "
                             "to plan for it as a generic GPU")
        row = generic_row(gpu_name, vram_gib, bandwidth_gbs)
    gpus = [what_if_gpu(row, i, vram_gib, bandwidth_gbs) for i in range(max(count, 1))]
    source = (f"what-if:{row.name}" + (f" {vram_gib:g} GiB" if vram_gib else "")
              + (f" {bandwidth_gbs:g} GB/s" if bandwidth_gbs else "") + ("" if row.in_table else " (not in the GPU table)"))
    return Target(gpus=gpus, host=copy.deepcopy(host) if host is not None else Host(), software=Software(),
                  source=source)
