"""The rich console every text renderer prints to."""
from __future__ import annotations


def make_console():
    from rich.console import Console
    return Console(highlight=False, soft_wrap=False)
