"""HTTP for the remote readers (remote_hf.py, remote_ollama.py): bounded GETs and range reads.

Requests go through huggingface_hub's HTTP client (its proxies, certificates and user agent), imported
only when a remote read happens. Every request has a timeout and an overall deadline; timeouts,
dropped connections, 408, 429 and 5xx are retried twice with a short backoff; every body is read up to
a limit (a server that ignores Range is cut off there). A `Wire` counts what one model's reads cost:
requests, bytes received, bytes served from the cache; `--debug` prints it. On a terminal, a read that
takes longer than a second shows a progress line on stderr, cleared when it ends.

Nothing here parses what it receives: the checkpoint readers do, with their own bounds.
"""
from __future__ import annotations

import importlib
import os
import re
import sys
import threading
import time
from dataclasses import dataclass
from typing import Callable, Mapping, Optional

from llmdoctor.errors import InputError

TIMEOUT_S = 20.0                    # connect / read timeout of one request (LLMDOCTOR_HTTP_TIMEOUT overrides)
DEADLINE_FACTOR = 4                 # one request may take at most 4 timeouts in all (a server that drips)
ATTEMPTS = 3
BACKOFF_S = (0.5, 1.5)
MAX_RETRY_AFTER_S = 5.0
RETRY_STATUS = frozenset({408, 429, 500, 502, 503, 504})
MAX_ERROR_BODY = 64 * 1024
MAX_WIRE_BYTES = 256 * 1024 * 1024  # everything one model read may receive
PROGRESS_DELAY_S = 1.0

_SETTINGS = {"debug": False, "progress": True}
_UNPRINTABLE = re.compile(r"[^\x20-\x7e]+")


def configure(debug: bool = False, progress: bool = True) -> None:
    """Set by the command line: --debug prints each model's traffic."""
    _SETTINGS["debug"], _SETTINGS["progress"] = bool(debug), bool(progress)


class RemoteError(InputError):
    """A remote read failed (exit 2). `reason` is the message without its subject; `missing` is True when
    the model was not found or could not be asked for (so the caller may say where else it looked)."""

    def __init__(self, subject: str, reason: str, missing: bool = False):
        super().__init__(f"{subject}: {reason}")
        self.subject, self.reason, self.missing = subject, reason, missing


def truthy(value: Optional[str]) -> bool:
    return (value or "").strip().upper() in {"1", "ON", "YES", "TRUE"}


def clean(text: object, limit: int = 200) -> str:
    """Untrusted text (a server's message) as one printable line."""
    line = " ".join(_UNPRINTABLE.sub(" ", str(text)).split())
    return line if len(line) <= limit else line[:limit - 1] + "…"


def human(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        n /= 1024
        if n < 1024 or unit == "TiB":
            return f"{n:.1f} {unit}"
    return f"{n} B"


def timeout_s(env: Mapping[str, str]) -> float:
    try:
        value = float(env.get("LLMDOCTOR_HTTP_TIMEOUT") or TIMEOUT_S)
    except ValueError:
        return TIMEOUT_S
    return value if 0 < value <= 600 else TIMEOUT_S


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict                   # lower-case names
    body: bytes
    url: str                        # after redirects


def _client():
    from huggingface_hub.utils import get_session
    return get_session()


def _client_errors(client) -> tuple:
    """The client library's transport errors (httpx, or the fork huggingface_hub ships with)."""
    lib = importlib.import_module(type(client).__module__.split(".")[0])
    return tuple(getattr(lib, n) for n in ("TimeoutException", "TransportError") if hasattr(lib, n))


def _describe(exc: BaseException) -> str:
    name = type(exc).__name__
    text = clean(exc, 160)
    if "Timeout" in name:
        return f"timed out ({text or name})"
    return f"{text} ({name})" if text else name


class Wire:
    """The traffic of one model read."""

    def __init__(self, label: str, env: Mapping[str, str]):
        self.label, self.timeout = label, timeout_s(env)
        self.requests = self.bytes = self.cached = 0
        self.log: list[str] = []
        self.status = ""
        self._lock = threading.Lock()
        self._progress = _Progress(self) if _SETTINGS["progress"] else None

    def note(self, status: str) -> None:
        self.status = status

    def add(self, line: str, requests: int, nbytes: int) -> None:
        with self._lock:
            self.requests += requests
            self.bytes += nbytes
            self.log.append(line)

    def from_cache(self, nbytes: int) -> None:
        with self._lock:
            self.cached += nbytes

    def summary(self) -> str:
        text = f"{self.requests} request(s), {human(self.bytes)} received"
        return text + (f", {human(self.cached)} from the cache" if self.cached else "")

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
        if _SETTINGS["debug"]:
            out = sys.stderr
            out.write(f"llmdoctor: debug: {self.label}: {self.summary()} ({self.bytes:,} bytes)\n")
            for line in self.log:
                out.write(f"llmdoctor: debug:   {line}\n")
            out.flush()

    def get(self, url: str, headers: Mapping[str, str], *, limit: int, what: str,
            byte_range: Optional[tuple[int, int]] = None, accept: Optional[str] = None) -> Reply:
        """GET `url`, reading at most `limit` bytes of the body. `byte_range` is [start, end). Transient
        failures are retried; a final failure is a RemoteError; any HTTP status is returned."""
        sent = dict(headers)
        sent["Accept-Encoding"] = "identity"
        if accept:
            sent["Accept"] = accept
        if byte_range is not None:
            sent["Range"] = f"bytes={byte_range[0]}-{byte_range[1] - 1}"
        client = _client()
        transient = _client_errors(client)
        for attempt in range(ATTEMPTS):
            wait = BACKOFF_S[min(attempt, len(BACKOFF_S) - 1)]
            try:
                reply = self._once(client, url, sent, limit, what, byte_range)
            except RemoteError:
                raise
            except transient as exc:
                if attempt == ATTEMPTS - 1:
                    raise RemoteError(what, f"{_host(url)} could not be reached: {_describe(exc)}", missing=True) from None
                time.sleep(wait)
                continue
            except Exception as exc:
                if type(exc).__module__.split(".")[0] in ("httpx", "httpx2", "httpcore", "huggingface_hub", "h11",
                                                          "ssl"):
                    raise RemoteError(what, f"{_host(url)}: {_describe(exc)}", missing=True) from None
                raise
            if reply.status in RETRY_STATUS and attempt < ATTEMPTS - 1:
                time.sleep(_retry_after(reply.headers, wait))
                continue
            return reply
        raise AssertionError("unreachable")

    def _once(self, client, url: str, headers: dict, limit: int, what: str, byte_range) -> Reply:
        deadline = time.monotonic() + self.timeout * DEADLINE_FACTOR
        received = 0
        chunks: list[bytes] = []
        with client.stream("GET", url, headers=headers, timeout=self.timeout, follow_redirects=True) as resp:
            status = resp.status_code
            cap = limit if status < 400 else MAX_ERROR_BODY
            kept = 0
            for chunk in resp.iter_bytes():
                received += len(chunk)
                if kept < cap:
                    piece = chunk[:cap - kept]
                    chunks.append(piece)
                    kept += len(piece)
                if kept >= cap:
                    break
                if time.monotonic() > deadline:
                    self._count(url, status, byte_range, received)
                    raise RemoteError(what, f"{_host(url)} is too slow: {human(received)} in "
                                            f"{self.timeout * DEADLINE_FACTOR:.0f} s", missing=True)
            reply = Reply(status, {k.lower(): v for k, v in resp.headers.items()}, b"".join(chunks), str(resp.url))
        self._count(url, status, byte_range, received)
        if self.bytes > MAX_WIRE_BYTES:
            raise RemoteError(what, f"over {human(MAX_WIRE_BYTES)} received for one model; stopped")
        return reply

    def _count(self, url: str, status: int, byte_range, received: int) -> None:
        span = f" bytes={byte_range[0]}-{byte_range[1] - 1}" if byte_range else ""
        self.add(f"GET {url}{span} -> {status}, {received:,} B", 1, received)


def _host(url: str) -> str:
    m = re.match(r"^([a-z]+://[^/]+)", url)
    return m.group(1) if m else url


def _retry_after(headers: dict, default: float) -> float:
    try:
        return min(max(float(headers.get("retry-after", default)), 0.0), MAX_RETRY_AFTER_S)
    except ValueError:
        return default


class _Progress:
    """One line on a terminal's stderr while a read takes longer than a second; nothing in a pipe (a
    stray line there would break the one-line error contract)."""

    def __init__(self, wire: Wire):
        self.wire, self.start, self.shown, self._last = wire, time.monotonic(), False, ""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="llmdoctor-progress", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            if time.monotonic() - self.start >= PROGRESS_DELAY_S:
                self._draw()

    def _draw(self) -> None:
        stream = sys.stderr
        try:
            if not stream.isatty():
                return
        except (AttributeError, ValueError):
            return
        import shutil
        w = self.wire
        line = f"llmdoctor: reading {w.label} remotely: {w.status or 'waiting'}, {human(w.bytes)} received"
        width = max(20, shutil.get_terminal_size((80, 24)).columns - 1)    # one row: \r must reach its start
        if line != self._last:
            stream.write("\r" + line[:width] + "\x1b[K")
            stream.flush()
            self._last, self.shown = line, True

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(1.0)
        if self.shown:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()


class RemotePrefix:
    """The first bytes of a remote file, as a read-only seekable file for the header parsers. Bytes are
    fetched on demand as one contiguous prefix, in chunks that start at `first` and double up to
    `max_chunk`, never past `cap`; a prefix kept from an earlier run is used first."""

    def __init__(self, fetch: Callable[[int, int], bytes], size: int, label: str, *, cap: int,
                 first: int = 1 << 20, max_chunk: int = 2 << 20, cached: bytes = b""):
        self.fetch, self.size, self.label, self.cap = fetch, size, label, cap
        self.chunk, self.max_chunk = max(first, 4096), max_chunk
        self.buf = bytearray(cached[:size])
        self.from_cache = len(self.buf)
        self.pos = 0

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self.pos, 2: self.size}[whence]
        self.pos = max(0, base + offset)
        return self.pos

    def read(self, n: int = -1) -> bytes:
        end = self.size if n is None or n < 0 else min(self.pos + n, self.size)
        if end <= self.pos:
            return b""
        self.ensure(end)
        data = bytes(self.buf[self.pos:end])
        self.pos = end
        return data

    def ensure(self, end: int, exact: bool = False) -> None:
        """Have bytes [0, end); with `exact`, fetch no more than that."""
        end = min(end, self.size)
        if end <= len(self.buf):
            return
        if end > self.cap:
            raise RemoteError(self.label, f"the header runs past {human(self.cap)}; not reading further")
        start = len(self.buf)
        stop = end if exact else min(self.size, self.cap, max(end, start + self.chunk))
        data = self.fetch(start, stop)
        if len(data) != stop - start:
            raise RemoteError(self.label, f"short read: asked for bytes {start}-{stop - 1}, got {len(data)}")
        self.buf += data
        self.chunk = min(self.chunk * 2, self.max_chunk)


def write_atomic(path: str, data: bytes) -> bool:
    """Best effort: a cache that cannot be written (read-only, full) only costs the next run a request."""
    import tempfile
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
        return True
    except OSError:
        return False


def read_cached(path: str, limit: int) -> Optional[bytes]:
    from llmdoctor.safe_io import read_regular
    if not os.path.lexists(path):
        return None
    try:
        return read_regular(path, limit, "cached header")
    except InputError:
        return None
