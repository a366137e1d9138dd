"""Helper functions registered once for every rule condition and message placeholder.

version_lt/le/gt/ge(a, b)  compare versions: "2.11.0+cu130" < "2.12", "595.71.05" >= "580"
major(v) -> int, major_minor(v) -> "13.3"
gib(bytes) -> double (GiB), mib(bytes) -> double
flag(name) -> the launch command's flag (command.flags[name]) or null
has_flag(name) -> true when the flag is given and not false
env(name) -> the launch environment's variable (probed shell < VAR=value prefix < docker -e) or null
lower(s) -> lower-case string

A helper given null raises NullInput: the engine then treats the rule as "inputs unknown" and it
does not fire.
"""
from __future__ import annotations

import re
from typing import Any, Callable

from packaging.version import InvalidVersion, Version


class NullInput(TypeError):
    pass


def _version(v: Any) -> Version:
    if v is None:
        raise NullInput("version is null")
    s = str(v).strip()
    try:
        return Version(s)
    except InvalidVersion:
        m = re.match(r"v?(\d+(?:\.\d+)*)", s)
        if not m:
            raise NullInput(f"not a version: {s!r}") from None
        return Version(m.group(1))


def version_lt(a, b) -> bool:
    return _version(a) < _version(b)


def version_le(a, b) -> bool:
    return _version(a) <= _version(b)


def version_gt(a, b) -> bool:
    return _version(a) > _version(b)


def version_ge(a, b) -> bool:
    return _version(a) >= _version(b)


def major(v) -> int:
    return _version(v).release[0]


def major_minor(v) -> str:
    r = _version(v).release
    return f"{r[0]}.{r[1] if len(r) > 1 else 0}"


def gib(x) -> float:
    if x is None:
        raise NullInput("bytes is null")
    return float(x) / (1 << 30)


def mib(x) -> float:
    if x is None:
        raise NullInput("bytes is null")
    return float(x) / (1 << 20)


def lower(s) -> str:
    if s is None:
        raise NullInput("string is null")
    return str(s).lower()


def bound_functions(flags: dict, env: dict) -> dict[str, Callable]:
    def flag(name):
        return flags.get(name)

    def has_flag(name):
        v = flags.get(name)
        return v is not None and v is not False

    def env_(name):
        return env.get(name)

    return {
        "version_lt": version_lt, "version_le": version_le, "version_gt": version_gt,
        "version_ge": version_ge, "major": major, "major_minor": major_minor,
        "gib": gib, "mib": mib, "lower": lower,
        "flag": flag, "has_flag": has_flag, "env": env_,
    }


FUNCTION_NAMES = tuple(bound_functions({}, {}))
