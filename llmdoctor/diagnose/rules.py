"""Rule files, fact rules and log rules alike: loading, checking (CEL compiles; every fact it reads
exists in the schema), positions, and a per-process cache of compiled rules.

One rule per file, `LDnnn-short-name.toml`. Fact rules (`rules/*.toml`) read the facts document;
log rules (`rules/logs/LD8nn-*.toml`, scope "log") add a `[log]` table of line patterns and read one
root, `log`:

    log.engine, log.version, log.args, log.facts   what the extractor read
    log.count, log.lines, log.text, log.groups      this rule's pattern hits (count 0 when none)

Problems are reported as `file:line:col: message`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from llmdoctor.errors import UsageError
from llmdoctor.diagnose.refs import LexError, line_col, macro_depth, references
from llmdoctor.diagnose.schema import ROOTS, resolve

try:
    import tomllib
except ModuleNotFoundError:      # Python 3.10
    import tomli as tomllib

SEVERITIES = ("error", "warning", "info")
# When a rule that fires means the engine will not run, in the order the engine meets them: its
# command line (parser and config validation), start-up (GPU, driver, weights), serving one request.
BLOCKS = ("command-line", "start", "serving")
LOG_ROOTS = ("log",)
FAMILIES = {"0": "tool", "1": "driver, CUDA and toolchain", "2": "GPU vs model", "3": "memory and KV cache",
            "4": "checkpoint and chat template", "5": "host, OS and container", "6": "multi-GPU",
            "7": "engine flags", "8": "logs"}
DOC_SECTIONS = ("what", "why", "fix", "exceptions")
FILE_RE = re.compile(r"^(LD\d{3})-([a-z0-9]+(?:-[a-z0-9]+)*)\.toml$")
MAX_RULE_FILE = 256 * 1024
MAX_MACRO_DEPTH = 3


@dataclass
class Example:
    name: str
    expect: str                          # "fire" | "pass"
    machine: Optional[str] = None        # fixtures/machines/<name>.json
    model: Optional[str] = None          # fixtures/models/<name>/
    facts: dict = field(default_factory=dict)   # path -> value, merged over the base document
    template_file: Optional[str] = None  # a chat template to use as the model's (tests only)
    log_file: Optional[str] = None       # log rules: a log to read (repository path) ...
    text: Optional[str] = None           # ... or the log text itself


@dataclass
class LogMatch:
    """A log rule's `[log]` table."""
    patterns: list[re.Pattern]
    engines: list[str]                   # empty: every engine
    harmless: bool                       # the message looks alarming and is not
    line_of: Optional[str]               # a fact whose line number the event points at (condition-only rules)


@dataclass
class Rule:
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
    pitfall: Optional[str]
    kind: str                            # "condition" | "engine" (emitted by the engine itself)
    examples: list[Example]
    path: Path
    reads: list[str] = field(default_factory=list)      # fact paths the condition reads
    program: Any = None
    placeholders: dict[str, Any] = field(default_factory=dict)   # expr -> compiled program
    log: Optional[LogMatch] = None       # set for log rules
    blocks: Optional[str] = None         # the engine will not run when it fires: at which stage (BLOCKS)
    clients: list[str] = field(default_factory=list)   # the clients it breaks while the server runs

    @property
    def family(self) -> str:
        return self.code[2]

    @property
    def harmless(self) -> bool:
        return bool(self.log and self.log.harmless)


class RuleError(UsageError):
    """A rule file that cannot be used; the message carries file:line:col."""


@dataclass
class Problem:
    path: Path
    line: int
    col: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}: {self.message}"


def _value_offset(raw: str, key: str, table: Optional[str] = None) -> int:
    """Offset in the file where the string value of `key` starts (after its opening quotes)."""
    start = 0
    if table:
        m = re.search(rf"(?m)^\s*\[{re.escape(table)}\]\s*$", raw)
        start = m.end() if m else 0
    m = re.compile(rf"(?m)^[ \t]*{re.escape(key)}[ \t]*=[ \t]*").search(raw, start)
    if not m:
        return 0
    pos = m.end()
    for q in ("'''", '"""', "'", '"'):
        if raw.startswith(q, pos):
            pos += len(q)
            if len(q) == 3 and raw.startswith("\n", pos):
                pos += 1
            elif len(q) == 3 and raw.startswith("\r\n", pos):
                pos += 2
            break
    return pos


class _Checker:
    def __init__(self, path: Path, raw: str, scope: str):
        self.path, self.raw, self.scope = path, raw, scope
        self.problems: list[Problem] = []

    def at(self, offset: int, message: str) -> None:
        line, col = line_col(self.raw, offset)
        self.problems.append(Problem(self.path, line, col, message))

    def expr(self, src: str, base: int, what: str):
        """Compile one CEL expression; check the facts it reads. Returns (program, refs)."""
        from llmdoctor.diagnose.cel_runtime import load
        cel, _ = load()
        try:
            program = cel.compile(src)
        except Exception as exc:        # cel raises ValueError with "<input>:L:C: ..." inside
            text = str(exc)
            m = re.search(r"<input>:(\d+):(\d+):\s*(.*)", text)
            if m:
                line, col = int(m.group(1)), int(m.group(2))
                lines = src.split("\n")
                off = sum(len(x) + 1 for x in lines[:line - 1]) + col - 1
                self.at(base + min(off, len(src)), f"{what} does not compile: {m.group(3).strip()}")
            else:
                self.at(base, f"{what} does not compile: {text.splitlines()[0]}")
            return None, []
        try:
            refs, problems = references(src, LOG_ROOTS if self.scope == "log" else ROOTS)
            if macro_depth(src) > MAX_MACRO_DEPTH:
                self.at(base, f"{what}: comprehensions nest more than {MAX_MACRO_DEPTH} deep (the work multiplies)")
        except LexError as exc:
            self.at(base + exc.pos, f"{what}: {exc}")
            return program, []
        for pos, msg in problems:
            self.at(base + pos, f"{what}: {msg}")
        for ref in refs:
            if ref.path.startswith("env.") or self.scope == "log":
                continue
            node, why = resolve(ref.path)
            if node is None:
                self.at(base + ref.pos, f"{what} reads a fact that does not exist: {why}")
        return program, refs


PLACEHOLDER = re.compile(r"\{\{|\}\}|\{")


def split_template(text: str) -> list[tuple[str, str, int]]:
    """'a {x} b' -> [("lit","a ",0), ("expr","x",3), ("lit"," b",5)]. '{{' and '}}' are literal braces."""
    out, i, lit, lit_start = [], 0, [], 0
    while i < len(text):
        if text.startswith("{{", i):
            lit.append("{"); i += 2; continue
        if text.startswith("}}", i):
            lit.append("}"); i += 2; continue
        if text[i] == "{":
            depth, j, quote = 1, i + 1, None
            while j < len(text) and depth:
                c = text[j]
                if quote:
                    if c == "\\":
                        j += 1
                    elif c == quote:
                        quote = None
                elif c in "'\"":
                    quote = c
                elif c == "{":
                    depth += 1
                elif c == "}":
                    depth -= 1
                j += 1
            if depth:
                raise ValueError(f"unclosed '{{' at {i}")
            if lit:
                out.append(("lit", "".join(lit), lit_start))
                lit = []
            out.append(("expr", text[i + 1:j - 1], i + 1))
            i = j
            lit_start = i
            continue
        if not lit:
            lit_start = i
        lit.append(text[i]); i += 1
    if lit:
        out.append(("lit", "".join(lit), lit_start))
    return out


def load_rule_file(path: Path, scope: str = "facts") -> tuple[Optional[Rule], list[Problem]]:
    """One rule file, checked and compiled; `scope` is "facts" (rules/) or "log" (rules/logs/).
    Compiled rules are kept for the life of the process, keyed by the file's path, size and mtime."""
    path = Path(path)
    try:
        st = path.stat()
    except OSError as exc:
        return None, [Problem(path, 1, 1, f"cannot read: {exc}")]
    key = (str(path.resolve()), scope, st.st_size, st.st_mtime_ns)
    if key not in _COMPILED:
        _COMPILED[key] = _load_rule_file(path, scope, st.st_size)
    return _COMPILED[key]


_COMPILED: dict[tuple, tuple[Optional[Rule], list[Problem]]] = {}


def _load_rule_file(path: Path, scope: str, size: int) -> tuple[Optional[Rule], list[Problem]]:
    from llmdoctor.errors import InputError
    from llmdoctor.safe_io import read_regular
    try:
        raw = read_regular(str(path), MAX_RULE_FILE, "rule file").decode("utf-8")
    except InputError as exc:
        return None, [Problem(path, 1, 1, str(exc).split(": ", 1)[-1])]
    except UnicodeDecodeError as exc:
        return None, [Problem(path, 1, 1, f"cannot read: {exc}")]
    try:
        data = tomllib.loads(raw)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+), column (\d+)", str(exc))
        line, col = (int(m.group(1)), int(m.group(2))) if m else (1, 1)
        return None, [Problem(path, line, col, f"not valid TOML: {exc}")]
    ck = _Checker(path, raw, scope)

    def key_at(key: str) -> int:
        m = re.search(rf"(?m)^[ \t]*{re.escape(key)}[ \t]*=", raw)
        return m.start() if m else 0

    m = FILE_RE.match(path.name)
    if not m:
        ck.at(0, "file name must be LDnnn-short-name.toml (lower-case words joined by '-')")
    for key in ("code", "name", "severity", "title", "message", "fix", "references", "doc", "confidence"):
        if key not in data:
            ck.at(0, f"missing key {key!r}")
    for key in ("code", "name", "severity", "title", "message", "fix", "confidence", "pitfall", "condition", "kind"):
        if key in data and not isinstance(data[key], str):
            ck.at(key_at(key), f"{key} must be a string, not {type(data[key]).__name__}")
            data[key] = str(data[key])
    kind = data.get("kind", "condition")
    log = _log_match(data.get("log"), ck, key_at("patterns")) if scope == "log" else None
    if kind not in ("condition", "engine"):
        ck.at(key_at("kind"), "kind must be 'condition' or 'engine'")
    code, name = str(data.get("code", "")), str(data.get("name", ""))
    if not re.fullmatch(r"LD\d{3}", code):
        ck.at(key_at("code"), f"code {code!r} must look like LD201")
    elif (code[2] == "8") != (scope == "log"):
        ck.at(key_at("code"), "LD8xx codes belong to the log doctor (rules/logs/)" if scope != "log"
              else "log rules (rules/logs/) have LD8xx codes")
    if m and (m.group(1) != code or m.group(2) != name):
        ck.at(key_at("code"), f"file name says {m.group(1)}-{m.group(2)}, the rule says {code}-{name}")
    if data.get("severity") not in SEVERITIES:
        ck.at(key_at("severity"), f"severity must be one of {', '.join(SEVERITIES)}")
    blocks = data.get("blocks")
    if blocks is not None and blocks not in BLOCKS:
        ck.at(key_at("blocks"), f"blocks must be one of {', '.join(BLOCKS)}")
    clients = data.get("clients", [])
    if not isinstance(clients, list) or not all(isinstance(c, str) and c for c in clients):
        ck.at(key_at("clients"), "clients must be a list of strings")
    if blocks and clients:
        ck.at(key_at("clients"), "a rule either stops the engine (blocks) or breaks clients of a running server, not both")
    if data.get("confidence") not in ("sourced", "partial", "seed"):
        ck.at(key_at("confidence"), "confidence must be sourced, partial or seed (never unverified)")
    refs_list = data.get("references", [])
    if not isinstance(refs_list, list) or not refs_list or not all(isinstance(r, str) and r for r in refs_list):
        ck.at(key_at("references"), "references must be a non-empty list of strings")
    doc = data.get("doc", {})
    if not isinstance(doc, dict):
        doc = {}
    for sec in DOC_SECTIONS:
        if not str(doc.get(sec, "")).strip():
            ck.at(0, f"doc.{sec} is missing or empty")

    program, reads, placeholders = None, [], {}
    if kind == "condition":
        cond = data.get("condition")
        if not isinstance(cond, str) or not cond.strip():
            ck.at(0, "missing key 'condition'")
        else:
            program, refs = ck.expr(cond, _value_offset(raw, "condition"), "condition")
            reads = _dedupe([r.path for r in refs])
    for key in ("message", "fix", "title"):
        text = data.get(key)
        if not isinstance(text, str):
            continue
        base = _value_offset(raw, key)
        try:
            parts = split_template(text)
        except ValueError as exc:
            ck.at(base, f"{key}: {exc}")
            continue
        for kind_, src, off in parts:
            if kind_ == "expr":
                prog, _ = ck.expr(src, base + off, f"{key} placeholder {{{src}}}")
                if prog is not None:
                    placeholders[src] = prog

    examples = []
    raw_examples = data.get("examples", []) or []
    if not isinstance(raw_examples, list):
        ck.at(key_at("examples"), "examples must be an array of tables ([[examples]])")
        raw_examples = []
    for i, ex in enumerate(raw_examples):
        if not isinstance(ex, dict) or ex.get("expect") not in ("fire", "pass"):
            ck.at(0, f"examples[{i}]: expect must be 'fire' or 'pass'")
            continue
        facts = ex.get("facts", {}) or {}
        if not isinstance(facts, dict) or not all(
                isinstance(ex.get(k), (str, type(None))) for k in ("name", "machine", "model", "template_file",
                                                                    "log_file", "text")):
            ck.at(0, f"examples[{i}]: facts must be a table and name, machine, model, template_file, log_file, "
                     "text strings")
            continue
        for fpath in facts:
            if str(fpath).startswith("env.") or scope == "log":
                continue
            node, why = resolve(fpath)
            if node is None:
                ck.at(raw.find(f'"{fpath}"') if f'"{fpath}"' in raw else 0, f"examples[{i}].facts: {why}")
        examples.append(Example(name=str(ex.get("name", f"example {i}")), expect=ex["expect"],
                                machine=ex.get("machine"), model=ex.get("model"), facts=dict(facts),
                                template_file=ex.get("template_file"), log_file=ex.get("log_file"),
                                text=ex.get("text")))
    if kind == "condition":
        if not any(e.expect == "fire" for e in examples) or not any(e.expect == "pass" for e in examples):
            ck.at(0, "needs at least one example that fires and one that passes")
    if ck.problems:
        return None, ck.problems
    return Rule(code=code, name=name, severity=data["severity"], title=data["title"],
                condition=data.get("condition", "false"), message=data["message"], fix=data["fix"],
                references=list(refs_list), doc={k: str(v).strip() for k, v in doc.items()},
                confidence=data["confidence"], pitfall=data.get("pitfall"), kind=kind, examples=examples,
                path=path, reads=reads, program=program, placeholders=placeholders, log=log,
                blocks=blocks, clients=list(clients)), []


def _log_match(table: Any, ck: _Checker, offset: int) -> LogMatch:
    table = table if isinstance(table, dict) else {}
    patterns = []
    raw = table.get("patterns", []) or []
    if not isinstance(raw, list):
        ck.at(offset, "log.patterns must be a list of regular expressions")
        raw = []
    for p in raw:
        try:
            patterns.append(re.compile(str(p)))
        except re.error as exc:
            ck.at(offset, f"log.patterns: {p!r} is not a regex: {exc}")
    engines = table.get("engines", []) or []
    line_of = table.get("line_of")
    return LogMatch(patterns=patterns, engines=[str(e) for e in engines] if isinstance(engines, list) else [],
                    harmless=table.get("harmless") is True, line_of=str(line_of) if line_of else None)


def _dedupe(paths: list[str]) -> list[str]:
    seen = []
    for p in paths:
        if p not in seen:
            seen.append(p)
    # drop a path when a longer one below it is read too (machine.gpus vs machine.gpus[].cc_major)
    return [p for p in seen if not any(q != p and (q.startswith(p + ".") or q.startswith(p + "[")) for q in seen)]


def load_rules_dir(directory: Path, scope: str = "facts") -> tuple[list[Rule], list[Problem]]:
    """Every rule file of a directory, checked; kept in memory for the process and on disk between runs."""
    from llmdoctor.diagnose import rule_cache
    directory = Path(directory)
    files = sorted(directory.glob("*.toml"))
    cache_key = rule_cache.key(directory, scope, files)
    if cache_key in _DIRS:
        return _DIRS[cache_key]
    found = rule_cache.load(cache_key)
    if found is None:
        rules, problems = [], []
        for path in files:
            rule, probs = load_rule_file(path, scope)
            problems += probs
            if rule:
                rules.append(rule)
        rule_cache.store(cache_key, rules, problems)
        found = rules, problems
    _DIRS[cache_key] = found
    return found


_DIRS: dict[str, tuple[list[Rule], list[Problem]]] = {}


def compile_programs(rule: Rule) -> None:
    """Compile a checked rule's condition and placeholders (rules from the disk cache)."""
    from llmdoctor.diagnose.cel_runtime import load
    cel, _ = load()
    if rule.kind == "condition":
        rule.program = cel.compile(rule.condition)
    for key in ("message", "fix", "title"):
        for kind, src, _ in split_template(getattr(rule, key)):
            if kind == "expr":
                rule.placeholders[src] = cel.compile(src)


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except (OSError, ValueError):       # a name too long, an embedded NUL
        return False


def load_rules(extra_dirs: list[Path] | tuple = (), strict: bool = True) -> list[Rule]:
    """The shipped rules plus the user's directories. Two rules with one code is an error."""
    from llmdoctor.resources import rules_dir
    dirs = [rules_dir()] + [Path(d) for d in extra_dirs]
    rules, problems = [], []
    for d in dirs:
        if not _is_dir(Path(d)):
            raise RuleError(f"{str(d)[:200]}: rules directory not found")
        r, p = load_rules_dir(Path(d))
        rules += r
        problems += p
    by_code: dict[str, Rule] = {}
    for r in rules:
        if r.code in by_code:
            problems.append(Problem(r.path, 1, 1, f"code {r.code} is already used by {by_code[r.code].path}"))
        else:
            by_code[r.code] = r
    if problems and strict:
        raise RuleError(_summary(problems))
    return sorted(by_code.values(), key=lambda r: r.code)


def _summary(problems: list[Problem]) -> str:
    return "; ".join(str(p) for p in problems[:5]) + (f" (and {len(problems) - 5} more)" if len(problems) > 5 else "")


def log_rules_dir() -> Path:
    from llmdoctor.resources import rules_dir
    return rules_dir() / "logs"


def load_log_rules(directory: Optional[Path] = None) -> list[Rule]:
    """The log rules (LD8xx) of rules/logs/ or of `directory`."""
    directory = Path(directory) if directory else log_rules_dir()
    if not _is_dir(directory):
        raise RuleError(f"{directory}: log rules directory not found")
    rules, problems = load_rules_dir(directory, scope="log")
    seen: dict[str, Path] = {}
    for r in rules:
        if r.code in seen:
            problems.append(Problem(r.path, 1, 1, f"code {r.code} is already used by {seen[r.code]}"))
        seen[r.code] = r.path
    if problems:
        raise RuleError(_summary(problems))
    return rules


def load_rule(path: Path, scope: str = "facts") -> Rule:
    """One rule file, or RuleError with its problems."""
    rule, problems = load_rule_file(path, scope)
    if rule is None:
        raise RuleError(_summary(problems))
    return rule
