"""Figures real engines printed, and how llmdoctor computes the same figure.

One Case per figure. `compute()` runs the planner from fixtures (real config.json files, the run's
flags) and returns llmdoctor's value in the engine's unit; `engine_value` is what the engine printed
(fixtures/logs/, see SOURCES.md and runs.json). test_accuracy.py checks each within tolerance_pct;
accuracy_table.py writes docs/accuracy.md from the same list. Other engineers append their engine's
cases to CASES (llama.cpp / Ollama) with the same fields.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Optional

from llmdoctor.checkpoint import read_model
from llmdoctor.engines import make_plan
from llmdoctor.plan import target_what_if
from llmdoctor.plan.records import PlanRequest

GIB = 1 << 30
M = "fixtures/models/{}/config.json"


@dataclass
class Case:
    id: str
    url: str
    engine: str
    figure: str
    engine_value: float
    compute: Callable[[], float]
    tolerance_pct: float            # 0 = must match exactly
    note: str = ""
    unit: str = ""
    known_gap: bool = False         # a documented miss: the test is a strict xfail until it is fixed
    # "calibration": seen while the planner was built (its formulas and constants were checked or set
    # against it); "held-out": added afterwards and not used to change the model. Errors are reported
    # for the two apart; a held-out miss is fixed in the model, never by widening the tolerance.
    role: str = "calibration"
    inputs: str = "real config.json"   # or "hand-typed config", "tiny generated GGUF", ...
    kv: Optional[Callable[[], float]] = None   # starts/fails rows: llmdoctor's KV GiB beside the verdict


@lru_cache(maxsize=None)
def model(name: str):
    return read_model(M.format(name))


def plan(engine, mdl, gpu, count=1, vram=None, version=None, **flags):
    return make_plan(target_what_if(gpu, vram, count), mdl, PlanRequest(engine=engine, engine_version=version, flags=flags))


# --- the runs -----------------------------------------------------------------------------------

SEED001 = "fixtures/logs/seeds/001-vllm-xpu-gemma4-e4b-tp2-startup.log (seed 001) (fixtures/logs/seeds/001-vllm-xpu-gemma4-e4b-tp2-startup.log)"
SEED002 = "https://caovan.com/rtx-2080ti-vllm-sm75-turbo3-caovan-plugin-ubuntu-miniconda/.html (seed 002) (fixtures/logs/seeds/002-vllm-sm75-qwen36-27b-awq-shm-hang.log)"
U10517 = "https://github.com/vllm-project/vllm/issues/10517"
U21348 = "https://github.com/vllm-project/vllm/issues/21348"
U23278 = "https://github.com/vllm-project/vllm/issues/23278"
U33155 = "https://github.com/vllm-project/vllm/issues/33155"
U27508 = "https://github.com/vllm-project/vllm/issues/27508"
U18263 = "https://github.com/sgl-project/sglang/issues/18263"
U13466 = "https://github.com/sgl-project/sglang/issues/13466"


def _seed001():
    # vLLM 0.19.2 XPU, TP 2, fp8 KV, enforce-eager; KV budget as logged (1.14 GiB) via --kv-cache-memory-bytes.
    return plan("vllm", model("google--gemma-4-E4B-it"), "Intel Arc B580", 2, version="0.19.2", tensor_parallel_size=2,
                kv_cache_dtype="fp8", enforce_eager=True, gpu_memory_utilization=0.8,
                kv_cache_memory_bytes=int(1.14 * GIB))


def _seed001_profiled():
    # The same run without the logged budget: weights and the KV budget as llmdoctor computes them.
    return plan("vllm", model("google--gemma-4-E4B-it"), "Intel Arc B580", 2, version="0.19.2", tensor_parallel_size=2,
                quantization="fp8", kv_cache_dtype="fp8", enforce_eager=True, gpu_memory_utilization=0.8)


def _seed002():
    # Qwen3.6-27B (hybrid GDN) on 2x 2080 Ti 22 GB, vLLM 0.21.0, flags of the seed + the plugin's MTP=3.
    return plan("vllm", model("nvidia--Qwen3.6-27B-NVFP4"), "RTX 2080 Ti", 2, vram=22, version="0.21.0",
                tensor_parallel_size=2, dtype="half", max_model_len=262144, max_num_seqs=1,
                max_num_batched_tokens=8192, kv_cache_dtype="fp8", enable_prefix_caching=True,
                mamba_cache_mode="align", speculative_config={"method": "mtp", "num_speculative_tokens": 3})


def _llama_3090(max_len, **extra):
    # V0 engine (version not printed; late 2024): CUDA total 23.58 GiB as logged.
    return plan("vllm", model("meta-llama--Llama-3.1-8B"), "RTX 3090", 1, vram=23.58, version="0.6.4",
                max_model_len=max_len, gpu_memory_utilization=0.9, **extra)


def _qwen235_vllm(**extra):
    # FP8 checkpoint: the bf16 config with online fp8 stands in for Qwen3-235B-A22B-FP8 (block scales ignored).
    return plan("vllm", model("Qwen--Qwen3-235B-A22B"), "NVIDIA H100 80GB HBM3", 4, vram=79.19, version="0.9.2",
                tensor_parallel_size=4, quantization="fp8", **extra)


def _gptoss(version, **extra):
    return plan("vllm", model("openai--gpt-oss-120b"), "NVIDIA H100 80GB HBM3", 1, vram=79.19, version=version, **extra)


def _sglang_235b():
    return plan("sglang", model("Qwen--Qwen3-235B-A22B"), "NVIDIA H100 80GB HBM3", 4, vram=79.19, version="0.4.9",
                tp_size=4, mem_fraction_static=0.93, quantization="fp8")


def _kimi_kv_size():
    # Kimi-K2 is a DeepseekV3ForCausalLM with DeepSeek-V3's MLA shape (61 layers, kv_lora_rank 512,
    # rope 64): SGLang's "KV size" for the logged #tokens 8050 (page 1, bf16).
    from llmdoctor.engines.sglang.plan import _cells
    cells = _cells(model("deepseek-ai--DeepSeek-V3"), 8, 2, 2, 4)
    return (8050 + 1) * cells["mla"] / GIB


# --- held-out runs (added after the planner was built; targets written before the values were computed) ---

LLMD = ("https://github.com/llm-d-incubation/llm-d-planner/blob/d3121e059da88662db39a926a3ead964be97359b/"
        "accuracy/results/v0.19.0/logs/{}.log")
U17469 = "https://github.com/vllm-project/vllm/issues/17469"
U_CLUB612 = "https://github.com/noonghunna/club-3090/issues/612"
H100 = ("NVIDIA H100 80GB HBM3", 79.19)          # total_memory=79.19GiB in every llm-d log


@lru_cache(maxsize=None)
def _llmd(name: str, tp: int = 1, gmu: Optional[float] = 0.95):
    """llm-d-planner's vLLM 0.19.0 sweep on H100 80GB: `vllm serve MODEL --max-model-len 8192
    [--gpu-memory-utilization 0.95] --no-enable-prefix-caching`, max_num_seqs / max_num_batched_tokens
    at the defaults the log prints (1024 / 8192)."""
    flags = dict(max_model_len=8192, enable_prefix_caching=False, max_num_seqs=1024, max_num_batched_tokens=8192)
    if gmu is not None:
        flags["gpu_memory_utilization"] = gmu
    if tp > 1:
        flags["tensor_parallel_size"] = tp
    return plan("vllm", model(name), H100[0], tp, vram=H100[1], version="0.19.0", **flags)


def _a10x4_qwen3_30b():
    # vllm#17469: Qwen/Qwen3-30B-A3B, vLLM 0.8.5 (V1), 4x A10, TP 4, --max-model-len 1024 --max-num-seqs 1.
    return plan("vllm", model("Qwen--Qwen3-30B-A3B"), "NVIDIA A10", 4, version="0.8.5", tensor_parallel_size=4,
                max_model_len=1024, max_num_seqs=1)


def _club612(**extra):
    # club-3090#612: Qwen3.6-35B-A3B NVFP4 (modelopt) on one RTX 5090, vLLM 0.24.0, flags of its non-default args.
    return plan("vllm", model("nvidia--Qwen3.6-35B-A3B-NVFP4"), "RTX 5090", 1, version="0.24.0", dtype="bfloat16",
                max_model_len=131072, quantization="modelopt", kv_cache_dtype="fp8", enable_prefix_caching=True,
                limit_mm_per_prompt={"image": 2, "audio": 0}, max_num_batched_tokens=8192, max_num_seqs=1,
                enable_chunked_prefill=True, **extra)


H200_RUNS = "benchmarks/vllm_memory/cases.json"
H200_LOG = "fixtures/logs/vllm-h200/{}.log (vLLM 0.26.0 on the device's H200, dummy weights; benchmarks/vllm_memory)"


@lru_cache(maxsize=None)
def _h200(case_id: str):
    """One case of benchmarks/vllm_memory/cases.json as vrun.py started it: vLLM 0.26.0, one H200, the LLM
    class with `vllm serve`'s H200 defaults passed explicitly, FlashInfer's sampler off (not carried)."""
    import json
    case = json.load(open(H200_RUNS))[case_id]
    return _h200_plan(case["model"], dict(case["kwargs"]))


def _h200_plan(model_dir: str, flags: dict):
    """vLLM 0.26.0 on the device's H200 as both device scripts start it (FlashInfer not carried)."""
    return make_plan(target_what_if("H200 SXM"), read_model(model_dir),
                     PlanRequest(engine="vllm", engine_version="0.26.0", flags=flags,
                                 env={"VLLM_USE_FLASHINFER_SAMPLER": "0"}))


def _h200_rows(case_id: str, inputs: str, weights: float, kv_gib: float, tokens: int, weights_gap: str = "",
               weights_fixed_after: str = "", kv_held_out: bool = False):
    """Weights are held out (the weight model was not changed after these runs). For the first batch the KV
    budget and tokens were predicted within target before the runs (benchmarks/vllm_memory/heldout.md), but
    the V2 model runner's budget was then modelled from vLLM's source after these logs were read: calibration
    now. The second batch (predictions-next.jsonl, written before it ran) is held out whole (kv_held_out)."""
    url = H200_LOG.format(case_id)
    kv_role = "held-out" if kv_held_out else "calibration"
    run = f"device {case_id} H200 v0.26.0"
    return [
        Case(run, url, "vllm", "weights (GiB)", weights, lambda: _h200(case_id).weights.bytes_per_gpu / GIB, 3.0,
             weights_gap or weights_fixed_after, unit="GiB", role="calibration" if weights_fixed_after else "held-out",
             inputs=inputs, known_gap=bool(weights_gap)),
        Case(run, url, "vllm", "Available KV cache memory (GiB)", kv_gib,
             lambda: _h200(case_id).kv_cache.available_bytes_per_gpu / GIB, 10.0, unit="GiB", inputs=inputs,
             role=kv_role),
        Case(run, url, "vllm", "GPU KV cache size (tokens)", tokens, lambda: _h200(case_id).kv_cache.tokens, 10.0,
             inputs=inputs, role=kv_role),
    ]


SPEED_RUNS = "benchmarks/speed/vllm_cases.json"
SPEED_LOG = "fixtures/logs/speed/vllm/{}.log (vLLM 0.26.0 on the device's H200, dummy weights; benchmarks/speed/vbench.py)"


def _speed_run(case_id: str):
    """A vLLM speed run (benchmarks/speed/vbench.py) as it started: its kwargs over vbench's defaults
    (max_num_seqs 64, max_model_len 8192, prefix caching off) and a fixed kv_cache_memory_bytes."""
    import json
    case = json.load(open(SPEED_RUNS))[case_id]
    return _h200_plan(case["model"], {"max_num_seqs": 64, "max_model_len": 8192, "enable_prefix_caching": False,
                                      **case.get("kwargs", {})})


def _speed_run_rows(case_id: str, inputs: str, weights: float, tokens: int, weights_gap: str = "",
                    weights_fixed_after: str = ""):
    """Memory figures the speed runs logged and nobody compared with the memory model until later (2026-12-02 for
    the first session's, the sixth session for the long-context ones): held out. Targets set before comparing:
    weights +-3 %, KV tokens given the logged budget +-3 %. A weights figure whose miss changed the model is
    calibration since (weights_fixed_after: the miss)."""
    url, run = SPEED_LOG.format(case_id), f"device speed run {case_id} H200 v0.26.0"
    return [
        Case(run, url, "vllm", "weights (GiB)", weights, lambda: _speed_run(case_id).weights.bytes_per_gpu / GIB, 3.0,
             weights_gap or (weights_fixed_after and weights_fixed_after + "; calibration since"), unit="GiB",
             role="calibration" if weights_fixed_after else "held-out", inputs=inputs, known_gap=bool(weights_gap)),
        Case(run, url, "vllm", "GPU KV cache size given the logged budget (tokens)", tokens,
             lambda: _speed_run(case_id).kv_cache.tokens, 3.0, role="held-out", inputs=inputs),
    ]


def _held_out(run, url, figure, value, compute, target, note="", unit="", **kw):
    return Case(run, url, "vllm", figure, value, compute, target, note, unit=unit, role="held-out", **kw)


def _fixed_after(run, url, figure, value, compute, target, note, unit="", **kw):
    """A held-out row that missed and led to a change of the model: calibration since; its note keeps the miss."""
    return Case(run, url, "vllm", figure, value, compute, target, note + "; calibration since", unit=unit,
                role="calibration", **kw)


CASES: list[Case] = [
    Case("seed-001 gemma-4-E4B 2xB580", SEED001, "vllm", "GPU KV cache size (tokens) given 1.14 GiB", 49344,
         lambda: _seed001().kv_cache.tokens, 1.5,
         "KV budget fed from the log; the logged 1.14 GiB is TP rank 0's, vLLM takes the minimum over ranks"),
    Case("seed-001 gemma-4-E4B 2xB580", SEED001, "vllm", "Maximum concurrency at 131,072", 2.15,
         lambda: _seed001().max_concurrency, 1.5, "as above"),
    Case("seed-001 gemma-4-E4B 2xB580", SEED001, "vllm", "weights (GiB), TP rank 0, online fp8", 6.29,
         lambda: _seed001_profiled().weights.bytes_per_gpu / GIB, 3.0, unit="GiB", known_gap=True,
         note="vLLM keeps the vision+audio towers whole on each TP rank (llmdoctor splits them) and adds a per-layer-input buffer"),
    Case("seed-001 gemma-4-E4B 2xB580", SEED001, "vllm", "Available KV cache memory (GiB)", 1.14,
         lambda: _seed001_profiled().kv_cache.available_bytes_per_gpu / GIB, 10.0, unit="GiB", known_gap=True,
         note="follows the weights gap above; XPU non-torch memory and the encoder profile run are not measured "
         "(+16 % while the sampler term was 36 B on top of the forward: it had been covering for them)"),
    Case("seed-002 Qwen3.6-27B 2x2080Ti", SEED002, "vllm", "attention block size (tokens)", 1600,
         lambda: _seed002().kv_cache.block_size, 0),
    Case("seed-002 Qwen3.6-27B 2x2080Ti", SEED002, "vllm", "mamba page padding (%)", 0.25,
         lambda: round(_seed002().kv_cache.details.mamba_padding_pct, 2), 0),
    Case("vllm-10517 Llama-3.1-8B 3090 20k", U10517, "vllm", "weights (GiB)", 14.9888,
         lambda: _llama_3090(20000).weights.bytes_per_gpu / GIB, 1.0, unit="GiB"),
    Case("vllm-10517 Llama-3.1-8B 3090 20k", U10517, "vllm", "KV cache (GiB)", 3.81,
         lambda: _llama_3090(20000).kv_cache.available_bytes_per_gpu / GIB, 5.0, unit="GiB"),
    Case("vllm-10517 Llama-3.1-8B 3090 20k", U10517, "vllm", "GPU blocks", 1952,
         lambda: _llama_3090(20000).kv_cache.details.num_blocks, 5.0),
    Case("vllm-10517 Llama-3.1-8B 3090 20k", U10517, "vllm", "Maximum concurrency at 20,000", 1.56,
         lambda: _llama_3090(20000).max_concurrency, 5.0),
    Case("vllm-10517 Llama-3.1-8B 3090 20k", U10517, "vllm", "blocks given the logged KV budget (1952 x 2 MiB)", 1952,
         lambda: _llama_3090(20000, kv_cache_memory_bytes=1952 * 16 * 131072).kv_cache.details.num_blocks, 0,
         "exact: with the budget fixed, the KV arithmetic must match"),
    Case("vllm-10517 Llama-3.1-8B 3090 29k", U10517, "vllm", "KV cache (GiB)", 2.89,
         lambda: _llama_3090(29000).kv_cache.available_bytes_per_gpu / GIB, 5.0, unit="GiB"),
    Case("vllm-10517 Llama-3.1-8B 3090 29k", U10517, "vllm", "KV cache tokens", 23648,
         lambda: _llama_3090(29000).kv_cache.tokens, 5.0),
    Case("vllm-21348 Qwen3-235B-A22B-FP8 4xH100", U21348, "vllm", "KV cache (GiB)", 8.11,
         lambda: _qwen235_vllm().kv_cache.available_bytes_per_gpu / GIB, 35.0, unit="GiB",
         note="LMCache connector and the FP8 block scales not modelled; activation is modelled, not measured"),
    Case("vllm-21348 Qwen3-235B-A22B-FP8 4xH100", U21348, "vllm", "GPU KV cache size given 8.11 GiB", 178880,
         lambda: _qwen235_vllm(kv_cache_memory_bytes=int(8.11 * GIB)).kv_cache.tokens, 1.5,
         "logged budget is rank 0's; vLLM uses the minimum over the 4 ranks"),
    Case("vllm-23278 gpt-oss-120b H100", U23278, "vllm", "weights (GiB)", 65.9651,
         lambda: _gptoss("0.10.1").weights.bytes_per_gpu / GIB, 10.0, unit="GiB",
         note="MXFP4 expert padding (hidden to 256, intermediate to 128) modelled from vLLM's source; this run calibrates it"),
    Case("vllm-33155 gpt-oss-120b H100 v0.14.1", U33155, "vllm", "weights (GiB)", 64.38,
         lambda: _gptoss("0.14.1").weights.bytes_per_gpu / GIB, 7.0, unit="GiB",
         note="MXFP4 expert padding as above (calibration)"),
    Case("vllm-23278 gpt-oss-120b H100", U23278, "vllm", "starts (1) or fails (0)", 0,
         lambda: float(_gptoss("0.10.1").fits), 0, "vLLM: Available KV cache memory -2.14 GiB",
         kv=lambda: _gptoss("0.10.1").kv_cache.available_bytes_per_gpu / GIB),
    Case("vllm-27508 gpt-oss-120b H100 gmu 0.95", U27508, "vllm", "starts (1) or fails (0)", 0,
         lambda: float(_gptoss("0.11.0", gpu_memory_utilization=0.95, max_num_batched_tokens=1024).fits), 0,
         "vLLM: 1.71 GiB KV, too small for 131,072 tokens (read starts until the MXFP4 padding was modelled)",
         kv=lambda: _gptoss("0.11.0", gpu_memory_utilization=0.95,
                            max_num_batched_tokens=1024).kv_cache.available_bytes_per_gpu / GIB),
    Case("vllm-27508 gpt-oss-120b H100 gmu 0.95", U27508, "vllm", "KV cache (GiB)", 1.71,
         lambda: _gptoss("0.11.0", gpu_memory_utilization=0.95, max_num_batched_tokens=1024).kv_cache.available_bytes_per_gpu / GIB,
         50.0, unit="GiB", note="+322 % until the MXFP4 padding was modelled"),
    Case("sglang-21348 Qwen3-235B-A22B-FP8 4xH100", U21348, "sglang", "#tokens", 367404,
         lambda: _sglang_235b().kv_cache.tokens, 15.0,
         "free memory before load assumed total - 0.6 GiB; FP8 scales not modelled"),
    Case("sglang-21348 Qwen3-235B-A22B-FP8 4xH100", U21348, "sglang", "K size (GB = GiB)", 8.23,
         lambda: _sglang_235b().kv_cache.details.k_size_bytes / GIB, 15.0, unit="GiB"),
    Case("sglang-18263 Qwen3-30B-A3B AMD", U18263, "sglang", "weights (GB = GiB)", 56.98,
         lambda: plan("sglang", model("Qwen--Qwen3-30B-A3B"), "AMD Instinct MI250", 1, vram=287,
                      mem_fraction_static=0.911).weights.bytes_per_gpu / GIB, 1.0, unit="GiB"),
    Case("sglang-13466 Kimi-K2 TP8", U13466, "sglang", "KV size (GB = GiB) for #tokens 8050", 0.53,
         _kimi_kv_size, 1.0, "MLA cell is not split by TP", unit="GiB"),
    # held-out: targets (weights 3 %, KV budget / tokens 10 %, starts-fails exact) set before computing
    _held_out("llmd Qwen3-8B H100 TP1", LLMD.format("qwen-qwen3-8b--h100-80gb--tp1pp1dp1--8192"),
              "weights (GiB)", 15.27, lambda: _llmd("Qwen--Qwen3-8B").weights.bytes_per_gpu / GIB, 3.0, unit="GiB"),
    _held_out("llmd Qwen3-8B H100 TP1", LLMD.format("qwen-qwen3-8b--h100-80gb--tp1pp1dp1--8192"),
              "Available KV cache memory (GiB)", 57.5,
              lambda: _llmd("Qwen--Qwen3-8B").kv_cache.available_bytes_per_gpu / GIB, 10.0, unit="GiB"),
    _held_out("llmd Qwen3-8B H100 TP1", LLMD.format("qwen-qwen3-8b--h100-80gb--tp1pp1dp1--8192"),
              "GPU KV cache size (tokens)", 418688, lambda: _llmd("Qwen--Qwen3-8B").kv_cache.tokens, 10.0),
    _held_out("llmd Qwen3-30B-A3B H100 TP1", LLMD.format("qwen-qwen3-30b-a3b--h100-80gb--tp1pp1dp1--8192"),
              "weights (GiB)", 56.88, lambda: _llmd("Qwen--Qwen3-30B-A3B").weights.bytes_per_gpu / GIB, 3.0, unit="GiB"),
    _fixed_after("llmd Qwen3-30B-A3B H100 TP1", LLMD.format("qwen-qwen3-30b-a3b--h100-80gb--tp1pp1dp1--8192"),
              "Available KV cache memory (GiB)", 15.41,
              lambda: _llmd("Qwen--Qwen3-30B-A3B").kv_cache.available_bytes_per_gpu / GIB, 10.0, unit="GiB",
              note="missed at -18.9 % until the sampler term was re-derived from vLLM 0.18+ source (14 B per logit, after the forward pass, not 36 B on top)"),
    _held_out("llmd gemma-3-27b-it H100 TP1", LLMD.format("google-gemma-3-27b-it--h100-80gb--tp1pp1dp1--8192"),
              "weights (GiB)", 51.45, lambda: _llmd("google--gemma-3-27b-it").weights.bytes_per_gpu / GIB, 3.0,
              unit="GiB"),
    _fixed_after("llmd gemma-3-27b-it H100 TP1", LLMD.format("google-gemma-3-27b-it--h100-80gb--tp1pp1dp1--8192"),
              "GPU KV cache size (tokens)", 36560, lambda: _llmd("google--gemma-3-27b-it").kv_cache.tokens, 10.0,
              note="missed at -30.1 % until the sampler term was re-derived from source (see the Qwen3-30B-A3B row)"),
    _held_out("llmd gemma-2-9b-it H100 TP1", LLMD.format("google-gemma-2-9b-it--h100-80gb--tp1pp1dp1--8192"),
              "weights (GiB)", 17.22, lambda: _llmd("google--gemma-2-9b-it").weights.bytes_per_gpu / GIB, 3.0,
              unit="GiB"),
    _fixed_after("llmd gemma-2-9b-it H100 TP1", LLMD.format("google-gemma-2-9b-it--h100-80gb--tp1pp1dp1--8192"),
              "GPU KV cache size (tokens)", 168880, lambda: _llmd("google--gemma-2-9b-it").kv_cache.tokens, 10.0,
              note="missed at -11.0 % until the sampler term was re-derived from source (see the Qwen3-30B-A3B row)"),
    _fixed_after("llmd gpt-oss-20b H100 TP2", LLMD.format("openai-gpt-oss-20b--h100-80gb--tp2pp1dp1--8192"),
              "weights (GiB)", 7.01, lambda: _llmd("openai--gpt-oss-20b", 2, None).weights.bytes_per_gpu / GIB, 3.0,
              unit="GiB", note="-8.4 % until the MXFP4 padding was modelled from source after this row missed"),
    _held_out("llmd gpt-oss-20b H100 TP2", LLMD.format("openai-gpt-oss-20b--h100-80gb--tp2pp1dp1--8192"),
              "Available KV cache memory (GiB)", 59.32,
              lambda: _llmd("openai--gpt-oss-20b", 2, None).kv_cache.available_bytes_per_gpu / GIB, 10.0, unit="GiB"),
    _held_out("llmd gpt-oss-20b H100 TP1 gmu 0.95", LLMD.format("openai-gpt-oss-20b--h100-80gb--tp1pp1dp1--8192.FAILED"),
              "starts (1) or fails (0)", 0, lambda: float(_llmd("openai--gpt-oss-20b").fits), 0,
              "vLLM 0.19 OOMs warming the sampler after the KV cache: by the numbers ~4.8 GiB stay free for a 2.7 GiB warm-up, "
              "but 1.3 GiB of CUDA graphs sit outside 0.19's budget and 1.78 GiB were reserved-unallocated "
              "(fragmentation); not modelled",
              known_gap=True,
              kv=lambda: _llmd("openai--gpt-oss-20b").kv_cache.available_bytes_per_gpu / GIB),
    _held_out("llmd Mixtral-8x7B-Instruct H100 TP2", LLMD.format("mistralai-mixtral-8x7b-i--h100-80gb--tp2pp1dp1--8192"),
              "weights (GiB)", 43.51, lambda: _llmd("mistralai--Mixtral-8x7B-v0.1", 2).weights.bytes_per_gpu / GIB, 3.0,
              unit="GiB", inputs="base-model config.json (v0.1; -Instruct-v0.1 has the same shapes)"),
    _held_out("llmd Mixtral-8x7B-Instruct H100 TP2", LLMD.format("mistralai-mixtral-8x7b-i--h100-80gb--tp2pp1dp1--8192"),
              "Available KV cache memory (GiB)", 28.44,
              lambda: _llmd("mistralai--Mixtral-8x7B-v0.1", 2).kv_cache.available_bytes_per_gpu / GIB, 10.0, unit="GiB",
              inputs="base-model config.json (v0.1; -Instruct-v0.1 has the same shapes)"),
    _held_out("vllm-17469 Qwen3-30B-A3B 4xA10 v0.8.5", U17469, "weights (GiB), TP rank 0", 14.2474,
              lambda: _a10x4_qwen3_30b().weights.bytes_per_gpu / GIB, 3.0, unit="GiB"),
    _held_out("club3090-612 Qwen3.6-35B-A3B NVFP4 5090", U_CLUB612, "GPU KV cache size given 5.98 GiB (tokens)", 567978,
              lambda: _club612(kv_cache_memory_bytes=int(5.98 * GIB)).kv_cache.tokens, 10.0,
              "hybrid GDN + attention, fp8 KV, prefix caching on; budget fed from the log",
              inputs="real config.json (nvidia NVFP4 variant; the run's checkpoint inferred from 'modelopt')"),
]

# vLLM 0.26.0 on the device's H200 (fixtures/logs/vllm-h200/results.jsonl; targets set in benchmarks/vllm_memory/predict.py)
CASES += _h200_rows("gemma3-1b", "real config.json", 1.96, 123.04, 7873400,
                    "0.08 GiB above the modelled bytes: Gemma 3's second RoPE base (local layers) has its own 16 MiB "
                    "cos/sin cache, not counted; the rest not traced")
CASES += _h200_rows("phi4", "real config.json", 27.39, 97.06, 508383)
CASES += _h200_rows("qwen3-30b-a3b-fp8", "real config.json", 29.08, 93.09, 1016752)
CASES += _h200_rows("dsv2-lite", "real config.json", 29.34, 95.16, 3285008)
CASES += _h200_rows("qwen25-7b-awq", "config typed from the published Qwen2.5-7B-Instruct-AWQ", 5.38, 119.1, 2230000,
                    weights_fixed_after="-3.4 % (held out) until Machete's layout (zero points as fp16 per group, "
                    "vLLM's kernel for AWQ on Hopper) was modelled from its source after this run; calibration "
                    "since. -2.1 % remains (0.11 GiB) untraced")
CASES += _h200_rows("llama31-8b-eagle3", "real config.json + EAGLE-3 draft config typed from the published one",
                    15.55, 108.35, 860704, weights_fixed_after="-3.6 % (held out) until the drafter's weights were "
                    "counted from vLLM's llama_eagle3.py after this run; calibration since")
# the second batch, run 2026-12-02 against predictions-next.jsonl (committed before): held out whole
CASES += _h200_rows("gemma2-9b", "real config.json", 17.22, 106.56, 332219, kv_held_out=True)
CASES += _h200_rows("nemotron3-nano", "real config.json", 58.92, 63.64, 8691712, kv_held_out=True)
CASES += _h200_rows("mixtral-8x7b", "real config.json", 87.0, 36.18, 296352, kv_held_out=True)
CASES += _h200_rows("qwen3-8b-nvfp4", "config typed from the published ModelOpt NVFP4 Qwen3-8B, with lm_head under "
                    "`exclude_modules` where the published config.json has `ignore`", 5.2, 119.18, 867840,
                    weights_fixed_after="+14.7 % (held out) until vLLM's reading was modelled from modelopt.py after "
                    "this run: a config.json exclusion list counts only under `ignore`, so vLLM quantized this lm_head; "
                    "calibration since")      # its KV rows follow the weights: calibration too (+0.2 % held out)
CASES += _h200_rows("qwen25-7b-gptq-listed", "config typed from the published Qwen2.5-7B-Instruct-GPTQ-Int4, its "
                    "layers listed in modules_in_block_to_quantize", 5.29, 119.18, 2231536, kv_held_out=True)
# the speed runs' own memory lines (not the cases above again: dsv2-lite and nemotron3-nano are device memory cases;
# llama2-7b-gptq loaded fp16, 12.55 GiB, for the reason below)
CASES += _speed_run_rows("qwen35-35b-a3b", "real config.json (GDN hybrid MoE, towers off)", 64.69, 443112)
CASES += _speed_run_rows("llama31-70b-fp8", "real config.json", 67.75, 52416)
CASES += _speed_run_rows("moonlight-16b-a3b", "real config.json (MLA MoE)", 29.79, 207120)
CASES += _speed_run_rows("qwen3-32b-fp8", "real config.json", 32.08, 49152)
CASES += _speed_run_rows("qwen3-14b-eager", "real config.json", 27.52, 52416)
CASES += _speed_run_rows("qwen3-30b-a3b", "real config.json", 56.88, 87376)
CASES += _speed_run_rows("qwen3-8b", "real config.json", 15.27, 58240)
CASES += _speed_run_rows("llama31-8b", "real config.json", 15.0, 65536)
CASES += _speed_run_rows("llama32-1b", "real config.json", 2.32, 131072)
CASES += _speed_run_rows("llama2-7b-awq", "config typed from the published Llama-2-7B-AWQ", 3.74, 16384)
# the long-context speed runs (fifth and sixth sessions), compared with the memory model in the sixth
CASES += _speed_run_rows("llama31-8b-long", "real config.json, max_model_len 131072", 15.0, 163840)
CASES += _speed_run_rows("llama32-1b-long", "real config.json, max_model_len 131072", 2.32, 262144)
CASES += _speed_run_rows("qwen3-8b-long", "real config.json", 15.27, 145632)
CASES += _speed_run_rows("qwen3-30b-a3b-long", "real config.json", 56.88, 152912)
CASES += _speed_run_rows("llama31-70b-fp8-long", "real config.json", 67.75, 78640)
CASES += _speed_run_rows("llama31-8b-long-fp8kv", "real config.json, kv_cache_dtype fp8", 15.04, 196608)
CASES += _speed_run_rows("dsv2-lite-long", "real config.json (MLA MoE, bf16)", 29.34, 276160)
CASES += _speed_run_rows("llama31-8b-kv1-long", "Llama-3.1-8B's config with one KV head", 14.55, 524288)
CASES += _speed_run_rows("llama31-8b-kv2-long", "Llama-3.1-8B's config with two KV heads", 14.61, 262144)
CASES += _speed_run_rows("dsv3-24l-long", "DeepSeek-V3's config, 24 dense layers (MLA, block fp8)", 17.28, 310688,
                         weights_fixed_after="-4.5 % before vLLM's 16-bit copy of the fp8 kv_b_proj (W_UK/W_UV) "
                                             "was modelled")
CASES += _speed_run_rows("dsv3-24l-h64-long", "dsv3-24l with 64 heads", 14.97, 310688,
                         weights_fixed_after="-2.6 % before the same change (read with dsv3-24l's miss)")
# qwen25-7b-gptq (the same config without the list) is not a row: vLLM 0.26 picks the GPTQ layers to quantize from the safetensors' dtypes
# (auto_gptq.py maybe_update_config), and a config-only directory has none, so it loaded every layer in fp16


def error_pct(case: Case, value: float) -> Optional[float]:
    if case.engine_value == 0:
        return 0.0 if value == 0 else None
    return 100.0 * (value - case.engine_value) / abs(case.engine_value)

# llama.cpp / Ollama rows (owned by the llama.cpp planner; see tests/plan/llamacpp_accuracy_cases.py)
from tests.plan.llamacpp_accuracy_cases import llamacpp_cases  # noqa: E402

CASES += llamacpp_cases()
