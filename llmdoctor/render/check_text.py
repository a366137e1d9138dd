"""The `llmdoctor check` report: verdict first, then machine, model, plan, findings, command."""
from __future__ import annotations


from rich.console import Console, Group
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from llmdoctor.render.machine_text import gpu_table
from llmdoctor.render.tables import model_table, plan_table
from llmdoctor.render.summary_text import SEVERITY_STYLE, VERDICT_STYLE, print_command
from llmdoctor.render.units import gib


def verdict_panel(report) -> Panel:
    v = report.verdict()
    text = Text(v.headline, style=VERDICT_STYLE.get(v.status, "bold"))
    if v.reason:
        text.append(f": {v.reason}", style="bold")
    return Panel(text, expand=False)


def machine_summary(machine):
    if machine.gpus:
        return gpu_table(machine)
    nvidia = next((p for p in machine.probes if p.name == "nvidia"), None)
    why = f" ({escape(nvidia.reason)})" if nvidia and nvidia.reason else ""
    return f"[yellow]No GPU found{why}.[/yellow] Plan it for a GPU with --gpu NAME --gpus N."


def compare_table(plans) -> Table:
    table = Table(title="Engines compared", title_justify="left")
    for col in ("engine", "fits", "weights/GPU", "KV/GPU", "KV tokens", "concurrency", "decode (expected)"):
        table.add_column(col)
    for p in plans:
        table.add_row(p.engine, "yes" if p.fits else "[red]no[/red]", gib(p.weights.bytes_per_gpu),
                      gib(p.kv_cache.available_bytes_per_gpu), f"{p.kv_cache.tokens:,}",
                      f"{p.max_concurrency:.2f}× at {p.max_model_len:,}",
                      (f"{p.decode_tokens_per_s:.0f} tok/s" + (f" ({p.speed.decode_low:.0f}-{p.speed.decode_high:.0f})"
                                                                 if p.speed and p.speed.decode_low else ""))
                      if p.decode_tokens_per_s else "unknown")
    return table


def findings_block(report):
    findings = report.sorted_findings()
    if not findings:
        return Text("No findings: none of the known pitfalls applies.", style="green")
    parts = []
    for f in findings:
        style = SEVERITY_STYLE.get(f.severity, "")
        parts.append(Text.assemble((f"{f.severity.upper():8}", style), (f"{f.code} ", "bold"), f.title))
        parts.append(Text("    " + f.message))
        parts.append(Text.assemble(("    fix: ", "bold"), f.fix))
    return Group(*parts)


def render_check(report, console: Console) -> None:
    parts = [verdict_panel(report), machine_summary(report.machine)]
    if report.model is not None:
        parts.append(model_table(report.model))
    if report.plan is not None:
        parts.append(plan_table(report.plan))
    if report.alternatives:
        parts.append(compare_table([report.plan, *report.alternatives]))
    parts += [Text("Findings", style="bold underline"), findings_block(report)]
    console.print(Group(*parts))
    if report.plan is None or not report.plan.command:
        console.print(Text("No launch command (no plan)."))
    else:
        print_command(report.plan, console)
    unknown = [p for p in report.machine.probes if p.status != "ok"]
    if unknown:
        console.print(Text("Not probed: " + "; ".join(f"{p.name} ({p.reason or p.status})" for p in unknown),
                           style="dim"))
