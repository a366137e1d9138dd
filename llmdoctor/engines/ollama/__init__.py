"""Ollama: flags.py its command line, environment and Modelfile parameters; plan.py its defaults on
top of llama.cpp's memory model; log.py its logs (which embed llama.cpp's)."""
from __future__ import annotations

import re

from llmdoctor.engines.base import Engine, Program, lazy


def _context(flags, env):
    v = flags.get("num_ctx") or env.get("OLLAMA_CONTEXT_LENGTH")
    try:
        return int(v) if v else None
    except ValueError:
        return None


def _kv_dtype(flags, env):
    return env.get("OLLAMA_KV_CACHE_TYPE")


def _log_figures(f, plan):
    from llmdoctor.engines.llamacpp import log_figures
    return log_figures(f, plan)


ENGINE = Engine(
    name="ollama", label="Ollama", order=3, formats=("gguf",), package="ollama",
    context_flag="num_ctx",
    options={"max_model_len": "num_ctx", "kv_cache_dtype": "kv_cache_type", "max_num_seqs": "num_parallel",
             "n_gpu_layers": "num_gpu", "quant": "quant"},
    plan=lazy("llmdoctor.engines.ollama.plan", "plan_ollama"),
    parse_args=lazy("llmdoctor.engines.ollama.flags", "parse_ollama"),
    extract_log=lazy("llmdoctor.engines.ollama.log", "extract"),
    log_marker=re.compile(
        r"source=[\w/]+\.go:\d+|\bollama\b|\[GIN\]|msg=\"?offload|ollama_llama_server|runner\.(?:size|vram)"),
    programs=(Program(names=("ollama",)),),
    images=((re.compile(r"(^|/)ollama/ollama(:|$)"), ("ollama",)),),
    flag_value_ok=lazy("llmdoctor.engines.llamacpp.memory", "log_flag_ok"),
    runs_gguf=True, model_store="ollama", log_embeds=("llamacpp",), binaries=("ollama",), context_of=_context, kv_dtype_of=_kv_dtype,
    log_figures=_log_figures,
)
