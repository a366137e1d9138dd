"""Log rules (family LD8xx): the rule engine's TOML format plus a `[log]` table of line patterns.

They live in `rules/logs/`, beside the fact rules, because the fact-rule loader reads only the
top level and refuses LD8xx codes (their conditions read the `log` document, not the facts
document). Everything else is the shared format: code, name, severity, title, a CEL `condition`,
`message`/`fix` with `{CEL}` placeholders (helpers gib(), mib() ...), references, doc sections and
examples. The condition sees one root, `log`:

    log.engine, log.version, log.args, log.facts   what the extractor read
    log.count, log.lines, log.text, log.groups      this rule's pattern hits (count 0 when none)
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from llmdoctor.errors import UsageError

try:
    import tomllib
except ModuleNotFoundError:      # Python 3.10
    import tomli as tomllib

SEVERITIES = ("error", "warning", "info")
FILE_RE = re.compile(r"^(LD8\d\d)-([a-z0-9]+(?:-[a-z0-9]+)*)\.toml$")
DOC_SECTIONS = ("what", "why", "fix", "exceptions")
MAX_RULE_FILE = 256 * 1024


class LogRuleError(UsageError):
    pass


@dataclass
class LogRule:
    code: str
    name: str
    severity: str
    title: str
    condition: str
    message: str
    fix: str
    references: list[str]
    doc: dict[str, str]
    confidence: str
    patterns: list[re.Pattern]
    engines: list[str]
    harmless: bool
    line_of: Optional[str]            # a fact whose line number the event points at (condition-only rules)
    examples: list[dict]
    path: Path
    program: Any = None
    placeholders: dict[str, Any] = field(default_factory=dict)


def log_rules_dir() -> Path:
    from llmdoctor.resources import rules_dir
    return rules_dir() / "logs"


def load_log_rule(path: Path) -> LogRule:
    import cel
    from llmdoctor.diagnose.rules import split_template
    path = Path(path)
    if path.stat().st_size > MAX_RULE_FILE:
        raise LogRuleError(f"{path}: rule file is larger than {MAX_RULE_FILE} bytes")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise LogRuleError(f"{path}: not valid TOML: {exc}") from None
    m = FILE_RE.match(path.name)
    code, name = str(data.get("code", "")), str(data.get("name", ""))
    problems = []
    if not m or m.group(1) != code or m.group(2) != name:
        problems.append(f"file name must be {code or 'LD8nn'}-{name or 'short-name'}.toml and match code and name")
    for key in ("code", "name", "severity", "title", "condition", "message", "fix", "references", "doc", "confidence"):
        if key not in data:
            problems.append(f"missing key {key!r}")
    if data.get("severity") not in SEVERITIES:
        problems.append(f"severity must be one of {', '.join(SEVERITIES)}")
    if data.get("confidence") not in ("sourced", "partial", "seed"):
        problems.append("confidence must be sourced, partial or seed")
    doc = data.get("doc") if isinstance(data.get("doc"), dict) else {}
    problems += [f"doc.{s} is missing or empty" for s in DOC_SECTIONS if not str(doc.get(s, "")).strip()]
    log = data.get("log") if isinstance(data.get("log"), dict) else {}
    patterns = []
    for p in log.get("patterns", []):
        try:
            patterns.append(re.compile(p))
        except re.error as exc:
            problems.append(f"log.patterns: {p!r} is not a regex: {exc}")
    examples = data.get("examples", []) or []
    if not any(e.get("expect") == "fire" for e in examples) or not any(e.get("expect") == "pass" for e in examples):
        problems.append("needs at least one example that fires and one that passes")
    program, placeholders = None, {}
    try:
        program = cel.compile(str(data.get("condition", "false")))
        for key in ("message", "fix", "title"):
            for kind, src, _ in split_template(str(data.get(key, ""))):
                if kind == "expr":
                    placeholders[src] = cel.compile(src)
    except Exception as exc:          # cel reports syntax errors as ValueError with a position
        problems.append(f"does not compile: {str(exc).splitlines()[0]}")
    if problems:
        raise LogRuleError(f"{path}: " + "; ".join(problems))
    return LogRule(code=code, name=name, severity=data["severity"], title=data["title"],
                   condition=data["condition"], message=data["message"], fix=data["fix"],
                   references=list(data["references"]), doc={k: str(v).strip() for k, v in doc.items()},
                   confidence=data["confidence"], patterns=patterns, engines=list(log.get("engines", [])),
                   harmless=bool(log.get("harmless", False)), line_of=log.get("line_of"),
                   examples=examples, path=path, program=program, placeholders=placeholders)


def load_log_rules(directory: Path | None = None) -> list[LogRule]:
    directory = Path(directory) if directory else log_rules_dir()
    if not directory.is_dir():
        raise LogRuleError(f"{directory}: log rules directory not found")
    rules = [load_log_rule(p) for p in sorted(directory.glob("LD8*.toml"))]
    seen: dict[str, Path] = {}
    for r in rules:
        if r.code in seen:
            raise LogRuleError(f"{r.path}: code {r.code} is already used by {seen[r.code]}")
        seen[r.code] = r.path
    return rules
