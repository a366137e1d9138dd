"""One-line summaries of a report (verdict, plan, findings, command) for text and TUI."""
from __future__ import annotations

import shlex

from rich.text import Text

from llmdoctor.render.units import gib

VERDICT_STYLE = {"runs": "bold green", "runs-with-warnings": "bold yellow", "will-not-run": "bold red"}
SEVERITY_STYLE = {"error": "red", "warning": "yellow", "info": "cyan"}


def verdict_text(report) -> Text:
    v = report.verdict()
    text = Text(f"{v.headline}", style=VERDICT_STYLE.get(v.status, "bold"))
    if v.reason:
        text.append(f" — {v.reason}", style="")
    return text


def plan_line(plan) -> str:
    if plan is None:
        return "no plan"
    kv = plan.kv_cache
    return (f"{plan.engine} {plan.engine_version or ''} · TP {plan.tensor_parallel_size} · "
            f"weights {gib(plan.weights.bytes_per_gpu)}/GPU · KV {gib(kv.available_bytes_per_gpu)}/GPU = "
            f"{kv.tokens:,} tokens · {plan.max_concurrency:.2f}× at {plan.max_model_len:,}"
            + (f" · ~{plan.decode_tokens_per_s:.0f} tok/s" if plan.decode_tokens_per_s else ""))


def findings_text(report, limit: int = 5) -> Text:
    text = Text()
    findings = report.sorted_findings()
    if not findings:
        return Text("No findings.", style="green")
    for f in findings[:limit]:
        text.append(f"{f.severity.upper():8}", style=SEVERITY_STYLE.get(f.severity, ""))
        text.append(f"{f.code} {f.title}\n")
    if len(findings) > limit:
        text.append(f"… and {len(findings) - limit} more in Findings\n", style="dim")
    return text


def command_caption(plan) -> str:
    """What the printed command is: verified to fit, or the closest there is."""
    check = plan.details.command_check if plan is not None else None
    if check is None or check.fits is None:
        return "Recommended launch command:"
    if check.fits:
        return (f"Recommended launch command (planned again: fits, {check.kv_tokens:,} KV tokens, "
                f"{check.max_concurrency:.2f}× at {check.max_model_len:,}):")
    return f"No launch command fits this machine ({check.why}). The closest one:"


def command_text(plan) -> str:
    """The command as a shell reads it: the program, then one flag and its value a line, joined with
    backslash continuations, so no line is broken inside a word when pasted."""
    if plan is None or not plan.command:
        return "(no command)"
    lines: list[list[str]] = [[]]
    for word in plan.command:
        if word.startswith("-") and lines[-1] and len(lines) + len(lines[-1]) > 1 and not _is_number(word):
            lines.append([])
        lines[-1].append(shlex.quote(word))
    return " \\\n  ".join(" ".join(words) for words in lines)


def command_block(plan) -> Text:
    """Caption and command as one Text (the TUI); a console prints them with print_command."""
    text = Text(command_caption(plan) + "\n", style="bold")
    text.append(command_text(plan), style="")
    return text


def print_command(plan, console) -> None:
    """The caption wraps like any text; the command goes out as it is, never wrapped or cropped by rich."""
    console.print(Text(command_caption(plan), style="bold"))
    console.out(command_text(plan), highlight=False)


def _is_number(word: str) -> bool:
    try:
        float(word)
        return True
    except ValueError:
        return False
