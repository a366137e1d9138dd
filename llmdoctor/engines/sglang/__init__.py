"""SGLang (`python -m sglang.launch_server`): flags.py its command line, plan.py its memory model,
log.py its logs."""
from __future__ import annotations

import re

from llmdoctor.engines.base import Engine, Program


def _plan(target, model, request):
    from llmdoctor.engines.sglang.plan import plan_sglang
    return plan_sglang(target, model, request)


def _parse(argv, env):
    from llmdoctor.engines.sglang.flags import parse_sglang_args
    return parse_sglang_args(argv)


def _context(flags, env):
    v = flags.get("context_length") or flags.get("max_model_len")
    return int(v) if v else None


def _kv_dtype(flags, env):
    return flags.get("kv_cache_dtype", "auto")


def _log_figures(f, plan):
    kv = plan.kv_cache
    return [("KV tokens", "tokens", kv.tokens, f.get("kv_tokens", f.get("max_total_num_tokens"))),
            ("KV pool size", "bytes", kv.available_bytes_per_gpu, f.get("kv_cache_bytes"))]


def _check_config(flags, version, env):
    from llmdoctor.engines.sglang.config_checks import check_config
    return check_config(flags, version, env)


def _extract(lines, sink):
    from llmdoctor.engines.sglang.log import extract
    extract(lines, sink)


ENGINE = Engine(
    name="sglang", label="SGLang", order=1, formats=("hf", "hf-config-only"), package="sglang",
    context_flag="context_length",
    options={"tp": "tp_size", "pp": "pp_size", "max_model_len": "context_length",
             "gpu_memory_utilization": "mem_fraction_static", "kv_cache_dtype": "kv_cache_dtype",
             "max_num_seqs": "max_running_requests", "dtype": "dtype",
             "max_num_batched_tokens": "chunked_prefill_size"},
    plan=_plan, parse_args=_parse, extract_log=_extract,
    log_marker=re.compile(
        r"sglang|KV Cache is allocated|Load weight end|Memory pool end|max_total_num_tokens=|"
        r"Capture cuda graph|server_args=ServerArgs|mem_fraction_static|max_total_tokens=|Decode batch\.|"
        r"Prefill batch\."),
    programs=(Program(names=("sglang",), then=("serve",)), Program(module="sglang.launch_server"),
              Program(module="sglang.srt.server")),
    log_fact_flags=("mem_fraction_static", "tensor_parallel_size", "kv_cache_dtype", "chunked_prefill_size",
                    "max_model_len"),
    log_flag_names={"tensor_parallel_size": "tp_size", "max_model_len": "context_length"},
    context_of=_context, kv_dtype_of=_kv_dtype, log_figures=_log_figures, check_config=_check_config,
)
