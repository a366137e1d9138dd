"""Which engine wrote this log: count each engine's tell-tale strings; the most hits wins.

Ollama logs embed llama.cpp runner lines, so an Ollama marker beats llama.cpp's. A log with no
marker at all (one pasted exception line) has engine None; the rules still run on it.
"""
from __future__ import annotations

import re

from .records import LogLine

_MARKERS: dict[str, re.Pattern] = {
    "vllm": re.compile(
        r"vllm|model_runner\.py|gpu_worker\.py|kv_cache_utils|non-default args|Maximum concurrency for|"
        r"GPU KV cache size|Available KV cache memory|Loading model weights took|Model loading took|"
        r"shm_broadcast|fa_utils\.py|EngineCore|VllmWorker|Setting attention block size|SpecDecoding metrics|"
        r"Avg generation throughput", re.I),
    "sglang": re.compile(
        r"sglang|KV Cache is allocated|Load weight end|Memory pool end|max_total_num_tokens=|"
        r"Capture cuda graph|server_args=ServerArgs|mem_fraction_static|max_total_tokens=|Decode batch\.|"
        r"Prefill batch\."),
    "llamacpp": re.compile(
        r"^(?:llama_|llm_load_|load_tensors:|ggml_|print_info:|sched_reserve|create_memory|set_abort_callback|"
        r"common_init|srv |slot |main: )|llama-server|llama_kv_cache|Jinja Exception|got exception: \{"),
    "ollama": re.compile(
        r"source=[\w/]+\.go:\d+|\bollama\b|\[GIN\]|msg=\"?offload|ollama_llama_server|runner\.(?:size|vram)"),
}


def detect_engine(lines: list[LogLine]) -> str | None:
    hits = {name: 0 for name in _MARKERS}
    for ln in lines:
        text = ln.text
        for name, pat in _MARKERS.items():
            if pat.search(text) or (name == "vllm" and ln.proc and ln.pid is not None):
                hits[name] += 1
    if hits["ollama"]:
        return "ollama"
    best = max(hits, key=lambda k: hits[k])
    return best if hits[best] else None
