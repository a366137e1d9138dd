"""The engine registry: every package under llmdoctor/engines/ that defines `ENGINE` is an engine.

    engines()          every Engine, in report order
    get(name)          one Engine (UsageError for a name that is not one)
    names()            their names
    for_format(fmt)    the engines that serve a model format
    make_plan(...)     plan a request on its engine; with verify, the recommended command is planned again

Adding an engine is one folder here (its __init__.py defines ENGINE) plus its data.
"""
from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache
from typing import Any

from llmdoctor.engines.base import Engine, Program
from llmdoctor.errors import UsageError
from llmdoctor.plan.common import sane

__all__ = ["Engine", "Program", "engines", "get", "names", "for_format", "make_plan"]


@lru_cache(maxsize=1)
def engines() -> tuple[Engine, ...]:
    found = []
    for info in pkgutil.iter_modules(__path__):
        if info.ispkg:
            engine = getattr(importlib.import_module(f"{__name__}.{info.name}"), "ENGINE", None)
            if isinstance(engine, Engine):
                found.append(engine)
    return tuple(sorted(found, key=lambda e: e.order))


def names() -> tuple[str, ...]:
    return tuple(e.name for e in engines())


def get(name: str) -> Engine:
    for e in engines():
        if e.name == name:
            return e
    raise UsageError(f"unknown engine {name!r}: choose from {', '.join(names())}")


def for_format(fmt: str) -> tuple[str, ...]:
    return tuple(e.name for e in engines() if fmt in e.formats) or names()


def _absurd_number(value: Any) -> bool:
    """Text that reads as a number no engine can take (inf, nan, 1e300)."""
    if not isinstance(value, str):
        return False
    try:
        x = float(value)
    except ValueError:
        return False
    return not sane(x)


MAX_COUNT = 1 << 16          # GPUs, stages, sequences, blocks: more than any engine takes, few enough to plan with


def _bounded_count(name: str, value: Any) -> Any:
    """Counts (parallel sizes, sequences, block sizes) capped so the arithmetic stays small; a plan at
    the cap still says why it cannot run (more GPUs than there are)."""
    if isinstance(value, int) and not isinstance(value, bool) and name.endswith(
            ("_size", "parallel", "_seqs", "_requests", "size_n")) and abs(value) > MAX_COUNT:
        return MAX_COUNT if value > 0 else -MAX_COUNT
    return value


def make_plan(target: Any, model: Any, request: Any, verify: bool = True):
    """Plan `request` on its engine; with `verify`, the recommended command is planned again."""
    import dataclasses
    dropped = [k for k, v in request.flags.items() if not sane(v) or _absurd_number(v)]
    flags = {k: _bounded_count(k, v) for k, v in request.flags.items() if k not in dropped}
    if flags != request.flags:   # absurd values (1e400, NaN, deep JSON): the engine refuses them (LD710)
        request = dataclasses.replace(request, flags=flags)
    plan = get(request.engine).plan(target, model, request)
    if dropped:
        plan = dataclasses.replace(plan, assumptions=[f"not planned with --{k.replace('_', '-')}: its value is not "
                                                      "a usable number" for k in dropped] + plan.assumptions)
    if verify:
        from llmdoctor.engines.verify import verify_command
        plan = verify_command(plan, target, model, request, lambda t, m, r: make_plan(t, m, r, verify=False))
    return plan
