"""The one rule evaluator: fact rules over the facts document (findings), and, through
logs/explain.py, log rules over a log's document (events). Rules are compiled once (rules.py)."""
from __future__ import annotations

import copy
import functools
import logging
import math
from dataclasses import dataclass, field
from typing import Any, Optional

from llmdoctor.diagnose.cel_budget import map_bounded, over_budget_reason
from llmdoctor.diagnose.config import DiagnoseConfig
from llmdoctor.diagnose.derived import compute, flags_of, launch_env, to_dict
from llmdoctor.diagnose.functions import NullInput, bound_functions
from llmdoctor.diagnose.rules import Rule, load_rules, split_template
from llmdoctor.diagnose.schema import split_path

SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


class _QuietNullInput(logging.Filter):
    """The cel package logs a WARNING for every Python helper that raises; a null input is the
    normal "rule does not apply" case, not something to print."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return "NullInput" not in message and "llmdoctor allows" not in message


logging.getLogger("cel").addFilter(_QuietNullInput())


@dataclass
class Finding:
    code: str
    severity: str
    title: str
    message: str
    fix: str
    evidence: dict[str, Any] = field(default_factory=dict)    # fact path -> value the rule read
    references: list[str] = field(default_factory=list)
    doc: dict[str, str] = field(default_factory=dict)          # what, why, fix, exceptions
    blocks: Optional[str] = None       # "command-line" | "start" | "serving": the engine will not run
    clients: list[str] = field(default_factory=list)           # who it breaks while the server runs


@dataclass
class Outcome:
    """What happened to one rule on one document (tests and --explain use it)."""
    code: str
    status: str                    # "fired" | "passed" | "unknown" (inputs null) | "error" | "ignored"
    reason: Optional[str] = None
    finding: Optional[Finding] = None


class _Env:
    """The evaluation context: the document + derived facts + helper functions, built once."""

    def __init__(self, document: dict, model: Any = None, derived_overrides: Optional[dict] = None):
        from llmdoctor.diagnose.cel_runtime import load
        cel, stdlib = load()
        doc = dict(document)
        text = getattr(getattr(model, "chat_template", None), "text", None) if model is not None else None
        derived = to_dict(compute(doc, template_text=text))
        for k, v in (derived_overrides or {}).items():
            _set_path(derived, split_path(k), v)
        doc["derived"] = derived
        self.doc = doc
        self.flags = flags_of(doc)
        self.env = launch_env(doc)
        ctx = cel.Context(variables={k: _cel_safe(v) for k, v in doc.items() if k != "findings"},
                          functions=bound_functions(self.flags, self.env))
        stdlib.add_stdlib_to_context(ctx)
        self.ctx = ctx

    def value(self, path: str) -> tuple[bool, Any]:
        """(known, value) for a fact path; '[]' collects over list elements."""
        if path.startswith("env."):
            v = self.env.get(path[4:])
            return v is not None, v
        vals = _collect(self.doc, split_path(path))
        if isinstance(vals, _Missing):
            return False, None
        return True, vals


class _Missing:
    pass


_MISSING = _Missing()


INT64 = 2 ** 63


def _cel_safe(v: Any) -> Any:
    """The facts as CEL can hold them: an integer outside int64 (a context length of 10^200 typed on a
    command line) cannot be converted and would fail every rule; it reads as unknown (null) instead."""
    if isinstance(v, bool):
        return v
    if isinstance(v, int):
        return v if -INT64 <= v < INT64 else None
    if isinstance(v, dict):
        return {k: _cel_safe(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_cel_safe(x) for x in v]
    return v


def _collect(node: Any, segs: list[str]) -> Any:
    for i, seg in enumerate(segs):
        if seg == "[]":
            if not isinstance(node, list):
                return _MISSING
            out = []
            for item in node:
                v = _collect(item, segs[i + 1:])
                if not isinstance(v, _Missing):
                    out.append(v)
            return out
        if not isinstance(node, dict) or seg not in node or node[seg] is None:
            return _MISSING
        node = node[seg]
    return node


def _set_path(node: dict, segs: list[str], value: Any) -> None:
    for seg in segs[:-1]:
        node = node.setdefault(seg, {})
    node[segs[-1]] = value


def _null_inputs(rule: Rule, env: _Env) -> list[str]:
    return [p for p in rule.reads if not env.value(p)[0] or _has_null(env.value(p)[1])]


def _has_null(v: Any) -> bool:
    return isinstance(v, list) and any(x is None for x in v)


def format_value(v: Any) -> str:
    if v is None:
        return "unknown"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            return str(v)
        a = abs(v)
        if a >= 100:
            return f"{v:.0f}"
        s = f"{v:.1f}" if a >= 10 else f"{v:.2f}"
        s = s.rstrip("0")
        return s + "0" if s.endswith(".") else s
    if isinstance(v, (list, tuple)):
        return ", ".join(format_value(x) for x in v)
    if isinstance(v, dict):
        return ", ".join(f"{k}={format_value(x)}" for k, x in v.items())
    return str(v)


def _log_value(v: Any) -> str:
    return f"{v:.2f}" if isinstance(v, float) else str(v)


# What a CEL program raises over facts that are missing, null or of the wrong type; anything else is our bug.
CEL_ERRORS = (TypeError, KeyError, NullInput, RuntimeError, ValueError)


def render_text(rule: Rule, text: str, ctx: Any) -> str:
    """A message with its {CEL} placeholders filled in. A placeholder over an unknown fact prints
    "unknown" in a finding and "?" in a log event (whose figures print with two decimals)."""
    fmt, missing = (_log_value, "?") if rule.log is not None else (format_value, "unknown")
    out = []
    for kind, src, _ in split_template(text):
        if kind == "lit":
            out.append(src)
            continue
        prog = rule.placeholders.get(src)
        try:
            out.append(fmt(prog.execute(ctx)) if prog is not None else "?")
        except CEL_ERRORS:
            out.append(missing)
    return "".join(out)


def _evidence(rule: Rule, env: _Env) -> dict[str, Any]:
    ev = {}
    for p in rule.reads:
        known, v = env.value(p)
        if isinstance(v, dict) or (isinstance(v, list) and any(isinstance(x, (dict, list)) for x in v)):
            continue
        ev[p] = v if known else None
    return ev


def evaluate(rule: Rule, env: _Env, severity: Optional[str] = None) -> Outcome:
    if rule.kind != "condition":
        return Outcome(rule.code, "passed")
    try:
        result = rule.program.execute(env.ctx)
    except CEL_ERRORS as exc:
        nulls = _null_inputs(rule, env)
        if nulls:
            return Outcome(rule.code, "unknown", f"inputs not known: {', '.join(nulls)}")
        return Outcome(rule.code, "error", f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
    if result is not True:
        if result is not False:
            return Outcome(rule.code, "error", f"condition returned {type(result).__name__}, not a bool")
        return Outcome(rule.code, "passed")
    finding = Finding(code=rule.code, severity=severity or rule.severity, title=render_text(rule, rule.title, env.ctx),
                      message=render_text(rule, rule.message, env.ctx), fix=render_text(rule, rule.fix, env.ctx),
                      evidence=_evidence(rule, env), references=list(rule.references), doc=dict(rule.doc),
                      blocks=rule.blocks, clients=list(rule.clients))
    return Outcome(rule.code, "fired", finding=finding)


def is_shipped(rule: Rule) -> bool:
    return str(rule.path.parent) == _shipped_dir()


@functools.lru_cache(maxsize=1)
def _shipped_dir() -> str:
    """The shipped rules' directory as load_rules names it (compared as text: resolving every rule's
    path on every run cost 28 ms a check)."""
    from llmdoctor.resources import rules_dir
    return str(rules_dir())


def run_rules(document: dict, config: Optional[DiagnoseConfig] = None, *, model: Any = None,
              rules: Optional[list[Rule]] = None, derived_out: Optional[dict] = None) -> list[Finding]:
    """Evaluate every rule on the facts document; findings sorted by severity, then code.

    `model` (a checkpoint.spec.ModelInfo) is optional: it carries the chat template text the JSON
    document leaves out. A rule that fails to evaluate is reported as LD001, never raised.
    `derived_out`, when given, receives the derived facts the rules read (for the JSON document).
    """
    outcomes = run_rules_detailed(document, config, model=model, rules=rules, derived_out=derived_out)
    return [o.finding for o in outcomes if o.finding]


def run_rules_detailed(document: dict, config: Optional[DiagnoseConfig] = None, *, model: Any = None,
                       rules: Optional[list[Rule]] = None, derived_overrides: Optional[dict] = None,
                       derived_out: Optional[dict] = None) -> list[Outcome]:
    config = config or DiagnoseConfig()
    if rules is None:
        rules = load_rules(config.rule_dirs)
    env = _Env(document, model, derived_overrides)
    if derived_out is not None:
        derived_out.update(env.doc["derived"])
    by_code = {r.code: r for r in rules}
    outcomes = []
    users = []
    for rule in rules:
        if rule.code in config.ignore:
            outcomes.append(Outcome(rule.code, "ignored"))
        elif is_shipped(rule):
            outcomes.append(evaluate(rule, env, config.severity.get(rule.code)))
        else:
            users.append(rule)
    # the user's own rule files: each condition under a time and memory budget (cel_budget.py)
    outcomes += map_bounded(lambda r: evaluate(r, env, config.severity.get(r.code)), users,
                            lambda r: Outcome(r.code, "error", over_budget_reason()))
    errors = [o for o in outcomes if o.status == "error"]
    if errors and "LD001" in by_code and "LD001" not in config.ignore:
        meta = by_code["LD001"]
        for o in errors:
            outcomes.append(Outcome("LD001", "fired", finding=Finding(
                code="LD001", severity=config.severity.get("LD001", meta.severity), title=meta.title,
                message=f"Rule {o.code} could not be evaluated on these facts ({o.reason}); it was skipped.",
                fix=meta.fix, evidence={"rule": o.code}, references=list(meta.references), doc=dict(meta.doc))))
    outcomes.sort(key=lambda o: (SEVERITY_ORDER.get(o.finding.severity, 9) if o.finding else 9, o.code))
    return outcomes


def document_with_derived(document: dict, model: Any = None) -> dict:
    """The document as the rules see it (for `--explain`-style debugging and tests)."""
    return copy.deepcopy(_Env(document, model).doc)
