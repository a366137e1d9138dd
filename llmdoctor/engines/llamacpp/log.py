"""llama.cpp / llama-server log lines -> facts (buffer sizes per device, context, offload, caches).
Sizes are printed in MiB with their real binary unit."""
from __future__ import annotations

import re

from llmdoctor.logparse.records import LogLine
from llmdoctor.logparse.sink import FactSink, for_each_line
from llmdoctor.logparse.units import to_bytes

# `<BUFT> model buffer size = X MiB` (2024 wording: `CUDA0 buffer size`, which is the model buffer)
_BUFFER = re.compile(r"^(\w+):\s+(\S+?)(?:\s+(model|KV|compute|output|RS))? buffer size =\s*([\d.]+ MiB)")
_KIND = {"model": "model_buffer_bytes", "KV": "kv_buffer_bytes", "compute": "compute_buffer_bytes",
         "output": "output_buffer_bytes", "RS": "rs_buffer_bytes", None: "model_buffer_bytes"}
_CTX = re.compile(r"^\w+:\s+(n_ctx|n_ctx_per_seq|n_ctx_seq|n_seq_max|n_batch|n_ubatch|flash_attn|n_ctx_train)\s*=\s*(\S+)")
_OFFLOADED = re.compile(r"offloaded (\d+)/(\d+) layers to GPU")
_KV_INIT = re.compile(r"kv_size = (\d+),.*?type_k = '(\w+)', type_v = '(\w+)', n_layer = (\d+)")
_KV_SELF = re.compile(r"KV self size\s*=\s*([\d.]+ MiB)")
_KV_SIZE = re.compile(r"llama_kv_cache\w*: size =\s*([\d.]+ MiB) \(\s*(\d+) cells,\s*(\d+) layers(?:,\s*(\d+)/\d+ seqs)?")
_TRAIN = re.compile(r"n_ctx_(?:per_seq|seq|pre_seq) \((\d+)\) [<>] n_ctx_train \((\d+)\)")
_CELLS = re.compile(r"creating\s+(non-SWA|SWA) KV cache, size = (\d+) cells")
_RECURRENT = re.compile(r"llama_memory_recurrent: size =\s*([\d.]+ MiB) \(\s*(\d+) cells.*R \(\w+\):\s*([\d.]+ MiB), S \(\w+\):\s*([\d.]+ MiB)")
_DEVICE = re.compile(r"Device (\d+): (.+?), compute capability (\d+\.\d+)")
_FREE = re.compile(r"using device (\w+) \((.+?)\).*? - (\d+) MiB free")
_BUILD = re.compile(r"build: (\d+) \((\w+)\)")
_MODEL = re.compile(r"loaded meta data with .* from (\S+)")
_COPIES = re.compile(r"pipeline parallelism enabled \(n_copies=(\d+)\)")
_LAYER_DEV = re.compile(r"llama_(?:kv_cache\w*|memory_recurrent)[,:] layer\s+\d+: dev = (\S+)")
_EVAL = re.compile(r"^\s*(prompt eval|eval) time =.*?([\d.]+) tokens per second")
_CTX_NAMES = {"n_ctx": "n_ctx", "n_ctx_per_seq": "n_ctx_seq", "n_ctx_seq": "n_ctx_seq", "n_seq_max": "n_seq_max",
              "n_batch": "n_batch", "n_ubatch": "n_ubatch", "flash_attn": "flash_attn", "n_ctx_train": "n_ctx_train"}


def extract(lines: list[LogLine], s: FactSink) -> None:
    def line(ln: LogLine) -> None:
        t = ln.text
        if m := _BUFFER.search(t):
            s.put_device(_KIND[m.group(3)], m.group(2), to_bytes(m.group(4)), ln, keep="last")
        elif m := _CTX.search(t):
            name, val = _CTX_NAMES[m.group(1)], m.group(2)
            s.put(name, int(val) if val.isdigit() else val, ln, keep="last")
        if m := _OFFLOADED.search(t):
            s.put("layers_offloaded", int(m.group(1)), ln, keep="last")
            s.put("layers_total", int(m.group(2)), ln, keep="last")
        if m := _KV_INIT.search(t):
            s.put("kv_cells", int(m.group(1)), ln, keep="last")
            s.put("cache_type_k", m.group(2), ln, keep="last")
            s.put("cache_type_v", m.group(3), ln, keep="last")
            s.put("n_layer", int(m.group(4)), ln, keep="last")
        if m := _KV_SELF.search(t):
            s.put("kv_total_bytes", to_bytes(m.group(1)), ln, keep="last")
        if m := _KV_SIZE.search(t):
            s.put("kv_total_bytes", s.get("kv_total_bytes", 0) + to_bytes(m.group(1)), ln, keep="last")
            s.put("kv_layers", s.get("kv_layers", 0) + int(m.group(3)), ln, keep="last")
            if m.group(4) == "1" and not s.has("n_ctx"):
                # one sequence: the full-attention cache has exactly n_ctx cells
                s.put("n_ctx", int(m.group(2)), ln)
                s.derived.append("n_ctx = KV cache cells (1 sequence)")
        if m := _TRAIN.search(t):
            s.put("n_ctx_seq", int(m.group(1)), ln)
            s.put("n_ctx_train", int(m.group(2)), ln)
        if m := _COPIES.search(t):
            s.put("pipeline_copies", int(m.group(1)), ln)
        if m := _LAYER_DEV.search(t):
            # where each layer's cache lives: "CPU" for every layer means the KV cache is not offloaded
            dev = m.group(1)
            table = s.per_device.get("cache_layers_by_device", {})
            count = table[dev].value + 1 if dev in table else 1
            s.put_device("cache_layers_by_device", dev, count, ln, keep="last" if dev in table else "first")
        if m := _CELLS.search(t):
            s.put("kv_cells_swa" if m.group(1) == "SWA" else "kv_cells_non_swa", int(m.group(2)), ln, keep="last")
        if m := _RECURRENT.search(t):
            s.put("recurrent_bytes", to_bytes(m.group(1)), ln, keep="last")
            s.put("recurrent_cells", int(m.group(2)), ln, keep="last")
            s.put("recurrent_r_bytes", to_bytes(m.group(3)), ln, keep="last")
            s.put("recurrent_s_bytes", to_bytes(m.group(4)), ln, keep="last")
        if m := _DEVICE.search(t):
            s.put_device("gpus", f"CUDA{m.group(1)}", f"{m.group(2)} (cc {m.group(3)})", ln)
        if m := _FREE.search(t):
            s.put_device("free_vram_bytes", m.group(1), int(m.group(3)) * 2**20, ln)
        if m := _BUILD.search(t):
            s.set_version(f"b{m.group(1)} ({m.group(2)})")
        if m := _MODEL.search(t):
            s.set_model(m.group(1))
        if m := _EVAL.search(t):
            key = "prompt_throughput_tps" if m.group(1) == "prompt eval" else "generation_throughput_tps"
            s.put(f"{key}_max", float(m.group(2)), ln, keep="max")

    for_each_line(lines, line)
    _totals(s)


def _totals(s: FactSink) -> None:
    """GPU-side sums: host buffers (CPU*, *_Host, BLAS) are not GPU memory (as Ollama counts them)."""
    for name in ("model_buffer_bytes", "kv_buffer_bytes", "compute_buffer_bytes"):
        table = s.per_device.get(name)
        if not table:
            continue
        gpu = [f for dev, f in table.items() if not _is_host(dev)]
        if gpu:
            s.put(name.replace("_bytes", "_gpu_total_bytes"), sum(f.value for f in gpu), min(f.line for f in gpu))


def _is_host(device: str) -> bool:
    return device.startswith("CPU") or device.endswith("_Host") or device == "BLAS"
