"""Checked rules kept on disk between runs, so a `check` does not parse and check 94 TOML files again.

What is kept is what the checks produced (fields, the fact paths a condition reads, problems); the
CEL programs are compiled again on load (5 ms for all rules). The key covers every input of the
checks: llmdoctor's version and the size and mtime of each of its modules (the schema is its records),
and the name, size and mtime of each rule file. A stale or unreadable entry is a miss, never an error.
LLMDOCTOR_NO_CACHE=1 turns it off; the cache lives in $XDG_CACHE_HOME/llmdoctor (~/.cache/llmdoctor).
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Optional

from llmdoctor.errors import InputError

MAX_CACHE_FILE = 8 << 20


def cache_dir() -> Optional[Path]:
    if os.environ.get("LLMDOCTOR_NO_CACHE"):
        return None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "llmdoctor"


@lru_cache(maxsize=1)
def _code_fingerprint() -> str:
    import llmdoctor
    root = Path(llmdoctor.__file__).parent
    h = hashlib.sha256(llmdoctor.__version__.encode())
    for p in sorted(root.rglob("*.py")):
        st = p.stat()
        h.update(f"{p.relative_to(root)}:{st.st_size}:{st.st_mtime_ns};".encode())
    return h.hexdigest()


def key(directory: Path, scope: str, files: list[Path]) -> str:
    h = hashlib.sha256(f"{_code_fingerprint()}|{scope}|{directory.resolve()}".encode())
    for p in files:
        st = p.stat()
        h.update(f"{p.name}:{st.st_size}:{st.st_mtime_ns};".encode())
    return h.hexdigest()[:32]


def load(cache_key: str):
    """(rules, problems) from the cache, or None."""
    from llmdoctor.diagnose.rules import Example, LogMatch, Problem, Rule, compile_programs
    d = cache_dir()
    if d is None:
        return None
    path = d / f"rules-{cache_key}.json"
    try:
        if not path.is_file():
            return None
        from llmdoctor.safe_io import read_regular
        data = json.loads(read_regular(str(path), MAX_CACHE_FILE, "cache file").decode("utf-8"))
        rules = []
        for r in data["rules"]:
            log = r.pop("log")
            r["examples"] = [Example(**e) for e in r["examples"]]
            r["path"] = Path(r["path"])
            if log is not None:
                log["patterns"] = [re.compile(p) for p in log["patterns"]]
                log = LogMatch(**log)
            rule = Rule(**r, log=log)
            compile_programs(rule)
            rules.append(rule)
        problems = [Problem(Path(p), line, col, msg) for p, line, col, msg in data["problems"]]
        return rules, problems
    except (OSError, ValueError, KeyError, TypeError, re.error, InputError, RecursionError):   # a damaged entry is a miss
        return None


def store(cache_key: str, rules: list, problems: list) -> None:
    d = cache_dir()
    if d is None:
        return
    out = []
    for rule in rules:
        r = {f.name: getattr(rule, f.name) for f in dataclasses.fields(rule)
             if f.name not in ("program", "placeholders", "log", "examples", "path")}
        r["path"] = str(rule.path)
        r["examples"] = [dataclasses.asdict(e) for e in rule.examples]
        r["log"] = None if rule.log is None else {**dataclasses.asdict(rule.log),
                                                  "patterns": [p.pattern for p in rule.log.patterns]}
        out.append(r)
    data = {"rules": out, "problems": [[str(p.path), p.line, p.col, p.message] for p in problems]}
    try:
        d.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=d, prefix=".rules-")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh)
        os.replace(tmp, d / f"rules-{cache_key}.json")
    except (OSError, TypeError, ValueError):    # a read-only home or odd values: run without the cache
        return
