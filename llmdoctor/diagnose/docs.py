"""Generated documentation: docs/rules/LDnnn.md for each rule and docs/rules/README.md (the index,
the derived facts and the rule-file format). Regenerate with `python -m llmdoctor.diagnose.docs`;
tests/diagnose/test_docs.py fails when the pages are stale."""
from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

from llmdoctor.diagnose.rules import FAMILIES, Rule, load_rules

SECTION_TITLES = {"what": "What", "why": "Why", "fix": "Fix", "exceptions": "Exceptions"}


def _ref_md(ref: str) -> str:
    return f"<{ref}>" if ref.startswith("http") else ref


def rule_markdown(rule: Rule) -> str:
    lines = [f"# {rule.code} {rule.name}", "",
             f"**{rule.title}**", "",
             f"- Severity: `{rule.severity}`",
             f"- Family: {rule.family}xx, {FAMILIES.get(rule.family, '?')}",
             f"- Confidence: {rule.confidence}" + (f" (pitfalls.md {rule.pitfall})" if rule.pitfall else ""),
             f"- Source: `rules/{rule.path.name}`", ""]
    for key, title in SECTION_TITLES.items():
        lines += [f"## {title}", "", rule.doc.get(key, ""), ""]
    if rule.kind == "condition":
        lines += ["## Condition", "", "```cel", rule.condition.strip(), "```", "",
                  "Facts read: " + ", ".join(f"`{p}`" for p in rule.reads), ""]
    lines += ["## Message", "", "```", rule.message.strip(), "```", "", "## Suggested fix", "", rule.fix.strip(), ""]
    lines += ["## References", ""] + [f"- {_ref_md(r)}" for r in rule.references] + [""]
    if rule.examples:
        lines += ["## Examples (run as tests)", ""]
        for ex in rule.examples:
            where = ", ".join(x for x in (f"machine `{ex.machine}`" if ex.machine else "",
                                          f"model `{ex.model}`" if ex.model else "",
                                          f"template `{ex.template_file}`" if ex.template_file else "") if x)
            lines.append(f"- **{ex.expect}**: {ex.name}" + (f" ({where})" if where else ""))
        lines.append("")
    return "\n".join(lines)


def log_rule_markdown(rule) -> str:
    """A log rule's page (rules/logs/LD8nn-*.toml: line patterns instead of facts)."""
    lines = [f"# {rule.code} {rule.name}", "", f"**{rule.title}**", "",
             f"- Severity: `{rule.severity}`" + (" (harmless message)" if rule.harmless else ""),
             "- Family: 8xx, engine logs (`llmdoctor logs FILE`)",
             f"- Confidence: {rule.confidence}", f"- Source: `rules/logs/{rule.path.name}`", ""]
    for key, title in SECTION_TITLES.items():
        lines += [f"## {title}", "", rule.doc.get(key, ""), ""]
    if rule.log.patterns:
        lines += ["## Log lines it matches", ""] + [f"- `{p.pattern}`" for p in rule.log.patterns] + [""]
    lines += ["## Condition", "", "```cel", rule.condition.strip(), "```", "",
              "## Message", "", "```", rule.message.strip(), "```", "", "## Suggested fix", "", rule.fix.strip(), ""]
    lines += ["## References", ""] + [f"- {_ref_md(r)}" for r in rule.references] + [""]
    return "\n".join(lines)


def _log_rules() -> list:
    from llmdoctor.diagnose.rules import load_log_rules
    return load_log_rules()


def index_markdown(rules: list[Rule]) -> str:
    from llmdoctor.diagnose.derived import Derived
    from llmdoctor.diagnose.functions import __doc__ as fdoc
    lines = ["# llmdoctor rules", "",
             "Generated from `rules/*.toml` by `python -m llmdoctor.diagnose.docs`; do not edit by hand.", "",
             f"{len(rules)} fact rules and {len(_log_rules())} log rules (8xx). Each fact rule reads the facts document (`llmdoctor check --json`: `machine`, `model`, "
             "`plan`, `command`) plus the `derived` facts below, with a CEL condition.", ""]
    for fam, title in FAMILIES.items():
        fr = _log_rules() if fam == "8" else [r for r in rules if r.family == fam]
        if not fr:
            continue
        lines += [f"## {fam}xx: {title}", "", "| code | severity | name | title |", "|---|---|---|---|"]
        for r in fr:
            lines.append(f"| [{r.code}]({r.code}.md) | {r.severity} | {r.name} | {r.title.replace('|', '/')} |")
        lines.append("")
    lines += ["## Derived facts", "",
              "Computed by `llmdoctor/diagnose/derived.py` from the document (never probed again). "
              "A rule whose inputs are null does not fire.", "", "| fact | meaning |", "|---|---|"]
    src = Path(sys.modules[Derived.__module__].__file__).read_text(encoding="utf-8")
    for cls in _dataclasses(Derived):
        for f in dataclasses.fields(cls):
            prefix = "derived." + (_paths[cls] + "." if _paths.get(cls) else "")
            lines.append(f"| `{prefix}{f.name}` | {_comment(src, cls.__name__, f.name)} |")
    lines += ["", "## Helper functions", "", "```", (fdoc or "").strip(), "```", "",
              "CEL's own functions (`size`, `contains`, `startsWith`, `matches`, `exists`, `all`, `filter`, "
              "`map`, `has`) and the cel stdlib extras (`lowerAscii`, `min`, `max`, ...) are available. CEL does "
              "not mix int and double in arithmetic: write `double(x) * 0.9`.", "",
              "## Rule file format", "",
              "One rule per file, `rules/LDnnn-short-name.toml`: `code`, `name`, `severity` (error, warning, info), "
              "`confidence` (sourced, partial, seed), `pitfall`, `title`, `condition` (CEL), `message` and `fix` "
              "(text with `{cel expression}` placeholders; `{{`/`}}` for literal braces), `references`, "
              "`[doc]` with `what`, `why`, `fix`, `exceptions`, and `[[examples]]` (`expect = \"fire\"|\"pass\"`, "
              "`machine`, `model`, `facts = { \"path\" = value }` set over the recorded machine and model). "
              "`llmdoctor rules --check DIR` reports problems as `file:line:col`. Add directories with `--rules DIR` "
              "or `[tool.llmdoctor] rules = [...]`; change severities with `--severity LD201=warning` or "
              "`[tool.llmdoctor] severity = { LD201 = \"warning\" }`; drop codes with `--ignore LD305` or "
              "`ignore = [...]` (also in `llmdoctor.toml`).", ""]
    return "\n".join(lines)


_paths: dict = {}


def _dataclasses(root) -> list:
    import typing
    out, queue = [], [(root, "")]
    while queue:
        cls, path = queue.pop(0)
        _paths[cls] = path
        out.append(cls)
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            h = hints[f.name]
            if dataclasses.is_dataclass(h):
                queue.append((h, (path + "." if path else "") + f.name))
    return out


def _comment(src: str, cls_name: str, field: str) -> str:
    start = src.find(f"class {cls_name}")
    seg = src[start:]
    for line in seg.splitlines()[1:]:
        s = line.strip()
        if s.startswith(f"{field}:"):
            return s.split("#", 1)[1].strip().replace("|", "/") if "#" in s else ""
        if s.startswith("class ") or s.startswith("def "):
            break
    return ""


def expected_docs(rules: list[Rule] | None = None) -> dict[str, str]:
    rules = rules if rules is not None else load_rules()
    out = {"README.md": index_markdown(rules)}
    for r in rules:
        out[f"{r.code}.md"] = rule_markdown(r)
    for r in _log_rules():
        out[f"{r.code}.md"] = log_rule_markdown(r)
    return out


def explain_text(rule: Rule) -> str:
    lines = [f"{rule.code} {rule.name} [{rule.severity}]", rule.title, ""]
    for key, title in SECTION_TITLES.items():
        lines += [f"{title}:", "  " + rule.doc.get(key, ""), ""]
    if getattr(rule, "kind", "condition") == "condition":
        lines += ["Condition:"] + ["  " + ln for ln in rule.condition.strip().splitlines()] + [""]
    lines += ["References:"] + [f"  {r}" for r in rule.references]
    return "\n".join(lines)


def write_docs(out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    expected = expected_docs()
    for name, text in expected.items():
        p = out_dir / name
        if not p.exists() or p.read_text(encoding="utf-8") != text:
            p.write_text(text, encoding="utf-8")
            written.append(p)
    for stale in out_dir.glob("LD*.md"):
        if stale.name not in expected:
            stale.unlink()
            written.append(stale)
    return written


if __name__ == "__main__":
    root = Path(__file__).resolve().parents[2]
    for p in write_docs(root / "docs" / "rules"):
        print(p)


def budget_problems(rules) -> list[str]:
    """Each rule's condition on each of its examples' facts (set on an empty document), under the CEL
    budget that `check` applies to the user's rules: a condition over it is a problem of its file."""
    from llmdoctor.diagnose.cel_budget import map_bounded, over_budget_reason
    from llmdoctor.diagnose.engine import _Env, evaluate
    from llmdoctor.diagnose.schema import set_fact, skeleton_document

    def env_for(example):
        doc = skeleton_document()
        for path, value in (example.facts if example else {}).items():
            if not path.startswith("derived."):
                try:
                    set_fact(doc, path, value)
                except (KeyError, IndexError, TypeError, ValueError):
                    pass                            # a path the empty document cannot hold: left unset
        return _Env(doc)
    pairs = [(rule, ex) for rule in rules if rule.kind == "condition" for ex in [None] + list(rule.examples)]
    over = object()
    results = map_bounded(lambda pair: evaluate(pair[0], env_for(pair[1])).status, pairs, lambda _: over)
    out = []
    for (rule, ex), result in zip(pairs, results):
        if result is over:
            which = "on empty facts" if ex is None else f"on example '{ex.name}'"
            out.append(f"{rule.path}: condition {which}: {over_budget_reason()}")
    return out


def rules_listing(extra_dirs=(), as_json: bool = False, check: bool = False) -> tuple[str, int]:
    """(text, exit code) for `llmdoctor rules`. With check: every problem as file:line:col, exit 2."""
    import json

    from llmdoctor.resources import rules_dir
    from llmdoctor.diagnose.rules import load_rules_dir
    if check:
        problems = []
        for d in [rules_dir()] + [Path(x) for x in extra_dirs]:
            if not Path(d).is_dir():
                problems.append(f"{d}: rules directory not found")
                continue
            rules, found = load_rules_dir(Path(d))
            problems += [str(p) for p in found] + budget_problems(rules)
        return ("\n".join(problems) if problems else "all rules compile and read only known facts"), (2 if problems else 0)
    rules = load_rules(list(extra_dirs)) + _log_rules()
    if as_json:
        data = [{"code": r.code, "severity": r.severity, "name": r.name, "title": r.title,
                 "confidence": r.confidence, "references": r.references, "file": str(r.path)} for r in rules]
        return json.dumps({"schema_version": 1, "rules": data}, indent=1), 0
    width = max((len(r.name) for r in rules), default=4)
    lines = [f"{r.code}  {r.severity:<7}  {r.name:<{width}}  {r.title}" for r in rules]
    return "\n".join(lines), 0


def explain(code: str, extra_dirs=(), as_json: bool = False) -> tuple[str, int]:
    import json
    code = code.strip().upper()
    rule = next((r for r in load_rules(list(extra_dirs)) + _log_rules() if r.code == code), None)
    if rule is None:
        return f"llmdoctor: error: no rule {code} (llmdoctor rules lists them)", 2
    if as_json:
        return json.dumps({"schema_version": 1, "code": rule.code, "name": rule.name, "severity": rule.severity,
                           "title": rule.title, "doc": rule.doc, "condition": rule.condition.strip(),
                           "references": rule.references, "confidence": rule.confidence}, indent=1), 0
    return explain_text(rule), 0
