"""Rich rendering of a model spec (`llmdoctor model`)."""
from __future__ import annotations

from collections import Counter

from rich.console import Console, Group
from rich.markup import escape
from rich.table import Table

from llmdoctor.render.tables import model_table
from llmdoctor.render.units import gib


def layer_table(model) -> Table:
    """Layer kinds run-length encoded, so a 94-layer model stays a few rows."""
    table = Table(title="Layers", title_justify="left")
    for col in ("layers", "kind", "KV heads", "head dim K/V", "window / state"):
        table.add_column(col)
    runs: list[list] = []
    for layer in model.spec.layers:
        sig = (layer.kind, layer.num_kv_heads, layer.head_dim_k, layer.head_dim_v, layer.window,
               layer.state_bytes, layer.kv_shared_from is not None)
        if runs and runs[-1][1] == sig and runs[-1][0][-1] == layer.index - 1:
            runs[-1][0].append(layer.index)
        else:
            runs.append([[layer.index], sig])
    for indexes, (kind, heads, dk, dv, window, state, shared) in runs:
        span = f"{indexes[0]}" if len(indexes) == 1 else f"{indexes[0]}–{indexes[-1]}"
        extra = f"window {window}" if window else (f"state {gib(state, 3)}/seq" if state else "")
        if shared:
            extra = (extra + ", " if extra else "") + "reuses earlier KV"
        table.add_row(span, kind, str(heads or ""), f"{dk or ''}/{dv or ''}", extra)
    return table


def dtype_table(model) -> Table:
    table = Table(title="Weights by dtype", title_justify="left")
    table.add_column("dtype")
    table.add_column("bytes", justify="right")
    for dtype, n in Counter(model.weight_bytes_by_dtype).most_common():
        table.add_row(escape(dtype), f"{gib(n)} ({n:,} B)")
    return table


def render_model(model, console: Console) -> None:
    parts = [model_table(model), layer_table(model)]
    if model.weight_bytes_by_dtype:
        parts.append(dtype_table(model))
    for note in model.notes:
        parts.append(f"[dim]note: {escape(note)}[/dim]")
    console.print(Group(*parts))
