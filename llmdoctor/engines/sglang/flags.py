"""SGLang's command-line flags that change memory or correctness, and its defaults by version.

Names are SGLang's ServerArgs field names (python/sglang/srt/server_args.py). The mem_fraction_static
heuristic by version is in sglang.py.
"""
from __future__ import annotations

from typing import Any, Optional

from llmdoctor.plan.argv_scan import BOOL, FlagTable, scan
from llmdoctor.plan.common import bounded_json

NEWEST = "0.5.23"

INT, FLOAT, STR, JSON = "int", "float", "str", "json"

FLAGS: dict[str, str] = {
    "model_path": STR, "tokenizer_path": STR, "revision": STR, "dtype": STR, "quantization": STR,
    "tp_size": INT, "dp_size": INT, "pp_size": INT, "ep_size": INT, "enable_dp_attention": BOOL,
    "mem_fraction_static": FLOAT, "context_length": INT, "max_total_tokens": INT,
    "max_running_requests": INT, "chunked_prefill_size": INT, "max_prefill_tokens": INT,
    "kv_cache_dtype": STR, "page_size": INT, "cuda_graph_max_bs": INT, "disable_cuda_graph": BOOL,
    "enable_torch_compile": BOOL, "disable_radix_cache": BOOL, "speculative_algorithm": STR,
    "speculative_num_steps": INT, "speculative_eagle_topk": INT, "speculative_num_draft_tokens": INT,
    "speculative_draft_model_path": STR, "mamba_ssm_dtype": STR, "max_mamba_cache_size": INT,
    "mamba_full_memory_ratio": FLOAT, "swa_full_tokens_ratio": FLOAT, "mamba_radix_cache_strategy": STR,
    "tool_call_parser": STR, "reasoning_parser": STR, "trust_remote_code": BOOL, "attention_backend": STR,
    "host": STR, "port": INT, "served_model_name": STR, "disable_piecewise_cuda_graph": BOOL,
    "enable_piecewise_cuda_graph": BOOL, "piecewise_cuda_graph_max_tokens": INT, "enable_mixed_chunk": BOOL,
    "cpu_offload_gb": FLOAT, "load_format": STR, "chat_template": STR, "json_model_override_args": JSON,
    "disable_overlap_schedule": BOOL, "enable_metrics": BOOL, "api_key": STR, "random_seed": INT,
    "log_level": STR, "moe_runner_backend": STR, "sampling_backend": STR, "grammar_backend": STR,
    "enable_hierarchical_cache": BOOL, "hicache_ratio": FLOAT, "device": STR, "nnodes": INT, "node_rank": INT,
    "dist_init_addr": STR, "allow_auto_truncate": BOOL, "schedule_policy": STR,
}
ALIASES = {"model": "model_path", "tp": "tp_size", "tensor_parallel_size": "tp_size", "dp": "dp_size",
           "data_parallel_size": "dp_size", "pp": "pp_size", "pipeline_parallel_size": "pp_size",
           "ep": "ep_size", "expert_parallel_size": "ep_size", "tokenizer": "tokenizer_path",
           "speculative_algo": "speculative_algorithm", "cuda_graph_bs_max": "cuda_graph_max_bs"}


def _convert(dest: str, raw: str) -> Any:
    kind = FLAGS.get(dest, STR)
    if kind == INT:
        return int(raw)
    if kind == FLOAT:
        return float(raw)
    if kind == JSON:
        return bounded_json(raw)
    if kind == BOOL:
        return str(raw).lower() not in ("0", "false", "no", "off")
    return raw


TABLE = FlagTable(kinds=FLAGS, aliases=ALIASES, convert=_convert)


def parse_sglang_args(argv: list[str], env: Optional[dict] = None) -> tuple[Optional[str], dict[str, Any], list[str]]:
    """argv after `python -m sglang.launch_server` / `sglang serve`: (model, flags, unknown)."""
    model, flags, unknown = scan(argv, TABLE)
    return flags.get("model_path", model), flags, unknown
