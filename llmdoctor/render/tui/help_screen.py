"""Keyboard help."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

HELP = """\
# llmdoctor — keys

| key | does |
|---|---|
| 1–6 | summary, machine, model, plan, findings, what-if |
| Enter | on a finding: open its rule's documentation |
| c | copy the launch command to the clipboard |
| s | save the JSON report (llmdoctor-report.json) |
| ? | this help |
| q | quit |

In **what-if**, change a value and the plan, findings and launch command recompute at once.
Empty fields keep the engine's defaults.
"""


class HelpScreen(ModalScreen):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Markdown(HELP)
