"""An engine's command line, version by version, from its `cli_flags.json` (generated from the
engine's own source by tools/engine_flags/gen_NAME.py), and the check of a launch command against it.

`check_args(engine, version, args, program)` returns what the engine's own parser would say: an
unknown or removed flag, a value its converter or choices reject, a missing value (all refusals:
the engine stops at its command line), or a deprecated flag (a warning). Each issue quotes the
engine's message and names the source file and the version the table was read from.
"""
from __future__ import annotations

import difflib
import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Optional

from llmdoctor.plan.common import vtuple
from llmdoctor.plan.records import CommandIssue


@dataclass(frozen=True)
class FlagSpec:
    dest: str
    names: tuple[str, ...]
    type: Optional[str]
    action: Optional[str]
    nargs: Any
    choices: Optional[tuple[str, ...]]
    deprecated: Any
    programs: tuple[str, ...]
    special_values: Optional[tuple[str, ...]]
    none_ok: bool = False                   # vLLM: "" and "None" read as null
    env: Optional[str] = None               # llama.cpp: the LLAMA_ARG_* variable that sets it


class CliTable:
    def __init__(self, data: dict):
        self.engine: str = data["engine"]
        self.versions: list[str] = list(data["versions"])
        self.parser: dict = data.get("parser", {})
        self.sources: dict = data.get("sources", {})
        self.extra: dict = data.get("extra", {})
        self._flags: list[dict] = data["flags"]
        self._by_version: dict[str, dict[str, FlagSpec]] = {}

    def version_for(self, version: Optional[str]) -> str:
        """The table version that stands for `version`: the newest read at or below it (semantic
        versions), the same commit (llama.cpp), else the newest read."""
        if version in self.versions:
            return version
        semver = [v for v in self.versions if _SEMVER.match(v)]
        if not version or not _SEMVER.match(version) or not semver:
            return self.versions[-1]
        at_or_below = [v for v in semver if vtuple(v.lstrip("v")) <= vtuple(version.lstrip("v"))]
        if not at_or_below:
            return semver[0]
        if at_or_below[-1] == semver[-1] and vtuple(version.lstrip("v")) > vtuple(semver[-1].lstrip("v")):
            return self.versions[-1]        # past the newest release read: the newest commit read, if any
        return at_or_below[-1]

    def _index(self, version: str) -> int:
        return self.versions.index(version)

    def options(self, version: str, program: Optional[str] = None) -> dict[str, FlagSpec]:
        """Option string -> spec, for one table version and, where flags belong to programs or
        subcommands (llama.cpp examples, ollama commands), one program."""
        key = f"{version}|{program}"
        if key not in self._by_version:
            i = self._index(version)
            out: dict[str, FlagSpec] = {}
            for flag in self._flags:
                for span in flag["spans"]:
                    if program is not None and span.get("programs") and program not in span["programs"]:
                        continue
                    if self._index(span["from"]) <= i <= self._index(span["to"]):
                        spec = FlagSpec(
                            dest=flag["dest"], names=tuple(span.get("names") or ()), type=span.get("type"),
                            action=span.get("action"), nargs=span.get("nargs"),
                            choices=tuple(str(c) for c in span["choices"]) if span.get("choices") else None,
                            deprecated=span.get("deprecated"), programs=tuple(span.get("programs") or ()),
                            special_values=tuple(str(c) for c in span["special_values"]) if span.get("special_values") else None,
                            none_ok=bool(span.get("none_ok")), env=span.get("env"))
                        for name in spec.names + tuple(span.get("negative_names") or ()):
                            out.setdefault(name, spec)
            self._by_version[key] = out
        return self._by_version[key]

    def seen_in(self, name: str) -> list[str]:
        """The table versions whose command line has option string `name`."""
        return [v for v in self.versions if name in self.options(v)]

    def source(self, version: str) -> str:
        src = self.sources.get(version) or {}
        where = src.get("commit") or src.get("artifact") or ""
        return f"{src.get('repo', self.engine)}@{version}" + (f" ({where[:12]})" if where and version not in where else "")


def _table_text(engine: str) -> str:
    from llmdoctor.resources import package_text
    return package_text(f"llmdoctor.engines.{engine}", "cli_flags.json")


@lru_cache(maxsize=8)
def table(engine: str) -> Optional[CliTable]:
    try:
        return CliTable(json.loads(_table_text(engine)))
    except FileNotFoundError:
        return None


# ---------------------------------------------------------------- values

_SEMVER = re.compile(r"^v?\d+\.\d+")
_HUMAN = re.compile(r"^(-?\d+(?:\.\d+)?)([kKmMgGtT]?)$")


def _convert(kind: Optional[str], value: str) -> bool:
    """Whether the engine's converter accepts `value` for a flag of this type."""
    if kind in (None, "str", "enum", "nullable_str", "bool", "custom:lambda", "str_str", "json_or_str"):
        return True
    if kind == "int":
        try:
            int(value)
            return True
        except ValueError:
            return False
    if kind == "float":
        try:
            float(value)
            return True
        except ValueError:
            return False
    if kind in ("json", "json_list"):
        try:
            json.loads(value)
            return True
        except (ValueError, RecursionError):
            return False
    if kind in ("human_int", "human_readable_int", "human_int_or_auto"):
        if kind == "human_int_or_auto" and value.lower() in ("auto", "-1"):
            return True
        return bool(_HUMAN.match(value.strip()))
    if kind == "pybool":
        return value.lower() in ("true", "false", "1", "0", "yes", "no")
    return True


def _stoi(value: str, kind: str) -> bool:
    """std::stoi / std::stof: leading whitespace, then a number prefix; anything after is ignored."""
    pattern = r"\s*[+-]?\d" if kind == "int" else r"\s*[+-]?(?:\d|\.\d|inf|nan)"
    return bool(re.match(pattern, value, re.I))


def _stoi_lossy(value: str, kind: str) -> bool:
    if kind == "int":
        return not re.fullmatch(r"\s*[+-]?\d+", value)
    try:
        return not math.isfinite(float(value))
    except ValueError:
        return True


# ---------------------------------------------------------------- checks

def check_args(engine: str, version: Optional[str], args: list[str], program: Optional[str] = None) -> list[CommandIssue]:
    """What the engine's command-line parser says of `args` (the arguments after its program)."""
    t = table(engine)
    if t is None:
        return []
    v = t.version_for(version)
    style = t.parser.get("style", "argparse")
    if style == "argparse":
        return _check_argparse(t, v, args)
    if style.startswith("llama.cpp"):
        return _check_llamacpp(t, v, args, program)
    if style == "cobra":
        return _check_cobra(t, v, args)
    return []


def _suggest(name: str, names) -> Optional[str]:
    close = difflib.get_close_matches(name, [n for n in names if n.startswith("--")], n=1, cutoff=0.75)
    return close[0] if close else None


def _unknown(t: CliTable, v: str, name: str, message: str, where: str, names) -> CommandIssue:
    seen = t.seen_in(name)
    if seen:
        later = [x for x in seen if t.versions.index(x) > t.versions.index(v)]
        hint = (f"{name} exists from {t.engine} {later[0]} on" if later else
                f"{name} was removed after {t.engine} {seen[-1]}")
        kind = "removed-flag" if not later else "unknown-flag"
    else:
        s = _suggest(name, names)
        hint, kind = (f"did you mean {s}?" if s else None), "unknown-flag"
    return CommandIssue(kind=kind, flag=name, value=None, refuses=True, message=message, hint=hint,
                        source=f"{where} ({t.source(v)})")


def _argparse_prog(t: CliTable, v: str) -> str:
    prog = t.parser.get("prog")
    return prog.get(v, "") if isinstance(prog, dict) else (prog or t.engine)


def _flexible(t: CliTable, v: str) -> dict:
    for span in t.parser.get("flexible_parser", []) or []:
        if vtuple(span["from"]) <= vtuple(v) <= vtuple(span["to"]):
            return span
    return {}


def _takes_value(spec: FlagSpec) -> bool:
    return spec.action not in ("store_true", "store_false", "BooleanOptionalAction", "count", "help",
                               "DeprecatedStoreTrueAction", "store_const", "version") and spec.nargs not in (0, "0")


def _check_argparse(t: CliTable, v: str, args: list[str]) -> list[CommandIssue]:
    opts = t.options(v)
    prog = _argparse_prog(t, v)
    flex = _flexible(t, v)
    where = "argparse (Lib/argparse.py)" + (f", {flex['file']}" if flex.get("file") else "")
    issues: list[CommandIssue] = []
    unknown: list[str] = []
    positionals = 0
    i = 0
    while i < len(args):
        tok = args[i]
        i += 1
        if tok == "--":
            break
        if not tok.startswith("-") or re.fullmatch(r"-\d+(\.\d+)?", tok):
            positionals += 1
            if positionals > 1:            # `vllm serve MODEL`: one positional
                unknown.append(tok)
            continue
        if flex.get("O_shorthand") and re.fullmatch(r"-O\d?", tok[:3]) and not tok.startswith("--"):
            continue                        # -O3 / -O.level
        name, eq, value = tok.partition("=")
        if flex.get("underscore_dash") and name.startswith("--"):
            name = "--" + name[2:].replace("_", "-")
        if flex.get("dotted_json_keys") and name.startswith("--") and "." in name:
            name = name.split(".", 1)[0]    # --compilation-config.level 3
        spec = opts.get(name)
        if spec is None and t.parser.get("abbrev") and name.startswith("--") and len(name) > 2:
            matches = sorted(n for n in opts if n.startswith(name))
            if len(matches) > 1 and len({opts[m].dest for m in matches}) > 1:
                issues.append(CommandIssue(
                    kind="ambiguous-flag", flag=name, value=None, refuses=True,
                    message=f"{prog}: error: ambiguous option: {name} could match {', '.join(matches[:6])}",
                    hint=None, source=f"{where} ({t.source(v)})"))
                continue
            if matches:
                spec = opts[matches[0]]
        if spec is None:
            unknown.append(tok)
            if not eq and i < len(args) and not args[i].startswith("-"):
                unknown.append(args[i])     # argparse leaves the value as an extra argument too
                i += 1
            continue
        if spec.deprecated:
            issues.append(CommandIssue(
                kind="deprecated-flag", flag=name, value=None, refuses=False,
                message=str(spec.deprecated.get("message") if isinstance(spec.deprecated, dict) else spec.deprecated),
                hint=None, source=f"{t.engine} {v}"))
        if not _takes_value(spec):
            if eq:
                issues.append(CommandIssue(
                    kind="bad-value", flag=name, value=value, refuses=True,
                    message=f"{prog}: error: argument {'/'.join(spec.names)}: ignored explicit argument {value!r}",
                    hint=None, source=f"{where} ({t.source(v)})"))
            continue
        values: list[str] = []
        if eq:
            values = [value]
        elif spec.nargs in ("+", "*"):
            while i < len(args) and not args[i].startswith("--"):
                values.append(args[i])
                i += 1
        elif i < len(args) and (not args[i].startswith("-") or re.fullmatch(r"-\d+(\.\d+)?", args[i])):
            values = [args[i]]
            i += 1
        elif spec.nargs == "?":
            values = []
        if not values and spec.nargs not in ("?", "*"):
            issues.append(CommandIssue(
                kind="missing-value", flag=name, value=None, refuses=True,
                message=f"{prog}: error: argument {'/'.join(spec.names)}: expected "
                        f"{'at least one argument' if spec.nargs == '+' else 'one argument'}",
                hint=None, source=f"{where} ({t.source(v)})"))
            continue
        for val in values:
            if spec.none_ok and val in ("", "None"):
                continue
            if not _convert(spec.type, val):
                issues.append(CommandIssue(
                    kind="bad-value", flag=name, value=val, refuses=True,
                    message=f"{prog}: error: argument {'/'.join(spec.names)}: invalid {spec.type} value: {val!r}",
                    hint=None, source=f"{where} ({t.source(v)})"))
            elif spec.choices and val not in spec.choices:
                issues.append(CommandIssue(
                    kind="bad-choice", flag=name, value=val, refuses=True,
                    message=f"{prog}: error: argument {'/'.join(spec.names)}: invalid choice: {val!r} "
                            f"(choose from {', '.join(repr(c) for c in spec.choices)})",
                    hint=_close_choice(val, spec.choices), source=f"{where} ({t.source(v)})"))
    if unknown:
        first = next(u for u in unknown if u.startswith("-")) if any(u.startswith("-") for u in unknown) else unknown[0]
        name = first.partition("=")[0]
        # vLLM: the top-level `vllm` parser reports what `serve` left over (checked on 0.33.0)
        uprog = "vllm" if t.engine == "vllm" else prog
        issues.insert(0, _unknown(t, v, name, f"{uprog}: error: unrecognized arguments: {' '.join(unknown)}",
                                  where, opts))
    return issues


def _close_choice(value: str, choices) -> Optional[str]:
    close = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else None


def _check_llamacpp(t: CliTable, v: str, args: list[str], program: Optional[str]) -> list[CommandIssue]:
    """llama.cpp common_params_parse_ex (common/arg.cpp): exact names, '_' read as '-' after '--',
    values through std::stoi/stof, flags limited to the program's examples."""
    prog = (program or "llama-server").replace("llama-", "")
    opts = t.options(v, prog)
    p = t.parser
    issues: list[CommandIssue] = []
    i = 0
    while i < len(args):
        tok = args[i]
        i += 1
        if not tok.startswith("-"):
            continue                        # llama.cpp has no positionals; its parser stops on the flag before
        name = "--" + tok[2:].replace("_", "-") if tok.startswith("--") else tok
        spec = opts.get(name)
        if spec is None:
            issues.append(_unknown(t, v, name, (p.get("unknown_flag_message") or "error: invalid argument: %s") % tok,
                                   p.get("unknown_flag_source", "common/arg.cpp"), opts))
            continue
        if spec.deprecated:
            dep = spec.deprecated if isinstance(spec.deprecated, dict) else {"message": str(spec.deprecated)}
            issues.append(CommandIssue(kind="deprecated-flag", flag=name, value=None, refuses=False,
                                       message=str(dep.get("message")), hint=None,
                                       source=f"{dep.get('source', 'common/arg.cpp')} ({t.source(v)})"))
        if spec.type == "bool" or spec.nargs in (0, "0"):
            continue
        count = 2 if spec.nargs in (2, "2") else 1
        vals = args[i:i + count]
        if len(vals) < count:
            issues.append(CommandIssue(kind="missing-value", flag=name, value=None, refuses=True,
                                       message=p.get("missing_value_message", "expected value for argument"),
                                       hint=None, source=f"{p.get('missing_value_source', 'common/arg.cpp')} ({t.source(v)})"))
            break
        i += count
        val = vals[0]
        bad = f'error while handling argument "{tok}": %s'
        if spec.type in ("int", "float") and not (spec.special_values and val in spec.special_values):
            if not _stoi(val, spec.type):
                issues.append(CommandIssue(kind="bad-value", flag=name, value=val, refuses=True,
                                           message=bad % ("stoi" if spec.type == "int" else "stof"), hint=None,
                                           source=f"{p.get('bad_value_source', 'common/arg.cpp')} ({t.source(v)})"))
            elif _stoi_lossy(val, spec.type):
                issues.append(CommandIssue(
                    kind="lossy-value", flag=name, value=val, refuses=False,
                    message=f"llama.cpp reads {name} {val!r} with std::{'stoi' if spec.type == 'int' else 'stof'}: "
                            "only the leading number is used", hint=None, source=f"common/arg.cpp ({t.source(v)})"))
        elif spec.choices and val not in spec.choices:
            issues.append(CommandIssue(kind="bad-choice", flag=name, value=val, refuses=True,
                                       message=bad % f"invalid value: {val} (allowed: {', '.join(spec.choices)})",
                                       hint=_close_choice(val, spec.choices),
                                       source=f"{p.get('bad_value_source', 'common/arg.cpp')} ({t.source(v)})"))
    return issues


def _check_cobra(t: CliTable, v: str, args: list[str]) -> list[CommandIssue]:
    """ollama COMMAND [flags]: pflag's long and shorthand flags of that command."""
    if not args:
        return []
    command = args[0]
    opts = t.options(v, command)
    issues: list[CommandIssue] = []
    i = 1
    while i < len(args):
        tok = args[i]
        i += 1
        if tok == "--":
            break
        if not tok.startswith("-") or tok == "-":
            continue
        name, eq, value = tok.partition("=")
        spec = opts.get(name)
        if spec is None:
            msg = (f"Error: unknown flag: {name}" if name.startswith("--")
                   else f"Error: unknown shorthand flag: {name[1:2]!r} in {name}")
            issues.append(_unknown(t, v, name, msg, "github.com/spf13/pflag flag.go", opts))
            continue
        if spec.type == "bool" or spec.nargs == "?" or spec.action == "help":
            continue
        if not eq:
            if i >= len(args):
                issues.append(CommandIssue(kind="missing-value", flag=name, value=None, refuses=True,
                                           message=f"Error: flag needs an argument: {name}", hint=None,
                                           source=f"github.com/spf13/pflag flag.go ({t.source(v)})"))
                continue
            value = args[i]
            i += 1
        if spec.type == "int" and not re.fullmatch(r"[+-]?\d+", value):
            issues.append(CommandIssue(kind="bad-value", flag=name, value=value, refuses=True,
                                       message=f'Error: invalid argument "{value}" for "{name}" flag: '
                                               f'strconv.ParseInt: parsing "{value}": invalid syntax',
                                       hint=None, source=f"github.com/spf13/pflag ({t.source(v)})"))
    return issues


def check_env(engine: str, version: Optional[str], env: dict, program: Optional[str] = None) -> list[CommandIssue]:
    """llama.cpp reads LLAMA_ARG_* variables through the same handlers as its flags, and stops on a bad
    value ("error while handling environment variable"); the other engines' variables are not parsed
    at start-up in a way that refuses."""
    t = table(engine)
    if t is None or not t.parser.get("style", "").startswith("llama.cpp"):
        return []
    v = t.version_for(version)
    by_env = {s.env: s for s in t.options(v, (program or "llama-server").replace("llama-", "")).values() if s.env}
    out = []
    for name, value in sorted(env.items()):
        spec = by_env.get(name)
        if spec is None or spec.type not in ("int", "float") and not spec.choices:
            continue
        bad = (spec.type in ("int", "float") and not (spec.special_values and value in spec.special_values)
               and not _stoi(value, spec.type)) or (spec.choices and spec.type not in ("int", "float")
                                                    and value not in spec.choices)
        if bad:
            out.append(CommandIssue(
                kind="bad-value", flag=name, value=value, refuses=True, hint=f"the variable sets {spec.names[-1]}",
                message=(t.parser.get("env_bad_value_message") or 'error while handling environment variable "%s": %s')
                % (name, "stoi" if spec.type == "int" else "stof" if spec.type == "float" else "invalid value"),
                source=f"{t.parser.get('env_bad_value_source', 'common/arg.cpp')} ({t.source(v)})"))
    return out
