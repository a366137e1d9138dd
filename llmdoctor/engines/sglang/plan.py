"""SGLang's memory plan, as SGLang computes it.

- mem_fraction_static default: server_args.py ServerArgs.__post_init__ (v0.4.3-v0.4.9),
  _handle_gpu_memory_settings (v0.4.10-v0.5.16), arg_groups/memory_hook.py (v0.5.20+).
- KV pool: model_runner.py profile_max_num_token (<=v0.5.12) / mem_cache/kv_cache_configurator.py
  (v0.5.23): rest = free_after_load - free_before_load * (1 - mfs); tokens = rest // cell_size.
- Log figures: mem_cache/memory_pool.py: K size = (tokens + page) * layers * kv_heads * head_dim * dtype.
See knowledge/engine-memory.md §2 for the version table this follows.
"""
from __future__ import annotations

from typing import Any, Optional

from llmdoctor.checkpoint.spec import FULL, LINEAR, MAMBA, MLA, SLIDING, ModelInfo
from llmdoctor.engines.sglang import flags as flags_sglang
from llmdoctor.engines.sglang.limits import SOURCE as LIMIT_SOURCE, context_limit, refusal, refuses
from llmdoctor.engines.sglang.versions import has
from llmdoctor.plan.common import (DTYPE_BYTES, GIB, MIB, canonical_dtype, cuda_total_bytes, parallel_sizes,
                                   resolve_version)
from llmdoctor.plan.records import GpuMemory, KvCachePlan, Plan, PlanRequest, SglangKv, SglangMemory, SpeculativePlan, Target, WeightsPlan
from llmdoctor.plan.speed import active_weight_bytes, hf_speed, tp_link
from llmdoctor.plan.weights import mla_absorbed_bytes, rank_weights

CONTEXT_OVERHEAD = int(0.6 * GIB)    # CUDA context + NCCL before the "pre model load" snapshot (assumed)


def tier_defaults(gpu_mem_mib: float, tp: int, version: str) -> tuple[int, int]:
    """(chunked_prefill_size, cuda_graph_max_bs) by GPU memory (server_args.py, v0.5.23)."""
    gb = gpu_mem_mib / 1024
    if gb < 20:
        return 2048, 8
    if gb < 35:
        if not has("tier_35g_4096_chunk", version):
            return 2048, 24 if tp < 4 else 80
        return 4096, 48 if tp < 4 else 160
    if gb < 60:
        return 4096, 32 if tp < 4 else 160
    if gb < 160:
        return 8192, 256 if tp < 4 else 512
    return 16384, 512


def prefill_graph_sizes(chunk: int, mla: bool) -> int:
    top = min(chunk, 8192) if mla else chunk
    sizes = (list(range(4, 33, 4)) + list(range(48, 257, 16)) + list(range(288, 513, 32))
             + list(range(576, 1025, 64)) + list(range(1280, 4097, 256)) + list(range(4608, top + 1, 512)))
    return len([s for s in sizes if s <= top])


def default_mfs(version: str, gpu_mem_mib: Optional[float], tp: int, pp: int, chunk: int, max_bs: int,
                mla: bool, speculative: bool) -> tuple[float, str]:
    p = tp * pp
    if not gpu_mem_mib:
        return (0.95 if has("fallback_mfs_095", version) else 0.88), "GPU memory unknown: SGLang's fallback"
    if not has("mfs_by_memory_over_80g", version) or (not has("mfs_reserved_by_tier", version) and gpu_mem_mib <= 81920):
        for limit, value in ((16, 0.79), (8, 0.81), (4, 0.85), (2, 0.87)):
            if tp >= limit:
                return value, "by TP size (v0.4.x table)"
        return 0.88, "by TP size (v0.4.x table)"
    if not has("mfs_reserved_by_tier", version):
        return round((gpu_mem_mib - 13 * 1024) / gpu_mem_mib, 3), "(gpu_mem - 13 GiB) / gpu_mem"
    if not has("mfs_reserved_from_activations", version):
        gb = gpu_mem_mib / 1024
        reserved = (2.8 + p / 10) if gb < 35 else (9.5 + p / 2) if gb < 90 else (12 + p / 2) if gb < 160 else 32
        reserved += 2 if speculative else 0
        return round((gpu_mem_mib - reserved * 1024) / gpu_mem_mib, 3), f"reserved {reserved:.1f} GiB by GPU tier"
    reserved = 512 + 1.5 * max(chunk, 2048) + p / 8 * 1024 + 2 * max_bs
    if has("prefill_graphs_default", version):
        reserved += 1536 if mla else 8 * prefill_graph_sizes(chunk, mla)
    elif speculative and not has("no_speculative_surcharge", version):
        reserved += 2048
    if gpu_mem_mib > 60 * 1024:
        reserved = max(reserved, 10 * 1024)
    return round((gpu_mem_mib - reserved) / gpu_mem_mib, 3), f"reserved {reserved:.0f} MiB (activations, graphs, TP buffers)"


def _cells(model: ModelInfo, tp: int, kv_b: float, state_b: int, ssm_b: int) -> dict[str, Any]:
    full = swa = mla = 0
    full_layers = swa_layers = mla_layers = 0
    per_req_state = 0
    k_bytes_per_token = 0
    for layer in model.spec.layers:
        if layer.kv_shared_from is not None:
            continue
        if layer.kind in (FULL, SLIDING):
            heads = max(1, (layer.num_kv_heads or 1) // tp)
            b = int(heads * ((layer.head_dim_k or 0) + (layer.head_dim_v or 0)) * kv_b)
            if layer.kind == SLIDING:
                swa += b
                swa_layers += 1
            else:
                full += b
                full_layers += 1
                k_bytes_per_token += int(heads * (layer.head_dim_k or 0) * kv_b)
        elif layer.kind == MLA:
            mla += int(((layer.kv_lora_rank or 0) + (layer.rope_dim or 0)) * kv_b)
            mla_layers += 1
        elif layer.kind in (LINEAR, MAMBA) and layer.state is not None:
            st = layer.state
            per_req_state += (st.conv_dim // tp) * (st.conv_kernel - 1) * state_b + (st.ssm_elements // tp) * ssm_b
    return {"full": full, "swa": swa, "mla": mla, "full_layers": full_layers, "swa_layers": swa_layers,
            "mla_layers": mla_layers, "state": per_req_state, "k_per_token": k_bytes_per_token}


def mla_absorbed_copy_bytes(model: ModelInfo, tp: int, pp: int, version: str) -> int:
    """Bytes per rank of the w_kc / w_vc SGLang builds for MLA decode beside kv_b_proj, which it keeps for the MHA
    prefill (v0.5.23 deepseek_weight_loader.py post_load_weights): on CUDA a 128x128 block-fp8 kv_b_proj is
    dequantized to bf16 (block_quant_dequant), a 16-bit one split and made contiguous, new tensors either way;
    2 x heads x (qk_nope + v_head) x kv_lora bytes a layer (DeepSeek-V3 at TP 1: 1.91 GiB). The DeepGEMM-bmm
    (SGLANG_USE_DEEPGEMM_BMM) and per-tensor fp8 paths (ROCm, w8a8_fp8) keep one byte a weight: not modelled."""
    return mla_absorbed_bytes(model, tp, pp, 2) if has("mla_wkc_wvc_copy", version) else 0


def _draft_kv_layers(model: ModelInfo, draft, spec_algo, f: dict, version: str, notes: list[str]) -> int:
    """Draft layers whose KV SGLang budgets beside the target's (EAGLE, EAGLE3, NEXTN/MTP, STANDALONE; from
    v0.5.16): the draft's num_nextn_predict_layers, else its num_hidden_layers; without a draft path, the
    target's MTP layers (model_runner_components/spec_aux_hidden_state.py). Its weights come out of the
    memory left outside mem_fraction_static, which is not checked here."""
    algo = str(spec_algo or "").upper()
    if algo not in ("EAGLE", "EAGLE3", "NEXTN", "MTP", "STANDALONE"):
        return 0
    path = f.get("speculative_draft_model_path")
    if path and draft is None:
        notes.append(f"draft model {path} not found here: its KV share and weights are not counted")
        return 0
    if not has("eagle_draft_cell_scaling", version):
        notes.append("draft KV pool allocated after the target's, from the memory mem_fraction_static leaves "
                     "(not checked)")
        return 0
    if draft is not None:
        notes.append(f"draft model {path}: {(draft.weight_bytes or 0) / GIB:.2f} GiB of weights load into the memory "
                     "outside mem_fraction_static (not checked against it)")
        return draft.spec.mtp_layers or draft.spec.num_layers
    return model.spec.mtp_layers


def plan_sglang(target: Target, model: ModelInfo, request: PlanRequest) -> Plan:
    notes: list[str] = []
    version, vsource = resolve_version(request, target, "sglang", flags_sglang.NEWEST)
    notes.append(f"SGLang {version} ({vsource})")
    f = dict(request.flags)
    gpus = list(target.gpus)
    problems: list[str] = []
    tp, pp = parallel_sizes(f.get("tp_size"), f.get("pp_size"), "SGLang", problems)
    used = gpus[: tp * pp]
    totals = [cuda_total_bytes(g) for g in used if cuda_total_bytes(g)]
    total = min(totals) if totals else 0
    gpu0 = used[0] if used else None
    if not gpus:
        problems.append("no GPU visible: SGLang needs at least one (plan for one with --gpu NAME)")
    elif tp * pp > len(gpus):
        problems.append(f"tp_size x pp_size = {tp * pp} but {len(gpus)} GPU(s) visible")
    gpu_mib = total / MIB if total else None
    chunk_d, max_bs_d = tier_defaults(gpu_mib or 0, tp, version)
    chunk = int(f.get("chunked_prefill_size") or chunk_d)
    max_bs = int(f.get("cuda_graph_max_bs") or max_bs_d)
    mla = model.spec.mla_layers > 0
    spec_algo = f.get("speculative_algorithm")
    if f.get("mem_fraction_static"):
        mfs, why = float(f["mem_fraction_static"]), "given"
    else:
        mfs, why = default_mfs(version, gpu_mib, tp, pp, chunk, max_bs, mla, bool(spec_algo))
    notes.append(f"mem_fraction_static {mfs} ({why})")
    if not 0 < mfs < 1:          # NaN fails too
        # no range check in SGLang (startup_checks.md row 3): <= 0 ends in "Not enough memory", >= 1 asks
        # for a pool larger than the memory left, and the allocation fails with CUDA out of memory
        problems.append(f"--mem-fraction-static {mfs} is outside (0, 1): SGLang stops at the KV pool allocation "
                        "(\"Not enough memory. Please try to increase --mem-fraction-static.\" or CUDA out of memory)")
        mfs = min(max(mfs, 0.01), 0.99) if mfs == mfs else 0.9       # keep the arithmetic finite

    cc_major = getattr(gpu0, "cc_major", None)
    dtype = canonical_dtype(f.get("dtype")) if f.get("dtype") not in (None, "auto") else (canonical_dtype(model.torch_dtype) or "bfloat16")
    if dtype == "float32":
        dtype = "bfloat16"
    if dtype == "bfloat16" and cc_major is not None and cc_major < 8 and getattr(gpu0, "vendor", "") == "nvidia":
        if f.get("dtype") in (None, "auto"):
            dtype = "float16"
            notes.append("dtype auto -> float16: no bfloat16 below compute capability 8.0")
        else:
            problems.append("--dtype bfloat16 on a GPU without bf16 (compute capability < 8.0)")
    kv_dtype = str(f.get("kv_cache_dtype") or "auto")
    kv_b = DTYPE_BYTES.get(dtype, 2) if kv_dtype == "auto" else DTYPE_BYTES.get(canonical_dtype(kv_dtype), 1)
    ssm_name = canonical_dtype(f.get("mamba_ssm_dtype")) or next(
        (canonical_dtype(l.state.ssm_dtype) for l in model.spec.layers if l.state and l.state.ssm_dtype), "float32")
    cells = _cells(model, tp, kv_b, 2, DTYPE_BYTES.get(ssm_name, 4))

    online = f.get("quantization") if model.quantization is None else None
    is_mtp = spec_algo in ("EAGLE", "NEXTN", "EAGLE3", "MTP") and model.spec.mtp_layers > 0
    rw = rank_weights(model, tp, pp, dtype, online_quant=online, load_mtp=is_mtp, rope_cache=False)
    notes += rw.assumptions
    draft_layers = _draft_kv_layers(model, request.draft, spec_algo, f, version, notes)
    mla_copy = mla_absorbed_copy_bytes(model, tp, pp, version)
    weights = rw.bytes_per_gpu + mla_copy
    if mla_copy:
        notes.append(f"MLA: SGLang keeps bf16 w_kc/w_vc beside kv_b_proj ({mla_copy / GIB:.2f} GiB per GPU)")
    frees = [g.memory_free_bytes for g in used if g.memory_free_bytes is not None]
    if frees:
        pre = min(frees) - CONTEXT_OVERHEAD
        notes.append(f"free memory before loading = probed free less {CONTEXT_OVERHEAD / GIB:.1f} GiB CUDA context/NCCL (assumed)")
    else:
        pre = total - CONTEXT_OVERHEAD
        notes.append(f"free memory before loading = total less {CONTEXT_OVERHEAD / GIB:.1f} GiB CUDA context/NCCL (assumed)")
    if "pre_model_load_bytes" in f:                  # figures read from an SGLang log
        pre = int(f["pre_model_load_bytes"])
    rest = (pre - weights) - int(pre * (1 - mfs))
    limit = context_limit(model, version)
    context_len = int(f.get("context_length") or limit.tokens)
    if refuses(context_len, limit, request.env):
        problems.append(f"SGLang refuses to start: {refusal(context_len, limit)} ({LIMIT_SOURCE})")
    page = int(f.get("page_size") or 1)

    mamba_slots = None
    mamba_pool = 0
    if cells["state"]:
        ratio = float(f.get("mamba_full_memory_ratio") or 0.9)
        if f.get("max_mamba_cache_size"):
            mamba_slots = int(f["max_mamba_cache_size"])
        else:
            budget = rest * ratio / (1 + ratio)
            mamba_slots = max(int((budget - cells["state"]) // cells["state"]), 0)
        mamba_pool = (mamba_slots + 1) * cells["state"]
        notes.append(f"mamba pool: {mamba_slots} slots x {cells['state'] / MIB:.1f} MiB (mamba_full_memory_ratio {ratio})")
    kv_rest = rest - mamba_pool
    swa_ratio = float(f.get("swa_full_tokens_ratio") or 0.8)
    if cells["mla"]:
        cell = cells["mla"]
    elif cells["swa"]:
        cell = cells["full"] + swa_ratio * cells["swa"]
    else:
        cell = cells["full"]
    kv_layers = cells["mla_layers"] or (cells["full_layers"] + cells["swa_layers"])
    if draft_layers and kv_layers:
        cell = cell * (1 + draft_layers / kv_layers)
        notes.append(f"KV cell x (1 + {draft_layers} draft layer(s) / {kv_layers}): the draft's pool takes its share "
                     "of the same budget")
    tokens = int(kv_rest // cell) // page * page if cell and kv_rest > 0 else 0
    if f.get("max_total_tokens"):
        tokens = min(tokens, int(f["max_total_tokens"]))
    if rest <= 0:
        problems.append(f"weights {weights / GIB:.2f} GiB leave no memory for the KV cache at mem_fraction_static {mfs} "
                        f"(free before load {pre / GIB:.2f} GiB); raise it above {1 - (pre - weights) / pre:.3f} or use more GPUs")
    elif tokens < context_len:
        # scheduler: max_req_input_len = min(context_len - 1, max_total_num_tokens - 1) (managers/scheduler.py)
        problems.append(f"the KV pool holds {tokens:,} tokens, less than one request of context_length "
                        f"{context_len:,}: SGLang rejects longer inputs; lower --context-length to {tokens:,} "
                        f"or give the pool more memory")
    if cells["mla"]:
        kv_size = {"kv_size_bytes": (tokens + page) * cells["mla"]}
    else:
        k = (tokens + page) * cells["k_per_token"]
        kv_size = {"k_size_bytes": k, "v_size_bytes": (tokens + page) * (cells["full"] - cells["k_per_token"])}
        if cells["swa"]:
            kv_size["swa_tokens"] = int(tokens * swa_ratio)
    if f.get("max_running_requests"):
        max_running = min(int(f["max_running_requests"]), tokens // 2)
    else:
        max_running = min(max(min(int(tokens / context_len * 512), 4096), 2048), tokens // 2)
    if mamba_slots is not None:
        max_running = min(max_running, mamba_slots // 3)
    bytes_per_token = int(cells["mla"] or (cells["full"] + cells["swa"]))
    active = active_weight_bytes(model) * (rw.bytes_total / max(model.weight_bytes or rw.bytes_total, 1))
    sctx = min(context_len, 4096)
    speed = hf_speed("sglang", model, gpu0, active / tp, bytes_per_token, dtype=dtype, context=sctx,
                     concurrency=min(max_running, max(tokens // max(sctx, 1), 1)), tp=tp, link=tp_link(used),
                     eager=bool(f.get("disable_cuda_graph")), state_bytes=cells["state"] or 0,
                     drafter=str(spec_algo) if spec_algo else "", max_context=context_len)
    kv_alloc = int(tokens * cell) + mamba_pool
    gpu_mem = [GpuMemory(index=g.index, total_bytes=cuda_total_bytes(g) or 0, weights_bytes=weights,
                         kv_cache_bytes=kv_alloc, runtime_overhead_bytes=CONTEXT_OVERHEAD,
                         other_processes_bytes=g.processes_memory_bytes or 0,
                         free_bytes=(cuda_total_bytes(g) or 0) - weights - kv_alloc - CONTEXT_OVERHEAD) for g in used]
    fits = not problems and tokens > 0
    plan = Plan(
        engine="sglang", engine_version=version, engine_version_source=vsource, target=target.source,
        num_gpus=len(gpus), tensor_parallel_size=tp, pipeline_parallel_size=pp, dtype=dtype,
        kv_cache=KvCachePlan(dtype=kv_dtype if kv_dtype != "auto" else dtype, bytes_per_token=bytes_per_token,
                             block_size=page, available_bytes_per_gpu=max(kv_rest, 0), tokens=tokens,
                             state_bytes_per_sequence=cells["state"],
                             details=SglangKv(**kv_size, cell_size=cell, mamba_slots=mamba_slots,
                                              mamba_pool_bytes=mamba_pool, max_running_requests=max_running)),
        max_model_len=context_len, context_limit=limit.tokens, max_concurrency=round(tokens / context_len, 4) if context_len else 0.0,
        weights=WeightsPlan(bytes_per_gpu=weights, bytes_total=rw.bytes_total, details=rw.details),
        activation_bytes_per_gpu=int(pre * (1 - mfs)), gpu_memory_utilization=mfs,
        speculative=SpeculativePlan(method=str(spec_algo).lower(), num_speculative_tokens=int(f.get("speculative_num_steps") or 0))
        if spec_algo else None,
        decode_tokens_per_s=speed.decode_tokens_per_s, prefill_tokens_per_s=speed.prefill_tokens_per_s, speed=speed,
        fits=fits, fits_reason="; ".join(problems) if problems else f"fits: {tokens:,} KV tokens, "
        f"{tokens / context_len:.2f} x context_length {context_len:,}",
        command=[], assumptions=notes, gpus=gpu_mem,
        settings={**f, "mem_fraction_static": mfs, "chunked_prefill_size": chunk, "cuda_graph_max_bs": max_bs,
                  "context_length": context_len, "dtype": dtype, "tp_size": tp, "pp_size": pp},
        details=SglangMemory(pre_model_load_bytes=pre, rest_bytes=rest, non_static_bytes=int(pre * (1 - mfs))),
    )
    from llmdoctor.engines.sglang.command import build_command
    from llmdoctor.plan.recommend import recommend
    return recommend(plan, target, model, request, build_command)
