"""`derived.*`: the few facts rules need that are not plain probe/reader/planner output.

Each is computed from the facts document alone (plus the chat template text, which the JSON
document leaves out). Unknown stays None; a rule reading a None input does not fire.
See docs/rules/README.md, "Derived facts", for the list and how each is computed.
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any, Optional

from llmdoctor import families
from llmdoctor.checkpoint.chat_template import read_small_text, reread_model_template
from llmdoctor.diagnose.template_check import check_template
from llmdoctor.plan.records import CommandIssue


@dataclass
class ChatTemplateCheck:
    """The chat template the server will use, rendered in jinja2's sandbox (template_check.py)."""
    source: Optional[str] = None            # "model:<file>" | "flag:<flag> <path>" | None (no template)
    developer_role_ok: Optional[bool] = None   # a developer message renders and reaches the prompt
    developer_role_error: Optional[str] = None   # the template's exception text, or why it counts as rejected
    tools_ok: Optional[bool] = None          # a tool definition reaches the prompt
    tool_calls_ok: Optional[bool] = None     # an assistant tool call + tool answer render
    error: Optional[str] = None              # the template fails even on system+user


@dataclass
class HostRamVsCheckpoint:
    ram_bytes: Optional[int] = None          # min(MemAvailable, cgroup memory limit)
    checkpoint_bytes: Optional[int] = None   # model.files.total_bytes for real files, else model.weight_bytes
    ratio: Optional[float] = None            # ram_bytes / checkpoint_bytes


@dataclass
class SharedMemory:
    in_container: bool = False               # the engine runs in a container (docker wrapper or probed inside one)
    ipc_host: bool = False                   # --ipc=host (the container shares the host's /dev/shm)
    bytes: Optional[int] = None              # size of /dev/shm the engine will see
    source: Optional[str] = None             # "docker --shm-size" | "docker default" | "probed" | "host"


@dataclass
class JitNvcc:
    path: Optional[str] = None               # nvcc under CUDA_HOME/CUDA_PATH if set, else the first found
    version: Optional[str] = None            # its CUDA version, "13.3"
    max_gcc: Optional[int] = None            # newest gcc major its host_config.h accepts


@dataclass
class Derived:
    engine: Optional[str] = None             # plan.engine, else command.engine
    engine_label: Optional[str] = None       # how people write it: vLLM, SGLang, llama.cpp, Ollama
    engine_version: Optional[str] = None     # plan.engine_version, else the installed package/binary
    min_cc: Optional[float] = None           # lowest compute capability among NVIDIA GPUs (7.5, 8.9, ...)
    effective_dtype: Optional[str] = None    # "bfloat16" | "float16" | "float32": what the engine computes in
    kv_cache_dtype: Optional[str] = None     # normalized: "auto" | "fp8" | "fp8_e4m3" | "fp8_e5m2" | "q8_0" | ...
    weight_quant: Optional[str] = None       # "fp8" | "awq" | "gptq" | "wna16" | "nvfp4" | "mxfp4" | "gguf" | other method | None
    quant_method: Optional[str] = None       # vLLM's name for the quantization config it will build (before Marlin overrides)
    quant_min_capability: Optional[int] = None   # that config's get_min_capability() at the engine version (vLLM), e.g. 75
    tensor_parallel_size: int = 1            # plan's, else --tensor-parallel-size / --tp-size, else 1
    world_size: int = 1                      # tensor x pipeline parallel: GPU processes that talk over NCCL/shm
    gpu_memory_utilization: Optional[float] = None   # plan's, else --gpu-memory-utilization / --mem-fraction-static
    torch_missing_arch: Optional[list[str]] = None   # NVIDIA GPUs torch's arch list cannot run ("name (sm_75)"); None: list unknown
    driver_min_for_torch_cuda: Optional[str] = None          # NVIDIA Table 3: driver shipped with that toolkit (GA)
    driver_family_min_for_torch_cuda: Optional[str] = None   # NVIDIA Table 2: minor-version-compatibility floor
    jit_nvcc: JitNvcc = field(default_factory=JitNvcc)       # the nvcc a JIT extension build will use
    host_ram_vs_checkpoint: HostRamVsCheckpoint = field(default_factory=HostRamVsCheckpoint)   # free host RAM against the checkpoint size
    shm: SharedMemory = field(default_factory=SharedMemory)   # the /dev/shm the engine will see (docker --ipc/--shm-size aware)
    chat_template: ChatTemplateCheck = field(default_factory=ChatTemplateCheck)   # the serving template rendered in jinja2's sandbox
    model_family: Optional[str] = None       # rules/data/parsers.toml family name
    tool_parsers: list[str] = field(default_factory=list)        # parsers that match model_family
    reasoning_parsers: list[str] = field(default_factory=list)   # reasoning parsers that match model_family
    reasoning_default: Optional[str] = None  # "on" | "off" | "none" | "unknown"
    context_tokens: Optional[int] = None     # context one request gets (plan.max_model_len, else from flags)
    requested_context: Optional[int] = None  # the context the command's flags and environment ask for
    command_issues: list[CommandIssue] = field(default_factory=list)   # the engine's own parser on the command
    command_checked_against: Optional[str] = None   # the engine version whose command line was checked
    command_refusals: list[str] = field(default_factory=list)   # messages of the issues that stop the engine


# NVIDIA CUDA Toolkit release notes, Table 3 (GA rows, Linux x86_64) and Table 2 (minor-version
# compatibility floor). Copied as data from shared/knowledge/pitfalls.md, Reference table 1.
DRIVER_TABLE3 = {
    "13.2": "595.45.04", "13.1": "590.44.01", "13.0": "580.65.06", "12.9": "575.51.03",
    "12.8": "570.26", "12.6": "560.28.03", "12.5": "555.42.02", "12.4": "550.54.14",
    "12.3": "545.23.06", "12.2": "535.54.03", "12.1": "530.30.02", "12.0": "525.60.13",
    "11.8": "520.61.05", "11.7": "515.43.04", "11.6": "510.39.01", "11.5": "495.29.05",
    "11.4": "470.42.01", "11.3": "465.19.01", "11.2": "460.27.03", "11.1": "455.23",
    "11.0": "450.51.05", "10.2": "440.33", "10.1": "418.39", "10.0": "410.48",
}
DRIVER_TABLE2 = {"13": "580", "12": "525", "11": "450"}

DOCKER_DEFAULT_SHM = 64 * 1024 * 1024

_DTYPE = {"half": "float16", "float16": "float16", "fp16": "float16", "f16": "float16",
          "bfloat16": "bfloat16", "bf16": "bfloat16", "float": "float32", "float32": "float32",
          "fp32": "float32", "f32": "float32"}


def _get(d: Any, *path, default=None):
    for p in path:
        if isinstance(d, dict):
            d = d.get(p)
        elif isinstance(d, list) and isinstance(p, int) and -len(d) <= p < len(d):
            d = d[p]
        else:
            return default
        if d is None:
            return default
    return d


def flags_of(doc: dict) -> dict:
    f = _get(doc, "command", "flags")
    return f if isinstance(f, dict) else {}


def launch_env(doc: dict) -> dict:
    """The environment the engine will see: the probed shell, then VAR=value prefixes, then docker -e."""
    env = dict(_get(doc, "machine", "software", "env") or {})
    env.update(_get(doc, "command", "env") or {})
    env.update(_get(doc, "command", "docker", "env") or {})
    return env


def _mm(version: Optional[str]) -> Optional[str]:
    m = re.match(r"\s*(\d+)\.(\d+)", str(version or ""))
    return f"{m.group(1)}.{m.group(2)}" if m else None


def compute(doc: dict, template_text: Optional[str] = None) -> Derived:
    d = Derived()
    plan, command, model = doc.get("plan"), doc.get("command"), doc.get("model")
    software = _get(doc, "machine", "software") or {}
    flags = flags_of(doc)
    env = launch_env(doc)

    d.engine = _get(plan, "engine") or _get(command, "engine")
    d.engine_version = _get(plan, "engine_version") or _installed_version(d.engine, software)
    d.engine_label = getattr(_engine(d.engine), "label", None)
    if command and d.engine and isinstance(command.get("args"), list):
        from llmdoctor.engines.cli_table import check_args, check_env, table
        d.command_issues = check_args(d.engine, d.engine_version, [str(a) for a in command["args"]],
                                      command.get("program"))
        d.command_issues += check_env(d.engine, d.engine_version, env, command.get("program"))
        spec = _engine(d.engine)
        if spec is not None and isinstance(command.get("flags"), dict):
            d.command_issues += spec.check_config(command["flags"], d.engine_version, env)
        t = table(d.engine)
        d.command_checked_against = t.version_for(d.engine_version) if t is not None else None
        d.command_refusals = [i.message + (f" ({i.hint})" if i.hint else "") for i in d.command_issues if i.refuses]

    ccs = []
    for g in _get(doc, "machine", "gpus") or []:
        if g.get("vendor") == "nvidia" and g.get("cc_major") is not None:
            ccs.append(g["cc_major"] + (g.get("cc_minor") or 0) / 10.0)
    d.min_cc = min(ccs) if ccs else None

    d.tensor_parallel_size = int(_get(plan, "tensor_parallel_size") or flags.get("tensor_parallel_size")
                                 or flags.get("tp_size") or flags.get("tp") or 1)
    pp = int(_get(plan, "pipeline_parallel_size") or flags.get("pipeline_parallel_size") or flags.get("pp_size") or 1)
    d.world_size = d.tensor_parallel_size * pp
    gmu = _get(plan, "gpu_memory_utilization")
    if gmu is None:
        gmu = flags.get("gpu_memory_utilization", flags.get("mem_fraction_static"))
    d.gpu_memory_utilization = float(gmu) if isinstance(gmu, (int, float)) and not isinstance(gmu, bool) else None
    d.torch_missing_arch = _missing_arch(doc, software)
    d.effective_dtype = _effective_dtype(plan, flags, model)
    d.kv_cache_dtype = _kv_dtype(plan, flags, env, d.engine)
    d.weight_quant = _weight_quant(flags, model)
    if d.engine == "vllm":
        d.quant_method, d.quant_min_capability = _vllm_min_capability(flags, model, d.engine_version)

    cuda = _mm(software.get("torch_cuda"))
    if cuda:
        d.driver_min_for_torch_cuda = DRIVER_TABLE3.get(cuda)
        d.driver_family_min_for_torch_cuda = DRIVER_TABLE2.get(cuda.split(".")[0])

    d.jit_nvcc = _jit_nvcc(software, env)
    d.host_ram_vs_checkpoint = _host_ram(doc, model)
    d.shm = _shm(doc)
    d.chat_template = _template(doc, model, flags, template_text)
    fam = match_family(model)
    if fam:
        d.model_family = fam["name"]
        d.tool_parsers = families.tool_parsers(fam, d.engine)
        d.reasoning_parsers = families.reasoning_parsers(fam, d.engine)
        d.reasoning_default = fam.get("reasoning_default")
    d.context_tokens = _context(plan, flags, env, d.engine)
    spec = _engine(d.engine)
    if spec is not None:
        try:
            d.requested_context = spec.context_of(flags, env)
        except (TypeError, ValueError):          # a value the engine's parser refuses (see command_issues)
            d.requested_context = None
    return d


def _installed_version(engine: Optional[str], software: dict) -> Optional[str]:
    spec = _engine(engine)
    if spec is None:
        return None
    if not spec.binaries:
        return (software.get("packages") or {}).get(spec.package)
    for b in software.get("binaries") or []:
        if b.get("name") in spec.binaries and b.get("version"):
            return b["version"]
    return None


def _engine(name: Optional[str]):
    from llmdoctor import engines
    return next((e for e in engines.engines() if e.name == name), None)


def _missing_arch(doc: dict, software: dict) -> Optional[list[str]]:
    """GPUs that torch's compiled arch list cannot run: no sm_XY cubin of the same major with a
    minor <= the GPU's, and no compute_XY PTX at or below the GPU's capability."""
    archs = software.get("torch_arch_list")
    if not archs:
        return None
    sm, ptx = [], []
    for a in archs:
        m = re.match(r"(sm|compute)_(\d+?)(\d)[a-z]?$", str(a))
        if m:
            (sm if m.group(1) == "sm" else ptx).append((int(m.group(2)), int(m.group(3))))
    missing = []
    for g in _get(doc, "machine", "gpus") or []:
        if g.get("vendor") != "nvidia" or g.get("cc_major") is None:
            continue
        cc = (g["cc_major"], g.get("cc_minor") or 0)
        if any(a[0] == cc[0] and a[1] <= cc[1] for a in sm) or any(p <= cc for p in ptx):
            continue
        missing.append(f"{g.get('name') or 'GPU ' + str(g.get('index'))} (sm_{cc[0]}{cc[1]})")
    return missing


def _effective_dtype(plan, flags, model) -> Optional[str]:
    raw = _get(plan, "dtype") or flags.get("dtype")
    norm = _DTYPE.get(str(raw).lower()) if raw else None
    if norm:
        return norm
    if raw in (None, "auto"):
        td = _get(model, "torch_dtype")
        if td:
            td = _DTYPE.get(str(td).lower())
            return "float16" if td == "float32" else td   # vLLM's auto turns fp32 checkpoints into fp16
    return None


def _kv_dtype(plan, flags, env, engine) -> Optional[str]:
    raw = _get(plan, "kv_cache", "dtype")
    spec = _engine(engine)
    if raw is None and spec is not None:
        raw = spec.kv_dtype_of(flags, env)
    return str(raw).lower() if raw is not None else None


def _vllm_min_capability(flags, model, version) -> tuple[Optional[str], Optional[int]]:
    """vLLM's quantization method for the checkpoint (the --quantization flag, else quant_method) and its
    minimum compute capability at this version (engines/vllm/cli_flags.json extra, read from each
    version's QuantizationConfig.get_min_capability)."""
    from llmdoctor.engines.cli_table import table
    method = flags.get("quantization") or (_get(model, "quantization") or {}).get("method")
    if not method:
        return None, None
    method = str(method).lower()
    wd = str((_get(model, "quantization") or {}).get("weight_dtype") or "").lower()
    if method == "modelopt" and "fp4" in wd:
        method = "modelopt_fp4"
    t = table("vllm")
    per_version = ((t.extra.get("quantization_min_capability") or {}).get("per_version") or {}) if t else {}
    caps = per_version.get(t.version_for(version), {}) if t else {}
    cap = caps.get(method)
    return method, cap if isinstance(cap, int) and cap > 0 else None


def _weight_quant(flags, model) -> Optional[str]:
    q = flags.get("quantization")
    method = str(q).lower() if q else None
    qs = _get(model, "quantization") or {}
    if not method:
        method = str(qs.get("method") or "").lower() or None
    if method is None:
        return "gguf" if _get(model, "format") == "gguf" else None
    wd = str(qs.get("weight_dtype") or "").lower()
    if method in ("modelopt_fp4", "nvfp4") or "nvfp4" in wd or ("fp4" in wd and "mx" not in wd):
        return "nvfp4"
    if method == "mxfp4" or "mxfp4" in wd:
        return "mxfp4"
    if method in ("fp8", "fbgemm_fp8", "ptpc_fp8") or wd.startswith("fp8"):
        return "fp8"
    if method.startswith("awq"):
        return "awq"
    if method.startswith("gptq") or method == "auto-round":
        return "gptq"
    if method == "compressed-tensors" and wd.startswith("int"):
        return "wna16"
    return method


def _jit_nvcc(software: dict, env: dict) -> JitNvcc:
    nvccs = software.get("nvcc") or []
    if not nvccs:
        return JitNvcc()
    chosen = None
    home = env.get("CUDA_HOME") or env.get("CUDA_PATH")
    if home:
        prefix = home.rstrip("/") + "/"
        chosen = next((n for n in nvccs if str(n.get("path", "")).startswith(prefix)), None)
    chosen = chosen or nvccs[0]
    return JitNvcc(chosen.get("path"), chosen.get("version"), chosen.get("max_gcc"))


def _host_ram(doc: dict, model) -> HostRamVsCheckpoint:
    host = _get(doc, "machine", "host") or {}
    ram = host.get("ram_available_bytes")
    limit = host.get("cgroup_memory_limit_bytes")
    if limit is not None:
        ram = limit if ram is None else min(ram, limit)
    ckpt = _get(model, "weight_bytes")
    if model and model.get("format") in ("hf", "gguf") and not model.get("weights_computed"):
        ckpt = _get(model, "files", "total_bytes") or ckpt      # what is really on disk
    ratio = round(ram / ckpt, 3) if ram and ckpt else None
    return HostRamVsCheckpoint(ram, ckpt, ratio)


def _shm(doc: dict) -> SharedMemory:
    host = _get(doc, "machine", "host") or {}
    docker = _get(doc, "command", "docker")
    if docker is not None:
        ipc_host = str(docker.get("ipc") or "").lower() == "host"
        if ipc_host:
            # Inside a container that shares the host IPC namespace: the host's /dev/shm. If llmdoctor
            # itself was probed inside a container, that value is the container's, not the host's.
            return SharedMemory(True, True, host.get("shm_total_bytes"), "host (--ipc=host)")
        if docker.get("shm_size_bytes") is not None:
            return SharedMemory(True, False, docker["shm_size_bytes"], "docker --shm-size")
        return SharedMemory(True, False, DOCKER_DEFAULT_SHM, "docker default (64 MiB)")
    if host.get("container"):
        return SharedMemory(True, False, host.get("shm_total_bytes"), "probed inside the container")
    return SharedMemory(False, False, host.get("shm_total_bytes"), "host")


def _template(doc, model, flags, text) -> ChatTemplateCheck:
    for flag in ("chat_template_file", "chat_template"):
        value = flags.get(flag)
        if not value or not isinstance(value, str):
            continue
        body = read_small_text(value)
        if body is None and ("{%" in value or "{{" in value):
            body, where = value, f"flag:--{flag.replace('_', '-')} (inline)"
        else:
            where = f"flag:--{flag.replace('_', '-')} {value}"
        if body is None:   # a path on another machine (e.g. inside the container): cannot check
            return ChatTemplateCheck(source=where, error="the template file given on the command line cannot be read here")
        return _verdict(body, where)
    ct = _get(model, "chat_template")
    if not ct:
        return ChatTemplateCheck()
    if text is None:
        text = ct.get("text")
    if text is None:
        text = reread_model_template(model.get("path"), ct.get("sha256"))
    if text is None:
        return ChatTemplateCheck(source=f"model:{ct.get('source')}", error="template text not available")
    return _verdict(text, f"model:{ct.get('source')}")


def _verdict(text: str, where: str) -> ChatTemplateCheck:
    v = check_template(text)
    return ChatTemplateCheck(where, v.developer_role_ok, v.developer_role_error, v.tools_ok, v.tool_calls_ok, v.error)


def _context(plan, flags, env, engine) -> Optional[int]:
    mml = _get(plan, "max_model_len")
    if mml:
        return int(mml)
    spec = _engine(engine)
    return spec.context_of(flags, env) if spec is not None else None


def match_family(model: Optional[dict]) -> Optional[dict]:
    if not model:
        return None
    names = " ".join(str(model.get(k) or "") for k in ("path", "architecture"))
    return families.match_family(model.get("model_type"), names)


def to_dict(d: Derived) -> dict:
    return dataclasses.asdict(d)
