"""Software: Python, nvcc (and the gcc it accepts), gcc, torch's CUDA build, engines, env vars."""
from __future__ import annotations

import re
import subprocess

from llmdoctor.facts import Binary, Machine, Nvcc
from llmdoctor.errors import InputError
from llmdoctor.probes.source import NotRecorded, Source

PACKAGES = ("torch", "vllm", "sglang", "transformers", "flashinfer-python", "flashinfer",
            "triton", "xformers", "llama_cpp_python", "nvidia-ml-py", "intel-extension-for-pytorch",
            "nvidia-nccl-cu12", "nvidia-nccl-cu13", "sgl-kernel", "flash-attn", "vllm-xpu-kernels")
BINARIES = {"llama-server": ["--version"], "llama-cli": ["--version"], "ollama": ["--version"]}
GPU_TOOLS = ("nvidia-smi", "xpu-smi", "sycl-ls", "amd-smi", "rocm-smi")
ENV_PREFIXES = ("CUDA_VISIBLE_DEVICES", "CUDA_DEVICE_ORDER", "NCCL_", "VLLM_", "SGLANG_",
                "OLLAMA_", "PYTORCH_CUDA_ALLOC_CONF", "OMP_NUM_THREADS", "CUDA_HOME", "CUDA_PATH",
                "CCL_", "ZE_AFFINITY_MASK", "ONEAPI_", "FI_", "TORCH_CUDA_ARCH_LIST", "GGML_",
                "LLAMA_ARG_", "HIP_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES", "CUDAHOSTCXX")
RUN_TIMEOUT_S = 5.0


def probe_software(src: Source, machine: Machine) -> str | None:
    sw = machine.software
    plat = src.call("platform")
    sw.python_version, sw.python_executable = plat["python_version"], plat["python_executable"]
    env = src.call("environ")
    sw.env = {k: v for k, v in sorted(env.items()) if k.startswith(ENV_PREFIXES)}
    for name in PACKAGES:
        version = _safe(src, "package_version", name)
        if version:
            sw.packages[name] = version
    _read_torch(src, sw)
    return None


def probe_toolchain(src: Source, machine: Machine) -> str | None:
    sw = machine.software
    env = src.call("environ")
    sw.nvcc = [n for n in (_nvcc(src, p) for p in _nvcc_candidates(src, env)) if n]
    gcc = src.which("gcc")
    if gcc:
        out = _run(src, [gcc, "-dumpfullversion", "-dumpversion"])
        sw.gcc_version = out.strip() if out else None
    for name, args in BINARIES.items():
        path = src.which(name)
        if path:
            out = _run(src, [path, *args]) or ""
            sw.binaries.append(Binary(name=name, path=path, version=_binary_version(name, out)))
    sw.gpu_tools = [t for t in GPU_TOOLS if src.which(t)]
    return None


def _safe(src: Source, name: str, *args):
    try:
        return src.call(name, *args)
    except (OSError, NotRecorded):
        return None


def _run(src: Source, argv: list[str]) -> str | None:
    try:
        out = src.run(argv, RUN_TIMEOUT_S)
    except (OSError, TimeoutError, subprocess.TimeoutExpired, NotRecorded):
        return None
    return (out["stdout"] + out["stderr"]) if out["rc"] == 0 else None


def _read_torch(src: Source, sw) -> None:
    sw.torch_version = sw.packages.get("torch")
    if not sw.torch_version:
        return
    text = _safe(src, "package_file", "torch", "torch/version.py") or ""
    cuda = re.search(r"^cuda\b[^=]*=\s*['\"]([^'\"]+)['\"]", text, re.M)
    hip = re.search(r"^hip\b[^=]*=\s*['\"]([^'\"]+)['\"]", text, re.M)
    sw.torch_cuda = cuda.group(1) if cuda else None
    sw.torch_hip = hip.group(1) if hip else None
    if sw.torch_cuda:
        # what torch.cuda.get_arch_list() says, read from the library's fatbin headers instead
        try:
            sw.torch_arch_list = src.call("torch_arch_list")
        except (OSError, NotRecorded, InputError) as exc:
            sw.unknown["torch_arch_list"] = f"could not read torch's CUDA library: {exc}"


def _nvcc_candidates(src: Source, env: dict) -> list[str]:
    paths = []
    for var in ("CUDA_HOME", "CUDA_PATH"):
        if env.get(var):
            paths.append(env[var].rstrip("/") + "/bin/nvcc")
    on_path = src.which("nvcc")
    if on_path:
        paths.append(on_path)
    try:
        for name in src.listdir("/usr/local"):
            if name.startswith("cuda"):
                paths.append(f"/usr/local/{name}/bin/nvcc")
    except (OSError, NotRecorded):
        pass  # no /usr/local: nothing to add
    seen, unique = set(), []
    for p in paths:
        if not src.exists(p):
            continue
        real = _safe(src, "realpath", p) or p
        if real not in seen:
            seen.add(real)
            unique.append(real)
    return unique


def _nvcc(src: Source, path: str) -> Nvcc | None:
    out = _run(src, [path, "--version"])
    version = None
    if out:
        m = re.search(r"release\s+(\d+\.\d+)", out)
        version = m.group(1) if m else None
    root = path.rsplit("/bin/", 1)[0]
    header = (_safe(src, "read_text", f"{root}/include/crt/host_config.h")
              or _safe(src, "read_text", f"{root}/targets/x86_64-linux/include/crt/host_config.h"))
    return Nvcc(path=path, version=version, max_gcc=_max_gcc(header))


def _max_gcc(header: str | None) -> int | None:
    """host_config.h rejects newer gcc with `#if __GNUC__ > N` before 'unsupported GNU version'."""
    if not header:
        return None
    for m in re.finditer(r"#if\s+__GNUC__\s*>\s*(\d+)(?P<rest>.{0,400})", header, re.S):
        if "unsupported GNU version" in m.group("rest"):
            return int(m.group(1))
    return None


def _binary_version(name: str, out: str) -> str | None:
    if name == "ollama":
        m = re.search(r"version is\s+(\S+)", out)
    else:   # llama.cpp prints "version: 4589 (1e8ea4b0)"
        m = re.search(r"version:\s*(\d+\s*\([0-9a-f]+\)|\S+)", out)
    return m.group(1) if m else (out.strip().splitlines()[0] if out.strip() else None)
