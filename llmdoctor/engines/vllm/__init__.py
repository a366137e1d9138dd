"""vLLM (`vllm serve`): flags.py its command line, plan.py + kv.py its memory model, log.py its logs."""
from __future__ import annotations

import re

from llmdoctor.engines.base import Engine, Program, lazy


def _context(flags, env):
    v = flags.get("max_model_len")
    return int(v) if v else None


def _kv_dtype(flags, env):
    return flags.get("kv_cache_dtype", "auto")


def _draft_model(flags):
    """The model of --speculative-config that vLLM loads beside the target (EAGLE heads, draft models);
    MTP and n-gram methods load none."""
    from llmdoctor.engines.vllm.loads import loads_drafter
    sc = flags.get("speculative_config")
    if not isinstance(sc, dict) or not isinstance(sc.get("model"), str) or not loads_drafter(sc.get("method")):
        return None
    return sc["model"]


def _log_figures(f, plan):
    kv = plan.kv_cache
    rows = [("available KV memory", "bytes", kv.available_bytes_per_gpu, f.get("available_kv_bytes")),
            ("KV tokens", "tokens", kv.tokens, f.get("kv_tokens"))]
    if f.get("concurrency_at_tokens") in (None, plan.max_model_len):
        rows.append((f"max concurrency at {plan.max_model_len:,}", "x", plan.max_concurrency, f.get("max_concurrency")))
    rows += [("block size", "tokens", kv.block_size, f.get("block_size")),
             ("CUDA graph memory", "bytes", plan.gpus[0].cuda_graph_bytes if plan.gpus else None, f.get("cuda_graph_bytes"))]
    return rows


ENGINE = Engine(
    name="vllm", label="vLLM", order=0, formats=("hf", "hf-config-only"), package="vllm",
    context_flag="max_model_len",
    options={"tp": "tensor_parallel_size", "pp": "pipeline_parallel_size", "max_model_len": "max_model_len",
             "gpu_memory_utilization": "gpu_memory_utilization", "kv_cache_dtype": "kv_cache_dtype",
             "max_num_seqs": "max_num_seqs", "kv_cache_memory_bytes": "kv_cache_memory_bytes",
             "dtype": "dtype", "max_num_batched_tokens": "max_num_batched_tokens"},
    plan=lazy("llmdoctor.engines.vllm.plan", "plan_vllm"),
    parse_args=lazy("llmdoctor.engines.vllm.flags", "parse_vllm_args"),
    extract_log=lazy("llmdoctor.engines.vllm.log", "extract"),
    log_marker=re.compile(
        r"vllm|model_runner\.py|gpu_worker\.py|kv_cache_utils|non-default args|Maximum concurrency for|"
        r"GPU KV cache size|Available KV cache memory|Loading model weights took|Model loading took|"
        r"shm_broadcast|fa_utils\.py|EngineCore|VllmWorker|Setting attention block size|SpecDecoding metrics|"
        r"Avg generation throughput", re.I),
    log_process_prefix=True, check_config=lazy("llmdoctor.engines.vllm.config_checks", "check_config"),
    context_of=_context, kv_dtype_of=_kv_dtype, log_figures=_log_figures, draft_model_of=_draft_model,
    programs=(Program(names=("vllm",), then=("serve",)), Program(module="vllm.entrypoints")),
    images=((re.compile(r"(^|/)vllm-openai(:|$)|(^|/)vllm/vllm"), ("vllm", "serve")),),
    log_fact_flags=("max_model_len", "tensor_parallel_size", "pipeline_parallel_size", "gpu_memory_utilization",
                    "kv_cache_dtype", "quantization", "enforce_eager", "block_size"),
)
