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


def load():
    """(cel, cel.stdlib)."""
    if "cel" not in sys.modules:
        sys.modules.setdefault("cel.cli", _LazyCli("cel.cli"))
    import cel
    from cel import stdlib
    return cel, stdlib
