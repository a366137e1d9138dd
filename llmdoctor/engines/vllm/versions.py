"""What changed between vLLM versions, as the planner models it: one row per behaviour.

Read from the released source of v0.8.5, v0.9.2, v0.10.2, v0.11.0, v0.12.0, v0.16.0 to v0.21.0,
v0.23.0, v0.26.0, v0.29.0, v0.31.0 and v0.33.0 (knowledge/engine-memory.md §1.0). A change found
between two versions read is placed at the boundary the planner uses ("since").
"""
from __future__ import annotations

from typing import Optional

from llmdoctor.plan.common import Change, has_change

CHANGES: dict[str, Change] = {
    "v1_engine": Change(
        "0.8.0", "the V1 engine (block-based KV cache, one profile run) is the default",
        "vllm/envs.py VLLM_USE_V1; vllm/v1/worker/gpu_worker.py (read: v0.8.5)"),
    "mla_kv_b_16bit_copy": Change(
        "0.8.0", "MLA keeps W_UK/W_UV in 16 bits: a dequantized copy beside a quantized kv_b_proj",
        "vllm/model_executor/layers/attention/mla_attention.py · MLAAttention.process_weights_after_loading "
        "(read: v0.26.0 only; applied to every V1 version)"),
    "gmu_bounds_checked": Change(
        "0.12.0", "gpu_memory_utilization validated in (0, 1] (only > 1 refused before)",
        "vllm/config/cache.py · CacheConfig.gpu_memory_utilization Field(gt=0, le=1) (0.11.0: _verify_args > 1.0 only)"),
    "startup_free_memory_check": Change(
        "0.9.0", "startup refuses when free memory < total x gmu",
        "vllm/v1/worker/gpu_worker.py · Worker.init_device (absent in v0.8.5, present in v0.9.2)"),
    "grouped_kv_cache": Change(
        "0.9.0", "full and sliding-window layers in separate KV groups of one page size",
        "vllm/v1/core/kv_cache_utils.py · get_kv_cache_config (v0.8.5: one uniform group; v0.9.2: groups)"),
    "hybrid_mamba_alignment": Change(
        "0.10.0", "attention block size raised so an attention page matches the mamba state page",
        "vllm/model_executor/models/config.py · HybridAttentionMambaModelConfig (read: v0.10.2)"),
    "nccl_outside_budget": Change(
        "0.11.0", "the init snapshot is taken after NCCL init: NCCL buffers leave the budget",
        "vllm/v1/worker/gpu_worker.py · Worker.init_device (v0.10.2 before NCCL, v0.11.0 after)"),
    "mm_tower_skip": Change(
        "0.16.0", "towers of modalities all at --limit-mm-per-prompt 0 are not built",
        "vllm/model_executor/models/interfaces.py · SupportsMultiModal._mark_tower_model (absent in v0.11.0, "
        "present in v0.16.0)"),
    "sampler_triton_topk": Change(
        "0.18.0", "top-k/top-p masked in place by a Triton kernel for 8+ requests (no sort of the vocab)",
        "vllm/v1/sample/ops/topk_topp_triton.py, topk_topp_sampler.py · apply_top_k_top_p (absent in v0.16.0, "
        "present in v0.18.0)"),
    "v2_runner_default_some": Change(
        "0.23.0", "model runner V2 by default for unquantized dense Llama, Mistral and Qwen3",
        "vllm/config/vllm.py · VllmConfig._is_default_v2_model_runner_model (absent in v0.21.0, present in v0.23.0)"),
    "awq_machete_hopper": Change(
        "0.19.0", "AWQ linears on Hopper run on Machete, which stores zero points pre-scaled in the activation dtype",
        "vllm/model_executor/kernels/linear/__init__.py _POSSIBLE_KERNELS (Machete before Marlin), "
        "mixed_precision/machete.py transform_w_zp (read: v0.19.0, v0.26.0; earlier not read)"),
    "v2_runner_default_dense": Change(
        "0.26.0", "model runner V2 by default for every dense, non-hybrid generating model (and a few MoE)",
        "vllm/config/vllm.py · _is_default_v2_model_runner_model, DEFAULT_V2_MODEL_RUNNER_ARCHITECTURES "
        "(v0.23.0: an allow-list of three; v0.26.0: any model that is not MoE, hybrid or attention-free)"),
    "v2_runner_default_all": Change(
        "0.29.0", "model runner V2 by default for every model (MoE and hybrid too) unless a feature it lacks is on",
        "vllm/config/vllm.py · VllmConfig.use_v2_model_runner (v0.26.0: dense only; v0.29.0: all)"),
    "v2_graphs_in_budget": Change(
        "0.29.0", "model runner V2 estimates its CUDA graphs inside the budget (0 before: captured from the headroom)",
        "vllm/v1/worker/gpu/model_runner.py · profile_cudagraph_memory (v0.23.0/v0.26.0: return 0; v0.29.0: estimated)"),
    "v2_sampler_warmup_pass": Change(
        "0.33.0", "model runner V2's profile also samples with warm-up parameters: the fp32 logits pipeline",
        "vllm/v1/worker/gpu/model_runner.py · _dummy_sampler_run, SamplingParams.for_sampler_warmup (absent in v0.31.0)"),
    "cudagraph_estimate_opt_in": Change(
        "0.18.0", "CUDA-graph memory estimate with VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS=1",
        "vllm/envs.py; vllm/v1/worker/gpu_worker.py · determine_available_memory (v0.18.0)"),
    "group_size_heuristic": Change(
        "0.18.0", "KV group size = the largest layer count when max < 1.5 x min",
        "vllm/v1/core/kv_cache_utils.py · _get_kv_cache_groups_uniform_page_size (v0.18.0)"),
    "gmu_default_092": Change(
        "0.20.0", "gpu_memory_utilization defaults to 0.92 (0.9 before)",
        "vllm/config/cache.py · CacheConfig.gpu_memory_utilization (0.9 in v0.19.0, 0.92 in v0.20.0)"),
    "cudagraph_estimate_default": Change(
        "0.20.0", "CUDA-graph memory estimate on by default (CUDA)",
        "vllm/envs.py VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS default (v0.20.0)"),
    "kv_tokens_from_concurrency": Change(
        "0.23.0", "'GPU KV cache size' = int(concurrency x max_model_len)",
        "vllm/v1/core/kv_cache_utils.py · _report_kv_cache_config (v0.23.0)"),
    "swa_in_flight_batches": Change(
        "0.26.0", "sliding-window reservation uses max_num_batched_tokens x concurrent batches",
        "vllm/v1/kv_cache_interface.py · SlidingWindowSpec.max_memory_usage_bytes (v0.26.0)"),
    "requested_memory_ceil": Change(
        "0.29.0", "requested memory = ceil(total x gmu) (int() before)",
        "vllm/v1/worker/utils.py · request_memory (v0.29.0; inline int() in Worker.init_device before)"),
    "yarn_length_already_scaled": Change(
        "0.31.0", "YaRN configs: max_position_embeddings is taken as already scaled (no x factor)",
        "vllm/config/model.py · _get_and_verify_max_len (0.29.0: original_max_position_embeddings x factor; "
        "0.31.0: yarn in the skip list)"),
    "mamba_align_with_prefix_caching": Change(
        "0.33.0", "prefix caching on a hybrid model makes mamba_cache_mode 'align'",
        "vllm/config/model.py · ModelConfig.is_prefix_caching_supported (v0.33.0)"),
}


def has(name: str, version: Optional[str]) -> bool:
    """Whether vLLM `version` has the behaviour CHANGES[name]."""
    return has_change(CHANGES, name, version)
