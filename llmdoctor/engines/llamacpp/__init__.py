"""llama.cpp (`llama-server`): flags.py its command line; plan.py, memory.py, weights.py and
quant_sizes.py its memory model; log.py its logs."""
from __future__ import annotations

import re

from llmdoctor.engines.base import Engine, Program


def _plan(target, model, request):
    from llmdoctor.engines.llamacpp.plan import plan_llamacpp
    return plan_llamacpp(target, model, request)


def _parse(argv, env):
    from llmdoctor.engines.llamacpp.flags import parse_llamacpp_args
    return parse_llamacpp_args(argv)


def _extract(lines, sink):
    from llmdoctor.engines.llamacpp.log import extract
    extract(lines, sink)


ENGINE = Engine(
    name="llamacpp", label="llama.cpp", order=2, formats=("gguf",), package="llama.cpp",
    context_flag="ctx_size",
    options={"max_model_len": "ctx_size", "kv_cache_dtype": "cache_type_k", "max_num_seqs": "parallel",
             "n_gpu_layers": "n_gpu_layers", "quant": "quant"},
    plan=_plan, parse_args=_parse, extract_log=_extract,
    log_marker=re.compile(
        r"^(?:llama_|llm_load_|load_tensors:|ggml_|print_info:|sched_reserve|create_memory|set_abort_callback|"
        r"common_init|srv |slot |main: )|llama-server|llama_kv_cache|Jinja Exception|got exception: \{"),
    programs=(Program(names=("llama-server", "llama-cli", "server")),),
    images=((re.compile(r"ggml-org/llama\.cpp:(server|full)|llama\.cpp:server"), ("llama-server",)),),
    runs_gguf=True,
)
