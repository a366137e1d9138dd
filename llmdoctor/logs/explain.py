"""Run the log rules over the cleaned lines; list the errors no rule explains."""
from __future__ import annotations

import re
from typing import Any

from llmdoctor.diagnose.rules import Rule
from llmdoctor.logparse.records import Event, LogLine, UnknownError

MAX_HITS = 1000            # line numbers kept per rule (a hang can repeat a line for hours)
_EXC_LINE = re.compile(r"^(?:[\w.]+\.)?\w*(?:Error|Exception|Interrupt)\b:?\s")
_ERRORISH = re.compile(r"^Traceback \(most recent call last\)|\blevel=ERROR\b|^error:|\bfailed to\b|^\w*Error: ")


def run_rules(rules: list[Rule], lines: list[LogLine], doc: dict[str, Any]) -> list[Event]:
    from llmdoctor.diagnose.cel_runtime import load
    from llmdoctor.diagnose.engine import render_text
    from llmdoctor.diagnose.functions import NullInput, bound_functions
    cel, _ = load()
    functions = bound_functions(doc.get("args", {}), {})
    events = []
    for rule in rules:
        match = rule.log
        if match.engines and doc.get("engine") not in match.engines and doc.get("engine") is not None:
            continue
        hits, groups, first_text = [], {}, None
        for ln in lines:
            for pat in match.patterns:
                m = pat.search(ln.text)
                if m:
                    if not hits:
                        groups = {k: v for k, v in m.groupdict().items() if v is not None}
                        first_text = ln.text[:500]
                    if len(hits) < MAX_HITS:
                        hits.append(ln.no)
                    break
        log = dict(doc, count=len(hits), lines=hits, text=first_text or "", groups=groups)
        ctx = cel.Context({"log": log}, functions=functions)
        try:
            if rule.program.execute(ctx) is not True:
                continue
        except (NullInput, ValueError, TypeError, RuntimeError, KeyError):
            continue              # a fact the rule needs is absent: the rule does not fire
        if not hits and match.line_of:
            line = doc.get("fact_lines", {}).get(match.line_of)
            hits = [line] if line else []
        events.append(Event(code=rule.code, name=rule.name, severity=rule.severity, lines=hits,
                            message=render_text(rule, rule.message, ctx), fix=render_text(rule, rule.fix, ctx),
                            harmless=match.harmless))
    return events


def unknown_errors(lines: list[LogLine], events: list[Event], limit: int = 50) -> list[UnknownError]:
    """ERROR blocks and tracebacks no rule matched: their first line, and the exception line if any.
    A block is a run of consecutive error lines from one process."""
    explained = {n for e in events for n in e.lines}
    out: list[UnknownError] = []
    seen: set[str] = set()
    block: list[LogLine] = []

    def flush():
        if not block:
            return
        nos = {ln.no for ln in block}
        if not (nos & explained):
            exc = next((ln.text for ln in reversed(block) if _EXC_LINE.match(ln.text)), None)
            first = next((ln.text for ln in block if ln.text.strip()), block[0].text)
            key = exc or first
            if key not in seen and len(out) < limit:
                seen.add(key)
                out.append(UnknownError(line=block[0].no, text=first[:300], exception=exc[:300] if exc else None))
        block.clear()

    in_tb = False
    for ln in lines:
        is_err = ln.level in ("ERROR", "CRITICAL") or bool(_ERRORISH.search(ln.text)) \
            or bool(_EXC_LINE.match(ln.text)) or (in_tb and ln.level is None)
        if ln.text.startswith("Traceback (most recent call last)"):
            in_tb = True
        elif ln.level is not None and ln.level not in ("ERROR", "CRITICAL"):
            in_tb = False
        same_proc = not block or (block[-1].proc, block[-1].pid) == (ln.proc, ln.pid)
        if is_err and same_proc:
            block.append(ln)
        else:
            flush()
            if is_err:
                block.append(ln)
            if _EXC_LINE.match(ln.text):
                in_tb = False
        if _EXC_LINE.match(ln.text) and ln.level is None:
            in_tb = False
    flush()
    return out
