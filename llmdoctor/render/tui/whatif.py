"""The what-if tab: change engine, GPUs, TP, context, concurrency, KV dtype, gmu, -ngl and see the
plan, findings and launch command recomputed at once."""
from __future__ import annotations

from rich.markup import escape
from textual.app import ComposeResult
from textual.css.query import NoMatches
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Input, Label, Select, Static

from llmdoctor.render.tui.memory_bar import MemoryBars
from llmdoctor.render.tui.session import WhatIf
from llmdoctor.render.summary_text import command_text, findings_text, plan_line, verdict_text


class NumberInput(Input):
    """A field of digits that does not claim other printable keys, so the app's q (quit) reaches the app."""

    def check_consume_key(self, key: str, character: str | None) -> bool:
        return character is not None and (character.isdigit() or character == ".")

KV_DTYPES = ("auto", "fp8", "fp8_e4m3", "fp8_e5m2", "f16", "q8_0", "q4_0")
NUMBER_FIELDS = (  # (WhatIf field, label, type)
    ("num_gpus", "GPUs", int), ("tensor_parallel_size", "tensor parallel", int),
    ("max_model_len", "context length", int), ("concurrency", "concurrency", int),
    ("gpu_memory_utilization", "gpu mem util", float), ("n_gpu_layers", "-ngl", int),
)


class WhatIfPanel(Horizontal):
    class Changed(Message):
        def __init__(self, what_if: WhatIf):
            super().__init__()
            self.what_if = what_if

    def __init__(self, report, engines, **kwargs):
        super().__init__(**kwargs)
        self.report, self.engines = report, engines
        self._last = self._shown()      # what the shown report was planned with

    def _shown(self) -> WhatIf:
        plan = self.report.plan
        if plan is None:
            return WhatIf()
        kv = plan.kv_cache.dtype if plan.kv_cache.dtype in KV_DTYPES and plan.kv_cache.dtype != "auto" else None
        return WhatIf(engine=plan.engine, num_gpus=plan.num_gpus, tensor_parallel_size=plan.tensor_parallel_size,
                      max_model_len=plan.max_model_len, kv_cache_dtype=kv,
                      gpu_memory_utilization=plan.gpu_memory_utilization,
                      n_gpu_layers=plan.settings.get("n_gpu_layers"))

    def compose(self) -> ComposeResult:
        plan = self.report.plan
        with Vertical(id="whatif-form"):
            yield Label("engine")
            yield Select([(e, e) for e in self.engines], value=plan.engine if plan else self.engines[0],
                         allow_blank=False, id="wi-engine")
            yield Label("KV cache dtype")
            kv = plan.kv_cache.dtype if plan is not None and plan.kv_cache.dtype in KV_DTYPES else "auto"
            yield Select([(d, d) for d in KV_DTYPES], value=kv, allow_blank=False, id="wi-kv")
            for field, label, _kind in NUMBER_FIELDS:
                yield Label(label)
                yield NumberInput(value=self._initial(field), placeholder="default", id=f"wi-{field}",
                                  restrict=r"[0-9.]*")
        with VerticalScroll(id="whatif-result"):
            yield Static(id="wi-verdict")
            yield Static(id="wi-plan")
            yield MemoryBars(id="wi-bars")
            yield Static(id="wi-findings")
            yield Static(id="wi-command")

    def _initial(self, field: str) -> str:
        plan = self.report.plan
        if plan is None:
            return ""
        values = {"num_gpus": plan.num_gpus, "tensor_parallel_size": plan.tensor_parallel_size,
                  "max_model_len": plan.max_model_len, "gpu_memory_utilization": plan.gpu_memory_utilization,
                  "n_gpu_layers": plan.settings.get("n_gpu_layers")}
        value = values.get(field)
        return "" if value is None else str(value)

    def on_mount(self) -> None:
        self.show(self.report)

    def current(self) -> WhatIf:
        engine = self.query_one("#wi-engine", Select).value
        wi = WhatIf(engine=engine if isinstance(engine, str) else None)
        kv = self.query_one("#wi-kv", Select).value
        wi.kv_cache_dtype = kv if isinstance(kv, str) and kv != "auto" else None
        for field, _label, kind in NUMBER_FIELDS:
            raw = self.query_one(f"#wi-{field}", Input).value.strip()
            try:
                setattr(wi, field, kind(raw) if raw else None)
            except ValueError:
                setattr(wi, field, None)    # half-typed numbers ("0.") wait for the next key
        return wi

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._changed()

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        self._changed()

    def _changed(self) -> None:
        """Widgets also report their initial values while mounting: only a real change replans."""
        try:
            wi = self.current()
        except NoMatches:          # still mounting
            return
        if wi != self._last:
            self._last = wi
            self.post_message(self.Changed(wi))

    def show(self, report) -> None:
        self.report = report
        self.query_one("#wi-verdict", Static).update(verdict_text(report))
        self.query_one("#wi-plan", Static).update(escape(plan_line(report.plan)))
        self.query_one("#wi-bars", MemoryBars).show_plan(report.plan)
        self.query_one("#wi-findings", Static).update(findings_text(report, limit=4))
        self.query_one("#wi-command", Static).update(escape(command_text(report.plan)))
