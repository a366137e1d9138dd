"""CEL from the user's own rule files runs under a budget.

The CEL runtime evaluates in native code that Python cannot interrupt, so a condition that loops 10^9
times or builds a huge list cannot be stopped from inside. Conditions of rule files outside the shipped
directory are evaluated in a forked child with an address-space cap; the parent waits at most
BUDGET_S for each rule and kills the child when it is over. The rule is then reported as not
evaluated (the check goes on); the rules after it run in a fresh child. Shipped rules run in process.
Without fork (Windows), user rules run in process, unbounded (said in docs/hardening.md). An exception
in the child other than running out of memory is a bug of ours and is raised again in the parent.
"""
from __future__ import annotations

import os
import pickle
import resource
import select
import signal
import struct
import time
from typing import Any, Callable, Iterable

BUDGET_S = 2.0                  # one rule's condition and placeholders
MEMORY_BYTES = 1 << 30          # address space the child may add


def over_budget_reason() -> str:
    return f"over llmdoctor's CEL budget ({BUDGET_S:g} s, {MEMORY_BYTES >> 30} GiB)"


def _vm_size() -> int:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def map_bounded(fn: Callable[[Any], Any], items: Iterable[Any], on_over: Callable[[Any], Any],
                seconds: float = BUDGET_S, memory: int = MEMORY_BYTES) -> list[Any]:
    """[fn(item) for item in items], each call in a forked child under `seconds` and `memory`;
    an item whose call runs over (or dies) gives on_over(item)."""
    items = list(items)
    if not items:
        return []
    if not hasattr(os, "fork"):
        return [fn(item) for item in items]
    out: list[Any] = []
    while len(out) < len(items):
        out += _child_run(fn, items[len(out):], seconds, memory)
        if len(out) < len(items):
            out.append(on_over(items[len(out)]))
    return out


def _child_run(fn, items, seconds, memory) -> list[Any]:
    """Results of a prefix of items: the child stops being read at the first item over budget."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:                                        # the child: evaluate, stream each result
        os.close(read_fd)
        try:
            base = _vm_size()
            if base:
                resource.setrlimit(resource.RLIMIT_AS, (base + memory, base + memory))
            for item in items:
                try:
                    blob = pickle.dumps(("ok", fn(item)))
                except MemoryError:
                    blob = pickle.dumps(("over", None))
                except Exception as exc:            # a bug of ours, not the rule's cost: raised in the parent
                    blob = pickle.dumps(("raise", f"{type(exc).__name__}: {exc}"))
                os.write(write_fd, struct.pack("<Q", len(blob)))
                view = memoryview(blob)
                while view:
                    view = view[os.write(write_fd, view):]
        finally:
            os._exit(0)
    os.close(write_fd)
    results: list[Any] = []
    buf = b""
    deadline = time.monotonic() + seconds
    try:
        while len(results) < len(items):
            left = deadline - time.monotonic()
            if left <= 0:
                break
            ready, _, _ = select.select([read_fd], [], [], left)
            if not ready:
                break
            chunk = os.read(read_fd, 1 << 16)
            if not chunk:                               # the child died (a native abort, the memory cap)
                break
            buf += chunk
            while len(buf) >= 8 and len(buf) >= 8 + struct.unpack("<Q", buf[:8])[0]:
                n = struct.unpack("<Q", buf[:8])[0]
                status, value = pickle.loads(buf[8:8 + n])
                buf = buf[8 + n:]
                if status == "raise":
                    raise RuntimeError(f"rule evaluation failed in the budgeted child: {value}")
                if status != "ok":
                    return results
                results.append(value)
                deadline = time.monotonic() + seconds      # each rule gets its own budget
    finally:
        os.close(read_fd)
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(pid, 0)
    return results
