"""vLLM log lines -> facts. Patterns cover V0 (2024) to V1 (2026) wording; each regex says which
line it reads. Sizes: "GB" in V0 lines is GiB (vLLM divided by 2**30)."""
from __future__ import annotations

import ast
import re
from typing import Callable

from llmdoctor.logparse.records import LogLine
from llmdoctor.logparse.sink import FactSink, for_each_line
from llmdoctor.logparse.units import SIZE, num, quiet_ast, to_bytes, to_int

Handler = Callable[[re.Match, LogLine, FactSink], None]
_PATTERNS: list[tuple[re.Pattern, Handler]] = []


def _on(pattern: str):
    def deco(fn: Handler) -> Handler:
        _PATTERNS.append((re.compile(pattern), fn))
        return fn
    return deco


def rank_label(line: LogLine, pid_rank: dict[int, int]) -> str:
    """TP rank when the prefix says it; else the rank seen for that pid; else the process."""
    if line.rank is not None:
        return str(line.rank)
    if line.pid is not None and line.pid in pid_rank:
        return str(pid_rank[line.pid])
    if line.proc and line.proc.startswith("EngineCore"):
        return "0"                     # TP 1: the engine core process runs the model itself
    if line.proc and line.pid is not None:
        return f"{line.proc} pid={line.pid}"
    return "0" if line.proc is None else line.proc   # unprefixed V0 lines come from the driver (rank 0)


# --- identity -----------------------------------------------------------------------------------
@_on(r"(?:^|\s)version (\d+\.\d+[\w.+-]*)")
def _banner_version(m, line, s):
    s.set_version(m.group(1))


@_on(r"vLLM API server version (\S+)")
def _api_version(m, line, s):
    s.set_version(m.group(1))


@_on(r"Initializing an? (?:V1 )?LLM engine \(v([^)]+)\) with config: (.*)")
def _engine_config(m, line, s):
    s.set_version(m.group(1))
    cfg = m.group(2)
    mm = re.search(r"\bmodel='([^']+)'", cfg)
    if mm:
        s.set_model(mm.group(1))
    for key in ("tensor_parallel_size", "pipeline_parallel_size", "max_seq_len"):
        km = re.search(rf"\b{key}=(\d+)", cfg)
        if km:
            s.put("max_model_len" if key == "max_seq_len" else key, int(km.group(1)), line)
    for key in ("quantization", "kv_cache_dtype", "dtype"):
        km = re.search(rf"\b{key}=([\w.]+)", cfg)
        if km and km.group(1) not in ("None", "auto"):
            s.put(f"config_{key}", km.group(1).replace("torch.", ""), line)
    km = re.search(r"\benforce_eager=(True|False)", cfg)
    if km:
        s.put("enforce_eager", km.group(1) == "True", line)


@_on(r"^\W*model (/\S+|[\w.-]+/[\w.-]+)\s*$")
def _banner_model(m, line, s):
    s.set_model(m.group(1))


@_on(r"Starting to load model (\S+?)(?:\.\.\.|\u2026)?$")
def _load_model(m, line, s):
    s.set_model(m.group(1))


@_on(r"non-default args: (\{.*\})")
def _non_default_args(m, line, s):
    # A Python dict repr: literal_eval only (never eval). A truncated paste falls back to key: scalar pairs.
    try:
        args = quiet_ast(ast.literal_eval, m.group(1))
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        args = _scalar_pairs(m.group(1))
    if isinstance(args, dict):
        s.args.update({str(k): v for k, v in args.items()})
        for key in ("model", "model_tag"):
            if isinstance(args.get(key), str):
                s.set_model(args[key])


def _scalar_pairs(text: str) -> dict:
    out = {}
    for k, v in re.findall(r"'(\w+)': ('[^']*'|-?\d+(?:\.\d+)?|True|False|None)", text):
        try:
            out[k] = quiet_ast(ast.literal_eval, v)
        except (ValueError, SyntaxError):
            continue
    return out


@_on(r"Using max model len (\d+)")
def _max_len(m, line, s):
    s.put("max_model_len", int(m.group(1)), line, keep="last")


@_on(r"Resolved architecture: (\w+)")
def _arch(m, line, s):
    s.put("architecture", m.group(1), line)


# --- kernels ------------------------------------------------------------------------------------
@_on(r"Using (\w+) attention backend")
def _attn_v1(m, line, s):
    s.put("attention_backend", m.group(1), line)


_OLD_BACKENDS = {"flash attention": "FLASH_ATTN", "flashinfer": "FLASHINFER", "xformers": "XFORMERS",
                 "triton": "TRITON_ATTN", "torch sdpa": "TORCH_SDPA", "rocmflashattention": "ROCM_FLASH"}


@_on(r"^Using ([\w ]+?) backend\.?$")
def _attn_old(m, line, s):
    # "Using Flash Attention backend." (V0) / "Using Triton backend." from the XPU platform. mxfp4.py
    # prints the same words for its MoE kernel, so a line that names mxfp4 is not attention.
    name = _OLD_BACKENDS.get(m.group(1).lower())
    src = (line.src or "").lower()
    if name and not any(k in src for k in ("mxfp4", "moe", "fp8", "quant")):
        s.put("attention_backend", name, line)
    elif name:
        _add_kernel(s, f"{m.group(1)} backend ({line.src.split(':')[0]})", line)


@_on(r"Selected (\w+) for (\w+)")
def _selected_kernel(m, line, s):
    _add_kernel(s, f"{m.group(1)} for {m.group(2)}", line)


@_on(r"Using (\w+LinearKernel) for (\w+)")
def _linear_kernel(m, line, s):
    _add_kernel(s, f"{m.group(1)} for {m.group(2)}", line)


@_on(r"Weight-only FP4 compression will be used leveraging the Marlin kernel")
def _marlin_fp4(m, line, s):
    _add_kernel(s, "Marlin weight-only FP4 (no native FP4 on this GPU)", line)


@_on(r"Using (Triton/FLA GDN prefill) kernel")
def _gdn(m, line, s):
    s.put("linear_attention_kernel", m.group(1), line)


def _add_kernel(s: FactSink, text: str, line: LogLine) -> None:
    cur = s.get("quant_kernels", [])
    if text not in cur:
        s.put("quant_kernels", cur + [text], line, keep="last")


@_on(r"Using ([\w]+) data type to store kv cache")
def _kv_dtype(m, line, s):
    s.put("kv_cache_dtype", m.group(1), line)


# --- memory -------------------------------------------------------------------------------------
@_on(rf"Model loading took ({SIZE})(?: memory)? and ([\d.]+) seconds")
def _model_loading(m, line, s):
    s.put_device("weights_bytes_by_rank", s.rank_of(line), to_bytes(m.group(1)), line)
    s.put("model_load_seconds", float(m.group(2)), line, keep="max")


@_on(rf"Loading model weights took ({SIZE})")
def _loading_weights_v0(m, line, s):
    s.put_device("weights_bytes_by_rank", s.rank_of(line), to_bytes(m.group(1)), line)


@_on(r"Loading weights took ([\d.]+) seconds")
def _weights_seconds(m, line, s):
    s.put("weights_load_seconds", float(m.group(1)), line, keep="max")


@_on(r"Checkpoint size: ([\d.]+ GiB)\. Available RAM: ([\d.]+ GiB)")
def _ram(m, line, s):
    s.put("checkpoint_bytes", to_bytes(m.group(1)), line, keep="max")
    s.put("available_ram_bytes", to_bytes(m.group(2)), line, keep="min")


@_on(rf"Available KV cache memory: ({SIZE})")
def _avail_kv(m, line, s):
    s.put("available_kv_bytes", to_bytes(m.group(1)), line, keep="min")


@_on(r"Memory profiling results: (.*)")
def _profile_v0(m, line, s):
    s.put_keyed(m.group(1), (("total_gpu_memory", "total_gpu_memory_bytes"), ("peak_torch_memory", "peak_torch_bytes"),
                             ("non_torch_memory", "non_torch_bytes"), ("kv_cache_size", "available_kv_bytes")),
                SIZE, to_bytes, line)
    s.put_keyed(m.group(1), (("gpu_memory_utilization", "gpu_memory_utilization"),), r"[\d.]+", float, line)


@_on(r"total_gpu_memory: ([\d.]+)\s*GiB")
def _total_mem(m, line, s):
    s.put("total_gpu_memory_bytes", round(float(m.group(1)) * 2**30), line)


@_on(r"free_memory_pre_profile: ([\d.]+)\s*GiB")
def _free_pre(m, line, s):
    s.put("free_memory_pre_profile_bytes", round(float(m.group(1)) * 2**30), line, keep="min")


@_on(r"(?:# ?)?GPU blocks: (\d+), # CPU blocks: (\d+)")
def _blocks(m, line, s):
    s.put("num_gpu_blocks", int(m.group(1)), line, keep="min")
    s.put("num_cpu_blocks", int(m.group(2)), line, keep="min")


@_on(r"GPU KV cache size: ([\d,]+) tokens")
def _kv_tokens(m, line, s):
    s.put("kv_tokens", to_int(m.group(1)), line, keep="min")


@_on(r"Maximum concurrency for ([\d,]+) tokens per request: ([\d.,]+)x")
def _concurrency(m, line, s):
    s.put("concurrency_at_tokens", to_int(m.group(1)), line)
    s.put("max_concurrency", num(m.group(2)), line, keep="min")


@_on(r"max seq len \((\d+)\) is larger than the maximum number of tokens that can be stored in KV cache \((\d+)\)")
def _maxlen_error_v0(m, line, s):
    s.put("max_model_len", int(m.group(1)), line)
    s.put("kv_tokens", int(m.group(2)), line)


@_on(rf"max seq len \((\d+)\), \(({SIZE}) KV cache is needed, which is larger than the available KV cache memory \(({SIZE})\)"
     r"(?:\. Based on the available memory, the estimated maximum model length is (\d+))?")
def _maxlen_error_v1(m, line, s):
    # A second run pasted into the same excerpt: the failing run's figures get their own names.
    s.put("failed_max_model_len", int(m.group(1)), line)
    s.put("kv_needed_bytes", to_bytes(m.group(2)), line)
    s.put("failed_available_kv_bytes", to_bytes(m.group(3)), line)
    if m.group(4):
        s.put("estimated_max_model_len", int(m.group(4)), line)


@_on(r"Setting attention block size to (\d+) tokens")
def _hybrid_block(m, line, s):
    s.put("block_size", int(m.group(1)), line)


@_on(r"Setting kv cache block size to (\d+)")
def _kv_block(m, line, s):
    s.put("block_size", int(m.group(1)), line)


@_on(r"Padding mamba page size by ([\d.]+)%")
def _mamba_pad(m, line, s):
    s.put("mamba_page_padding_pct", float(m.group(1)), line)


@_on(rf"Graph capturing finished in (\d+) secs?, took ({SIZE})")
def _graphs(m, line, s):
    s.put("cuda_graph_bytes", to_bytes(m.group(2)), line, keep="max")
    s.put("cuda_graph_seconds", int(m.group(1)), line, keep="max")


@_on(rf"CUDA graph pool memory: ({SIZE}) \(actual\), ({SIZE}) \(estimated\)")
def _graph_pool(m, line, s):
    s.put("cuda_graph_bytes", to_bytes(m.group(1)), line, keep="last")
    s.put("cuda_graph_estimated_bytes", to_bytes(m.group(2)), line)


@_on(r"Free memory on device \(([\d.]+)/([\d.]+) GiB\) on startup\.(.*)")
def _free_startup(m, line, s):
    s.put("free_memory_startup_bytes", round(float(m.group(1)) * 2**30), line)
    s.put("total_gpu_memory_bytes", round(float(m.group(2)) * 2**30), line)
    rest = m.group(3)
    gm = re.search(r"Desired GPU memory utilization is \(([\d.]+), ([\d.]+) GiB\)", rest)
    if gm:
        s.put("gpu_memory_utilization", float(gm.group(1)), line)
        s.put("requested_memory_bytes", round(float(gm.group(2)) * 2**30), line)
    for pat, name in ((r"([\d.]+) GiB for consumed memory", "non_kv_consumed_bytes"),
                      (r"([\d.]+) GiB for peak activation", "peak_activation_bytes")):
        km = re.search(pat, rest)
        if km:
            s.put(name, round(float(km.group(1)) * 2**30), line)
    km = re.search(r"Current kv cache memory in use is ([\d.]+) GiB", rest)
    if km:
        s.put("available_kv_bytes", round(float(km.group(1)) * 2**30), line)
    km = re.search(r"--kv-cache-memory=(\d+)", rest)
    if km:
        s.put("suggested_kv_cache_memory_bytes", int(km.group(1)), line)


@_on(r"torch\.compile (?:takes|took) ([\d.]+) s in total")
def _compile(m, line, s):
    s.put("torch_compile_seconds", float(m.group(1)), line, keep="max")


@_on(r"init engine \(profile, create kv cache, warmup model\) took ([\d.]+) seconds")
def _init_engine(m, line, s):
    s.put("init_engine_seconds", float(m.group(1)), line)


@_on(r"compile range \((\d+), (\d+)\)")
def _compile_range(m, line, s):
    s.put("compile_range", [int(m.group(1)), int(m.group(2))], line)


# --- runtime ------------------------------------------------------------------------------------
@_on(r"Avg prompt throughput: ([\d.]+) tokens/s, Avg generation throughput: ([\d.]+) tokens/s(.*)")
def _throughput(m, line, s):
    _sample(s, "generation_throughput_tps", float(m.group(2)), line)
    _sample(s, "prompt_throughput_tps", float(m.group(1)), line)
    km = re.search(r"GPU KV cache usage: ([\d.]+)%", m.group(3))
    if km:
        s.put("kv_cache_usage_pct_max", float(km.group(1)), line, keep="max")


@_on(r"SpecDecoding metrics: (.*)")
def _spec(m, line, s):
    text = m.group(1)
    km = re.search(r"Mean acceptance length: ([\d.]+)", text)
    if km:
        _sample(s, "spec_acceptance_length", float(km.group(1)), line)
    km = re.search(r"Avg Draft acceptance rate: ([\d.]+)%", text)
    if km:
        _sample(s, "spec_draft_acceptance_pct", float(km.group(1)), line)
    km = re.search(r"Per-position acceptance rate: ([\d., ]+?)(?:, [A-Z]|$)", text)
    if km:
        s.put("spec_per_position_acceptance", [float(x) for x in km.group(1).split(",") if x.strip()],
              line, keep="last")


def _sample(s: FactSink, name: str, value: float, line: LogLine) -> None:
    """Repeated metric lines: keep mean (of non-idle samples), min, max and the count."""
    samples = s.__dict__.setdefault("_samples", {}).setdefault(name, [])
    if value > 0:
        samples.append(value)
    if samples:
        s.put(f"{name}_mean", round(sum(samples) / len(samples), 3), line, keep="last")
        s.put(f"{name}_max", max(samples), line, keep="last")
        s.put(f"{name}_min", min(samples), line, keep="last")
        s.put(f"{name}_samples", len(samples), line, keep="last")


def extract(lines: list[LogLine], sink: FactSink) -> None:
    pid_rank = {ln.pid: ln.rank for ln in lines if ln.pid is not None and ln.rank is not None}
    sink.rank_of = lambda ln: rank_label(ln, pid_rank)          # weights are keyed by the rank that loaded them
    def line(ln: LogLine) -> None:
        for pat, fn in _PATTERNS:
            m = pat.search(ln.text)
            if m:
                fn(m, ln, sink)

    for_each_line(lines, line)
    finish(sink)


def finish(s: FactSink) -> None:
    """Figures derived from others, each explained in `derived`."""
    per_rank = s.per_device.get("weights_bytes_by_rank")
    if per_rank:
        busiest = max(per_rank.values(), key=lambda f: f.value)
        s.put("weights_bytes", busiest.value, busiest.line)
    if not s.has("kv_tokens") and s.has("num_gpu_blocks"):
        bs = s.get("block_size", 16)
        s.put("kv_tokens", s.get("num_gpu_blocks") * bs, s.facts["num_gpu_blocks"].line)
        s.derived.append(f"kv_tokens = num_gpu_blocks x block size {bs}"
                         + ("" if s.has("block_size") else " (V0 CUDA default)"))
    if not s.has("available_kv_bytes") and s.has("failed_available_kv_bytes"):
        # the only run in the log is the one that failed: its figures are the run's figures
        for src, dst in (("failed_available_kv_bytes", "available_kv_bytes"), ("failed_max_model_len", "max_model_len")):
            if s.has(src) and not s.has(dst):
                s.put(dst, s.get(src), s.facts[src].line)
    if not s.has("max_model_len") and s.has("concurrency_at_tokens"):
        s.put("max_model_len", s.get("concurrency_at_tokens"), s.facts["concurrency_at_tokens"].line)
    for key in ("tensor_parallel_size", "max_model_len", "gpu_memory_utilization", "kv_cache_dtype",
                "quantization", "enforce_eager", "attention_backend", "block_size"):
        if key in s.args and not s.has(key) and isinstance(s.args[key], (int, float, str, bool)):
            s.put(key, s.args[key], 0)
