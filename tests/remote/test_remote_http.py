"""The HTTP layer's own bounds: on-demand prefixes in bounded chunks, the progress line (a terminal only)."""
import io
import time

import pytest

from llmdoctor.checkpoint import remote_http
from llmdoctor.checkpoint.remote_http import RemoteError, RemotePrefix, Wire

MiB = 1 << 20


def test_a_prefix_is_fetched_contiguously_in_bounded_chunks():
    data = bytes(range(256)) * (40 * 4096)                 # 40 MiB
    asked = []

    def fetch(a, b):
        asked.append((a, b))
        return data[a:b]

    p = RemotePrefix(fetch, len(data), "x", cap=8 * MiB, first=MiB, max_chunk=2 * MiB)
    assert p.read(10) == data[:10] and asked == [(0, MiB)]
    p.seek(5 * MiB)
    assert p.read(100) == data[5 * MiB:5 * MiB + 100]
    assert asked == [(0, MiB), (MiB, 5 * MiB + 100)]         # a jump fetches the gap: one contiguous prefix
    p.ensure(6 * MiB, exact=True)
    assert asked[-1] == (5 * MiB + 100, 6 * MiB)
    p.seek(0)
    with pytest.raises(RemoteError, match="runs past 8.0 MiB"):
        p.read(9 * MiB)
    cached = RemotePrefix(lambda a, b: pytest.fail("asked"), len(data), "y", cap=MiB, cached=data[:4096])
    assert cached.read(4096) == data[:4096] and cached.from_cache == 4096


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_the_progress_line_shows_on_a_terminal_and_is_cleared(monkeypatch):
    term = _Terminal()
    monkeypatch.setattr(remote_http.sys, "stderr", term)
    monkeypatch.setattr(remote_http, "PROGRESS_DELAY_S", 0.0)
    wire = Wire("org/model", {})
    wire.note("reading 3 headers")
    time.sleep(0.5)
    wire.close()
    text = term.getvalue()
    assert text.startswith("\rllmdoctor: reading org/model remotely: reading 3 headers, 0 B received\x1b[K")
    assert text.endswith("\r\x1b[K")


def test_no_progress_line_in_a_pipe(monkeypatch):
    pipe = io.StringIO()
    monkeypatch.setattr(remote_http.sys, "stderr", pipe)
    monkeypatch.setattr(remote_http, "PROGRESS_DELAY_S", 0.0)
    wire = Wire("org/model", {})
    time.sleep(0.4)
    wire.close()
    assert pipe.getvalue() == ""
