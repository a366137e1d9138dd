"""What changed between SGLang versions, as the planner models it: one row per behaviour.

Read from v0.4.3, v0.4.6, v0.4.10, v0.5.2, v0.5.5, v0.5.8, v0.5.12, v0.5.16, v0.5.20 and v0.5.23
(knowledge/engine-memory.md §2.2). A change found between two versions read is placed at the
boundary the planner uses ("since").
"""
from __future__ import annotations

from typing import Optional

from llmdoctor.plan.common import Change, has_change

CHANGES: dict[str, Change] = {
    "mfs_by_memory_over_80g": Change(
        "0.4.6", "mem_fraction_static = (gpu_mem - 13 GiB) / gpu_mem above 80 GiB; the TP table below",
        "python/sglang/srt/server_args.py · ServerArgs.__post_init__ (v0.4.3 TP table only; v0.4.6)"),
    "mla_wkc_wvc_copy": Change(
        "0.4.0", "MLA keeps w_kc/w_vc as new 16-bit tensors beside kv_b_proj (dequantized from fp8, or contiguous copies)",
        "python/sglang/srt/models/deepseek_common/deepseek_weight_loader.py · post_load_weights "
        "(read: v0.5.23 only; applied to every version)"),
    "mfs_reserved_by_tier": Change(
        "0.4.10", "mem_fraction_static from a reserved size per GPU tier",
        "python/sglang/srt/server_args.py · ServerArgs.__post_init__ (v0.4.10 - v0.5.2)"),
    "mfs_reserved_from_activations": Change(
        "0.5.5", "reserved = 512 MiB + 1.5 x activation tokens + graphs + p/8 GiB",
        "python/sglang/srt/server_args.py · ServerArgs._handle_gpu_memory_settings (v0.5.5)"),
    "tier_35g_4096_chunk": Change(
        "0.5.6", "GPUs of 20-35 GB: chunked_prefill_size 4096, cuda_graph_max_bs 48/160 (2048, 24/80 before)",
        "python/sglang/srt/server_args.py · _handle_gpu_memory_settings (v0.5.5: 2048, 24/80; v0.5.8: 4096, 48/160)"),
    "no_speculative_surcharge": Change(
        "0.5.16", "the speculative-decoding surcharge on reserved memory is gone (draft weights in rest_memory)",
        "python/sglang/srt/server_args.py · _handle_gpu_memory_settings (v0.5.12 +2/4 GiB; v0.5.16 none)"),
    "eagle_draft_cell_scaling": Change(
        "0.5.16", "EAGLE/NEXTN/STANDALONE: the KV cell is scaled by (1 + draft layers / layers) to leave the draft's pool room",
        "python/sglang/srt/model_executor/pool_configurator.py · eagle_draft_num_layers (absent in v0.5.12 outside "
        "DSV4/DFLASH, present in v0.5.16); model_runner_components/spec_aux_hidden_state.py (the draft's layers)"),
    "fallback_mfs_095": Change(
        "0.5.20", "GPU memory unknown: mem_fraction_static 0.95 (0.88 before)",
        "python/sglang/srt/arg_groups/memory_hook.py · handle_gpu_memory_settings (v0.5.20)"),
    "prefill_graphs_default": Change(
        "0.5.23", "prefill CUDA graphs on by default on CUDA: their reservation joins 'reserved'",
        "python/sglang/srt/model_executor/cuda_graph_config.py · default_prefill_backend (v0.5.23)"),
}


def has(name: str, version: Optional[str]) -> bool:
    """Whether SGLang `version` has the behaviour CHANGES[name]."""
    return has_change(CHANGES, name, version)
