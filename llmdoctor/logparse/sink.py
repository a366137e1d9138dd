"""Collects facts while an extractor walks the lines; decides which occurrence wins."""
from __future__ import annotations

import re
from typing import Any, Optional

from llmdoctor.logparse.records import Fact, LogLine


class FactSink:
    def __init__(self) -> None:
        self.facts: dict[str, Fact] = {}
        self.per_device: dict[str, dict[str, Fact]] = {}
        self.args: dict[str, Any] = {}
        self.derived: list[str] = []
        self.version: Optional[str] = None
        self.model: Optional[str] = None
        self.rank_of = lambda line: "0"         # an extractor installs its own rank labeller

    def put(self, name: str, value: Any, line: LogLine | int, keep: str = "first") -> None:
        """keep: first | last | min | max — which occurrence of a repeated line is the fact."""
        if not _usable(value):
            return
        no = line if isinstance(line, int) else line.no
        old = self.facts.get(name)
        if old is None or keep == "last" \
                or (keep == "min" and value < old.value) or (keep == "max" and value > old.value):
            self.facts[name] = Fact(name, value, no)

    def put_keyed(self, text: str, fields: tuple, value_pattern: str, convert, line: LogLine | int) -> None:
        """Facts from a `key=value, key=value` summary line: fields are (key in the log, fact name)."""
        for key, name in fields:
            m = re.search(rf"\b{key}=({value_pattern})", text)
            if m:
                self.put(name, convert(m.group(1)), line)

    def put_device(self, name: str, device: str, value: Any, line: LogLine | int, keep: str = "first") -> None:
        if not _usable(value):
            return
        no = line if isinstance(line, int) else line.no
        table = self.per_device.setdefault(name, {})
        if device not in table or keep == "last":
            table[device] = Fact(name, value, no, device)

    def has(self, name: str) -> bool:
        return name in self.facts or name in self.per_device

    def get(self, name: str, default: Any = None) -> Any:
        f = self.facts.get(name)
        return default if f is None else f.value

    def set_version(self, v: str) -> None:
        if v and not self.version:
            self.version = v

    def set_model(self, m: str) -> None:
        if m and not self.model:
            self.model = m.strip().rstrip(".")

    def flat(self) -> tuple[dict[str, Any], dict[str, int]]:
        """facts as name -> value (per-device figures as {device: value}), and name -> line."""
        values: dict[str, Any] = {}
        lines: dict[str, int] = {}
        for name, f in self.facts.items():
            values[name] = f.value
            lines[name] = f.line
        for name, table in self.per_device.items():
            values[name] = {dev: f.value for dev, f in table.items()}
            lines[name] = min(f.line for f in table.values())
        return values, lines


def for_each_line(lines, handle) -> None:
    """Run a line handler over the log; a malformed number on one line (an edited or corrupted log)
    is not a fact, and the other lines are still read."""
    for ln in lines:
        try:
            handle(ln)
        except (ValueError, OverflowError, ArithmeticError):
            continue


def _usable(value: Any) -> bool:
    """A figure a log line can state: a finite number in range (an edited log can say 'inf GiB' or print
    4,000 digits; JSON and the rules' CEL values cannot carry those)."""
    import math
    if isinstance(value, bool) or value is None:
        return True
    if isinstance(value, int):
        return -(2 ** 63) <= value < 2 ** 63
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, (list, tuple)):
        return all(_usable(v) for v in value)
    return True
