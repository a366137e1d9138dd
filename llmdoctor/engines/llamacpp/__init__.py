"""llama.cpp (`llama-server`): flags.py its command line; plan.py, memory.py, weights.py and
quant_sizes.py its memory model; log.py its logs."""
from __future__ import annotations

import re

from llmdoctor.engines.base import Engine, Program, lazy


def _context(flags, env):
    c = flags.get("ctx_size")
    if c in (None, 0):
        return None
    return int(c) // max(1, int(flags.get("parallel") or 1))


def _kv_dtype(flags, env):
    return flags.get("cache_type_k") or flags.get("cache_type_v")


def log_figures(f, plan):
    """Figures a llama.cpp log states (Ollama's too: it runs llama-server)."""
    kv = plan.kv_cache
    return [("KV cache (all devices)", "bytes", kv.tokens * kv.bytes_per_token if kv.bytes_per_token else None,
             f.get("kv_buffer_gpu_total_bytes") or f.get("kv_total_bytes")),
            ("model buffers on GPUs", "bytes", plan.weights.bytes_total - plan.weights.host_bytes,
             f.get("model_buffer_gpu_total_bytes"))]


ENGINE = Engine(
    name="llamacpp", label="llama.cpp", order=2, formats=("gguf",), package="llama.cpp",
    context_flag="ctx_size",
    options={"max_model_len": "ctx_size", "kv_cache_dtype": "cache_type_k", "max_num_seqs": "parallel",
             "n_gpu_layers": "n_gpu_layers", "quant": "quant"},
    plan=lazy("llmdoctor.engines.llamacpp.plan", "plan_llamacpp"),
    parse_args=lazy("llmdoctor.engines.llamacpp.flags", "parse_llamacpp_args"),
    extract_log=lazy("llmdoctor.engines.llamacpp.log", "extract"),
    log_marker=re.compile(
        r"^(?:llama_|llm_load_|load_tensors:|ggml_|print_info:|sched_reserve|create_memory|set_abort_callback|"
        r"common_init|srv |slot |main: )|llama-server|llama_kv_cache|Jinja Exception|got exception: \{"),
    programs=(Program(names=("llama-server", "llama-cli", "server")),),
    images=((re.compile(r"ggml-org/llama\.cpp:(server|full)|llama\.cpp:server"), ("llama-server",)),),
    flag_value_ok=lazy("llmdoctor.engines.llamacpp.memory", "log_flag_ok"),
    runs_gguf=True, model_store="llamacpp-hf", binaries=("llama-server", "llama-cli", "llama.cpp"), context_of=_context,
    kv_dtype_of=_kv_dtype, log_figures=log_figures,
    draft_model_of=lambda flags: flags.get("model_draft") if isinstance(flags.get("model_draft"), str) else None,
)
