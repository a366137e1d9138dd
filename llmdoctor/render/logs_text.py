"""Text output of `llmdoctor logs`: facts, explained events, unknown errors, reconcile table.
Reads the LogReport only; every string from the log is escaped before rich sees it."""
from __future__ import annotations

from rich.markup import escape
from rich.table import Table

from llmdoctor.logparse.records import LogReport
from llmdoctor.render.units import gib

_SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def _value(name: str, value) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{escape(str(k))}: {_value(name, v)}" for k, v in value.items())
    if isinstance(value, bool):
        return "yes" if value else "no"
    if "_bytes" in name and isinstance(value, (int, float)) and not isinstance(value, bool):
        return gib(value)
    if isinstance(value, list):
        return escape(", ".join(str(v) for v in value))
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, int):
        return f"{value:,}"
    return escape(str(value))


def render_logs(report: LogReport, console) -> None:
    head = f"[bold]{escape(report.source)}[/]: engine [bold]{escape(report.engine or 'not recognised')}[/]"
    if report.version:
        head += f" {escape(report.version)}"
    if report.model:
        head += f", model {escape(report.model)}"
    console.print(head + f" ({report.lines_read:,} lines{', truncated' if report.truncated else ''})")

    if report.facts:
        t = Table(title="What the log says", show_header=True, header_style="bold")
        t.add_column("figure")
        t.add_column("value")
        t.add_column("line", justify="right")
        for name, value in report.facts.items():
            line = report.fact_lines.get(name)
            t.add_row(escape(name), _value(name, value), str(line) if line else "")
        console.print(t)
    for d in report.derived:
        console.print(f"  derived: {escape(d)}")
    if report.args:
        shown = ", ".join(f"{escape(str(k))}={escape(repr(v))}" for k, v in report.args.items())
        console.print(f"[bold]Arguments echoed[/]: {shown}")

    if report.events:
        console.print("[bold]Explained[/]")
    for e in report.events:
        style = _SEVERITY_STYLE.get(e.severity, "")
        tag = "harmless" if e.harmless else e.severity
        where = ", ".join(str(n) for n in e.lines[:5]) + (" ..." if len(e.lines) > 5 else "")
        console.print(f"  [{style}]{e.code} {tag}[/] (line {where}): {escape(e.message)}")
        console.print(f"      fix: {escape(e.fix)}")
    if report.unknown_errors:
        console.print("[bold]Errors no rule explains[/]")
    for u in report.unknown_errors:
        extra = f"  ->  {escape(u.exception)}" if u.exception and u.exception != u.text else ""
        console.print(f"  line {u.line}: {escape(u.text)}{extra}")
    if not report.events and not report.unknown_errors:
        console.print("No known problem and no error lines found.")

    if report.reconcile:
        t = Table(title="Plan vs. log", header_style="bold")
        for col in ("figure", "predicted", "actual", "error"):
            t.add_column(col, justify="left" if col == "figure" else "right")
        for r in report.reconcile:
            fmt = (lambda v: gib(v)) if r.unit == "bytes" else (lambda v: f"{v:,.2f}" if isinstance(v, float) else f"{v:,}")
            err = "" if r.error_pct is None else f"{r.error_pct:+.1f}%"
            t.add_row(escape(r.figure), fmt(r.predicted), fmt(r.actual), err)
        console.print(t)
    if report.reconcile_note:
        console.print(f"[dim]reconcile: {escape(report.reconcile_note)}[/]")
