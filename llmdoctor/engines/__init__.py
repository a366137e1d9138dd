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


def make_plan(target: Any, model: Any, request: Any, verify: bool = True):
    """Plan `request` on its engine; with `verify`, the recommended command is planned again."""
    plan = get(request.engine).plan(target, model, request)
    if verify:
        from llmdoctor.engines.verify import verify_command
        plan = verify_command(plan, target, model, request, lambda t, m, r: make_plan(t, m, r, verify=False))
    return plan
