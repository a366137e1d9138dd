"""SGLang (`python -m sglang.launch_server`): flags.py its command line, plan.py its memory model,
log.py its logs."""
from __future__ import annotations

import re

from llmdoctor.engines.base import Engine, Program, lazy


def _context(flags, env):
    v = flags.get("context_length") or flags.get("max_model_len")
    return int(v) if v else None


def _kv_dtype(flags, env):
    return flags.get("kv_cache_dtype", "auto")


def _log_figures(f, plan):
    kv = plan.kv_cache
    return [("KV tokens", "tokens", kv.tokens, f.get("kv_tokens", f.get("max_total_num_tokens"))),
            ("KV pool size", "bytes", kv.available_bytes_per_gpu, f.get("kv_cache_bytes"))]


ENGINE = Engine(
    name="sglang", label="SGLang", order=1, formats=("hf", "hf-config-only"), package="sglang",
    context_flag="context_length",
    options={"tp": "tp_size", "pp": "pp_size", "max_model_len": "context_length",
             "gpu_memory_utilization": "mem_fraction_static", "kv_cache_dtype": "kv_cache_dtype",
             "max_num_seqs": "max_running_requests", "dtype": "dtype",
             "max_num_batched_tokens": "chunked_prefill_size"},
    plan=lazy("llmdoctor.engines.sglang.plan", "plan_sglang"),
    parse_args=lazy("llmdoctor.engines.sglang.flags", "parse_sglang_args"),
    extract_log=lazy("llmdoctor.engines.sglang.log", "extract"),
    log_marker=re.compile(
        r"sglang|KV Cache is allocated|Load weight end|Memory pool end|max_total_num_tokens=|"
        r"Capture cuda graph|server_args=ServerArgs|mem_fraction_static|max_total_tokens=|Decode batch\.|"
        r"Prefill batch\."),
    programs=(Program(names=("sglang",), then=("serve",)), Program(module="sglang.launch_server"),
              Program(module="sglang.srt.server")),
    log_fact_flags=("mem_fraction_static", "tensor_parallel_size", "kv_cache_dtype", "chunked_prefill_size",
                    "max_model_len"),
    log_flag_names={"tensor_parallel_size": "tp_size", "max_model_len": "context_length"},
    context_of=_context, kv_dtype_of=_kv_dtype, log_figures=_log_figures,
    draft_model_of=lambda flags: flags.get("speculative_draft_model_path")
    if isinstance(flags.get("speculative_draft_model_path"), str) else None,
    check_config=lazy("llmdoctor.engines.sglang.config_checks", "check_config"),
)
