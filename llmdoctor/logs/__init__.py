"""The log doctor: read an engine's log, extract facts, explain known messages, reconcile with a plan.

    report = analyze_text(text, source="run.log")      # LogReport (records.py)

Heavy work (cel, planner) is imported only when used.
"""
from __future__ import annotations

from typing import Optional

from llmdoctor.logparse.clean import clean_lines
from llmdoctor.logs.detect import detect_engine
from llmdoctor.logparse.records import LogReport
from llmdoctor.logparse.sink import FactSink



def analyze_text(text: str, source: str = "-", engine: Optional[str] = None, truncated: bool = False,
                 rules=None) -> LogReport:
    lines = clean_lines(text)
    engine = engine or detect_engine(lines)
    sink = FactSink()
    if engine:
        from llmdoctor import engines
        engines.get(engine).extract_log(lines, sink)
    facts, fact_lines = sink.flat()
    report = LogReport(source=source, engine=engine, version=sink.version, model=sink.model, args=_plain(sink.args),
                       facts=facts, fact_lines=fact_lines, events=[], unknown_errors=[],
                       lines_read=len(lines), truncated=truncated, derived=sink.derived)
    from llmdoctor.logs.explain import run_rules, unknown_errors
    from llmdoctor.diagnose.rules import load_log_rules
    rules = load_log_rules() if rules is None else rules
    doc = {"engine": engine, "version": sink.version, "model": sink.model, "args": _plain(sink.args),
           "facts": _plain(facts), "fact_lines": fact_lines}
    report.events = run_rules(rules, lines, doc)
    report.unknown_errors = unknown_errors(lines, report.events)
    return report


def analyze_file(path: str, engine: Optional[str] = None) -> LogReport:
    from llmdoctor.logs.reader import decode_log, read_log_bytes
    data, truncated = read_log_bytes(path)
    text = decode_log(data, "<stdin>" if path == "-" else path)
    return analyze_text(text, source=path, engine=engine, truncated=truncated)


def _plain(value):
    """CEL takes JSON-like values only: args can hold tuples or other reprs."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):               # CEL and JSON take 64-bit integers
        return value if -(2 ** 63) <= value < 2 ** 63 else str(value)
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else str(value)
    return str(value)
