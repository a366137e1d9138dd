"""Expected decode and prefill speed: a step-time model per engine and kernel path, calibrated by measurement.

One decode step of B sequences at a per-sequence context C takes

    t(B, C) = max(h, g) + serial_share * min(h, g)   vLLM/SGLang: asynchronous scheduling, the host prepares
                                  the next step while the GPU runs this one; llama.cpp: h(B) + g(B, C)
                                  [llama.cpp without CUDA graphs: at least graph_nodes * t_node]
            + t_serve * B                                                  llama.cpp: a server's host work per sequence
            + tensor-parallel all-reduces + weights read from CPU memory
    h(B)    = t_fixed + t_seq * B  [vLLM eager: + layers * t_layer_eager]  the host's work per step
    g(B, C) = layers * (t_layer + t_layer_fmt + B * t_layer_seq) + moe_layers * t_layer_moe  the GPU's
            + linear_layers * t_layer_linear                               llama.cpp: Gated DeltaNet layers
            + matvec_iters * t_iter  [B <= 8]                              llama.cpp: mat-vec block iterations
            + max(W(B) / bw_w,  B * 2 * P_active / (FLOPS * eta_mm))      weights, or compute once batched
            + B * (C * kv_per_token / share(B) + 2 * state) / bw_kv      KV read; recurrent state read and written
              [share(B) < 1: vLLM GQA on Hopper with FA3's CTAs on under 80 % of the SMs]
              [vLLM MLA on Hopper: at least B * C * mla_flops / (FLOPS_16 * busy(B) * eta_mla), FA3's decode
               on the SMs its split heuristic keeps busy]

    1 / bw_w = 1 / (ETA_PEAK * memory_class_factor * arch_factor * peak bandwidth) + 1 / cap_w[format]

The bandwidth term is a fraction of the GPU's peak in series with a ceiling of the kernels themselves
(dequantization, too few bytes in flight): on a 1 TB/s card the first term rules, on HBM the second.
W(B) is what the step reads of the weights: the dense part plus routed experts over their efficiency
(eta_moe; on LPDDR times moe_class_factor); B sequences touch 1 - (1 - k/E)^B of the experts. llama.cpp's
mat-vec kernels take up to 8 columns at a cost each (mv_batch); its MMQ kernels above 8 read the weights at
1/mmq_floor of the mat-vec rate, the floor under their compute (H200: 16 sequences step about as slowly as 8).
t_serve is what llama-server (and Ollama's runner) spends on the host per sequence each step beyond
llama-bench's bare decode: sampling over the whole vocabulary, detokenization, the slot loop, one slot after
another; measured as llama-server against llama-bench on the same files (benchmarks/speed). vLLM's
calibration runs sample already (LLM.generate). Single-stream tok/s is 1/t(1, C); aggregate tok/s at the
planned concurrency B is B/t(B, C).

Time to first token of P prompt tokens = t_pf [+ t_pf_moe] + max(P * (2 * P_active / (FLOPS * eta_pf[format]
[* pf_moe]) + attention / (FLOPS_16 * eta_attn) + linear_layers * pf_linear), weights / bw_w), FLOPS from
the GPU table for the GEMM dtype; attention (growing with the context) runs in 16 bits whatever the weights'
format, at a fraction eta_attn of that peak.

The constants live in speed_params.py, fitted by benchmarks/speed/fit.py on the calibration rows of
benchmarks/speed/runs.csv only; benchmarks/speed/check.py reports the error on the held-out rows
(docs/speed.md). The low-high range is the calibration spread, widened for what was not calibrated
(engine, GPU memory class, weight format, eager mode, CPU-resident weights, batch beyond the measured).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Optional

from llmdoctor.checkpoint.spec import FULL, LINEAR, MLA, SLIDING
from llmdoctor.plan import speed_params as SP
from llmdoctor.plan.records import SpeedEstimate

# one all-reduce of a token's hidden state: latency-bound (assumed, not measured here)
ALLREDUCE_SECONDS = {"nvlink": 8e-6, "pcie": 25e-6, "none": 0.0}

# vLLM 0.26's FA3 decode on Hopper (FLASH_ATTN, FLASH_ATTN_MLA) packs the query heads sharing a KV head into tiles
# of 64 rows and splits the KV of each tile over at most 32 CTAs under CUDA graphs (config/attention.py
# flash_attn_max_num_splits_for_cuda_graph), the count chosen by flash-attention's hopper/heuristics.h
FA3_TILE_ROWS = 64
FA3_MAX_SPLITS = 32

FAMILY = {  # weight format -> the measured format whose efficiency stands in for it
    "q4_1": "q4_0", "q5_0": "q4_0", "q5_1": "q4_0", "iq4_nl": "q4_0",
    "q2_k": "q4_k", "q3_k": "q4_k", "q5_k": "q4_k", "q6_k": "q4_k", "iq4_xs": "q4_k", "iq3_xxs": "q4_k",
    "iq3_s": "q4_k", "iq2_xxs": "q4_k", "iq2_xs": "q4_k", "iq2_s": "q4_k", "iq1_s": "q4_k", "iq1_m": "q4_k",
    "bf16": "f16", "f32": "f16", "mxfp4": "q4_0",                      # GGUF
    "fp16": "bf16", "int8": "fp8", "fp4": "int4",                      # vLLM / SGLang
}


# 2- and 3-bit K-quants unpack more per byte: on Pascal they ran at about half the rate of 4-5-bit types
LOW_BIT_K = ("q2_k", "q3_k")


def _eta(table: dict, fmt: str, default: str) -> float:
    return table.get(fmt) or table.get(FAMILY.get(fmt, "")) or table[default]


@dataclass
class SpeedInputs:
    """What the planner knows that decides speed. Bytes are per tensor-parallel rank."""
    engine: str                               # "vllm" | "sglang" | "llamacpp"
    weight_format: str                        # "bf16" | "fp8" | "int4" | "fp4" | "q4_0" | "q4_k" | "q8_0" | "f16" ...
    bandwidth: Optional[float]                # bytes/s of the GPU(s) holding the weights
    memory_class: str                         # "hbm" | "gddr" | "lpddr"
    arch: str = ""                            # GPU generation where an engine's kernels differ by it ("pascal")
    gpu_name: str = ""
    dense_bytes: float = 0.0                  # weights every token reads (attention, dense FFN, shared experts, lm_head)
    expert_bytes: float = 0.0                 # all routed-expert weights (on the GPU)
    num_experts: int = 0
    experts_per_token: int = 0
    kv_bytes_per_token: float = 0.0           # KV bytes one token of context adds (all layers, this rank)
    state_bytes: float = 0.0                  # recurrent state per sequence (this rank)
    num_layers: float = 0                     # transformer-layer equivalents (speed.layer_equivalents)
    linear_layers: int = 0                    # linear-attention (Gated DeltaNet) layers: more kernels per layer
    graph_nodes: int = 0                      # llama.cpp: operations of one decode step's graph (engines/llamacpp/graph.py)
    matvec_iters: int = 0                     # llama.cpp: mat-vec block iterations over the weight rows a token
                                              # multiplies (engines/llamacpp/matvec.py), quantized weights
    mla_flops_per_ctx: float = 0.0            # MLA decode attention FLOPs per token of context, query heads padded
                                              # to FA3's 64-row tiles (all MLA layers, this rank)
    mla_tiles: int = 0                        # FA3 query tiles per sequence (ceil(heads / 64))
    kv_tiles: int = 0                         # GQA: FA3 query tiles per sequence (KV heads x ceil(group / 64))
    sm_count: Optional[int] = None            # the GPU's SMs, where FA3's decode is modelled (vLLM, Hopper)
    moe_layers: int = 0                       # layers with routed experts (router, top-k, gather: more kernels)
    active_params: float = 0.0                # parameters one token multiplies (this rank)
    attn_flops_per_ctx: float = 0.0           # attention FLOPs per token per token of context (4 x heads x head dim x layers)
    compute_dtype: str = "bf16"               # dtype the GEMMs run in (for FLOPs)
    flops: Optional[float] = None             # dense FLOP/s of that dtype (GPU table), None if unknown
    attn_flops: Optional[float] = None        # dense 16-bit FLOP/s (GPU table): attention runs in 16 bits
    eager: bool = False                       # no CUDA graphs (vLLM --enforce-eager, SGLang --disable-cuda-graph,
                                              # llama.cpp below compute capability 7.0)
    tp: int = 1
    link: str = "pcie"
    host_seconds: float = 0.0                 # per token: weights read from CPU memory (llama.cpp offload)
    served: bool = True                       # a server's figures (llama.cpp: t_serve); False: a benchmark's bare decode
    context: int = 4096                       # context at which the single-stream figure is quoted
    max_context: int = 0                      # the longest context a sequence may reach (a second figure there)
    concurrency: int = 1                      # sequences the plan lets run at once at that context
    prompt_tokens: int = 4096                 # prompt for the time-to-first-token figure
    notes: list[str] = field(default_factory=list)


def _params(engine: str) -> dict:
    return SP.PARAMS["llamacpp" if engine in ("llamacpp", "ollama") else "vllm" if engine == "sglang" else engine]


def weight_bandwidth(x: SpeedInputs, p: dict) -> float:
    """Bytes/s the decode kernels stream weights at: a fraction of the GPU's peak, in series with a per-format
    ceiling of the kernels themselves (dequantization, too few bytes in flight):
    1 / bw = 1 / (eta_peak * peak) + 1 / cap. On a 1 TB/s card the first term rules; on HBM the second."""
    cap = _eta(p["cap_w"], x.weight_format, p["default_format"]) * 1e9
    return 1.0 / (1.0 / (peak_efficiency(x, p) * x.bandwidth) + 1.0 / cap)


def kv_bandwidth(x: SpeedInputs, p: dict) -> float:
    return 1.0 / (1.0 / (peak_efficiency(x, p) * x.bandwidth) + 1.0 / (p["cap_kv"] * 1e9))


def peak_efficiency(x: SpeedInputs, p: dict) -> float:
    """Fraction of the spec bandwidth the engine's kernels reach: ETA_PEAK, times the engine's factor for the
    memory class (LPDDR unified memory: measured per engine on DGX Spark) and for the GPU's generation (llama.cpp
    on Pascal: public P40 rows)."""
    arch = p.get("arch_factor", {})
    return (SP.ETA_PEAK * p["memory_class_factor"].get(x.memory_class, SP.MEMORY_CLASS_FACTOR.get(x.memory_class, 1.0))
            * arch.get(arch_key(x), arch.get(x.arch, 1.0)))


def arch_key(x: SpeedInputs) -> str:
    """arch_factor's key of a run: its GPU generation, split by low-bit K-quants where it has one."""
    return f"{x.arch}-lowk" if x.arch and x.weight_format in LOW_BIT_K else x.arch


def step_seconds(x: SpeedInputs, batch: int, context: int, p: Optional[dict] = None) -> float:
    """Seconds of one decode step of `batch` sequences at `context` tokens each."""
    p = p or _params(x.engine)
    experts = 0.0
    if x.expert_bytes and x.num_experts:
        cover = 1.0 - (1.0 - x.experts_per_token / x.num_experts) ** batch
        experts = x.expert_bytes * cover / (p["eta_moe"] * p.get("moe_class_factor", {}).get(x.memory_class, 1.0))
    mem = (x.dense_bytes + experts) / weight_bandwidth(x, p)
    if 1 < batch <= 8 and p.get("mv_batch"):
        mem *= 1 + p["mv_batch"] * (batch - 1)      # llama.cpp mat-vec kernels take up to 8 columns, at a cost each
    elif batch > 8 and p.get("mmq_floor"):
        mem *= p["mmq_floor"]     # llama.cpp MMQ above 8: every weight read and dequantized per column tile
    comp = batch * 2 * x.active_params / (x.flops * p["eta_mm"]) if x.flops else 0.0
    kv = batch * (context * x.kv_bytes_per_token / fa3_kv_share(x, batch, p) + 2 * x.state_bytes) / kv_bandwidth(x, p)
    if x.mla_flops_per_ctx and x.sm_count and x.attn_flops and p.get("eta_mla"):
        kv = max(kv, mla_decode_seconds(x, batch, context, p))
    host = p["t_fixed"] + p["t_seq"] * batch
    if x.eager and p.get("t_layer_eager"):
        host += x.num_layers * p["t_layer_eager"]      # vLLM eager: Python launches every layer's kernels
    # per layer and sequence (vLLM): norms, rope, q/k norms and attention bookkeeping grow with the batch's tokens
    # llama.cpp's mat-vec kernels (1-8 sequences): a block per weight row, each iteration of its walk along the row
    # costing about the same however many of its threads load (engines/llamacpp/matvec.py)
    walk = x.matvec_iters * p.get("t_iter", 0.0) if batch <= 8 else 0.0
    gpu = layer_seconds(x, p) + x.num_layers * batch * p.get("t_layer_seq", 0.0) + walk + max(mem, comp) + kv
    # vLLM 0.26 schedules asynchronously ("Asynchronous scheduling is enabled" in its log): the host prepares
    # the next step while the GPU runs this one, so a step takes the longer of the two plus the share of the
    # shorter that does not overlap (serial_share, fitted); llama.cpp: one after the other
    t = max(host, gpu) + p.get("serial_share", 1.0) * min(host, gpu)
    if x.eager and p.get("t_node"):
        # llama.cpp without CUDA graphs: the host launches the graph's operations one by one while the GPU runs the
        # ones before, so a step takes the longer of the two (measured with GGML_CUDA_DISABLE_GRAPHS=1)
        t = max(t, x.graph_nodes * p["t_node"])
    t += batch * serve_seconds(x, p)
    if x.tp > 1:
        t += 2 * x.num_layers * ALLREDUCE_SECONDS.get(x.link, ALLREDUCE_SECONDS["pcie"])
    return t + x.host_seconds


def mla_decode_seconds(x: SpeedInputs, batch: int, context: int, p: dict) -> float:
    """FA3's MLA decode runs at the tensor cores of the SMs it keeps busy: one latent KV head, so a sequence gives
    ceil(heads / 64) query tiles, each split over the KV into at most 32 CTAs; one stream fills about a fifth of an
    H200's 132 SMs whatever its head count (a 16-head tile is padded to 64 rows). eta_mla is fitted."""
    busy = fa3_busy_fraction(batch * x.mla_tiles, x.sm_count)
    return batch * context * x.mla_flops_per_ctx / (x.attn_flops * busy * p["eta_mla"])


def fa3_kv_share(x: SpeedInputs, batch: int, p: dict) -> float:
    """Share of the KV bandwidth FA3's GQA decode reaches: full once its CTAs cover 80 % of the SMs (where its split
    heuristic stops splitting), below that (busy / 0.8) ** fa3_alpha (fitted). One KV head at batch 1 keeps 28 of an
    H200's 132 SMs busy: Llama-3.1-8B's KV read at ~1.8, ~2.6 and ~4.3 TB/s with 1, 2 and 8 KV heads."""
    if not (x.kv_tiles and x.sm_count and p.get("fa3_alpha")):
        return 1.0
    return min(1.0, fa3_busy_fraction(batch * x.kv_tiles, x.sm_count) / 0.8) ** p["fa3_alpha"]


def fa3_busy_fraction(tiles: int, sms: int) -> float:
    """Fraction of the SMs FA3's split-KV decode occupies: the fewest splits whose wave efficiency is within 85 %
    of the best (flash-attention hopper/heuristics.h num_splits_heuristic), at most FA3_MAX_SPLITS."""
    if tiles >= 0.8 * sms:
        return 1.0
    eff = [(tiles * n / sms) / math.ceil(tiles * n / sms) for n in range(1, min(FA3_MAX_SPLITS, sms) + 1)]
    splits = next(n for n, e in enumerate(eff, 1) if e >= 0.85 * max(eff))
    return min(1.0, tiles * splits / sms)


def serve_seconds(x: SpeedInputs, p: dict) -> float:
    """Host work per sequence per decode step of a llama.cpp server beyond the bare decode llama-bench times
    (sampling, detokenization, the slot loop). Per sequence: 4 and 8 requests at once took 4 and 8 times it."""
    return p.get("t_serve", 0.0) if x.served else 0.0


def layer_seconds(x: SpeedInputs, p: dict) -> float:
    """Per-step cost of the layers beyond their bytes: kernel launches and small kernels (norms, rope,
    attention bookkeeping, router and top-k of MoE layers, activation quantization of W8A8/W4A16 paths)."""
    base = p["t_layer"]
    extra = p.get("t_layer_fmt", {}).get(x.weight_format, p.get("t_layer_fmt", {}).get(FAMILY.get(x.weight_format, ""), 0.0))
    return (x.num_layers * (base + extra) + x.moe_layers * p.get("t_layer_moe", 0.0)
            + x.linear_layers * p.get("t_layer_linear", 0.0))


def prefill_seconds(x: SpeedInputs, prompt: int, context: int = 0, p: Optional[dict] = None) -> Optional[float]:
    """Seconds to process `prompt` tokens after `context` already cached (time to first token at context 0)."""
    p = p or _params(x.engine)
    if not x.flops:
        return None
    avg_ctx = context + prompt / 2
    rate = prefill_flops(x, p) * (p["pf_moe"] if x.expert_bytes else 1.0)
    # attention runs in 16 bits whatever the weights' format, at its own fraction eta_attn of that peak (flash
    # attention's softmax and causal masking); it rules long prompts
    attn = x.attn_flops_per_ctx * avg_ctx / (p.get("eta_attn", 1.0) * (x.attn_flops or x.flops))
    # linear-attention layers (llama.cpp's chunked Gated DeltaNet) cost per prompt token beyond their GEMMs
    comp = prompt * (2 * x.active_params / rate + attn + x.linear_layers * p.get("pf_linear", 0.0))
    mem = (x.dense_bytes + x.expert_bytes) / weight_bandwidth(x, p)
    return p["t_pf"] + (p.get("t_pf_moe", 0.0) if x.expert_bytes else 0.0) + max(comp, mem) + x.host_seconds


def prefill_flops(x: SpeedInputs, p: dict) -> float:
    """FLOP/s prefill GEMMs reach: a fraction of the table's dense peak, at most the kernels' own ceiling on
    HBM, where it was measured (llama.cpp's MMQ does not use Hopper's wgmma: it tops out near 200 TFLOP/s
    on an H200; cap_pf, TFLOP/s). Off HBM the efficiency alone (eta_pf 'all', fitted on GDDR rows)."""
    eta = p["eta_pf"].get("all") or _eta(p["eta_pf"], x.weight_format, p["default_format"])
    caps = (p.get("cap_pf") or {}) if x.memory_class == "hbm" else {}
    cap = (caps.get(x.weight_format) or caps.get(FAMILY.get(x.weight_format, "")) or caps.get(p["default_format"])
           if caps else None)
    return min(eta * x.flops, cap * 1e12) if cap else eta * x.flops


def _spread(x: SpeedInputs, p: dict) -> tuple[float, list[str]]:
    """Relative uncertainty of the expected figure, and why."""
    u = p["spread"]
    why = [f"calibration spread {p['spread']:.0%} ({p['basis']})"]
    if x.engine == "sglang":
        u += SP.UNCALIBRATED["engine"]
        why.append("SGLang: no measurement of its own here; vLLM's CUDA-graph calibration is used")
    if x.memory_class not in p["memory_classes"]:
        u += SP.UNCALIBRATED["memory_class"]
        why.append(f"{x.memory_class.upper()} memory ({x.gpu_name or 'this GPU'}) not measured for this engine")
    if x.weight_format not in p["calibrated_formats"]:
        u += SP.UNCALIBRATED["format"]
        stand_in = FAMILY.get(x.weight_format) if FAMILY.get(x.weight_format) in p["cap_w"] else p["default_format"]
        why.append(f"weight format {x.weight_format} not measured: the efficiency of {stand_in} assumed")
    if x.eager:
        u += SP.UNCALIBRATED["eager"]
        why.append("no CUDA graphs on this GPU: every kernel is launched from the host, as fast as its CPU allows "
                   "(measured on one host, a 16-core Intel Xeon VM)"
                   if x.engine in ("llamacpp", "ollama") else "eager mode is bound by the host CPU's Python speed")
    if x.host_seconds:
        u += SP.UNCALIBRATED["host"]
        why.append("weights in CPU memory: host bandwidth assumed")
    if serve_seconds(x, p):
        # other hosts' served rows imply 0 to ~0.5 ms (fast desktop CPUs near 0): widened by its share of a step
        share = serve_seconds(x, p) / step_seconds(x, 1, x.context, p)
        u += share
        why.append(f"the server's host work per token ({serve_seconds(x, p) * 1e3:.2f} ms, {share:.0%} of a step) "
                   "was measured on one host's CPU (a 16-core Intel Xeon VM); on a fast desktop CPU it is smaller")
    return u, why


def estimate(x: SpeedInputs) -> SpeedEstimate:
    """The plan's speed record: expected values with a low-high range and the assumptions behind them."""
    notes = list(x.notes)
    path = kernel_path(x)
    if not x.bandwidth:
        return SpeedEstimate(kernel_path=path, context=x.context, concurrency=x.concurrency,
                             prompt_tokens=x.prompt_tokens,
                             assumptions=notes + ["memory bandwidth unknown: no speed estimate"])
    p = _params(x.engine)
    u, why = _spread(x, p)
    lo, hi = 1 / (1 + u), 1 + u
    t1 = step_seconds(x, 1, x.context, p)
    one = 1 / t1
    far = 1 / step_seconds(x, 1, x.max_context, p) if x.max_context > x.context else None
    b = max(int(x.concurrency), 1)
    agg = b / step_seconds(x, b, x.context, p)
    ua = u + (SP.UNCALIBRATED["batch"] if b > SP.MAX_MEASURED_BATCH else 0.0)
    if b > SP.MAX_MEASURED_BATCH:
        why.append(f"aggregate: {b} sequences, beyond the {SP.MAX_MEASURED_BATCH} measured")
    bound = 1 / ((x.dense_bytes + x.expert_bytes * (x.experts_per_token / x.num_experts if x.num_experts else 1)
                  + x.context * x.kv_bytes_per_token) / x.bandwidth + x.host_seconds)
    ttft = prefill_seconds(x, x.prompt_tokens, 0, p)
    shared = (f"(overlapping the GPU's but for {p['serial_share']:.0%} of the shorter) with "
              if p.get("serial_share", 1.0) < 1.0 else "+ ")
    notes.append(f"decode: {path}; one step = {p['t_fixed'] * 1e3:.2f} ms of host work " + shared
                 + f"{x.num_layers:g} layers {layer_seconds(x, p) * 1e3:.2f} ms + weights "
                 f"{(x.dense_bytes + x.expert_bytes * (x.experts_per_token / x.num_experts if x.num_experts else 1)) / 1e9:.2f} GB "
                 f"at {weight_bandwidth(x, p) / 1e9:.0f} of {x.bandwidth / 1e9:.0f} GB/s + KV of a {x.context}-token "
                 "context" + (f" + {serve_seconds(x, p) * 1e3:.2f} ms of the server's host work (sampling, slot loop)"
                              if serve_seconds(x, p) else ""))
    notes.append(f"aggregate: {b} sequences at a {x.context}-token context (the concurrency the plan allows)")
    if ttft is None:
        notes.append("prefill: dense FLOPs of this GPU for this dtype not in the GPU table; no estimate")
    else:
        notes.append(f"prefill: {x.prompt_tokens}-token prompt, 2 FLOPs per active parameter per token plus "
                     f"attention, at {x.compute_dtype} peak x calibrated efficiency")
    notes.append("range: " + "; ".join(why))
    r = lambda v: round(v, 1)
    return SpeedEstimate(
        decode_tokens_per_s=r(one), decode_low=r(one * lo), decode_high=r(one * hi),
        decode_upper_bound=r(bound), context=x.context, max_context=max(x.max_context, x.context),
        decode_at_max_tokens_per_s=r(far) if far else None, decode_at_max_low=r(far * lo) if far else None,
        decode_at_max_high=r(far * hi) if far else None,
        concurrency=b, aggregate_tokens_per_s=r(agg), aggregate_low=r(agg / (1 + ua)), aggregate_high=r(agg * (1 + ua)),
        prompt_tokens=x.prompt_tokens,
        prefill_tokens_per_s=r(x.prompt_tokens / ttft) if ttft else None,
        prefill_low=r(x.prompt_tokens / ttft * lo) if ttft else None,
        prefill_high=r(x.prompt_tokens / ttft * hi) if ttft else None,
        ttft_s=round(ttft, 4) if ttft else None, ttft_low_s=round(ttft / hi, 4) if ttft else None,
        ttft_high_s=round(ttft / lo, 4) if ttft else None,
        kernel_path=path, calibration=p["basis"], assumptions=notes)


def kernel_path(x: SpeedInputs) -> str:
    eng = {"vllm": "vLLM", "sglang": "SGLang", "llamacpp": "llama.cpp", "ollama": "llama.cpp"}.get(x.engine, x.engine)
    if x.engine in ("llamacpp", "ollama"):
        mode = " no CUDA graphs" if x.eager else ""
    else:
        mode = " eager" if x.eager else " CUDA graphs"
    moe = " MoE" if x.num_experts else ""
    tp = f" TP{x.tp}" if x.tp > 1 else ""
    return f"{eng}{mode}, {x.weight_format}{moe}{tp}, {x.memory_class.upper()}"


# ------------------------------------------------------------------ inputs from the planners' records

def gpu_arch(gpu) -> str:
    """The generation key of arch_factor: "pascal" for compute capability 6.x (llama.cpp's mat-vec kernels there
    have no tensor cores, half-rate fp16 at best and no CUDA graphs), "" otherwise."""
    return "pascal" if getattr(gpu, "cc_major", None) == 6 else ""


def memory_class(gpu) -> str:
    """HBM (datacenter), GDDR (consumer/workstation), LPDDR (unified-memory boards)."""
    if getattr(gpu, "unified_memory", False):
        return "lpddr"
    name = (getattr(gpu, "name", "") or "").upper()
    arch = (getattr(gpu, "architecture", "") or "")
    if any(k in name for k in ("A100", "A800", "H100", "H200", "H800", "H20", "B200", "B300", "GB200", "GB300",
                               "V100", "P100", "MI2", "MI3", "GH200")) or "datacenter" in arch or "CDNA" in arch:
        return "hbm"
    if "THOR" in name or "ORIN" in name or "GB10" in name or "SPARK" in name:
        return "lpddr"
    return "gddr"


def gpu_flops(gpu, dtype: str) -> Optional[float]:
    from llmdoctor.plan.gpu_table import lookup
    row = lookup(getattr(gpu, "name", "") or "") if getattr(gpu, "name", None) else None
    if row is None:
        return None
    for d in (dtype, "bf16", "fp16"):
        v = row.dense_tflops(d)
        if v:
            return v * 1e12
    return None


def hf_weight_format(model, dtype: str) -> tuple[str, str]:
    """(weight format, GEMM dtype) for vLLM/SGLang from the checkpoint's quantization."""
    q = getattr(model, "quantization", None)
    if q is None:
        return ("bf16" if dtype in ("bfloat16", "bf16", "auto") else "fp16" if dtype in ("float16", "fp16", "half")
                else "bf16"), "bf16"
    wd = (q.weight_dtype or "").lower()
    m = (q.method or "").lower()
    if "fp4" in wd or m in ("mxfp4", "modelopt_fp4", "nvfp4"):
        return "fp4", "fp8"
    if "fp8" in wd or "fp8" in m or (q.bits == 8 and "float" in str(q.raw)):
        return "fp8", "fp8" if (q.activation_dtype or "fp8") == "fp8" else "bf16"
    if (q.bits and q.bits <= 4) or m in ("awq", "gptq", "bitsandbytes", "auto-round"):
        return "int4", "fp16"
    if q.bits == 8:
        return "int8", "int8"
    return "bf16", "bf16"


def attention_flops_per_ctx(model, tp: int = 1, mla_materialized: bool = False) -> float:
    """FLOPs per query token per cached token: QK^T and PV, 2 x 2 x heads x head dim, over attention layers.
    MLA attends in its latent form (kv_lora_rank + rope per head) unless `mla_materialized`: vLLM and
    SGLang prefill in the materialized MHA form, qk_nope + qk_rope and v_head_dim per head (vLLM 0.26
    model_executor/layers/attention/mla_attention.py: the "compute friendly approach" for prefill);
    llama.cpp keeps the latent form."""
    s = model.spec
    heads = s.num_attention_heads or 0
    total = 0.0
    for layer in s.layers or []:
        if layer.kind == MLA and mla_materialized and layer.mla_qk_head_dim:
            total += 2 * heads * (layer.mla_qk_head_dim + (layer.mla_v_head_dim or 0))
        elif layer.kind in (FULL, SLIDING, MLA):
            hk = layer.head_dim_k or s.head_dim or 0
            hv = layer.kv_lora_rank if layer.kind == MLA else (layer.head_dim_v or hk)
            total += 2 * heads * (hk + (hv or 0))
    if not s.layers:
        total = 2 * heads * 2 * (s.head_dim or 0) * s.num_layers
    return total / max(tp, 1)


def gqa_decode_tiles(model, tp: int = 1) -> int:
    """FA3 query tiles per sequence of a GQA model's attention layers: each KV head packs its group of query heads
    into tiles of 64 rows (PackGQA). 0 for a model without KV heads of its own (MLA, attention-free)."""
    s = model.spec
    if not s.num_kv_heads or s.mla_layers:
        return 0
    kv = max(s.num_kv_heads // max(tp, 1), 1)       # vLLM replicates KV heads when TP exceeds them
    group = max((s.num_attention_heads or kv) // (s.num_kv_heads or 1), 1)
    return kv * math.ceil(group / FA3_TILE_ROWS)


def mla_decode_shape(model, tp: int = 1) -> tuple[float, int]:
    """(MLA decode-attention FLOPs per token of context, FA3 query tiles per sequence) in the absorbed form vLLM
    decodes in: per layer QK^T over kv_lora + rope and PV over kv_lora, 2 FLOPs each, for the query heads
    padded to whole 64-row tiles. (0, 0) for a model without MLA."""
    s = model.spec
    heads = (s.num_attention_heads or 0) // max(tp, 1)
    tiles = math.ceil(heads / FA3_TILE_ROWS)
    flops = sum(2 * tiles * FA3_TILE_ROWS * (2 * (layer.kv_lora_rank or 0) + (layer.rope_dim or 0))
                for layer in s.layers or [] if layer.kind == MLA)
    return (float(flops), tiles) if flops else (0.0, 0)


def linear_attention_layers(model) -> int:
    """Gated DeltaNet-style linear-attention layers (not Mamba: its kernels were not measured)."""
    return sum(1 for layer in model.spec.layers or [] if layer.kind == LINEAR)


def hopper_sm_count(gpu) -> Optional[int]:
    """SMs of a Hopper GPU (compute capability 9.0), where vLLM decodes with FA3 (FLASH_ATTN, FLASH_ATTN_MLA):
    NVIDIA's H100 whitepaper, 132 on SXM5 boards (H200, H800 and GH200 alike), 114 on PCIe cards. None elsewhere
    (other kernels) and for the H20, whose count is not published."""
    if getattr(gpu, "cc_major", None) != 9:
        return None
    name = (getattr(gpu, "name", "") or "").upper()
    if "H20" in name.replace("H200", ""):
        return None
    return 114 if "PCIE" in name else 132


def tied_head_bytes(model) -> float:
    """Bytes of the output projection a token reads when the checkpoint ties it to the input embedding
    (no lm_head of its own): the whole vocab x hidden table, although the input side reads one row.
    Capped by the embedding's bytes, which for Gemma-4 E-models also hold the per-layer tables."""
    w, s = model.weights, model.spec
    if w.lm_head or not w.embedding:
        return 0.0
    return float(min(w.embedding, (s.vocab_size or 0) * (s.hidden_size or 0) * 2))


def split_weights(model, read_bytes: float) -> tuple[float, float]:
    """(dense bytes read per token, all routed-expert bytes) of the `read_bytes` a token reads, using the
    model's breakdown: the routed experts' share scaled to the file's real size."""
    w = model.weights
    moe = model.spec.moe
    if not (moe and moe.num_experts and w.per_layer_experts):
        return read_bytes, 0.0
    known = sum(w.per_layer) + w.embedding + w.lm_head + w.mtp + w.vision + w.other
    experts_all = sum(w.per_layer_experts)
    active_experts = experts_all * moe.experts_per_token / moe.num_experts
    dense_model = max(known - w.embedding + tied_head_bytes(model) - w.vision - w.mtp - experts_all, 0)
    read_model = dense_model + active_experts
    scale = read_bytes / read_model if read_model else 1.0
    return dense_model * scale, experts_all * scale

