"""Ollama capacity plan: Ollama (v0.30+) runs llama.cpp's llama-server for GGUF models, so the memory
arithmetic is llamacpp.py's; this module turns Ollama's settings into llama-server's arguments.

Sources (ollama/ollama@fb3076099): `server/routes.go` (VRAM-tier default num_ctx),
`server/sched.go` (OLLAMA_NUM_PARALLEL, families forced to one slot, automaticGenerationBatch),
`llm/llama_server.go` (-c num_ctx x np, -np, no -kvu, -b/-ub num_batch, --cache-type-k/v,
--flash-attn, -ngl only when num_gpu is set, PredictServerVRAM). History of the default context:
2048 until v0.6.6, 4096 from v0.6.7, VRAM tiers from v0.15.5.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any, Optional

from llmdoctor.engines.ollama.versions import has
from llmdoctor.engines.llamacpp.plan import plan_llamacpp, weight_source
from llmdoctor.plan.records import LaunchCommand, Plan, PlanRequest, Recommendation, Target

NEWEST = "0.30.0"
GiB, MiB = 2**30, 2**20
# server/sched.go: families that always get one slot
SINGLE_SLOT = {"mllama", "qwen3vl", "qwen3vlmoe", "qwen35", "qwen35moe", "qwen3next", "lfm2", "lfm2moe",
               "nemotron_h", "nemotron_h_moe", "nemotron_h_omni"}
# HF model_type -> GGUF architecture name, for config-only models
_FAMILY = {"qwen3_5_moe_text": "qwen35moe", "qwen3_5_moe": "qwen35moe", "qwen3_5_text": "qwen35",
           "qwen3_5": "qwen35", "qwen3_next": "qwen3next", "nemotron_h": "nemotron_h", "qwen3_moe": "qwen3moe"}


def default_num_ctx(version: Optional[str], gpus: list, overhead: int) -> tuple[int, str]:
    v = version or NEWEST
    if not has("num_ctx_4096", v):
        return 2048, "Ollama < 0.6.7 default num_ctx 2048"
    if not has("num_ctx_by_vram", v):
        return 4096, "Ollama 0.6.7-0.15.4 default num_ctx 4096"
    total = sum(max((g.memory_total_bytes or 0) - overhead, 0) for g in gpus)
    ctx = 262144 if total >= 47 * GiB else 32768 if total >= 23 * GiB else 4096
    return ctx, f"VRAM-based default num_ctx {ctx} (total VRAM {total / GiB:.1f} GiB; tiers >=47 GiB 262144, >=23 GiB 32768)"


def family(model: Any) -> str:
    if model.format == "gguf":
        return (model.architecture or "").lower()
    return _FAMILY.get((model.model_type or "").lower(), (model.model_type or "").lower())


def plan_ollama(target: Target, model: Any, request: PlanRequest) -> Plan:
    flags = dict(request.flags)
    version = request.engine_version or NEWEST
    notes: list[str] = []
    if not has("llama_server_runner", version):
        notes.append(f"Ollama {version} predates v0.30 (llama-server for all GGUF models): its own runner and "
                     "estimator place layers differently; figures below are llama-server's")
    n_ctx_train = model.spec.max_position_embeddings or 4096
    overhead = int(flags.get("gpu_overhead") or 0)
    num_ctx = flags.get("num_ctx") or flags.get("context_length")
    auto_ctx = not num_ctx
    if auto_ctx:
        num_ctx, why = default_num_ctx(version, target.gpus, overhead)
        notes.append(why)
    if num_ctx > n_ctx_train:
        notes.append(f"num_ctx {num_ctx} clipped to the model's training context {n_ctx_train}")
        num_ctx = n_ctx_train
    np_ = int(flags.get("num_parallel") or 1)
    if family(model) in SINGLE_SLOT and np_ != 1:
        notes.append(f"{family(model)} models always get one slot (server/sched.go): OLLAMA_NUM_PARALLEL ignored")
        np_ = 1
    fa = _flash_attention(flags.get("flash_attention"), target.gpus)
    kv_type = (flags.get("kv_cache_type") or "f16").lower()
    src = weight_source(model, flags.get("quant"))
    file_bytes = src.embedding + src.output + sum(src.per_layer)
    eff_ctx = num_ctx * np_
    batch = flags.get("num_batch") or _auto_batch(eff_ctx, model, file_bytes, target.gpus, fa, notes)
    ll_flags: dict[str, Any] = {"ctx_size": eff_ctx, "parallel": np_, "batch_size": batch, "ubatch_size": batch,
                                "flash_attn": fa, "cache_type_k": kv_type, "cache_type_v": kv_type}
    if flags.get("num_gpu") is not None and int(flags["num_gpu"]) >= 0:
        ll_flags["n_gpu_layers"] = int(flags["num_gpu"])
    if flags.get("quant"):
        ll_flags["quant"] = flags["quant"]
    argv = ["llama-server", "--model", model.path, "-c", str(eff_ctx), "-np", str(np_), "--flash-attn", fa,
            "-b", str(batch), "-ub", str(batch), "--log-verbosity", "4"]
    cmd = LaunchCommand(engine="llamacpp", argv=argv, program="llama-server", model=model.path, flags=ll_flags)
    plan = plan_llamacpp(target, model, PlanRequest(engine="llamacpp", flags=ll_flags, command=cmd))
    recommendations = dict(plan.recommendations)
    if auto_ctx and not plan.fits and num_ctx > 4096:
        lower = 32768 if num_ctx > 32768 else 4096
        recommendations["num_ctx"] = Recommendation(lower, "Ollama retries an automatic context once at "
                                                           "the next lower tier after an OOM")
    return replace(
        plan, engine="ollama", engine_version=version,
        engine_version_source="flag" if request.engine_version else "assumed-newest",
        assumptions=notes + [f"Ollama starts llama-server with: {' '.join(argv[3:])}"] + plan.assumptions,
        max_model_len=num_ctx, max_concurrency=float(np_),
        settings={**plan.settings, "num_ctx": num_ctx, "num_parallel": np_, "num_batch": batch,
                  "kv_cache_type": kv_type, "flash_attention": fa, "num_ctx_auto": auto_ctx,
                  "llama_server_argv": argv},
        command=_ollama_command(flags, num_ctx, np_, kv_type, fa, plan.recommendations),
        recommendations=recommendations)


def _flash_attention(env_value: Optional[bool], gpus: list) -> str:
    """ml/device.go FlashAttentionSupported: CUDA CC < 6.0 or 7.2 (Xavier) is unsupported."""
    if env_value is not None:
        return "on" if env_value else "off"
    for g in gpus:
        if g.vendor == "nvidia" and g.cc_major is not None:
            if g.cc_major < 6 or (g.cc_major, g.cc_minor) == (7, 2):
                return "off"
    return "auto"


def _auto_batch(eff_ctx: int, model, file_bytes: int, gpus: list, fa: str, notes: list[str]) -> int:
    """server/sched.go automaticGenerationBatch (completion models, num_batch not set)."""
    cuda = any(g.vendor == "nvidia" for g in gpus)
    if fa == "off" and cuda:
        small = eff_ctx > 4096 and any(0 < (g.memory_free_bytes or g.memory_total_bytes or 0) <= 8 * GiB for g in gpus)
        return 256 if small else 512
    batch = 2048 if eff_ctx > 32768 else 1024 if eff_ctx > 4096 else 512
    spec = model.spec
    heads = spec.num_attention_heads or 1
    kv_heads = min((l.num_kv_heads for l in spec.layers if l.num_kv_heads), default=1)
    predicted = file_bytes + 2 * spec.num_layers * kv_heads * (spec.hidden_size // heads) * eff_ctx * 2
    available = sum(g.memory_free_bytes or g.memory_total_bytes or 0 for g in gpus)
    while batch > 512 and available:
        threshold = available * 80 // 100
        headroom = predicted <= available * (60 if batch >= 2048 else 75) // 100
        surcharge = 2 * GiB if batch >= 2048 else 768 * MiB
        if predicted <= threshold and headroom and surcharge <= threshold - predicted:
            break
        batch = 1024 if batch > 1024 else 512
    notes.append(f"num_batch {batch} (automatic: context {eff_ctx}, PredictServerVRAM {predicted / GiB:.1f} GiB "
                 f"of {available / GiB:.1f} GiB)")
    return batch


def _ollama_command(flags, num_ctx, np_, kv_type, fa, recommendations: dict) -> list[str]:
    """`env OLLAMA_...=... ollama serve` plus the num_ctx to set (Modelfile PARAMETER / request option)."""
    env = [f"OLLAMA_CONTEXT_LENGTH={num_ctx}", f"OLLAMA_NUM_PARALLEL={np_}"]
    if kv_type != "f16":
        env.append(f"OLLAMA_KV_CACHE_TYPE={kv_type}")
    if fa != "auto":
        env.append(f"OLLAMA_FLASH_ATTENTION={'1' if fa == 'on' else '0'}")
    ngl = recommendations["n_gpu_layers"].value if "n_gpu_layers" in recommendations else None
    cmd = ["env", *env, "ollama", "serve"]
    if ngl is not None:
        cmd += ["#", f"num_gpu={ngl}"]
    return cmd
