"""Which engine wrote this log: count each engine's tell-tale strings; the most hits wins.

Ollama logs embed llama.cpp runner lines, so an Ollama marker beats llama.cpp's. A log with no
marker at all (one pasted exception line) has engine None; the rules still run on it.
"""
from __future__ import annotations

from llmdoctor.logparse.records import LogLine


def detect_engine(lines: list[LogLine]) -> str | None:
    from llmdoctor.engines import engines
    table = engines()
    hits = {e.name: 0 for e in table}
    for ln in lines:
        for e in table:
            if e.log_marker.search(ln.text) or (e.log_process_prefix and ln.proc and ln.pid is not None):
                hits[e.name] += 1
    for e in table:
        if e.log_embeds and hits[e.name]:
            return e.name
    best = max(hits, key=lambda k: hits[k])
    return best if hits[best] else None
