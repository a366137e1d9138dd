"""A per-GPU memory bar: weights, KV cache, activations, CUDA graphs, overhead, other processes, free."""
from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from llmdoctor.render.units import gib

SEGMENTS = (  # (GpuMemory field, legend label, style, fill character for monochrome terminals)
    ("weights_bytes", "weights", "on dodger_blue2", "W"),
    ("kv_cache_bytes", "KV", "on green4", "K"),
    ("activation_bytes", "activations", "on dark_orange3", "A"),
    ("cuda_graph_bytes", "graphs", "on magenta", "G"),
    ("runtime_overhead_bytes", "runtime", "on grey50", "R"),
    ("other_processes_bytes", "others", "on red3", "O"),
)


def bar_text(gpu, width: int) -> Text:
    """One line: coloured cells proportional to each use of the GPU's memory."""
    total = max(gpu.total_bytes, 1)
    text = Text()
    used_cells = 0
    for field, _label, style, char in SEGMENTS:
        cells = round(max(getattr(gpu, field), 0) / total * width)
        cells = min(cells, width - used_cells)
        text.append(char * cells, style=f"bold white {style}")
        used_cells += cells
    if gpu.free_bytes < 0:
        text.append("!" * max(width - used_cells, 1), style="bold white on red")
    else:
        text.append("·" * (width - used_cells), style="dim")
    return text


def legend() -> Text:
    text = Text()
    for _field, label, style, char in SEGMENTS:
        text.append(char, style=f"bold white {style}")
        text.append(f" {label}  ")
    text.append("· free")
    return text


class MemoryBars(Static):
    """All GPUs of a plan, one bar each, with the figures behind them."""

    def __init__(self, plan=None, **kwargs):
        super().__init__(**kwargs)
        self.plan = plan

    def show_plan(self, plan) -> None:
        self.plan = plan
        self.refresh(layout=True)

    def render(self) -> Text:
        if self.plan is None or not self.plan.gpus:
            return Text("no GPU memory plan")
        width = max(self.size.width - 34, 10)
        out = Text()
        for g in self.plan.gpus:
            out.append(f"GPU{g.index} ", style="bold")
            out.append_text(bar_text(g, width))
            state = f" free {gib(g.free_bytes, 1)}" if g.free_bytes >= 0 else f" short {gib(-g.free_bytes, 1)}"
            out.append(f" {gib(g.total_bytes, 1)}{state}\n")
        out.append_text(legend())
        return out
