"""SGLang log lines -> facts. SGLang prints "GB" for bytes / 2**30, so GB here is GiB."""
from __future__ import annotations

import ast
import re

from llmdoctor.logparse.records import LogLine
from llmdoctor.logparse.sink import FactSink, for_each_line
from llmdoctor.logparse.units import SIZE, quiet_ast, to_bytes

_LOAD_END = re.compile(r"Load weight end\.(.*)")
_KV_ALLOC = re.compile(r"KV Cache is allocated\.(.*)")
_POOL_END = re.compile(rf"Memory pool end\. avail mem=({SIZE})")
_TOTALS = re.compile(r"max_total_num_tokens=(-?\d+)(.*)")
_PROFILED = re.compile(r"max_total_tokens=(\d+) is larger than the profiled value (-?\d+)")
_GRAPH_END = re.compile(rf"Capture cuda graph end\. Time elapsed: ([\d.]+) s\. avail mem=({SIZE})\. mem usage=({SIZE})")
_SERVER_ARGS = re.compile(r"server_args=ServerArgs\((.*)")
_MFS = re.compile(r"mem_fraction_static[= ]([\d.]+)")
_DECODE = re.compile(r"Decode batch\..*?gen throughput \(token/s\): ([\d.]+)")
_VERSION = re.compile(r"sglang(?: version|==|-)\s*v?(\d+\.\d+\.\d+[\w.+-]*)", re.I)
_CMD = re.compile(r"sglang\.launch_server\s+(.*)")


def extract(lines: list[LogLine], s: FactSink) -> None:
    def line(ln: LogLine) -> None:
        t = ln.text
        rank = str(ln.rank) if ln.rank is not None else "0"
        if m := _LOAD_END.search(t):
            _load_end(m.group(1), ln, rank, s)
        if m := _KV_ALLOC.search(t):
            _kv_alloc(m.group(1), ln, s)
        if m := _POOL_END.search(t):
            s.put("avail_mem_after_pool_bytes", to_bytes(m.group(1)), ln, keep="min")
        if m := _TOTALS.search(t):
            s.put("max_total_num_tokens", int(m.group(1)), ln)
            s.put_keyed(m.group(2), (("max_running_requests", "max_running_requests"), ("context_len", "max_model_len"),
                                     ("chunked_prefill_size", "chunked_prefill_size"),
                                     ("max_prefill_tokens", "max_prefill_tokens")), r"-?\d+", int, ln)
            s.put_keyed(m.group(2), (("available_gpu_mem", "available_gpu_mem_bytes"),), SIZE, to_bytes, ln)
        if m := _PROFILED.search(t):
            s.put("requested_max_total_tokens", int(m.group(1)), ln)
            s.put("profiled_max_total_tokens", int(m.group(2)), ln, keep="min")
        if m := _GRAPH_END.search(t):
            s.put("cuda_graph_seconds", float(m.group(1)), ln)
            s.put("cuda_graph_bytes", to_bytes(m.group(3)), ln, keep="max")
        if m := _SERVER_ARGS.search(t):
            s.args.update(_server_args(m.group(1)))
        if m := _MFS.search(t):
            s.put("mem_fraction_static", float(m.group(1)), ln)
        if m := _DECODE.search(t):
            s.put("generation_throughput_tps_max", float(m.group(1)), ln, keep="max")
        if m := _VERSION.search(t):
            s.set_version(m.group(1))
        if m := _CMD.search(t):
            _command_flags(m.group(1), s)

    for_each_line(lines, line)
    for key in ("mem_fraction_static", "context_length", "tp_size", "kv_cache_dtype", "quantization",
                "chunked_prefill_size", "max_total_tokens"):
        v = s.args.get(key)
        if isinstance(v, (int, float, str)) and v not in ("auto", None) and not s.has(key):
            s.put("max_model_len" if key == "context_length" else
                  "tensor_parallel_size" if key == "tp_size" else key, v, 0)
    mp = s.args.get("model_path")
    if isinstance(mp, str):
        s.set_model(mp)


def _load_end(text: str, ln: LogLine, rank: str, s: FactSink) -> None:
    if m := re.search(rf"mem usage=({SIZE})", text):
        s.put_device("weights_bytes_by_rank", rank, to_bytes(m.group(1)), ln)
        s.put("weights_bytes", to_bytes(m.group(1)), ln, keep="max")
    if m := re.search(rf"avail mem=({SIZE})", text):
        s.put("avail_mem_after_weights_bytes", to_bytes(m.group(1)), ln, keep="min")
    if m := re.search(r"elapsed=([\d.]+) s", text):
        s.put("weights_load_seconds", float(m.group(1)), ln, keep="max")
    if m := re.search(r"type=(\w+)", text):
        s.put("architecture", m.group(1), ln)


def _kv_alloc(text: str, ln: LogLine, s: FactSink) -> None:
    if m := re.search(r"#tokens: (\d+)", text):
        s.put("kv_tokens", int(m.group(1)), ln, keep="min")
    k = re.search(rf"K size: ({SIZE})", text)
    v = re.search(rf"V size: ({SIZE})", text)
    if k and v:
        s.put("kv_k_bytes", to_bytes(k.group(1)), ln)
        s.put("kv_v_bytes", to_bytes(v.group(1)), ln)
        s.put("kv_cache_bytes", to_bytes(k.group(1)) + to_bytes(v.group(1)), ln)
    elif m := re.search(rf"KV size: ({SIZE})", text):
        s.put("kv_cache_bytes", to_bytes(m.group(1)), ln)        # MLA: one latent cache
    if m := re.search(r"dtype: (?:torch\.)?(\w+)", text):
        s.put("kv_cache_dtype", m.group(1), ln)


def _server_args(body: str) -> dict:
    """ServerArgs(k=v, ...) repr. Parsed as a call expression and each value with literal_eval;
    pasted logs are often cut mid-repr, so the fallback reads simple k=literal pairs."""
    text = body.rstrip()
    try:
        tree = quiet_ast(ast.parse, "f(" + (text if text.endswith(")") else text + ")"), mode="eval")
        call = tree.body
        out = {}
        for kw in getattr(call, "keywords", []):
            try:
                out[kw.arg] = quiet_ast(ast.literal_eval, kw.value)
            except ValueError:
                continue
        return out
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        pass
    out = {}
    for k, v in re.findall(r"(\w+)=('[^']*'|-?\d+(?:\.\d+)?|True|False|None)(?=[,)])", text):
        try:
            out[k] = quiet_ast(ast.literal_eval, v)
        except (ValueError, SyntaxError):
            continue
    return out


def _command_flags(argv_text: str, s: FactSink) -> None:
    """`python -m sglang.launch_server --tp 8 ...` echoed in the log: only the sizing flags."""
    names = {"--tp": "tp_size", "--tp-size": "tp_size", "--dp": "dp_size", "--mem-fraction-static": "mem_fraction_static",
             "--context-length": "context_length", "--max-total-tokens": "max_total_tokens",
             "--kv-cache-dtype": "kv_cache_dtype", "--model-path": "model_path", "--model": "model_path"}
    parts = argv_text.split()
    for i, p in enumerate(parts[:-1]):
        if p in names and names[p] not in s.args:
            val = parts[i + 1]
            try:
                s.args[names[p]] = quiet_ast(ast.literal_eval, val) if re.fullmatch(r"-?\d+(?:\.\d+)?", val) else val
            except (ValueError, SyntaxError):
                s.args[names[p]] = val
