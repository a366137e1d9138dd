"""Where probes get their raw answers: the live machine, a recording of it, or a replay.

Every probe reads the machine only through `Source.call(name, *args)`. The live source answers
from the OS; `RecordingSource` keeps each answer (or the error it raised) so it can be saved;
`ReplaySource` answers from a saved recording. The same probe code runs in all three, so a
recorded machine exercises exactly the code a live one does.
"""
from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
from typing import Any, Callable

from llmdoctor.errors import InputError

RECORDING_FORMAT = "llmdoctor-machine-recording"
RECORDING_VERSION = 1
MAX_FILE_READ = 4 << 20          # sysfs/procfs files are small; cap what one read may return


class NotRecorded(LookupError):
    """A replayed machine has no answer for this call."""


class NvmlError(Exception):
    """An NVML call failed. `code` is NVML's error name without the prefix, e.g. "NotSupported"."""

    def __init__(self, code: str, message: str = ""):
        super().__init__(message or code)
        self.code = code


def _read_text(path: str) -> str:
    with open(path, "rb") as fh:
        data = fh.read(MAX_FILE_READ)
    return data.decode("utf-8", errors="replace")


def _listdir(path: str) -> list[str]:
    return sorted(os.listdir(path))


def _exists(path: str) -> bool:
    return os.path.exists(path)


def _realpath(path: str) -> str:
    return os.path.realpath(path)


def _statvfs(path: str) -> dict:
    st = os.statvfs(path)
    return {"total": st.f_blocks * st.f_frsize, "free": st.f_bavail * st.f_frsize}


def _run(argv: list[str], timeout: float) -> dict:
    """Run a program (argv list, never a shell) and return its exit code and the first MAX_FILE_READ bytes
    of each stream. Output is read as it comes, so a program that floods it is stopped at the cap
    instead of being buffered whole; one that runs past `timeout` is killed (TimeoutExpired)."""
    import selectors
    import time
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = {proc.stdout: bytearray(), proc.stderr: bytearray()}
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as sel:
        for stream in out:
            sel.register(stream, selectors.EVENT_READ)
        try:
            while sel.get_map():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise subprocess.TimeoutExpired(argv, timeout)
                for key, _ in sel.select(left):
                    chunk = os.read(key.fd, 65536)
                    buf = out[key.fileobj]
                    if not chunk or len(buf) >= MAX_FILE_READ:
                        sel.unregister(key.fileobj)
                        continue
                    buf += chunk[:MAX_FILE_READ - len(buf)]
                if any(len(b) >= MAX_FILE_READ for b in out.values()):
                    break                    # flooding: keep what we have, stop the program below
            if not any(len(b) >= MAX_FILE_READ for b in out.values()):
                proc.wait(max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise
        finally:
            if proc.poll() is None:          # stopped reading at the cap: the rest is not wanted
                proc.kill()
                proc.wait()
            for stream in out:
                stream.close()
    return {"rc": proc.returncode, "stdout": bytes(out[proc.stdout]).decode("utf-8", errors="replace"),
            "stderr": bytes(out[proc.stderr]).decode("utf-8", errors="replace")}


def _which(name: str) -> str | None:
    return shutil.which(name)


# Only variables that change engine behaviour or tell where we run are read (and so recorded).
ENV_PREFIXES = ("CUDA_", "NCCL_", "VLLM_", "SGLANG_", "OLLAMA_", "LLAMA_", "PYTORCH_", "TORCH_",
                "NVIDIA_", "CCL_", "ONEAPI_", "ZE_", "FI_", "HIP_", "ROCR_", "HSA_", "GGML_")
ENV_NAMES = ("OMP_NUM_THREADS", "LD_LIBRARY_PATH", "CUDAHOSTCXX", "CC", "CXX", "HF_HOME",
             "WSL_DISTRO_NAME", "WSL_INTEROP", "KUBERNETES_SERVICE_HOST", "container")


def _environ() -> dict:
    return {k: v for k, v in os.environ.items() if k.startswith(ENV_PREFIXES) or k in ENV_NAMES}


def _platform() -> dict:
    return {"system": platform.system(), "release": platform.release(),
            "machine": platform.machine(), "python_version": platform.python_version(),
            "python_executable": os.path.realpath(os.sys.executable), "node": platform.node()}


def _package_version(name: str) -> str | None:
    from importlib import metadata
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _package_file(name: str, relpath: str) -> str | None:
    """Text of a file inside an installed distribution, without importing the package."""
    from importlib import metadata
    try:
        dist = metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return None
    path = dist.locate_file(relpath)
    if not os.path.isfile(path):
        return None
    return _read_text(str(path))


def _torch_arch_list() -> list[str]:
    """Architectures compiled into torch's CUDA library, read from its fatbin headers."""
    from importlib import metadata

    from llmdoctor.probes.fatbin import fatbin_archs
    dist = metadata.distribution("torch")
    for rel in ("torch/lib/libtorch_cuda.so", "torch/lib/libtorch_cuda_cu.so"):
        path = str(dist.locate_file(rel))
        if os.path.isfile(path):
            return fatbin_archs(path)
    raise FileNotFoundError(2, "torch has no libtorch_cuda library (a CPU or non-CUDA build)")


def _cpu_count(logical: bool) -> int | None:
    if logical:
        return os.cpu_count()
    import psutil
    return psutil.cpu_count(logical=False)


def _nvml(func: str, *args: Any) -> Any:
    from llmdoctor.probes import nvml
    return nvml.call(func, *args)


LIVE_CALLS: dict[str, Callable[..., Any]] = {
    "read_text": _read_text, "listdir": _listdir, "exists": _exists, "realpath": _realpath,
    "statvfs": _statvfs, "run": _run, "which": _which, "environ": _environ,
    "platform": _platform, "package_version": _package_version, "package_file": _package_file,
    "cpu_count": _cpu_count, "nvml": _nvml, "torch_arch_list": _torch_arch_list,
}


class Source:
    """Live answers from this machine."""

    description = "live"

    def call(self, name: str, *args: Any) -> Any:
        return LIVE_CALLS[name](*args)

    # Convenience wrappers so probe code reads naturally.
    def read_text(self, path: str) -> str:
        return self.call("read_text", path)

    def try_read(self, path: str) -> str | None:
        try:
            return self.call("read_text", path)
        except (OSError, NotRecorded):
            return None

    def exists(self, path: str) -> bool:
        try:
            return bool(self.call("exists", path))
        except NotRecorded:
            return False

    def listdir(self, path: str) -> list[str]:
        return self.call("listdir", path)

    def which(self, name: str) -> str | None:
        try:
            return self.call("which", name)
        except NotRecorded:
            return None

    def run(self, argv: list[str], timeout: float = 5.0) -> dict:
        return self.call("run", list(argv), timeout)

    def nvml(self, func: str, *args: Any) -> Any:
        return self.call("nvml", func, *args)


def call_key(name: str, args: tuple) -> str:
    if name == "run":   # the timeout is not part of the question
        args = args[:1]
    return name + json.dumps(list(args), separators=(",", ":"))


def _error_record(exc: BaseException) -> dict:
    rec = {"type": type(exc).__name__, "message": str(exc)}
    if isinstance(exc, NvmlError):
        rec["code"] = exc.code
    if isinstance(exc, OSError) and exc.errno is not None:
        rec["errno"] = exc.errno
    return rec


_ERROR_TYPES: dict[str, type[BaseException]] = {
    "FileNotFoundError": FileNotFoundError, "PermissionError": PermissionError,
    "NotADirectoryError": NotADirectoryError, "IsADirectoryError": IsADirectoryError,
    "TimeoutExpired": TimeoutError, "TimeoutError": TimeoutError, "InputError": InputError,
}


def _raise_recorded(rec: dict) -> None:
    if rec.get("type") == "NvmlError":
        raise NvmlError(rec.get("code", "Unknown"), rec.get("message", ""))
    exc_type = _ERROR_TYPES.get(rec.get("type", ""), OSError)
    if issubclass(exc_type, OSError) and rec.get("errno") is not None:
        raise exc_type(rec["errno"], rec.get("message", ""))
    raise exc_type(rec.get("message", ""))


class RecordingSource(Source):
    """Answers live and keeps every answer, scrubbed of identifiers, for `--record`."""

    def __init__(self, inner: Source | None = None):
        self.inner = inner or Source()
        self.calls: dict[str, dict] = {}

    def call(self, name: str, *args: Any) -> Any:
        key = call_key(name, args)
        try:
            value = self.inner.call(name, *args)
        except subprocess.TimeoutExpired as exc:
            self.calls[key] = {"error": {"type": "TimeoutError", "message": str(exc)}}
            raise
        except (OSError, NvmlError, ValueError, InputError) as exc:
            self.calls[key] = {"error": _error_record(exc)}
            raise
        self.calls[key] = {"ok": value}
        return value

    def document(self, description: str | None = None) -> dict:
        from llmdoctor import __version__
        return scrub({"format": RECORDING_FORMAT, "version": RECORDING_VERSION,
                      "llmdoctor_version": __version__, "description": description,
                      "calls": self.calls})


class ReplaySource(Source):
    """Answers from a recording; a call the recording lacks raises NotRecorded."""

    def __init__(self, document: dict, label: str = "recording"):
        self.calls = document.get("calls", {})
        self.description = f"replay:{label}"

    def call(self, name: str, *args: Any) -> Any:
        key = call_key(name, args)
        if key not in self.calls:
            raise NotRecorded(f"not recorded: {key}")
        entry = self.calls[key]
        if not isinstance(entry, dict):
            raise NotRecorded(f"damaged recording: {key[:120]}")
        if "error" in entry:
            _raise_recorded(entry["error"])
        value = entry.get("ok")
        if name == "nvml" and args and not _nvml_shape_ok(str(args[0]), value):
            # a recording is untrusted input: a clock of [[[]]] once became a 6 GB list in the arithmetic
            raise NotRecorded(f"damaged recording: {key[:120]} = {str(value)[:40]}")
        return value


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and -(2 ** 62) < v < 2 ** 62


_NVML_STR = {"name", "uuid", "pci_bus_id", "driver_version"}
_NVML_PAIR = {"cuda_compute_capability", "mig_mode", "ecc_mode"}
_NVML_LIST = {"compute_processes", "graphics_processes"}
_NVML_MEMORY = {"memory_info", "memory_info_v2"}


def _nvml_shape_ok(func: str, v: Any) -> bool:
    """The shape pynvml answers `func` with (probes/nvml.py); anything else is a damaged recording."""
    if func in _NVML_STR:
        return isinstance(v, str)
    if func in _NVML_PAIR:
        return isinstance(v, list) and len(v) == 2 and all(_is_int(x) for x in v)
    if func in _NVML_MEMORY:
        return isinstance(v, dict) and all(_is_int(v.get(k)) for k in ("total", "free", "used")) \
            and (v.get("reserved") is None or _is_int(v.get("reserved")))
    if func in _NVML_LIST:
        return isinstance(v, list) and all(isinstance(p, dict) and _is_int(p.get("pid"))
                                           and (p.get("used") is None or _is_int(p.get("used"))) for p in v)
    return _is_int(v)


_UUID = re.compile(r"\b(GPU|MIG)-[0-9a-fA-F]{8}-[0-9a-fA-F-]{27,}")
_SECRET_NAME = re.compile(r"(KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL)", re.I)
HOSTNAME_FILES = ("/etc/hostname", "/proc/sys/kernel/hostname")


def scrub(doc: dict) -> dict:
    """Remove GPU uuids, hostnames and secret-looking environment values from a recording."""
    calls = doc["calls"]
    hostnames = set()
    for path in HOSTNAME_FILES:
        ok = calls.get(call_key("read_text", (path,)), {}).get("ok")
        if ok and ok.strip():
            hostnames.add(ok.strip())
    plat = calls.get(call_key("platform", ()), {}).get("ok")
    if plat and plat.get("node"):
        hostnames.add(plat["node"])
        plat["node"] = "scrubbed-host"
    for path in HOSTNAME_FILES:
        entry = calls.get(call_key("read_text", (path,)))
        if entry and "ok" in entry:
            entry["ok"] = "scrubbed-host\n"
    env = calls.get(call_key("environ", ()), {}).get("ok")
    if env:
        for name in list(env):
            if _SECRET_NAME.search(name):
                env[name] = "<scrubbed>"
    text = json.dumps(doc)
    counter: dict[str, str] = {}

    def _uuid(match: re.Match) -> str:
        return counter.setdefault(match.group(0), f"{match.group(1)}-scrubbed-{len(counter)}")

    text = _UUID.sub(_uuid, text)
    for host in sorted(hostnames, key=len, reverse=True):
        if len(host) >= 3:
            text = text.replace(json.dumps(host)[1:-1], "scrubbed-host")
    return json.loads(text)
