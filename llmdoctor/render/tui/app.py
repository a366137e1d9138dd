"""The Textual app: loads the report in a worker (the screen never freezes), then shows tabs."""
from __future__ import annotations

import shlex
from typing import Callable

from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Header, Input, LoadingIndicator, Select, Static, TabbedContent, TabPane, Tabs

from llmdoctor.render.tui.facts_views import MachineView, ModelView, PlanView
from llmdoctor.render.tui.findings_view import FindingsView
from llmdoctor.render.tui.help_screen import HelpScreen
from llmdoctor.render.tui.session import Session, WhatIf
from llmdoctor.render.tui.summary import SummaryPane
from llmdoctor.render.tui.whatif import WhatIfPanel

TABS = ("summary", "machine", "model", "plan", "findings", "whatif")


class LLMDoctorApp(App):
    CSS_PATH = "app.tcss"
    TITLE = "llmdoctor"
    BINDINGS = [
        # q works from the what-if fields too (they take digits only); Escape leaves a field
        Binding("q", "quit", "quit", priority=True), Binding("escape", "leave_field", "leave field", show=False),
        Binding("question_mark", "help", "help"),
        Binding("c", "copy_command", "copy command"), Binding("s", "save_json", "save JSON"),
        *[Binding(str(i + 1), f"tab('{name}')", name, show=False) for i, name in enumerate(TABS)],
    ]

    def __init__(self, load: Callable[[], Session], **kwargs):
        super().__init__(**kwargs)
        self.load = load
        self.session: Session | None = None
        self.ready = False          # every tab mounted

    def compose(self) -> ComposeResult:
        yield Header()
        yield LoadingIndicator(id="loading")
        yield Static("examining the machine and the model…", id="loading-note")
        yield Footer()

    def on_mount(self) -> None:
        self.load_session()

    @work(thread=True, exclusive=True)
    def load_session(self) -> None:
        session = self.load()
        self.call_from_thread(self.show_session, session)

    async def show_session(self, session: Session) -> None:
        self.session = session
        report = session.report
        await self.query_one("#loading").remove()
        await self.query_one("#loading-note").remove()
        tabs = TabbedContent(id="tabs")
        await self.mount(tabs, before=self.query_one(Footer))
        await tabs.add_pane(TabPane("Summary", SummaryPane(report, id="summary-pane"), id="summary"))
        await tabs.add_pane(TabPane("Machine", MachineView(report.machine), id="machine"))
        await tabs.add_pane(TabPane("Model", ModelView(report.model), id="model"))
        await tabs.add_pane(TabPane("Plan", PlanView(report.plan, id="plan-view"), id="plan"))
        await tabs.add_pane(TabPane("Findings", FindingsView(report, session.rule_doc, id="findings-view"), id="findings"))
        await tabs.add_pane(TabPane("What-if", WhatIfPanel(report, session.engines, id="whatif-panel"), id="whatif"))
        self.sub_title = self.session.report.verdict().headline   # a what-if may have run meanwhile
        self.ready = True

    def on_what_if_panel_changed(self, event: WhatIfPanel.Changed) -> None:
        self.recompute(event.what_if)

    def recompute(self, what_if: WhatIf) -> None:
        report = self.session.replan(what_if)
        self.session.report = report
        self.query_one("#whatif-panel", WhatIfPanel).show(report)
        self.query_one("#summary-pane", SummaryPane).show(report)
        self.query_one("#plan-view", PlanView).show(report.plan)
        self.query_one("#findings-view", FindingsView).show(report)
        self.sub_title = report.verdict().headline

    def action_tab(self, name: str) -> None:
        """Show a tab and put the keyboard on its table or text, so arrows scroll it at once."""
        if not self.ready:
            return
        self.query_one("#tabs", TabbedContent).active = name
        pane = self.query_one(f"#{name}", TabPane)
        target = next((w for w in pane.query("*") if w.focusable), None)
        if target is not None:
            target.focus()

    def action_leave_field(self) -> None:
        """Escape: out of a what-if field, back to the tab's own view."""
        if self.ready and isinstance(self.focused, (Input, Select)):
            self.query_one("#tabs", TabbedContent).query_one(Tabs).focus()     # the tab bar: arrows switch tabs

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def action_copy_command(self) -> None:
        plan = self.session.report.plan if self.session else None
        if plan is None or not plan.command:
            self.notify("no launch command to copy", severity="warning")
            return
        self.copy_to_clipboard(shlex.join(plan.command))
        self.notify("launch command copied")

    def action_save_json(self) -> None:
        if self.session is None:
            return
        try:
            saved = self.session.save_json(self.session.report)
        except OSError as exc:
            self.notify(f"cannot save: {exc.strerror or exc}", severity="error")
            return
        self.notify(f"saved {saved}")
