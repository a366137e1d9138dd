"""Builds the TUI's Session: the report, a replan function over the same inputs, rule docs."""
from __future__ import annotations

from typing import Callable, Optional

from llmdoctor import engines
from llmdoctor.app.pipeline import Intent, evaluate, gather, with_what_if


def rule_doc(code: str) -> Optional[str]:
    from llmdoctor.diagnose import load_rules
    from llmdoctor.diagnose.docs import rule_markdown
    rule = next((r for r in load_rules([]) if r.code == code), None)
    return rule_markdown(rule) if rule is not None else None


REPORT_FILE = "llmdoctor-report.json"


def save_json(report) -> str:
    """The TUI's save action: the facts document to ./llmdoctor-report.json."""
    from llmdoctor.render.json_out import write_json
    with open(REPORT_FILE, "w", encoding="utf-8") as fh:
        write_json(report.document(), fh)
    return REPORT_FILE


def make_loader(intent: Intent, config) -> Callable[[], object]:
    """A function the app runs in a worker thread: probe and read once, then plan and diagnose."""
    def load():
        from llmdoctor.render.tui.session import Session
        inputs = gather(intent)

        def replan(what_if):
            # the panel's fields start at the shown plan's settings, so they are planned exactly as set
            return evaluate(with_what_if(intent, what_if), inputs, config, prefer_recommended=False)

        return Session(report=evaluate(intent, inputs, config), replan=replan, rule_doc=rule_doc,
                       save_json=save_json, engines=engines.names())
    return load
