"""The findings tab: a table ordered by severity; Enter opens the rule's documentation."""
from __future__ import annotations

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Markdown, Static


class RuleDocScreen(ModalScreen):
    BINDINGS = [Binding("escape,q", "dismiss", "close")]

    def __init__(self, finding, doc: str | None, **kwargs):
        super().__init__(**kwargs)
        self.finding, self.doc = finding, doc

    def compose(self) -> ComposeResult:
        f = self.finding
        with VerticalScroll(id="rule-doc"):
            yield Static(f"[b]{escape(f.code)}[/b] {escape(f.title)} ({f.severity})")
            yield Static(escape(f.message))
            yield Static(f"[b]Fix:[/b] {escape(f.fix)}")
            yield Markdown(self.doc or "No documentation for this rule.")


class FindingsView(Vertical):
    def __init__(self, report, rule_doc, **kwargs):
        super().__init__(**kwargs)
        self.report, self.rule_doc = report, rule_doc

    def compose(self) -> ComposeResult:
        table = DataTable(id="findings-table", cursor_type="row", zebra_stripes=True)
        table.add_columns("severity", "code", "title")
        yield table
        yield Static("Enter: open the rule's documentation", classes="hint")

    def on_mount(self) -> None:
        self.show(self.report)

    def show(self, report) -> None:
        self.report = report
        table = self.query_one("#findings-table", DataTable)
        table.clear()
        for f in report.sorted_findings():
            table.add_row(f.severity, f.code, escape(f.title), key=f.code)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        code = event.row_key.value
        finding = next((f for f in self.report.findings if f.code == code), None)
        if finding is not None:
            self.app.push_screen(RuleDocScreen(finding, self.rule_doc(code)))
