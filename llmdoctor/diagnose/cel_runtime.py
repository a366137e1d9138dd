"""The CEL runtime, imported without its command-line module.

`import cel` runs `from . import cli, stdlib`, and cel.cli imports prompt_toolkit and rich's REPL
parts: 0.25 s of a 0.45 s `check`. A placeholder for cel.cli that imports the real module on first
attribute access keeps `import cel` whole for anyone who wants the CLI, at no cost to us.
"""
from __future__ import annotations

import importlib
import sys
import types


class _LazyCli(types.ModuleType):
    def __getattr__(self, name: str):
        sys.modules.pop("cel.cli", None)
        real = importlib.import_module("cel.cli")
        if "cel" in sys.modules:
            sys.modules["cel"].cli = real
        return getattr(real, name)


MAX_RANGE = 1000


def _bounded_range(n):
    if not isinstance(n, int) or not 0 <= n <= MAX_RANGE:
        raise ValueError(f"lists.range({n}): llmdoctor allows 0..{MAX_RANGE}")
    return list(range(n))


def load():
    """(cel, stdlib): `stdlib.add_stdlib_to_context` registers the extended functions, lists.range capped."""
    if "cel" not in sys.modules:
        sys.modules.setdefault("cel.cli", _LazyCli("cel.cli"))
    import cel
    from cel import stdlib
    return cel, _BoundedStdlib(stdlib)


class _BoundedStdlib:
    def __init__(self, stdlib):
        self._stdlib = stdlib

    def add_stdlib_to_context(self, ctx) -> None:
        self._stdlib.add_stdlib_to_context(ctx)
        ctx.add_function("lists.range", _bounded_range)
