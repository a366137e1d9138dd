"""Speed: the inputs the planners hand to the speed model, and the bandwidth roofline.

`hf_speed` (vLLM, SGLang) and `gguf_speed` (llama.cpp, Ollama) turn a plan's weights, KV and placement
into speed_model.SpeedInputs and return the plan's SpeedEstimate record: the expected decode and
prefill speed with its range (speed_model.py, docs/speed.md). `decode_upper_bound` is the bare roofline
(bandwidth / bytes read per token), kept for what still wants a bound.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from llmdoctor.checkpoint.spec import ModelInfo
from llmdoctor.plan.records import SpeedEstimate
from llmdoctor.plan.speed_model import ALLREDUCE_SECONDS   # one all-reduce's latency (assumed)


def tp_link(gpus) -> str:
    """What tensor parallel's all-reduces run over: NVLink where a GPU has active links, else PCIe."""
    return "nvlink" if any(getattr(g.nvlink, "active_links", 0) for g in gpus) else "pcie"


@dataclass
class RooflineBound:
    tokens_per_s: Optional[float]
    bytes_per_token: int
    assumptions: list[str] = field(default_factory=list)


def active_weight_bytes(model: ModelInfo, weight_bytes: Optional[int] = None) -> int:
    """Weights one decoded token reads: everything except the routed experts that are not picked.
    `weight_bytes` overrides the model's total (e.g. a GGUF file's real size); the MoE share is
    scaled from the model's breakdown. The input embedding is a row lookup, not a full read, but a tied
    output projection reads the whole table (speed_model.tied_head_bytes)."""
    w = model.weights
    total = weight_bytes if weight_bytes is not None else (model.weight_bytes or 0)
    known = sum(w.per_layer) + w.embedding + w.lm_head + w.mtp + w.vision + w.other
    scale = total / known if known else 1.0
    from llmdoctor.plan.speed_model import tied_head_bytes
    read = total - (w.embedding - tied_head_bytes(model) + w.vision + w.mtp) * scale
    moe = model.spec.moe
    if moe and moe.num_experts and w.per_layer_experts:
        experts = sum(w.per_layer_experts) * scale
        read -= experts * (1 - moe.experts_per_token / moe.num_experts)
    return max(int(read), 0)


def decode_upper_bound(active_bytes_per_rank: int, kv_bytes_per_token_per_rank: int, context: int,
                       bandwidth_bytes_per_s: Optional[float], *, tp: int = 1, num_layers: int = 0,
                       link: str = "pcie") -> RooflineBound:
    per_token = active_bytes_per_rank + kv_bytes_per_token_per_rank * context
    notes = [f"decode tok/s is an upper bound: bandwidth / bytes read per token "
             f"(active weights per rank + KV of a {context}-token context)"]
    if not bandwidth_bytes_per_s:
        notes.append("memory bandwidth unknown: no decode estimate")
        return RooflineBound(None, per_token, notes)
    seconds = per_token / bandwidth_bytes_per_s
    if tp > 1:
        comm = ALLREDUCE_SECONDS.get(link, ALLREDUCE_SECONDS["pcie"])
        seconds += 2 * num_layers * comm
        notes.append(f"tensor parallel {tp}: 2 all-reduces per layer at {comm * 1e6:.0f} us each over "
                     f"{link} (assumed latency)")
    return RooflineBound(1.0 / seconds, per_token, notes)


def prefill_upper_bound(active_params: Optional[int], flops_per_s: Optional[float], utilisation: float = 0.5) -> RooflineBound:
    """tok/s <= utilisation * peak FLOPs / (2 * active parameters)."""
    if not active_params or not flops_per_s:
        return RooflineBound(None, 0, ["prefill: peak FLOPs of this GPU not in the table; no estimate"])
    return RooflineBound(utilisation * flops_per_s / (2 * active_params), 0,
                         [f"prefill from 2 FLOPs per active parameter per token at {utilisation:.0%} of peak"])


def layer_equivalents(model: ModelInfo) -> float:
    """Decoder layers as a transformer counts them (a token mixer and an MLP each). Nemotron-H style models
    split them into separate blocks (mamba or attention blocks without an MLP, MLP-only blocks): half each."""
    s = model.spec
    return s.num_layers / 2 if s.mlp_only_layers else float(s.num_layers)


def hf_speed(engine: str, model: ModelInfo, gpu, read_bytes_per_rank: float, kv_bytes_per_token: float, *,
             dtype: str, context: int, concurrency: int, tp: int = 1, link: str = "pcie", eager: bool = False,
             state_bytes: float = 0, drafter: str = "", max_context: int = 0) -> SpeedEstimate:
    """vLLM / SGLang: the expected-speed record (speed_model.py) for safetensors checkpoints (the figures at
    `context`; `max_context`, the longest the plan allows, for what holds only further out)."""
    from llmdoctor.plan import speed_model as sm
    fmt, gemm = sm.hf_weight_format(model, dtype)
    dense, experts = sm.split_weights(model, read_bytes_per_rank)
    moe = model.spec.moe
    # vLLM on Hopper decodes with FA3, modelled; SGLang's kernels and other GPUs' were not measured
    sms = sm.hopper_sm_count(gpu) if engine == "vllm" else None
    mla_flops, mla_tiles = sm.mla_decode_shape(model, tp) if sms else (0.0, 0)
    kv_tiles = sm.gqa_decode_tiles(model, tp) if sms else 0
    x = sm.SpeedInputs(
        engine=engine, weight_format=fmt, bandwidth=getattr(gpu, "memory_bandwidth_bytes_per_s", None),
        memory_class=sm.memory_class(gpu), gpu_name=getattr(gpu, "name", "") or "", dense_bytes=dense,
        expert_bytes=experts, num_experts=moe.num_experts if moe and experts else 0,
        experts_per_token=moe.experts_per_token if moe and experts else 0, kv_bytes_per_token=kv_bytes_per_token,
        state_bytes=state_bytes, num_layers=layer_equivalents(model),
        mla_flops_per_ctx=mla_flops, mla_tiles=mla_tiles, kv_tiles=kv_tiles, sm_count=sms,
        moe_layers=(moe.moe_layers or model.spec.num_layers) if moe and experts else 0,
        active_params=(model.params_active or model.params_total or 0) / max(tp, 1),
        attn_flops_per_ctx=sm.attention_flops_per_ctx(model, tp, mla_materialized=True), compute_dtype=gemm,
        flops=sm.gpu_flops(gpu, gemm), attn_flops=sm.gpu_flops(gpu, "bf16"), eager=eager, tp=tp, link=link,
        context=context,
        concurrency=max(int(concurrency), 1), prompt_tokens=context, max_context=max_context,
        notes=speculative_notes(drafter) + fa3_notes(sms, mla_tiles or kv_tiles, bool(mla_flops))
        + block_fp8_notes(model, sms, concurrency)
        + ([] if mla_flops else mla_long_context_notes(model, max(context, max_context))))
    return sm.estimate(x)


def fa3_notes(sms, tiles: int, mla: bool) -> list[str]:
    """What FA3's decode occupancy does to one stream's KV read (vLLM on Hopper), where it leaves SMs idle."""
    from llmdoctor.plan import speed_model as sm
    share = sm.fa3_busy_fraction(tiles, sms) if sms and tiles else 1.0
    if share >= 0.8:
        return []
    busy = round(share * sms)
    what = ("MLA attention runs on their tensor cores (fitted on one 128-head shape)" if mla
            else "its KV cache is read at a share of the bandwidth (fitted on a two-KV-head run)")
    return [f"FA3 decode keeps {busy} of the GPU's {sms} SMs busy for one stream ({tiles} query tile(s), at most "
            f"{sm.FA3_MAX_SPLITS} splits each under CUDA graphs): {what}; more sequences fill the rest"]


# ms a decode step of a 24-layer DeepSeek-V3 cut at 1K tokens took on CUTLASS's block-scaled fp8 GEMM, by sequences
# (benchmarks/speed runs.csv, vllm-h200-dsv3-24l-batch-r2: VLLM_USE_DEEP_GEMM=0, each case alone on the host)
CUTLASS_BLOCK_FP8_STEP_MS = {1: 6.1, 16: 21.7}


def block_fp8_notes(model: ModelInfo, sms, concurrency: int) -> list[str]:
    """vLLM on Hopper runs block-fp8 GEMMs on DeepGEMM where the deep_gemm package is installed (modelled: Qwen3-32B-FP8
    batched within 20 %); without it, CUTLASS's block-scaled kernel (CutlassFp8BlockScaledMMKernel) added ~1 ms a
    step per sequence to a 24-layer DeepSeek-V3 cut at 1K tokens (benchmarks/speed dsv3-24l-batch-r2)."""
    q = model.quantization
    block_fp8 = q is not None and (q.method or "").lower() == "fp8" and bool((q.raw or {}).get("weight_block_size"))
    if not (sms and concurrency > 1 and block_fp8):
        return []
    return ["block-fp8 weights: the batched figures assume vLLM's DeepGEMM kernels (its default where the deep_gemm "
            "package is installed); without them (VLLM_USE_DEEP_GEMM=0, or deep_gemm missing: the log then selects "
            "CutlassFp8BlockScaledMMKernel) each added sequence cost ~1 ms a step on 24 DeepSeek-V3 layers at 1K "
            f"tokens ({CUTLASS_BLOCK_FP8_STEP_MS[1]} ms at 1 sequence, {CUTLASS_BLOCK_FP8_STEP_MS[16]} ms at 16), far "
            "below these aggregate figures"]


def mla_long_context_notes(model: ModelInfo, context: int) -> list[str]:
    """Where MLA's decode is not modelled (SGLang, vLLM off Hopper): its latent KV is read at GQA's rate here, while
    vLLM 0.26's FA3 decode on an H200 read it at ~1.5 TB/s against ~4.3 for GQA (benchmarks/speed)."""
    if not model.spec.mla_layers or context < 32768:
        return []
    return [f"MLA at a long context (up to {context} tokens here): this figure reads the latent KV at GQA's rate; "
            "vLLM 0.26's MLA decode on an H200 (modelled there) read it about 3x slower, 1.5 TB/s, for 16 and 128 "
            "heads alike; this engine's and this GPU's MLA kernels were not measured, so expect decode at long "
            "contexts to be slower than this figure"]


def speculative_notes(drafter: str) -> list[str]:
    """What the decode figures leave out when a drafter runs: they are the target model alone, one token per
    step. How many drafted tokens each step accepts depends on the prompts, so no figure is made for it."""
    if not drafter:
        return []
    return [f"speculative decoding ({drafter}) is on: the decode figures are the target model alone, one token "
            "per step; accepted drafts add tokens per step (how many depends on the prompts and is not "
            "modelled), and the drafter's own passes add time"]


def gguf_format(file_type: str) -> str:
    """'Q4_K_M' -> 'q4_k', 'UD-Q2_K_XL' -> 'q2_k', 'BF16' -> 'bf16': the tensor type most of the file uses."""
    import re
    t = file_type.upper().replace("UD-", "").replace("MOSTLY_", "")
    m = re.match(r"(IQ\d_(?:XXS|XS|S|M|NL)|I?Q\d(?:_[01K])?|F16|BF16|F32|MXFP4)", t)
    return (m.group(1) if m else t).lower()


# ms a decode step gained per added GPU under llama.cpp's layer split: the median of the 26 pairs of one host type, one
# build and one model on 1 and on 2-8 GDDR cards (benchmarks/speed public_runs.csv pub-xd-*; XiongjieDai's tables)
LAYER_SPLIT_MS_PER_GPU = 0.22


def gguf_speed(model: ModelInfo, src, placement, gpus: list, kv_bytes_per_token: float, *, file_type: str,
               context: int, concurrency: int, host_bandwidth: float, cpu: int = -1,
               state_bytes: float = 0, drafter: str = "", backend_sampling: bool = False,
               max_context: int = 0, graph_nodes: int = 0, uncounted: tuple = (),
               matvec_iters: int = 0) -> SpeedEstimate:
    """llama.cpp / Ollama: the expected-speed record for a GGUF placed on the devices (layer split runs the
    devices one after another, so their times add; routed experts not picked are not read)."""
    from llmdoctor.plan import speed_model as sm
    moe = model.spec.moe
    share = (moe.experts_per_token / moe.num_experts) if moe and moe.num_experts else 1.0
    dense: dict[int, float] = {}
    experts: dict[int, float] = {}
    host = 0.0
    for il, layer in enumerate(src.per_layer):
        exp = src.per_layer_experts[il] if il < len(src.per_layer_experts) else 0
        d = placement.layer_device[il]
        if d == cpu:
            host += (layer - exp) + exp * share
            continue
        on_host = exp * (placement.host_expert_fraction[il] if il < len(placement.host_expert_fraction) else 0)
        dense[d] = dense.get(d, 0) + layer - exp
        experts[d] = experts.get(d, 0) + exp - on_host
        host += on_host * share
    if placement.output_device == cpu:
        host += src.output
    else:
        dense[placement.output_device] = dense.get(placement.output_device, 0) + src.output
    notes = []
    seconds, read = 0.0, 0.0
    for d in set(dense) | set(experts):
        b = dense.get(d, 0) + experts.get(d, 0) * share
        bw = getattr(gpus[d], "memory_bandwidth_bytes_per_s", None) if 0 <= d < len(gpus) else None
        if not bw:
            seconds = 0.0
            break
        seconds += b / bw
        read += b
    split = len({d for d in dense if d != cpu})
    if split > 1:
        notes.append(f"layer split over {split} GPUs: their weight reads add up; each added GPU also cost a median "
                     f"{LAYER_SPLIT_MS_PER_GPU} ms a token in public 2-8 GPU llama-bench tables (not counted)")
    gpu = gpus[max(dense, key=lambda d: dense[d])] if dense and gpus else None
    if gpu is None:
        bandwidth, mclass = host_bandwidth, "cpu"
        dense_b, exp_b, host_s = host, 0.0, 0.0
        notes.append(f"no GPU: weights read from CPU memory at an assumed {host_bandwidth / 1e9:.0f} GB/s")
    else:
        bandwidth = read / seconds if seconds else None
        mclass = sm.memory_class(gpu)
        dense_b, exp_b = sum(dense.values()), sum(experts.values())
        host_s = host / host_bandwidth
        if host:
            notes.append(f"{host / 1e9:.2f} GB of weights per token read from CPU memory at an assumed "
                         f"{host_bandwidth / 1e9:.0f} GB/s")
    fmt = gguf_format(file_type)
    gemm = "fp16" if fmt in ("f16", "bf16", "f32") else "int8"
    # llama.cpp captures no CUDA graphs below compute capability 7.0 (ggml-cuda.cu ggml_cuda_graph_set_enabled,
    # 0c1e57098): every kernel of a step is launched from the host
    no_graphs = gpu is not None and getattr(gpu, "cc_major", None) is not None and gpu.cc_major < 7
    if no_graphs:
        notes.append(f"{gpu.name} (compute capability {gpu.cc_major}.{gpu.cc_minor}): llama.cpp captures no CUDA "
                     f"graphs below 7.0, every kernel is launched from the host: a step takes at least the launch time "
                     f"of its {graph_nodes} graph operations (measured on an H200 host with graphs turned off), longer "
                     "on a slower CPU" + "".join(f"; {u}" for u in uncounted))
    arch = sm.gpu_arch(gpu) if gpu is not None else ""
    if arch == "pascal":
        notes.append("Pascal: llama.cpp streams weights at a fraction of newer cards' rate (2- and 3-bit K-quants at "
                     "a smaller one), calibrated on six public Tesla P40 runs of one 7B model (2024 builds)")
    x = sm.SpeedInputs(
        engine="llamacpp", weight_format=fmt, bandwidth=bandwidth, memory_class=mclass, arch=arch,
        gpu_name=getattr(gpu, "name", "") or "", dense_bytes=dense_b, expert_bytes=exp_b,
        num_experts=moe.num_experts if moe and exp_b else 0, experts_per_token=moe.experts_per_token if moe and exp_b else 0,
        kv_bytes_per_token=kv_bytes_per_token, state_bytes=state_bytes, num_layers=layer_equivalents(model),
        linear_layers=sm.linear_attention_layers(model), graph_nodes=graph_nodes, matvec_iters=matvec_iters,
        moe_layers=(moe.moe_layers or model.spec.num_layers) if moe and exp_b else 0,
        active_params=model.params_active or model.params_total or 0,
        attn_flops_per_ctx=sm.attention_flops_per_ctx(model), compute_dtype=gemm,
        flops=sm.gpu_flops(gpu, gemm) if gpu is not None else None,
        attn_flops=sm.gpu_flops(gpu, "fp16") if gpu is not None else None, eager=no_graphs, host_seconds=host_s,
        context=context,
        concurrency=max(int(concurrency), 1), prompt_tokens=context, max_context=max_context,
        notes=notes + [f"GGUF {file_type}: {fmt} kernels"] + speculative_notes(drafter)
        + (["--backend-sampling: sampling runs on the GPU, yet the server's host work per token is kept as "
            "measured with host sampling (how much backend sampling saves was not measured)"] if backend_sampling else []))
    return sm.estimate(x)
