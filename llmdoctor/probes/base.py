"""Running probes in isolation: each reports ok / unavailable / error with a reason and time."""
from __future__ import annotations

import time
from typing import Callable

from llmdoctor.facts import ProbeStatus


class Unavailable(Exception):
    """The thing a probe looks for is not on this machine (not an error)."""


def run_probe(name: str, fn: Callable[[], str | None], statuses: list[ProbeStatus]) -> None:
    """Run one probe; whatever it raises is caught here so one probe never stops the others.

    `fn` returns an optional note (e.g. "GPU 1 lost") that becomes the reason of an ok status.
    """
    start = time.perf_counter()
    try:
        note = fn()
        status, reason = "ok", note
    except Unavailable as exc:
        status, reason = "unavailable", str(exc)
    except Exception as exc:  # a probe bug or an odd machine must not abort the report
        status, reason = "error", f"{type(exc).__name__}: {exc}"
    elapsed = round((time.perf_counter() - start) * 1000, 2)
    statuses.append(ProbeStatus(name=name, status=status, reason=reason, elapsed_ms=elapsed))
