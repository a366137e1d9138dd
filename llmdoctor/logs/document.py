"""The `logs` section of the JSON document, built from a LogReport (bytes and counts as ints)."""
from __future__ import annotations

import dataclasses

from llmdoctor.logparse.records import LogReport


def logs_section(report: LogReport) -> dict:
    return {
        "source": report.source,
        "engine": report.engine,
        "version": report.version,
        "model": report.model,
        "lines_read": report.lines_read,
        "truncated": report.truncated,
        "args": _jsonable(report.args),
        "facts": _jsonable(report.facts),
        "fact_lines": report.fact_lines,
        "derived": list(report.derived),
        "events": [dataclasses.asdict(e) for e in report.events],
        "unknown_errors": [dataclasses.asdict(u) for u in report.unknown_errors],
        "reconcile": [dataclasses.asdict(r) for r in report.reconcile],
        "reconcile_note": report.reconcile_note,
    }


def logs_document(report: LogReport) -> dict:
    from llmdoctor import __version__
    return {"schema_version": 1, "tool": {"name": "llmdoctor", "version": __version__}, "logs": logs_section(report)}


def _jsonable(value):
    """Echoed engine arguments can hold tuples, sets or odd reprs; JSON gets lists and strings."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and value != value:      # NaN is not JSON
        return None
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return repr(value)
