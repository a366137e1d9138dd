"""vLLM's command-line flags that change memory or correctness, and its defaults by version.

Names are vLLM's own argparse dests (vllm/engine/arg_utils.py EngineArgs.add_cli_args and
vllm/entrypoints/openai/cli_args.py); defaults from vllm/config/cache.py, vllm/config/scheduler.py,
vllm/engine/arg_utils.py get_batch_defaults. Versions read: see knowledge/engine-memory.md §1.0;
the newest is NEWEST.
"""
from __future__ import annotations

from typing import Any, Optional

from llmdoctor.plan.argv_scan import BOOL, LIST, FlagTable, scan
from llmdoctor.engines.vllm.versions import has
from llmdoctor.plan.common import GIB, bounded_json, human_int

NEWEST = "0.33.0"

INT, FLOAT, STR, JSON, HINT = "int", "float", "str", "json", "hint"

# dest -> type. BOOL flags are store_true or BooleanOptionalAction (--no-<flag> turns them off).
FLAGS: dict[str, str] = {
    "model": STR, "tokenizer": STR, "revision": STR, "dtype": STR, "quantization": STR,
    "tensor_parallel_size": INT, "pipeline_parallel_size": INT, "data_parallel_size": INT,
    "decode_context_parallel_size": INT, "enable_expert_parallel": BOOL,
    "max_model_len": HINT, "gpu_memory_utilization": FLOAT, "kv_cache_memory_bytes": HINT,
    "kv_cache_dtype": STR, "block_size": INT, "max_num_seqs": INT, "max_num_batched_tokens": HINT,
    "enable_prefix_caching": BOOL, "enable_chunked_prefill": BOOL, "enforce_eager": BOOL,
    "mamba_cache_mode": STR, "mamba_cache_dtype": STR, "mamba_ssm_cache_dtype": STR,
    "mamba_block_size": INT, "speculative_config": JSON, "num_gpu_blocks_override": INT,
    "swap_space": FLOAT, "cpu_offload_gb": FLOAT, "kv_offloading_size": FLOAT,
    "disable_custom_all_reduce": BOOL, "disable_hybrid_kv_cache_manager": BOOL,
    "tool_call_parser": STR, "reasoning_parser": STR, "enable_auto_tool_choice": BOOL,
    "trust_remote_code": BOOL, "served_model_name": LIST, "host": STR, "port": INT,
    "attention_backend": STR, "load_format": STR, "max_cudagraph_capture_size": INT,
    "cuda_graph_sizes": LIST, "compilation_config": JSON, "calculate_kv_scales": BOOL,
    "limit_mm_per_prompt": JSON, "mm_encoder_tp_mode": STR, "async_scheduling": BOOL,
    "performance_mode": STR, "chat_template": STR, "download_dir": STR,
    "distributed_executor_backend": STR, "enable_lora": BOOL, "max_lora_rank": INT, "max_loras": INT,
    "seed": INT, "api_key": STR, "additional_config": JSON, "enable_flashinfer_autotune": BOOL,
    "generation_config": STR, "hf_overrides": JSON, "language_model_only": BOOL,
    "skip_mm_profiling": BOOL, "mm_processor_cache_gb": FLOAT, "kv_transfer_config": JSON,
    "enable_sleep_mode": BOOL, "max_logprobs": INT, "uvicorn_log_level": STR,
    "disable_log_requests": BOOL, "enable_log_requests": BOOL, "disable_log_stats": BOOL,
    "tokenizer_mode": STR, "config_format": STR, "allowed_local_media_path": STR,
    "override_generation_config": JSON, "hf_config_path": STR, "model_impl": STR,
}
ALIASES = {"tp": "tensor_parallel_size", "pp": "pipeline_parallel_size", "dp": "data_parallel_size",
           "q": "quantization", "O": "compilation_config", "dcp": "decode_context_parallel_size"}


def convert(dest: str, raw: Any) -> Any:
    kind = FLAGS.get(dest, STR)
    if raw is None:
        return True if kind == BOOL else None
    if kind == INT:
        return int(raw)
    if kind == FLOAT:
        return float(raw)
    if kind == HINT:
        text = str(raw)
        if text.lower() in ("auto", "-1"):
            return -1
        return human_int(text)
    if kind == JSON:
        return bounded_json(raw)           # -O3 style shorthands stay strings
    if kind == BOOL:
        return str(raw).lower() not in ("0", "false", "no", "off")
    return raw


TABLE = FlagTable(kinds=FLAGS, aliases=ALIASES, convert=convert, negatable=True, bool_takes_value=True)


def _optimization_level(tok: str, flags: dict) -> bool:
    """-O3 and friends: the compilation level glued to the flag."""
    if tok.startswith("-O") and not tok.startswith("--") and len(tok) > 2:
        flags["compilation_config"] = tok[2:]
        return True
    return False


def parse_vllm_args(argv: list[str], env: Optional[dict] = None) -> tuple[Optional[str], dict[str, Any], list[str]]:
    """argv after `vllm serve` / the api_server module: (model, flags, unknown)."""
    model, flags, unknown = scan(argv, TABLE, _optimization_level)
    if "model" in flags and model is None:
        model = flags["model"]
    return model, flags, unknown


def defaults(version: Optional[str], gpu_total_bytes: Optional[int], gpu_name: Optional[str] = None) -> dict[str, Any]:
    """vLLM's defaults for `vllm serve` at this version on this GPU (before model-specific changes)."""
    v = version or NEWEST
    total_gib = (gpu_total_bytes or 0) / GIB
    name = (gpu_name or "").upper()
    # get_batch_defaults (vllm/engine/arg_utils.py, V1): >=70 GiB and not A100/GB10 -> 8192/1024,
    # >=160 GiB -> 16384/1024, else 2048/256 for the OpenAI server.
    if total_gib >= 160:
        mnbt, mns = 16384, 1024
    elif total_gib >= 70 and "A100" not in name and "GB10" not in name:
        mnbt, mns = 8192, 1024
    else:
        mnbt, mns = 2048, 256
    return {
        "gpu_memory_utilization": 0.92 if has("gmu_default_092", v) else 0.9,
        "block_size": 16,
        "kv_cache_dtype": "auto",
        "dtype": "auto",
        "tensor_parallel_size": 1,
        "pipeline_parallel_size": 1,
        "max_num_batched_tokens": mnbt,
        "max_num_seqs": mns,
        "enforce_eager": False,
        "enable_prefix_caching": True,
        # Prefix caching on for hybrid models makes mamba_cache_mode "align" from v0.33.0
        # (ModelConfig.is_prefix_caching_supported); older versions leave hybrids at "none".
        "mamba_cache_mode": "align" if has("mamba_align_with_prefix_caching", v) else "none",
        # CUDA-graph memory estimate: opt-in (env) in v0.18-v0.19, on by default from v0.20 (vllm/envs.py).
        "cudagraph_estimate": has("cudagraph_estimate_default", v),
    }
