"""The summary tab: verdict, top findings, memory per GPU, and the launch command."""
from __future__ import annotations

from rich.markup import escape
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from llmdoctor.render.summary_text import command_block, findings_text, plan_line, verdict_text
from llmdoctor.render.tui.memory_bar import MemoryBars


class SummaryPane(VerticalScroll):
    def __init__(self, report, **kwargs):
        super().__init__(**kwargs)
        self.report = report

    def compose(self) -> ComposeResult:
        yield Static(id="verdict")
        yield Static(id="plan-line")
        yield MemoryBars(id="summary-bars")
        yield Static(id="top-findings")
        yield Static(id="summary-command")

    def on_mount(self) -> None:
        self.show(self.report)

    def show(self, report) -> None:
        self.report = report
        self.query_one("#verdict", Static).update(verdict_text(report))
        self.query_one("#plan-line", Static).update(escape(plan_line(report.plan)))
        self.query_one("#summary-bars", MemoryBars).show_plan(report.plan)
        self.query_one("#top-findings", Static).update(findings_text(report))
        self.query_one("#summary-command", Static).update(command_block(report.plan))
