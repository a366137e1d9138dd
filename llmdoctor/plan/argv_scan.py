"""One scanner for argparse-style command lines (vLLM, SGLang): `--name value`, `--name=value`,
store_true flags (optionally followed by true/false), `--no-<flag>`, multi-value lists, unknown flags
kept with their value. Each engine supplies its flag table and value conversion."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional

from llmdoctor.plan.common import sane

BOOL, LIST = "bool", "list"


@dataclass
class FlagTable:
    kinds: dict[str, str]                         # dest -> kind ("bool", "list", or a value kind)
    aliases: dict[str, str]                       # alternative names -> dest
    convert: Callable[[str, Any], Any]            # (dest, raw text) -> value; ValueError when invalid
    negatable: bool = False                       # BooleanOptionalAction: --no-<flag> turns it off
    bool_takes_value: bool = False                # "--flag true" / "--flag false" accepted


def scan(argv: list[str], table: FlagTable,
         special: Optional[Callable[[str, dict], bool]] = None) -> tuple[Optional[str], dict[str, Any], list[str]]:
    """(first positional, flags by dest, unknown tokens). `special(token, flags)` may consume a token."""
    model: Optional[str] = None
    flags: dict[str, Any] = {}
    unknown: list[str] = []
    i = 0
    while i < len(argv):
        tok = argv[i]
        if not tok.startswith("-") or tok == "-":
            if model is None:
                model = tok
            else:
                unknown.append(tok)
            i += 1
            continue
        if special is not None and special(tok, flags):
            i += 1
            continue
        name, eq, val = tok.lstrip("-").partition("=")
        dest = name.replace("-", "_")
        dest = table.aliases.get(name, table.aliases.get(dest, dest))
        negated = False
        if table.negatable and dest not in table.kinds and dest.startswith("no_") \
                and table.kinds.get(dest[3:]) == BOOL:
            dest, negated = dest[3:], True
        kind = table.kinds.get(dest)
        if kind is None:
            unknown.append(tok)
            if not eq and i + 1 < len(argv) and not argv[i + 1].startswith("-"):
                unknown.append(argv[i + 1])     # keep the flag's value with it
                i += 1
            i += 1
            continue
        if kind == BOOL:
            if eq:
                flags[dest] = table.convert(dest, val)
            elif table.bool_takes_value and i + 1 < len(argv) and argv[i + 1].lower() in ("true", "false"):
                flags[dest] = argv[i + 1].lower() == "true"
                i += 1
            else:
                flags[dest] = not negated
            i += 1
            continue
        if kind == LIST:
            values = [val] if eq else []
            while not eq and i + 1 < len(argv) and not argv[i + 1].startswith("-"):
                values.append(argv[i + 1])
                i += 1
            flags[dest] = values
            i += 1
            continue
        if not eq:
            if i + 1 >= len(argv):
                unknown.append(tok)
                break
            val = argv[i + 1]
            i += 1
        try:
            value = table.convert(dest, val)
        except (ValueError, OverflowError):
            unknown.append(f"{tok}={val}")
        else:
            # inf, nan, 1e300: kept as the text given (JSON has no such numbers); the checks refuse it
            flags[dest] = value if sane(value) else str(val)
        i += 1
    return model, flags, unknown
