"""vLLM's memory plan, as vLLM computes it (V1 engine; V0 where the version says so).

Budget (vllm/v1/worker/gpu_worker.py Worker.determine_available_memory, v0.9-v0.26):
  requested = total * gpu_memory_utilization          (ceil in v0.29+, vllm/v1/worker/utils.py)
  available_kv = requested - weights - peak_activation - non_torch - cudagraph_estimate
`--kv-cache-memory-bytes` replaces available_kv (v0.10.2+). The KV arithmetic is in kv.py, the profile
run's terms and the model runner in profile.py, what is loaded beyond the checkpoint's sums in loads.py.
Measured terms (activation, non-torch, CUDA graphs) are modelled; the formulas are stated in the
plan's assumptions.
"""
from __future__ import annotations

import math

from llmdoctor.checkpoint.spec import ModelInfo
from llmdoctor.engines.vllm import flags as flags_vllm
from llmdoctor.engines.vllm.limits import SOURCE as LIMIT_SOURCE, context_limit, refusal, refuses
from llmdoctor.engines.vllm.versions import has
from llmdoctor.plan.common import (DTYPE_BYTES, GIB, MIB, canonical_dtype, cuda_total_bytes, parallel_sizes,
                                   resolve_version)
from llmdoctor.plan.records import GpuMemory, KvCachePlan, Plan, PlanRequest, SpeculativePlan, Target, VllmKv, VllmMemory, WeightsPlan
from llmdoctor.plan.speed import active_weight_bytes, hf_speed, tp_link
from llmdoctor.engines.vllm.kv import KvSettings, plan_kv
from llmdoctor.engines.vllm.loads import (draft_weight_bytes, eagle_drafter_params, loads_drafter,
                                         machete_layer_scale, mla_absorbed_copy_bytes, modelopt_head_scale,
                                         mxfp4_expert_scale, skipped_towers)
from llmdoctor.engines.vllm.profile import activation_bytes, uses_v2_runner
from llmdoctor.plan.weights import rank_weights

MTP_METHODS = {"mtp", "deepseek_mtp", "qwen3_next_mtp", "qwen3_5_mtp", "mimo_mtp", "glm4_moe_mtp",
               "ernie_mtp", "longcat_flash_mtp", "pangu_ultra_moe_mtp"}


def kv_dtype_bytes(kv_dtype: str, model_dtype: str, notes: list[str]) -> float:
    if kv_dtype in ("auto", None):
        return DTYPE_BYTES.get(model_dtype, 2)
    d = canonical_dtype(kv_dtype)
    if d in DTYPE_BYTES:
        return DTYPE_BYTES[d]
    notes.append(f"--kv-cache-dtype {kv_dtype}: packed layout not modelled, counted as 1 byte per element")
    return 1


def _capture_sizes(max_size: int) -> int:
    """Number of CUDA graphs vLLM captures by default: 1, 2, 4, then steps of 8 to 256, then 16."""
    sizes = [s for s in [1, 2, 4] + list(range(8, 256, 8)) + list(range(256, max_size + 1, 16)) if s <= max_size]
    return len(sizes)


def _len_for_concurrency(model: ModelInfo, ks: KvSettings, available: int, want: float) -> int:
    """Largest max_model_len at which vLLM would report at least `want` concurrency."""
    import dataclasses
    lo, hi = 0, ks.max_model_len
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if plan_kv(model, dataclasses.replace(ks, max_model_len=mid), available).concurrency >= want:
            lo = mid
        else:
            hi = mid - 1
    return lo


def plan_vllm(target: Target, model: ModelInfo, request: PlanRequest) -> Plan:
    notes: list[str] = []
    version, vsource = resolve_version(request, target, "vllm", flags_vllm.NEWEST)
    notes.append(f"vLLM {version} ({vsource})")
    flags = dict(request.flags)
    gpus = list(target.gpus)
    problems: list[str] = []
    tp, pp = parallel_sizes(flags.get("tensor_parallel_size"), flags.get("pipeline_parallel_size"), "vLLM", problems)
    used = gpus[: tp * pp] if gpus else []
    totals = [cuda_total_bytes(g) for g in used if cuda_total_bytes(g)]
    total = min(totals) if totals else 0
    gpu0 = used[0] if used else None
    s = flags_vllm.defaults(version, total, getattr(gpu0, "name", None))
    s.update({k: v for k, v in flags.items() if v is not None})
    v1 = has("v1_engine", version)
    if not gpus:
        problems.append("no GPU visible: vLLM needs at least one (plan for one with --gpu NAME)")
    elif tp * pp > len(gpus):
        problems.append(f"tensor_parallel_size x pipeline_parallel_size = {tp * pp} but {len(gpus)} GPU(s) visible")
    heads, kv_heads = model.spec.num_attention_heads, model.spec.num_kv_heads
    if heads and heads % tp:
        problems.append(f"{heads} attention heads are not divisible by tensor_parallel_size {tp}")
    if kv_heads and model.spec.mla_layers == 0 and kv_heads % tp and tp % kv_heads:
        problems.append(f"{kv_heads} KV heads and tensor_parallel_size {tp} do not divide one another")

    # dtype: "auto" takes the checkpoint's; GPUs without bf16 (cc < 8.0) get float16.
    cc_major = getattr(gpu0, "cc_major", None)
    dtype = canonical_dtype(s.get("dtype"))
    ckpt_dtype = canonical_dtype(model.torch_dtype) or "bfloat16"
    if dtype in (None, "auto"):
        dtype = ckpt_dtype
        if ckpt_dtype == "float32":
            dtype = "bfloat16"
        if dtype == "bfloat16" and cc_major is not None and cc_major < 8 and getattr(gpu0, "vendor", "") == "nvidia":
            dtype = "float16"
            notes.append("dtype auto -> float16: bfloat16 needs compute capability >= 8.0")
    elif dtype == "bfloat16" and cc_major is not None and cc_major < 8 and getattr(gpu0, "vendor", "") == "nvidia":
        problems.append("--dtype bfloat16 on a GPU with compute capability < 8.0 (no bf16): use --dtype half")
    act_bytes = DTYPE_BYTES.get(dtype, 2)

    spec_cfg = s.get("speculative_config") if isinstance(s.get("speculative_config"), dict) else None
    num_spec, method = 0, None
    if spec_cfg:
        method = str(spec_cfg.get("method") or spec_cfg.get("model") or "draft_model")
        num_spec = int(spec_cfg.get("num_speculative_tokens") or 0)
    is_mtp = bool(method) and (method in MTP_METHODS or method.endswith("_mtp"))
    mtp_layers = model.spec.mtp_layers if is_mtp else 0
    # A separate drafter (EAGLE heads, a draft model): its layers' KV joins the target's cache and its
    # weights load on the last stage. Read from its checkpoint when it is here; else an EAGLE drafter of
    # the target's shape is assumed.
    draft = request.draft if spec_cfg and loads_drafter(method) else None
    draft_layers, draft_bytes = 0, 0
    if draft is not None:
        draft_layers = draft.spec.num_layers
        draft_bytes = draft_weight_bytes(draft, method, act_bytes)
        notes.append(f"{method} drafter read from {draft.path}: {draft_layers} layer(s), their KV in the KV cache, "
                     f"{draft_bytes / GIB:.2f} GiB of weights")
    elif method in ("eagle", "eagle3"):
        draft_layers = 1
        draft_bytes = eagle_drafter_params(model, method) * act_bytes
        notes.append(f"{method} drafter not read: assumed 1 decoder layer of the target's shape, its KV counted in "
                     f"the KV cache and its weights ({draft_bytes / GIB:.2f} GiB with the fc projection; embedding "
                     "and lm_head shared with the target) in the weights")
    elif spec_cfg and loads_drafter(method) and spec_cfg.get("model"):
        notes.append(f"draft model {spec_cfg.get('model')} not found here: its weights and KV are not counted")
    if is_mtp and not model.spec.mtp_layers:
        problems.append(f"speculative method {method} but the model has no MTP layers")

    # max_model_len: the model's (as vLLM derives it), or the user's; -1/auto means "largest that fits" (v0.16+).
    limit = context_limit(model, version)
    M_model = limit.tokens if limit else 2048           # vLLM assumes 2048 when the config names no length
    M = int(s.get("max_model_len") or M_model)
    auto_fit = M == -1
    if auto_fit:
        M = M_model
    if refuses(M, limit, request.env):
        problems.append(f"vLLM refuses to start: {refusal(M, limit)} ({LIMIT_SOURCE})")
    T = int(s["max_num_batched_tokens"])
    if not v1 and "max_num_batched_tokens" not in flags:
        T = max(M, 2048) if M <= 32768 else 2048
        notes.append("V0 engine: max_num_batched_tokens = max(max_model_len, 2048) without chunked prefill")
    if s.get("enable_chunked_prefill") is False and v1:
        T = max(T, M)
    num_reqs = min(int(s["max_num_seqs"]), T)

    online_quant = s.get("quantization") if model.quantization is None else None
    # the checkpoint's bytes as vLLM's kernels lay them out
    expert_scale, why_pad = mxfp4_expert_scale(model, tp, gpu0)
    head_scale, why_head = modelopt_head_scale(model)
    layout_scale, why_layout = machete_layer_scale(model, tp, gpu0, version)
    notes += [why for why in (why_pad, why_head, why_layout) if why]
    rw = rank_weights(model, tp, pp, dtype, online_quant=online_quant, load_mtp=is_mtp,
                      skip_towers=skipped_towers(s, version, model.model_type or ""), expert_scale=expert_scale,
                      extra_last_stage=draft_bytes // tp, head_scale=head_scale, layer_layout_scale=layout_scale)
    notes += rw.assumptions
    mla_copy, why_mla = mla_absorbed_copy_bytes(model, tp, pp, act_bytes, online_quant, version)
    notes += [why_mla] if why_mla else []
    weights = rw.bytes_per_gpu + mla_copy
    v2 = v1 and uses_v2_runner(model, version, request.env, method)
    activation, why = activation_bytes(model, T, num_reqs, tp, act_bytes, version, v2)
    notes.append(why)
    multi = tp * pp > 1
    nccl_outside = has("nccl_outside_budget", version)
    non_torch = int(0.3 * GIB) + (int(0.3 * GIB) if multi and not nccl_outside else 0)
    notes.append(f"non-torch memory {non_torch / GIB:.2f} GiB assumed (cuBLAS/attention workspaces; NCCL is "
                 f"{'outside' if nccl_outside else 'inside'} the budget at this version)")
    eager = bool(s.get("enforce_eager"))
    is_cuda = getattr(gpu0, "vendor", "nvidia") == "nvidia"
    estimate_on = s["cudagraph_estimate"] or (
        has("cudagraph_estimate_opt_in", version) and request.env.get("VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS") == "1")
    cudagraph = 0
    if v2 and estimate_on and not eager and is_cuda and not has("v2_graphs_in_budget", version):
        estimate_on = False
        notes.append("model runner V2: its CUDA-graph estimate is 0 (GPUModelRunner.profile_cudagraph_memory), so "
                     "graphs are captured after the KV cache, in the (1 - gmu) headroom")
    if estimate_on and not eager and is_cuda:
        cap = min(int(s["max_num_seqs"]) * (1 + num_spec) * 2, 512, T)
        n = _capture_sizes(cap)
        cudagraph = int(64 * MIB + n * model.spec.num_layers * 64 * 1024 / pp)
        notes.append(f"CUDA-graph estimate {cudagraph / GIB:.2f} GiB assumed ({n} graphs; vLLM measures it)")
    elif not eager and is_cuda:
        notes.append("CUDA graphs are captured after the KV cache at this version: they need the (1 - gmu) headroom")

    gmu = float(s["gpu_memory_utilization"])
    ceil = has("requested_memory_ceil", version)
    requested = math.ceil(total * gmu) if ceil else int(total * gmu)
    kv_bytes_flag = s.get("kv_cache_memory_bytes")
    if kv_bytes_flag and kv_bytes_flag > 0:
        available = int(kv_bytes_flag)
        notes.append("--kv-cache-memory-bytes given: vLLM skips profiling and uses it as the KV budget")
    else:
        available = requested - weights - activation - non_torch - cudagraph
    if available <= 0 and gpus:
        problems.append(f"no memory left for the KV cache: {gmu} x {total / GIB:.2f} GiB = {requested / GIB:.2f} GiB "
                        f"requested, weights {weights / GIB:.2f} GiB + activation {activation / GIB:.2f} GiB + "
                        f"non-torch {non_torch / GIB:.2f} GiB + CUDA graphs {cudagraph / GIB:.2f} GiB")
    free = [g.memory_free_bytes for g in used if g.memory_free_bytes is not None]
    if free and has("startup_free_memory_check", version) and min(free) < requested and not kv_bytes_flag:
        problems.append(f"free memory {min(free) / GIB:.2f} GiB < requested {requested / GIB:.2f} GiB: vLLM refuses to "
                        f"start; lower gpu_memory_utilization to {max(min(free) / total - 0.01, 0):.2f}")

    model_dtype = dtype
    kv_dtype = str(s.get("kv_cache_dtype") or "auto")
    ssm = model.spec.layers and next((l.state.ssm_dtype for l in model.spec.layers if l.state), None)
    mamba_dtype = canonical_dtype(s.get("mamba_cache_dtype")) if s.get("mamba_cache_dtype") not in (None, "auto") else model_dtype
    ssm_dtype = s.get("mamba_ssm_cache_dtype")
    ssm_bytes = DTYPE_BYTES.get(canonical_dtype(ssm_dtype)) if ssm_dtype not in (None, "auto") else (
        DTYPE_BYTES.get(canonical_dtype(ssm)) if ssm else None)
    ks = KvSettings(version=version, tp=tp, kv_bytes=kv_dtype_bytes(kv_dtype, model_dtype, notes),
                    state_dtype_bytes=DTYPE_BYTES.get(mamba_dtype, 2), ssm_dtype_bytes=ssm_bytes,
                    max_model_len=M, max_num_batched_tokens=T, block_size=int(s.get("block_size") or 16),
                    user_block_size="block_size" in flags, mamba_cache_mode=str(s.get("mamba_cache_mode") or "none"),
                    num_spec=num_spec, mtp_layers=mtp_layers, pp=pp, draft_layers=draft_layers, draft_model=draft,
                    disable_hybrid=bool(s.get("disable_hybrid_kv_cache_manager")))
    kv = plan_kv(model, ks, max(available, 0))
    if auto_fit and kv.estimated_max_model_len is not None:
        M = kv.estimated_max_model_len
        ks.max_model_len = M
        kv = plan_kv(model, ks, max(available, 0))
        notes.append(f"max_model_len auto: reduced to {M} to fit the KV budget")
    want = request.flags.get("concurrency")
    fit_len = _len_for_concurrency(model, ks, max(available, 0), float(want)) if want else None
    if s.get("num_gpu_blocks_override"):
        kv.num_blocks = int(s["num_gpu_blocks_override"])
    if available > 0 and kv.request_bytes > available:
        problems.append(f"one request of max_model_len {M} needs {kv.request_bytes / GIB:.2f} GiB of KV cache, "
                        f"{available / GIB:.2f} GiB available; the largest max_model_len that fits is "
                        f"{kv.estimated_max_model_len}")

    link = tp_link(used)
    active = active_weight_bytes(model) * (rw.bytes_total / max(model.weight_bytes or rw.bytes_total, 1))
    ctx = min(M, 4096)
    conc = min(int(s["max_num_seqs"]), max(kv.tokens // max(ctx, 1), 1)) if kv.tokens else 1
    speed = hf_speed("vllm", model, gpu0, active / tp, kv.bytes_per_token, dtype=dtype, context=ctx, concurrency=conc,
                     tp=tp, link=link, eager=eager, state_bytes=kv.state_bytes_per_sequence or 0,
                     drafter=f"{method}, {num_spec} tokens" if method else "", max_context=M)

    gpu_mem = []
    for g in used:
        t = cuda_total_bytes(g) or 0
        other = g.processes_memory_bytes or 0
        kv_alloc = kv.num_blocks * kv.bytes_per_block
        spent = weights + kv_alloc + activation + cudagraph + non_torch + other
        gpu_mem.append(GpuMemory(index=g.index, total_bytes=t, weights_bytes=weights, kv_cache_bytes=kv_alloc,
                                 activation_bytes=activation, cuda_graph_bytes=cudagraph,
                                 runtime_overhead_bytes=non_torch, other_processes_bytes=other, free_bytes=t - spent))
    fits = not problems
    reason = "; ".join(problems) if problems else (
        f"fits: {kv.tokens:,} KV tokens, {kv.concurrency:.2f}x concurrency at {M:,} tokens")
    speculative = None
    if method:
        speculative = SpeculativePlan(method=method, num_speculative_tokens=num_spec,
                                      extra_bytes_per_gpu=rw.details.mtp // tp)
    settings = {k: v for k, v in s.items()}
    settings.update({"dtype": dtype, "max_model_len": M, "max_num_batched_tokens": T, "block_size": kv.block_size,
                     "tensor_parallel_size": tp, "pipeline_parallel_size": pp})
    plan = Plan(
        engine="vllm", engine_version=version, engine_version_source=vsource, target=target.source,
        num_gpus=len(gpus), tensor_parallel_size=tp, pipeline_parallel_size=pp, dtype=dtype,
        kv_cache=KvCachePlan(dtype=kv_dtype if kv_dtype != "auto" else dtype, bytes_per_token=kv.bytes_per_token,
                             block_size=kv.block_size, available_bytes_per_gpu=max(available, 0), tokens=kv.tokens,
                             state_bytes_per_sequence=kv.state_bytes_per_sequence,
                             details=VllmKv(num_blocks=kv.num_blocks, bytes_per_block=kv.bytes_per_block,
                                            groups=kv.groups, blocks_per_request=kv.blocks_per_request,
                                            request_bytes=kv.request_bytes, padding_layers=kv.padding_layers,
                                            mamba_padding_pct=kv.mamba_padding_pct,
                                            estimated_max_model_len=kv.estimated_max_model_len,
                                            mamba_cache_mode=ks.mamba_cache_mode)),
        max_model_len=M, context_limit=limit.tokens if limit else None, max_concurrency=round(kv.concurrency, 4),
        weights=WeightsPlan(bytes_per_gpu=weights, bytes_total=rw.bytes_total, details=rw.details),
        activation_bytes_per_gpu=activation, gpu_memory_utilization=gmu, speculative=speculative,
        decode_tokens_per_s=speed.decode_tokens_per_s, prefill_tokens_per_s=speed.prefill_tokens_per_s, speed=speed,
        fits=fits, fits_reason=reason, command=[], assumptions=notes, gpus=gpu_mem, settings=settings,
        details=VllmMemory(requested_bytes_per_gpu=requested, non_torch_bytes=non_torch, cudagraph_bytes=cudagraph,
                           max_num_batched_tokens=T, num_reqs_profiled=num_reqs,
                           max_model_len_for_concurrency=fit_len,
                           requested_memory_formula=f"{'ceil' if ceil else 'int'}(total x gmu)",
                           graphs_after_kv=not eager and is_cuda and not estimate_on),
    )
    from llmdoctor.engines.vllm.command import build_command
    from llmdoctor.plan.recommend import recommend
    return recommend(plan, target, model, request, build_command)
