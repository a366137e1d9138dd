"""llama.cpp (llama-server / llama-cli) capacity plan, modelled on ggml-org/llama.cpp@0c1e57098.

Per device: model buffer (llamacpp_weights), KV + recurrent buffers and compute buffers
(llamacpp_memory); host: CPU-resident weights, host compute and output buffers. `--fit` (on by
default, `common/fit.cpp`) keeps 1024 MiB free per device: it shrinks an automatic context
(-c unset or 0) by linear interpolation, then, if -ngl/-ts/-ot are unset, moves layers or experts off
the GPUs. Figures the engine measures at run time (compute buffers, CUDA context) are estimates.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Optional

from llmdoctor.engines.llamacpp import flags as fl
from llmdoctor.engines.llamacpp.arch import as_llamacpp_runs_it
from llmdoctor.engines.llamacpp.graph import decode_graph_nodes
from llmdoctor.engines.llamacpp.matvec import matvec_iterations
from llmdoctor.engines.llamacpp.quant_sizes import estimate_from_config
from llmdoctor.engines.llamacpp.memory import (MiB, CacheMemory, Cells, cache_memory, compute_buffers,
                                            context_cells, output_buffer_bytes)
from llmdoctor.engines.llamacpp.weights import CPU, Placement, WeightSource, place
from llmdoctor.plan.speed import gguf_format, gguf_speed
from llmdoctor.plan.records import GgufPlacement, GpuMemory, HostMemory, KvCachePlan, LlamacppFit, LlamacppKv, Plan, PlanRequest, Recommendation, Target, WeightsPlan

NEWEST = "0c1e57098"
FIT_MARGIN = 1024 * MiB           # common/common.h fit_params_target
CUDA_CONTEXT = 512 * MiB          # CUDA context + cuBLAS handles: ASSUMED (0.6 GiB measured on an H200)
QUANT_KV = {"q8_0", "q4_0", "q4_1", "iq4_nl", "q5_0", "q5_1"}
DECODE_CONTEXT = 4096            # context at which the one-stream decode bound is quoted
HOST_BANDWIDTH = 60e9             # bytes/s for CPU-resident weights: ASSUMED dual-channel DDR5


@dataclass
class Settings:
    """The llama.cpp parameters one evaluation uses (after auto values are resolved)."""
    n_ctx_req: int
    n_seq_max: int
    unified: bool
    n_ubatch: int
    n_batch: int
    type_k: str
    type_v: str
    flash_attn: bool
    swa_full: bool
    n_gpu_layers: int
    n_cpu_moe: int
    fit_margin: int
    cpu_moe: bool
    overrides: list[str]
    split_mode: str
    main_gpu: int
    tensor_split: list[float]
    no_kv_offload: bool


@dataclass
class Evaluation:
    cells: Cells
    cache: CacheMemory
    placement: Placement
    device: dict[int, dict[str, int]]        # device -> {model, kv, state, compute}
    host: dict[str, int]
    compute_terms: dict
    notes: list[str] = field(default_factory=list)

    def used(self, dev: int) -> int:
        return sum(self.device.get(dev, {}).values())


def plan_llamacpp(target: Target, model: Any, request: PlanRequest) -> Plan:
    flags = dict(request.flags)
    program = request.command.program if request.command and request.command.program else "llama-server"
    eff = fl.effective(flags, program)
    version, version_source = _version(request)
    model, assumptions = as_llamacpp_runs_it(model)
    src = weight_source(model, flags.get("quant") or flags.get("gguf_file_type"))
    assumptions += src.notes
    gpus = list(target.gpus)
    free = [_free_bytes(g) for g in gpus]
    n_ctx_train = model.spec.max_position_embeddings or 4096
    settings = _settings(eff, flags, gpus, free, assumptions)
    if settings.n_ctx_req == 0:
        assumptions.append(f"-c 0 / unset: n_ctx = the model's training context {n_ctx_train}")

    errors = _config_errors(settings, version, flags)
    ev = evaluate(model, src, settings, len(gpus), n_ctx_train)
    fit_log: list[str] = []
    if eff["fit"] and gpus and not errors:
        settings, ev = _fit(model, src, settings, flags, free, n_ctx_train, fit_log)
    assumptions += ev.notes + fit_log

    draft_total = 0
    if request.draft is not None:
        draft_total = _add_draft(ev, request.draft, settings, flags, len(gpus), assumptions)
        if eff["fit"]:
            assumptions.append("--fit fits the draft model together with the target (common_fit_extra_model); "
                               "llmdoctor's --fit above placed the target alone, then added the draft")
    fits, reason = _fits(ev, gpus, free, errors)
    total_w = src.embedding + src.output + sum(src.per_layer) + draft_total
    user_partial = "n_gpu_layers" in flags and flags["n_gpu_layers"] not in (None, -1, -2) \
        or any(flags.get(k) for k in ("n_cpu_moe", "cpu_moe", "override_tensor"))
    offloaded = CPU in ev.placement.layer_device or ev.placement.expert_bytes_on_host
    if fits and gpus and offloaded and not user_partial:
        fits = False
        reason = (f"does not fit in GPU memory: the weights are {total_w / 1e9:.1f} GB "
                  f"({total_w / 2**30:.1f} GiB) against {sum(free) / 2**30:.1f} GiB free; llama-server's --fit "
                  f"would still start it with {ev.placement.n_gpu_layers} of {len(src.per_layer) + 1} layers on the GPU"
                  + (f" and {ev.placement.expert_bytes_on_host / 2**30:.1f} GiB of experts on the CPU"
                     if ev.placement.expert_bytes_on_host else "") + ", at CPU speed for the rest")
    elif fits and gpus:
        reason += f"; weights {total_w / 1e9:.1f} GB"
    recs = _recommend(model, src, settings, flags, free, n_ctx_train, ev, fits)
    gpu_rows = _gpu_rows(gpus, free, ev)
    host, host_notes = _host(ev, eff, target, settings)
    assumptions += host_notes
    kv_total = ev.cache.kv_bytes + ev.cache.state_bytes
    per_token = _kv_bytes_per_token(ev.cache)
    busiest = max(range(len(gpus)), key=lambda d: ev.used(d)) if gpus else CPU
    n_ctx_seq = ev.cells.n_ctx_seq
    concurrency = min(ev.cells.n_seq_max, ev.cells.n_ctx // n_ctx_seq) if n_ctx_seq else 0
    sctx = min(n_ctx_seq, DECODE_CONTEXT)
    nodes, uncounted = decode_graph_nodes(model)
    file_type = model.gguf_file_type or flags.get("quant") or "Q4_K_M"
    turing = any((getattr(g, "cc_major", None), getattr(g, "cc_minor", None)) == (7, 5) for g in gpus)
    speed = gguf_speed(model, src, ev.placement, gpus, per_token, file_type=file_type, context=sctx,
                       host_bandwidth=HOST_BANDWIDTH, cpu=CPU,
                       concurrency=min(ev.cells.n_seq_max, ev.cells.n_ctx // max(sctx, 1)) if sctx else 1,
                       state_bytes=ev.cache.state_bytes // max(1, ev.cache.rs_rows),
                       drafter=f"draft model {request.draft.path}" if request.draft is not None else "",
                       backend_sampling=bool(flags.get("backend_sampling")), max_context=n_ctx_seq or 0,
                       graph_nodes=nodes, uncounted=tuple(uncounted),
                       matvec_iters=matvec_iterations(model, gguf_format(file_type), turing))
    decode = speed.decode_tokens_per_s
    command = _command(request, model, settings, flags, recs)
    details = LlamacppKv(
        n_ctx=ev.cells.n_ctx, n_ctx_seq=n_ctx_seq, n_seq_max=ev.cells.n_seq_max,
        n_stream=ev.cells.n_stream, kv_unified=ev.cells.unified, swa_cells=ev.cache.swa_cells,
        rs_rows=ev.cache.rs_rows, k_bytes=ev.cache.k_bytes, v_bytes=ev.cache.v_bytes,
        kv_bytes=ev.cache.kv_bytes, recurrent_state_bytes=ev.cache.state_bytes,
        per_device={str(k): v for k, v in ev.device.items()}, host=host,
        compute_terms=ev.compute_terms, estimated=["compute buffers", "CUDA context"]
        + (["weights (GGUF size from config)"] if src.estimated else []),
    )
    return Plan(
        engine="llamacpp", engine_version=version, engine_version_source=version_source,
        target=target.source, num_gpus=len(gpus), tensor_parallel_size=1,
        pipeline_parallel_size=max(1, len({d for d in ev.placement.layer_device if d != CPU})),
        dtype=model.gguf_file_type or (flags.get("quant") or "gguf"),
        kv_cache=KvCachePlan(
            dtype=settings.type_k if settings.type_k == settings.type_v else f"{settings.type_k}/{settings.type_v}",
            bytes_per_token=per_token, block_size=None,
            available_bytes_per_gpu=(ev.device.get(busiest, {}).get("kv", 0) + ev.device.get(busiest, {}).get("state", 0)) if gpus else kv_total,
            tokens=ev.cells.n_ctx,
            state_bytes_per_sequence=ev.cache.state_bytes // max(1, ev.cache.rs_rows),
            details=details),
        max_model_len=n_ctx_seq, max_concurrency=float(concurrency),
        weights=WeightsPlan(
            bytes_per_gpu=max((ev.device.get(d, {}).get("model", 0) for d in range(len(gpus))), default=0),
            bytes_total=src.embedding + src.output + sum(src.per_layer) + draft_total,
            host_bytes=ev.placement.device_bytes.get(CPU, 0),
            offloaded_bytes=max(ev.placement.device_bytes.get(CPU, 0) - src.embedding, 0) if gpus else 0,
            details=GgufPlacement(per_device={str(k): v for k, v in ev.placement.device_bytes.items()},
                                  n_gpu_layers=ev.placement.n_gpu_layers, output_device=ev.placement.output_device,
                                  experts_on_host=ev.placement.expert_bytes_on_host, estimated=src.estimated)),
        activation_bytes_per_gpu=max((ev.device.get(d, {}).get("compute", 0) for d in range(len(gpus))), default=0),
        gpu_memory_utilization=None, speculative=None,
        decode_tokens_per_s=decode, prefill_tokens_per_s=speed.prefill_tokens_per_s, speed=speed,
        fits=fits, fits_reason=reason, command=command, assumptions=assumptions, gpus=gpu_rows,
        recommendations=recs,
        settings={**{k: v for k, v in eff.items()}, "n_ctx": ev.cells.n_ctx, "n_seq_max": settings.n_seq_max,
                  "kv_unified": settings.unified, "flash_attn_resolved": settings.flash_attn,
                  "n_gpu_layers_resolved": ev.placement.n_gpu_layers, "n_cpu_moe_resolved": settings.n_cpu_moe},
        details=LlamacppFit(errors=errors, fit=fit_log),
    )


def _add_draft(ev: Evaluation, draft: Any, s: Settings, flags: dict, n_gpus: int, notes: list[str]) -> int:
    """A draft model (-md) runs in a context of its own with the target's cells (cparams.n_ctx =
    llama_n_ctx(ctx_tgt), the same slots), its own -ngld layers on the GPUs and -ctkd/-ctvd cache types,
    f16 by default (common/speculative.cpp common_base_params_to_speculative and
    common_speculative_init_result, 0c1e57098). Its buffers are added to the target's, device by device;
    returns the draft's weight bytes."""
    dm, dnotes = as_llamacpp_runs_it(draft)
    dsrc = weight_source(dm, None)
    ngld = flags.get("n_gpu_layers_draft")
    ds = _with(s, n_ctx_req=ev.cells.n_ctx, type_k=str(flags.get("cache_type_k_draft") or "f16").lower(),
               type_v=str(flags.get("cache_type_v_draft") or "f16").lower(),
               n_gpu_layers=int(ngld) if isinstance(ngld, int) else -1, n_cpu_moe=0, cpu_moe=False, overrides=[])
    dev = evaluate(dm, dsrc, ds, n_gpus, dm.spec.max_position_embeddings or 4096)
    for d, parts in dev.device.items():
        mine = ev.device.setdefault(d, {"model": 0, "kv": 0, "state": 0, "compute": 0})
        for k, v in parts.items():
            mine[k] = mine.get(k, 0) + v
    weights = dsrc.embedding + dsrc.output + sum(dsrc.per_layer)
    notes.append(f"draft model {draft.path}: {weights / 2**30:.2f} GiB of weights, {dev.cache.kv_bytes / 2**30:.2f} GiB "
                 f"of {ds.type_k}/{ds.type_v} KV for the target's {ev.cells.n_ctx} cells, and its compute buffers, "
                 "on the devices its layers go to")
    notes += dnotes + dsrc.notes
    return weights


# ---------------------------------------------------------------- inputs

def weight_source(model: Any, quant: Optional[str]) -> WeightSource:
    """Weights as llama.cpp will load them: a GGUF's tensor sizes, or an estimate from an HF config."""
    w = model.weights
    if model.format == "gguf":
        output = (w.lm_head or w.embedding) + w.other        # tied: output duplicates token_embd
        experts = list(w.per_layer_experts) or [0] * len(w.per_layer)
        return WeightSource(w.embedding, output, list(w.per_layer), experts, tied=not w.lm_head)
    est = estimate_from_config(model, quant or "Q4_K_M")
    notes = list(est.notes)
    if not quant:
        notes.append("no GGUF file and no quant given: assumed Q4_K_M")
    return WeightSource(est.embedding, est.output, est.per_layer, est.per_layer_experts, True, est.tied, notes)


def _version(request: PlanRequest) -> tuple[str, str]:
    if request.engine_version:
        return request.engine_version, "flag"
    return NEWEST, "assumed-newest"


def _free_bytes(gpu: Any) -> int:
    free = getattr(gpu, "memory_free_bytes", None)
    if free is None:
        free = getattr(gpu, "memory_total_bytes", None) or 0
    return int(free)


def _settings(eff: dict, flags: dict, gpus: list, free: list[int], notes: list[str]) -> Settings:
    parallel, unified = int(eff["parallel"]), bool(eff["kv_unified"])
    if parallel < 0:                      # tools/server/server.cpp: auto -> 4 slots, unified KV
        parallel, unified = 4, True
        notes.append("-np auto (llama-server default): 4 slots sharing one unified KV cache")
    n_ctx = int(eff["ctx_size"] or 0)
    per_slot = int(eff.get("kv_unified_per_slot") or 0)
    if per_slot and "ctx_size" not in flags:
        n_ctx = parallel * per_slot
    fa = eff["flash_attn"]
    fa_on = fa == "on" or (fa == "auto" and all((g.cc_major or 0) >= 6 for g in gpus if g.vendor == "nvidia"))
    if fa == "auto":
        notes.append(f"-fa auto resolved to {'on' if fa_on else 'off'} (the FA op runs on every device here)")
    ts = [float(x) for x in eff.get("tensor_split") or [] if isinstance(x, (int, float))]
    if len(ts) < len(gpus):
        ts = (ts + [0.0] * len(gpus))[: len(gpus)]
    if not any(ts):
        ts = [float(f) for f in free]      # llama.cpp splits by free memory when -ts is not given
    return Settings(
        n_ctx_req=n_ctx, n_seq_max=parallel, unified=unified,
        n_ubatch=min(int(eff["ubatch_size"]), int(eff["batch_size"])), n_batch=int(eff["batch_size"]),
        type_k=eff["cache_type_k"], type_v=eff["cache_type_v"], flash_attn=fa_on,
        swa_full=bool(eff["swa_full"]), n_gpu_layers=int(eff["n_gpu_layers"]),
        fit_margin=int(float((eff.get("fit_target") or [1024])[0]) * MiB),
        n_cpu_moe=int(eff.get("n_cpu_moe") or 0), cpu_moe=bool(eff.get("cpu_moe")),
        overrides=list(eff.get("override_tensor") or []), split_mode=str(eff["split_mode"]),
        main_gpu=int(eff["main_gpu"]), tensor_split=ts, no_kv_offload=bool(eff["no_kv_offload"]))


def _config_errors(s: Settings, version: str, flags: dict) -> list[str]:
    errors = []
    if s.type_v in QUANT_KV and not s.flash_attn:
        errors.append(f"-ctv {s.type_v} needs flash attention: llama.cpp stops with 'quantized V cache was "
                      "requested, but this requires Flash Attention' (use -fa on)")
    if s.split_mode == "row" and len(s.tensor_split) > 1 and version == NEWEST:
        errors.append("-sm row with several CUDA GPUs fails to load in llama.cpp 0c1e57098 ('device CUDA0 does not "
                      "support split buffers', measured on 2x H200); use -sm layer (default) or -sm tensor")
    build = fl.build_number(version)
    legacy = [f for f in ("no_mmap", "mlock", "mmap") if flags.get(f)]
    if legacy and (version == NEWEST):
        errors.append(f"--{legacy[0].replace('_', '-')} is not an option of llama.cpp {NEWEST}: it was folded into "
                      "--load-mode (PR #20834, b10114) and the old flags then removed; use --load-mode "
                      + ("none" if flags.get("no_mmap") and not flags.get("mlock") else "mlock"))
    elif legacy and build is not None and build >= fl.BUILD_LOAD_MODE:
        pass  # deprecated there but still accepted (warning)
    return errors


# ---------------------------------------------------------------- one evaluation

def evaluate(model: Any, src: WeightSource, s: Settings, n_gpus: int, n_ctx_train: int) -> Evaluation:
    spec = model.spec
    cells = context_cells(s.n_ctx_req, n_ctx_train, s.n_seq_max, s.unified)
    cache = cache_memory(spec, cells, s.type_k, s.type_v, s.n_ubatch, s.swa_full, s.flash_attn)
    placement = place(src, n_gpus, s.n_gpu_layers, s.tensor_split, s.split_mode, s.main_gpu,
                      s.cpu_moe, s.n_cpu_moe, s.overrides)
    device: dict[int, dict[str, int]] = {d: {"model": 0, "kv": 0, "state": 0, "compute": 0} for d in range(n_gpus)}
    device[CPU] = {"model": 0, "kv": 0, "state": 0, "compute": 0}
    for d, b in placement.device_bytes.items():
        device.setdefault(d, {"model": 0, "kv": 0, "state": 0, "compute": 0})["model"] += b
    for lm in cache.layers:
        dev = placement.layer_device[lm.index] if lm.index < len(placement.layer_device) else CPU
        if s.split_mode == "row" and dev != CPU:
            dev = s.main_gpu
        kv_dev = CPU if s.no_kv_offload else dev
        device[kv_dev]["kv"] += lm.kv_bytes
        device[dev]["state"] += lm.state_bytes
    n_kv = cells.n_ctx_seq if any(l.kind in ("full", "mla") for l in spec.layers) else 0
    gpu_layers = {d for d in placement.layer_device if d != CPU} | {placement.output_device}
    # llama_context: pipeline parallelism when several devices hold layers, all layers + output are
    # offloaded, split mode layer and no tensor overrides (src/llama-context.cpp)
    pipeline = (len(gpu_layers - {CPU}) > 1 and s.split_mode == "layer" and CPU not in placement.layer_device
                and placement.output_device != CPU and not (s.overrides or s.cpu_moe or s.n_cpu_moe))
    comp = compute_buffers(spec, cells, s.n_ubatch, s.flash_attn, n_kv, cache.swa_cells,
                           quantized_kv=(s.type_k in QUANT_KV or s.type_v in QUANT_KV),
                           kv_width=_widest_kv(spec), pipeline_copies=4 if pipeline else 1)
    for d in range(n_gpus):
        if d == placement.output_device:
            device[d]["compute"] = comp.gpu_output_device
        elif d in gpu_layers:
            device[d]["compute"] = comp.gpu_other_device
    device[CPU]["compute"] = comp.host
    notes = list(cache.notes) + placement.notes
    if pipeline:
        notes.append("pipeline parallelism: 4 copies of the graph inputs (KQ masks) on every GPU and the host")
    host = {"output": output_buffer_bytes(spec.vocab_size, cells.n_seq_max)}
    return Evaluation(cells, cache, placement, device, host, comp.terms, notes)


def _widest_kv(spec) -> int:
    widths = [(l.num_kv_heads or 0) * ((l.head_dim_k or 0) + (l.head_dim_v or 0))
              for l in spec.layers if l.kind in ("full", "sliding", "mla")]
    return max(widths, default=0)


def _kv_bytes_per_token(cache: CacheMemory) -> int:
    """plan.kv_cache.bytes_per_token: KV bytes of one token summed over the layers whose cache grows
    with the context (full / MLA; SWA layers stop at the window, recurrent state is per sequence)."""
    total = 0
    for lm in cache.layers:
        if lm.kind in ("full", "mla") and lm.cells:
            total += lm.kv_bytes // (lm.cells * cache.cells.n_stream)
    return total


# ---------------------------------------------------------------- --fit

def _fit(model, src, s: Settings, flags: dict, free: list[int], n_ctx_train: int,
         log: list[str]) -> tuple[Settings, Evaluation]:
    """common/fit.cpp (common_params_fit_impl), with our estimates in place of its dry-run measurements."""
    nd = len(free)
    ev = evaluate(model, src, s, nd, n_ctx_train)
    if _meets_margins(ev, free, s.fit_margin):
        log.append("--fit: every device keeps >= 1024 MiB free, no changes")
        return s, ev
    n_streams = 1 if s.unified else max(1, s.n_seq_max)
    if s.n_ctx_req == 0:
        ctx_max, ctx_min = n_ctx_train * n_streams, 4096 * n_streams
        if ctx_max > ctx_min:
            s_max = _with(s, n_ctx_req=ctx_max)
            s_min = _with(s, n_ctx_req=ctx_min)
            used_max = _sum_used(evaluate(model, src, s_max, nd, n_ctx_train), nd)
            used_min = _sum_used(evaluate(model, src, s_min, nd, n_ctx_train), nd)
            target = sum(free) - s.fit_margin * nd
            if nd > 1:   # layer-granularity allowance: (nd + 1) x model-per-layer / (2 dense, 6 MoE)
                per_layer = sum(src.per_layer) // max(1, len(src.per_layer))
                target -= (nd + 1) * per_layer // (6 if model.spec.moe else 2)
            if target > used_min and used_max > used_min:
                n_ctx = ctx_min + (ctx_max - ctx_min) * (target - used_min) // (used_max - used_min)
                align = 256 * n_streams
                n_ctx = max(n_ctx - n_ctx % align, ctx_min)
            else:
                n_ctx = ctx_min
            n_ctx = min(n_ctx, ctx_max)
            log.append(f"--fit: context size reduced from {ctx_max} to {n_ctx}")
            s = _with(s, n_ctx_req=n_ctx)
            ev = evaluate(model, src, s, nd, n_ctx_train)
            if _meets_margins(ev, free, s.fit_margin):
                return s, ev
    user_placed = ("n_gpu_layers" in flags and flags["n_gpu_layers"] not in (None, -1)) \
        or any(flags.get(k) for k in ("tensor_split", "override_tensor", "n_cpu_moe", "cpu_moe"))
    if user_placed:
        log.append("--fit: -ngl/-ts/-ot set by the user, layers not moved")
        return s, ev
    if s.split_mode == "row" and nd > 1:
        log.append("--fit: -sm row with several GPUs is not supported by fit")
        return s, ev
    best = _place_to_fit(model, src, s, free, n_ctx_train)
    if best is not None:
        s = best
        ev = evaluate(model, src, s, nd, n_ctx_train)
        log.append(f"--fit: placed -ngl {s.n_gpu_layers}" + (f" --n-cpu-moe {s.n_cpu_moe}" if s.n_cpu_moe else ""))
    else:
        log.append("--fit: found no placement that keeps 1024 MiB free per device")
    return s, ev


def _place_to_fit(model, src, s: Settings, free: list[int], n_ctx_train: int) -> Optional[Settings]:
    """MoE: smallest --n-cpu-moe that meets the margins (fit moves experts first); dense: largest -ngl."""
    nd = len(free)
    n_layer = len(src.per_layer)
    if model.spec.moe and any(src.per_layer_experts):
        for n in range(0, n_layer + 1):
            cand = _with(s, n_gpu_layers=n_layer + 1, n_cpu_moe=n)
            if _meets_margins(evaluate(model, src, cand, nd, n_ctx_train), free, s.fit_margin):
                return cand
        s = _with(s, n_cpu_moe=n_layer)
    for ngl in range(n_layer + 1, -1, -1):
        cand = _with(s, n_gpu_layers=ngl)
        if _meets_margins(evaluate(model, src, cand, nd, n_ctx_train), free, s.fit_margin):
            return cand
    return None


def _with(s: Settings, **changes) -> Settings:
    return Settings(**{**s.__dict__, **changes})


def _meets_margins(ev: Evaluation, free: list[int], margin: int = FIT_MARGIN) -> bool:
    return all(free[d] - ev.used(d) >= margin for d in range(len(free)))


def _sum_used(ev: Evaluation, nd: int) -> int:
    return sum(ev.used(d) for d in range(nd))


# ---------------------------------------------------------------- outputs

def _fits(ev: Evaluation, gpus: list, free: list[int], errors: list[str]) -> tuple[bool, str]:
    if errors:
        return False, errors[0]
    if not gpus:
        return True, "no GPU: everything runs on the CPU (host RAM not checked here)"
    worst = None
    for d, g in enumerate(gpus):
        need = ev.used(d) + CUDA_CONTEXT
        if need > free[d]:
            worst = (d, need)
            break
    if worst:
        d, need = worst
        return False, (f"GPU {d} needs {need / 2**30:.2f} GiB (model {ev.device[d]['model'] / 2**30:.2f}, KV "
                       f"{(ev.device[d]['kv'] + ev.device[d]['state']) / 2**30:.2f}, compute "
                       f"{ev.device[d]['compute'] / 2**30:.2f}, CUDA context ~0.5) but has "
                       f"{free[d] / 2**30:.2f} GiB free")
    tight = [d for d in range(len(gpus)) if free[d] - ev.used(d) < FIT_MARGIN]
    msg = (f"fits: n_ctx {ev.cells.n_ctx} ({ev.cells.n_seq_max} slot(s) of {ev.cells.n_ctx_seq}), "
           f"{ev.placement.n_gpu_layers} layers on GPU")
    if tight:
        msg += f"; GPU {tight[0]} keeps less than --fit's 1024 MiB margin"
    return True, msg


def _gpu_rows(gpus: list, free: list[int], ev: Evaluation) -> list[GpuMemory]:
    rows = []
    for d, g in enumerate(gpus):
        used = ev.device.get(d, {})
        total = int(getattr(g, "memory_total_bytes", 0) or 0)
        rows.append(GpuMemory(
            index=getattr(g, "index", d), total_bytes=total, weights_bytes=used.get("model", 0),
            kv_cache_bytes=used.get("kv", 0) + used.get("state", 0), activation_bytes=used.get("compute", 0),
            runtime_overhead_bytes=CUDA_CONTEXT, other_processes_bytes=max(total - free[d], 0),
            free_bytes=free[d] - ev.used(d) - CUDA_CONTEXT))
    return rows


def _host(ev: Evaluation, eff: dict, target: Target, s: Settings) -> tuple[HostMemory, list[str]]:
    """Host RAM: CPU-resident weights (mapped or read), host KV, host compute, output buffer."""
    cpu = ev.device.get(CPU, {})
    weights = cpu.get("model", 0)
    mode = eff["load_mode"]
    resident = mode in ("none", "mlock-no-mmap", "dio")
    locked = weights if mode in ("mlock", "mmap+mlock", "mlock-no-mmap") else 0
    other = cpu.get("kv", 0) + cpu.get("state", 0) + cpu.get("compute", 0) + ev.host["output"]
    notes = []
    if resident:
        notes.append(f"load mode {mode}: CPU-resident weights ({weights / 2**30:.2f} GiB) are read into a host "
                     "buffer (CUDA_Host, pinned) instead of mmap; GPU-resident weights pass through small "
                     "staging buffers and need no host copy")
    else:
        notes.append("mmap: CPU-resident weights are file pages (page cache), evictable unless locked")
    host = getattr(target, "host", None)
    limit = getattr(host, "memlock_limit_bytes", None)
    unlimited = getattr(host, "memlock_unlimited", None)
    if locked and limit is not None and not unlimited and locked > limit:
        notes.append(f"mlock: {locked / 2**30:.2f} GiB to lock but RLIMIT_MEMLOCK is {limit / MiB:.0f} MiB: "
                     "llama.cpp warns 'failed to mlock' and runs unlocked (raise ulimit -l)")
    if any(getattr(g, "unified_memory", False) for g in target.gpus):
        notes.append("unified memory: host buffers and GPU buffers come out of the same RAM")
    return HostMemory(weights_bytes=weights, resident_weights_bytes=weights if resident else 0,
                      locked_bytes=locked, memlock_limit_bytes=limit, kv_bytes=cpu.get("kv", 0) + cpu.get("state", 0),
                      compute_bytes=cpu.get("compute", 0), output_bytes=ev.host["output"],
                      required_bytes=(weights if resident else 0) + other), notes


def _recommend(model, src, s: Settings, flags: dict, free: list[int], n_ctx_train: int, ev: Evaluation,
               fits: bool) -> dict[str, Recommendation]:
    recs: dict[str, Recommendation] = {}
    if not free:
        return recs
    if s.n_cpu_moe and "n_cpu_moe" not in flags:
        recs["n_cpu_moe"] = Recommendation(s.n_cpu_moe, "what --fit would choose: the smallest --n-cpu-moe "
                                                           "that leaves the fit margin free on every GPU")
    elif s.n_gpu_layers >= 0 and s.n_gpu_layers <= len(src.per_layer) and "n_gpu_layers" not in flags:
        recs["n_gpu_layers"] = Recommendation(s.n_gpu_layers, "what --fit would choose: most layers that "
                                                                "leave the fit margin free on every GPU")
    if not _meets_margins(ev, free, s.fit_margin):
        best = _place_to_fit(model, src, _with(s, n_gpu_layers=-1, n_cpu_moe=0), free, n_ctx_train)
        if best is not None:
            if best.n_cpu_moe:
                recs["n_cpu_moe"] = Recommendation(best.n_cpu_moe, "smallest --n-cpu-moe that leaves 1 GiB free per GPU")
            if best.n_gpu_layers <= len(src.per_layer):
                recs["n_gpu_layers"] = Recommendation(best.n_gpu_layers, "most layers that leave 1 GiB free per GPU")
        ctx = _largest_ctx(model, src, s, free, n_ctx_train)
        if ctx:
            recs["ctx_size"] = Recommendation(ctx, "largest -c (multiple of 256) that leaves 1 GiB free per GPU "
                                                     "with every layer on the GPU")
    return recs


def _largest_ctx(model, src, s: Settings, free: list[int], n_ctx_train: int) -> Optional[int]:
    """Binary search over -c in 256-cell steps with all layers on the GPUs."""
    n_streams = 1 if s.unified else max(1, s.n_seq_max)
    step = 256 * n_streams
    full = _with(s, n_gpu_layers=-1, n_cpu_moe=0, cpu_moe=False)
    lo, hi = 0, (n_ctx_train * n_streams) // step
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if _meets_margins(evaluate(model, src, _with(full, n_ctx_req=mid * step), len(free), n_ctx_train), free, s.fit_margin):
            lo = mid
        else:
            hi = mid - 1
    return lo * step if lo else None


_HUB_REF = re.compile(r"^(hf\.co/)?[A-Za-z0-9][\w.-]*/[\w.-]+(:[\w.-]+)?$")


def _command(request: PlanRequest, model: Any, s: Settings, flags: dict, recs: dict) -> list[str]:
    """The recommended llama-server argv: the user's settings, with what --fit or we would change."""
    path = (request.command.model if request.command and request.command.model else None) or model.path
    if model.format != "gguf" and not (request.command and request.command.model):
        import os
        where = os.path.abspath(model.path)
        name = os.path.basename(where if os.path.isdir(where) else os.path.dirname(where)) or "model"
        path = f"{name.split('--')[-1]}-{flags.get('quant') or 'Q4_K_M'}.gguf"      # the GGUF to get
    hub = flags.get("hf_repo") if not (request.command and request.command.model) else None
    if hub is None and model.format == "gguf" and _HUB_REF.match(str(path)) and not str(path).endswith(".gguf"):
        hub = str(path).removeprefix("hf.co/")       # read from the Hub (checkpoint/remote_hf.py): -hf fetches it
    argv = ["llama-server", "-hf", hub] if hub else ["llama-server", "-m", path]
    ctx = recs["ctx_size"].value if "ctx_size" in recs and "ctx_size" not in flags and "n_cpu_moe" not in recs else None
    if s.n_ctx_req or ctx:
        argv += ["-c", str(ctx or s.n_ctx_req)]
    if "parallel" in flags:
        argv += ["-np", str(s.n_seq_max)]
    if flags.get("kv_unified"):
        argv.append("-kvu")
    if "n_cpu_moe" in recs:
        argv += ["--n-cpu-moe", str(recs["n_cpu_moe"].value)]
    elif "n_gpu_layers" in recs:
        argv += ["-ngl", str(recs["n_gpu_layers"].value)]
    elif "n_gpu_layers" in flags:
        argv += ["-ngl", str(flags["n_gpu_layers"])]
    elif s.n_cpu_moe:
        argv += ["--n-cpu-moe", str(s.n_cpu_moe)]
    if s.flash_attn and (s.type_v in QUANT_KV or flags.get("flash_attn")):
        argv += ["-fa", "on"]
    if s.type_k != "f16":
        argv += ["-ctk", s.type_k]
    if s.type_v != "f16":
        argv += ["-ctv", s.type_v]
    if flags.get("swa_full"):
        argv.append("--swa-full")
    if flags.get("split_mode"):
        argv += ["-sm", str(flags["split_mode"])]
    if flags.get("tensor_split"):
        argv += ["-ts", ",".join(f"{x:g}" if isinstance(x, float) else str(x) for x in flags["tensor_split"])]
    for ot in flags.get("override_tensor") or []:
        argv += ["-ot", ot]
    mode = fl._load_mode(flags)
    if mode != "auto":
        newest = (request.engine_version or NEWEST) == NEWEST
        if newest:
            argv += ["--load-mode", "mlock" if "mlock" in mode else mode]
        else:
            argv += (["--no-mmap"] if mode in ("none", "mlock-no-mmap") else []) + (["--mlock"] if "mlock" in mode else [])
    for k in ("jinja",):
        if flags.get(k):
            argv.append("--" + k)
    for k in ("chat_template_file", "reasoning_budget", "host", "port", "alias"):
        if flags.get(k) is not None:
            argv += ["--" + k.replace("_", "-"), str(flags[k])]
    return argv
