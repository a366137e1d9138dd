"""The speed model (plan/speed_model.py): its record in every plan, its shape, and its error on the held-out
measurements of benchmarks/speed/runs.csv. Measured figures come from the table (device runs and public
rows, each with its source); nothing here times this machine."""
from __future__ import annotations

import copy
import dataclasses
import math
import os
import sys

import pytest

from llmdoctor.checkpoint import read_model
from llmdoctor.engines import make_plan
from llmdoctor.plan import speed_model as sm
from llmdoctor.plan import speed_params as SP
from llmdoctor.plan import target_what_if
from llmdoctor.plan.records import PlanRequest
from llmdoctor.plan.speed import gguf_format

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "benchmarks", "speed"))
import speedlib as L  # noqa: E402

# held-out decode runs that miss the 30 % target today, with why (benchmarks/speed/heldout.md); a new miss fails
KNOWN_MISSES = {
    "pub-ollama-rtx3050tilaptop-qwen3-1.7b",    # laptop GPU; its memory clock under load is not known
    # host-bound runs on the device host: the same point measured again lands within (by_point below)
    "vllm-h200-qwen3-14b-eager-decode-b1-c640-p0",      # 31.3 tok/s on 2026-12-01's host, 49.4 on 2026-12-02's
    "vllm-h200-vrun-gemma3-1b-decode-b1-c640-p0",       # 399 tok/s; 527-552 on four other runs
    # GTX 1050 Ti (llmfit, Xeon E5-2680 v4): all six read ~40 GB/s (tok/s x GB per token), what the host's DDR4
    # gives, not the card's 112 GB/s: the GPU was likely not used; the record does not say (+112..+247 %)
    "pub-llmfit-gtx1050ti-qwen3-0.6b-q4_k_m", "pub-llmfit-gtx1050ti-llama32-1b-q4_k_m",
    "pub-llmfit-gtx1050ti-gemma3-1b-q4_k_m", "pub-llmfit-gtx1050ti-qwen3-1.7b-q4_k_m",
    "pub-llmfit-gtx1050ti-llama32-3b-q4_k_m", "pub-llmfit-gtx1050ti-qwen3-4b-q4_k_m",
    # Ollama on a Tesla P40 (Pascal, 2025-02), Llama-3.2-3B Q4_K_M: +32 % (+76 % before Pascal's factor was
    # calibrated on six public 2024 P40 llama-bench rows of Llama-2-7B; the other four P40 rows are +13..+29 %)
    "pub-ollama-p40-llama32-3b",
    # vLLM eager Llama-3-8B (the table, 81 tok/s): -30 %; eager calibration runs moved 30-60 % with the host
    "issue-vllm-h200-llama3-8b-eager",
    # llama.cpp without CUDA graphs, Qwen3-0.6B Q8_0: +55 %; its repetitions spread 270-352 tok/s, and the same file
    # in run10 ran at 497 tok/s (-6 %); the point (the median of both) is within
    "llamacpp-h200-qwen3-0.6b-q8_0-decode-c64-eager-run7",
    # Gemma-3-1B Q8_0 on llama.cpp: +38-39 % with CUDA graphs in two runs (+31-32 % since mat-vec iterations count,
    # t_iter), so +36 % without (the step is the longer of the GPU's time and the launches). One feature changed at
    # a time (run11 "diag" files) moved it 1-8 %: its 262k vocabulary (Qwen3's: 503 tok/s against 468), the sliding
    # window (none: 475), 256-wide heads (128: 483). Nsight Compute (run12, ncu_kernels.py): its kernels take 2.93 ms
    # a step against Qwen3-1.7B's 2.62 with half the weight bytes: mat-vec over 1152-wide rows (two iterations, as
    # 2048-wide: output head 326 us for 321 MB, against 208 us for 331 MB), and 105 RMS norms a step (four per
    # layer) at 4.6 us each. Gemma-3-27B Q4_K_M, held out, is -0 % (decode) and +4 % (prompt): a cost of the 1B's shape
    "llamacpp-h200-gemma3-1b-q8_0-decode-c64-graphs-run10", "llamacpp-h200-gemma3-1b-q8_0-decode-c64-eager-run10",
    "llamacpp-h200-gemma3-1b-q8_0-decode-c64-graphs-run11",
    # llama.cpp builds of May 2024 (XiongjieDai's tables) on HBM cards. The same source's 57 rows on GDDR cards (39
    # of them on 2-8 GPUs) are all within (-14..+27 %), and so are its 70B Q4_K_M rows on A100/H100 (-3..+12 %) but
    # on four SXM4s.
    # What misses: Llama-3-8B on A100/H100 (+31..+44 % Q4_K_M, +58..+105 % F16 on one card), F16 at ~0.9-1.0 TB/s
    # where today's kernels are modelled at ~1.7, and four-GPU hosts (+0.4-0.9 ms a step per added GPU, against
    # a median 0.22 on the GDDR hosts). Build age or the A100/H100 themselves: these rows cannot tell which
    *{f"pub-xd-llamacpp-{g}x{n}-llama3-8b-{q}" for g in ("a10080gbpcie", "a10080gbsxm4", "h100pcie") for n in (1, 4)
      for q in ("q4_k_m", "f16")},
    "pub-xd-llamacpp-a10080gbpciex4-llama3-70b-f16", "pub-xd-llamacpp-a10080gbsxm4x4-llama3-70b-f16",
    "pub-xd-llamacpp-h100pciex4-llama3-70b-f16", "pub-xd-llamacpp-a10080gbsxm4x4-llama3-70b-q4_k_m",
    # vLLM 0.7.2 (V0 engine), QwQ-32B on "8*A100(80GB)", TP 2/4/8 at batch 1: +41/+87/+152 %. Beyond the weights at
    # 1.5 TB/s a step keeps 5.8, 9.1 and 10.4 ms: 45-81 us per all-reduce, NCCL-over-PCIe latencies, not NVLink's 8 us
    # (SXM4 or PCIe is not stated; planned as SXM4). The two PCIe 3090 Ti rows (TP 2 and 4, vLLM 0.5.3) are within
    "pub-vllm-a100x2-qwq-32b-tp2-b1", "pub-vllm-a100x4-qwq-32b-tp4-b1", "pub-vllm-a100x8-qwq-32b-tp8-b1",
    # gpt-oss-120b on A100 (the Aug-2025 gptoss image, Triton attention): 90 tok/s at TP 1 (+49 %), 77-78 at TP 2 and
    # 4 (+93/+117 %): more GPUs made it slower; the thread puts it on MoE layers with few experts per GPU. Not modelled
    "pub-vllm-a100x1-gpt-oss-120b-tp1", "pub-vllm-a100x2-gpt-oss-120b-tp2", "pub-vllm-a100x4-gpt-oss-120b-tp4",
}
# held-out points (the median of their runs) that miss, with why; a new miss fails
KNOWN_POINT_MISSES = {
    "aggregate": {
        "vllm-h200-gemma3-1b-aggregate-b32-c576-p0",    # Gemma 3 at batch 32-64: host work per step (two KV cache
        "vllm-h200-gemma3-1b-aggregate-b64-c576-p0",    # groups, a 262k vocabulary) not modelled; four runs agree
        # llama-server, 32 requests at once: the host's work per sequence rises from ~0.4 ms (up to 16) to ~0.64 ms
        "llamacpp-h200-llama-1b-q4_0-served-aggregate-b32", "llamacpp-h200-qwen3-8b-q4_k_m-served-aggregate-b32",
        "vllm-h200-dsv2-lite-long-aggregate-b8-c16448-p0",   # -36 %: MoE at 8 x 16K reads faster than modelled
        # QwQ-32B on "8*A100(80GB)", vLLM 0.7.2, 16 sequences: +50/+114/+207 % at TP 2/4/8, as its batch-1 rows
        "pub-vllm-a100x2-qwq-32b-tp2-b16", "pub-vllm-a100x4-qwq-32b-tp4-b16", "pub-vllm-a100x8-qwq-32b-tp8-b16",
    },
    "prefill": {
        # a 512-token prompt's time to first token is mostly host time here: 6-30 ms between runs of one model
        "vllm-h200-qwen3-8b-prefill-b1-c0-p512", "vllm-h200-gemma3-1b-prefill-b1-c0-p512",
        "vllm-h200-qwen3-0.6b-prefill-b1-c0-p512", "vllm-h200-qwen3-1.7b-prefill-b1-c0-p512",
        "vllm-h200-nemotron3-nano-30b-a3b-prefill-b1-c0-p2048",  # +32 %, one run
        "pub-llamacpp-rtx2080ti-llama2-13b-q4_k_m-pp512",       # Turing MMQ prefill, one public row
        "llamacpp-h200-gemma3-1b-q8_0-prefill-c0-graphs-run10",  # +57 %: Gemma 3 on llama.cpp, as its decode (above)
        # llama-bench pp512 of small Q4_K_M files: the first of three repetitions ran at 43-85 % of the others on
        # all eleven files of runs 3-4 and pulls the mean (llama-bench's figure) down
        "llamacpp-h200-qwen3-0.6b-q4_k_m-prefill-c0-run4", "llamacpp-h200-qwen3-4b-q8_0-prefill-c0",
        "llamacpp-h200-qwen3-0.6b-q4_0-prefill-c0-mv-run13",    # the same: 20649 then 45574, 45492 tok/s (+41 %)
        # the same class at the edge (+31 %, +30 %): +30 % and +25-29 % before the sixth session's calibration rows
        "llamacpp-h200-qwen3-0.6b-q8_0-prefill-c0-run3", "vllm-h200-qwen3-0.6b-prefill-b1-c0-p2048",
    },
}


def _plan(model, engine="vllm", gpu="H200", flags=None, count=1):
    return make_plan(target_what_if(gpu, None, count), read_model(os.path.join(ROOT, model)),
                     PlanRequest(engine=engine, flags=flags or {}), verify=False)


@pytest.fixture(scope="module")
def runs():
    return L.load_runs()


def test_every_row_has_a_role_a_source_and_a_command(runs):
    assert {r["role"] for r in runs} == {"calibration", "held-out", "excluded"}
    for r in runs:
        assert r["source"] and r["command"], r["id"]
        assert r["metric"] in ("decode", "aggregate", "prefill")
        assert r["harness"] in ("bench", "server", "generate", "unknown"), r["id"]
        if r["source"].startswith("device"):
            assert r["log"] and os.path.exists(os.path.join(ROOT, r["log"])), r["id"]
        if r["role"] == "excluded":
            assert r["note"], r["id"]
    ids = [r["id"] for r in runs]
    assert len(ids) == len(set(ids))
    for engine in ("vllm", "llamacpp"):
        roles = {r["role"] for r in runs if r["engine"] == engine}
        assert {"calibration", "held-out"} <= roles


def test_held_out_models_are_not_calibration_models(runs):
    """Whole cases are held out, never single points of a calibrated case. Two exceptions, named, on calibration
    models: 16 and 32 requests at once on llama-server hold out the server's per-sequence cost alone; decode at
    16K-123K tokens of context ("-long" cases) holds out the KV-read and long-prompt attention terms alone."""
    key = lambda r: (r["engine"], r["gpu"], r["model"], r["file_type"], r["flags"].get("enforce_eager", False))
    served_only = lambda r: r["harness"] == "server" and r["batch"] > 8
    long_mode = lambda r: "-long" in r["id"]
    cal = {key(r) for r in runs if r["role"] == "calibration" and r["source"].startswith("device")}
    held = {key(r) for r in runs if r["role"] == "held-out" and r["source"].startswith("device")
            and not served_only(r) and not long_mode(r)}
    assert not cal & held
    one_file = {("llamacpp", "H200 SXM", "benchmarks/speed/models/llama32-1b", "Q4_0", False)}
    assert cal & {key(r) for r in runs if r["role"] == "held-out" and served_only(r)} == one_file
    vllm = lambda m: ("vllm", "H200 SXM", "benchmarks/speed/models/" + m, "", False)
    assert cal & {key(r) for r in runs if r["role"] == "held-out" and long_mode(r)} == one_file | {
        vllm("llama31-8b"), vllm("dsv2-lite"), vllm("qwen3-30b-a3b"), vllm("llama31-70b-fp8")}


def test_the_fit_ignores_held_out_rows(runs):
    import fit
    rows, _ = fit.llamacpp_split(runs)
    before = copy.deepcopy(SP.PARAMS["llamacpp"])
    peak = SP.ETA_PEAK
    try:
        p = fit.fit_engine("llamacpp", rows, copy.deepcopy(SP.PARAMS["llamacpp"]), cv_spread=False)
        tampered = [dict(r, measured=r["measured"] * 3) if r["role"] == "held-out" else r for r in runs]
        q = fit.fit_engine("llamacpp", fit.llamacpp_split(tampered)[0], copy.deepcopy(SP.PARAMS["llamacpp"]),
                           cv_spread=False)
    finally:
        SP.ETA_PEAK = peak
    assert p["t_layer"] == pytest.approx(q["t_layer"]) and p["cap_w"] == pytest.approx(q["cap_w"])
    # the stored constants are the fit of the calibration rows (refit from them moves nothing much)
    assert p["t_layer"] == pytest.approx(before["t_layer"], rel=0.05)


def test_held_out_decode_error_meets_the_target(runs):
    rows = [r for r in runs if r["role"] == "held-out" and r["metric"] == "decode"]
    errs = {r["id"]: L.predict(r) / r["measured"] - 1 for r in rows}
    misses = {k for k, e in errs.items() if abs(e) > L.TOLERANCE}
    assert misses <= KNOWN_MISSES, sorted(misses - KNOWN_MISSES)
    assert len(rows) >= 30 and len(misses) / len(rows) <= 0.15
    for engine in ("vllm", "sglang", "llamacpp", "ollama"):
        assert any(r["engine"] == engine for r in rows), engine


def _point_misses(runs, metric) -> set[str]:
    """Held-out points of a metric whose median over repeated runs misses the target (named by their first run)."""
    held = [r for r in runs if r["role"] == "held-out" and r["metric"] == metric]
    return {g[0]["id"] for g, median in L.points(held) if abs(L.predict(g[0]) / median - 1) > L.TOLERANCE}


@pytest.mark.parametrize("metric", ["aggregate", "prefill"])
def test_held_out_aggregate_and_prefill_points(runs, metric):
    ids = {r["id"] for r in runs}
    assert KNOWN_POINT_MISSES[metric] <= ids
    misses = _point_misses(runs, metric)
    assert misses <= KNOWN_POINT_MISSES[metric], sorted(misses - KNOWN_POINT_MISSES[metric])


def test_repeated_runs_count_once_in_the_fit(runs):
    """A point measured five times weighs as one measurement: the repeats' weights sum to one."""
    import fit
    rows = [r for r in runs if r["role"] == "calibration" and r["engine"] == "vllm"]
    p = copy.deepcopy(SP.PARAMS["vllm"])
    res = fit.residuals(rows, p)
    one = [r for r in rows if r["id"] == "vllm-h200-llama32-1b-decode-b1-c640-p0"][0]
    same = [i for i, r in enumerate(rows) if L.point(r) == L.point(one)]
    assert len(same) >= 5
    logs = [abs(math.log(L.predict(rows[i], p) / rows[i]["measured"])) for i in same]
    weights = [(res[i] / x) ** 2 / fit.WEIGHT["decode"] for i, x in zip(same, logs) if x]
    assert sum(weights) == pytest.approx(1.0 * len(weights) / len(same))


def test_every_plan_carries_the_speed_record():
    plan = _plan("fixtures/models/meta-llama--Llama-3.1-8B")
    sp = plan.speed
    assert sp is not None and plan.decode_tokens_per_s == sp.decode_tokens_per_s
    assert sp.decode_low < sp.decode_tokens_per_s < sp.decode_high < sp.decode_upper_bound
    assert sp.concurrency > 1 and sp.aggregate_tokens_per_s > sp.decode_tokens_per_s
    assert sp.prefill_tokens_per_s and plan.prefill_tokens_per_s == sp.prefill_tokens_per_s
    assert 0 < sp.ttft_low_s <= sp.ttft_s <= sp.ttft_high_s
    assert "vLLM CUDA graphs" in sp.kernel_path and sp.calibration
    assert any(a.startswith("range:") for a in sp.assumptions)


def test_a_drafter_is_said_to_be_left_out_of_the_decode_figure():
    """Speculative decoding's gain depends on how many drafts the prompts accept: the figure is the target's."""
    model = "fixtures/models/Qwen--Qwen3.6-35B-A3B"
    plain = _plan(model, flags={"max_model_len": 8192})
    mtp = _plan(model, flags={"max_model_len": 8192,
                              "speculative_config": {"method": "mtp", "num_speculative_tokens": 3}})
    said = [a for a in mtp.speed.assumptions if a.startswith("speculative decoding (mtp, 3 tokens)")]
    assert said and not any(a.startswith("speculative decoding") for a in plain.speed.assumptions)
    eagle = _plan(model, engine="sglang", flags={"context_length": 8192, "speculative_algorithm": "EAGLE"})
    assert any(a.startswith("speculative decoding (EAGLE)") for a in eagle.speed.assumptions)


def test_mla_prefill_attends_in_the_materialized_form_on_vllm_only():
    """vLLM prefills MLA as MHA with qk_nope + qk_rope and v_head_dim per head; llama.cpp stays latent."""
    model = read_model(os.path.join(ROOT, "benchmarks", "speed", "models", "moonlight-16b-a3b"))
    mla = [l for l in model.spec.layers if l.kind == "mla"]
    heads = model.spec.num_attention_heads
    assert sm.attention_flops_per_ctx(model, mla_materialized=True) == 2 * heads * (128 + 64 + 128) * len(mla)
    assert sm.attention_flops_per_ctx(model) == 2 * heads * (512 + 64 + 512) * len(mla)
    vllm = _plan("benchmarks/speed/models/moonlight-16b-a3b")
    x = L.inputs_for({"engine": "vllm", "gpu": "H200 SXM", "gpu_vram_gib": "", "gpu_bandwidth_gbs": "",
                      "model": "benchmarks/speed/models/moonlight-16b-a3b", "file_type": "", "flags": {}, "harness": "generate"})
    assert x.attn_flops_per_ctx == sm.attention_flops_per_ctx(model, mla_materialized=True)
    assert vllm.speed.prefill_tokens_per_s


def test_eager_is_slower_and_less_certain_than_cuda_graphs():
    graphs = _plan("fixtures/models/meta-llama--Llama-3.1-8B").speed
    eager = _plan("fixtures/models/meta-llama--Llama-3.1-8B", flags={"enforce_eager": True}).speed
    assert eager.decode_tokens_per_s < graphs.decode_tokens_per_s / 2
    assert eager.decode_high / eager.decode_low > graphs.decode_high / graphs.decode_low
    assert "eager" in eager.kernel_path


def test_speed_scales_with_bandwidth_and_context():
    m = read_model(os.path.join(ROOT, "fixtures/models/Qwen--Qwen3-8B"))
    x = sm.SpeedInputs(engine="vllm", weight_format="bf16", bandwidth=1e12, memory_class="gddr",
                       dense_bytes=16e9, kv_bytes_per_token=147456, num_layers=36, active_params=8e9,
                       attn_flops_per_ctx=sm.attention_flops_per_ctx(m), flops=165e12, context=4096, concurrency=32)
    fast = dataclasses.replace(x, bandwidth=2e12)
    assert sm.step_seconds(fast, 1, 4096) < sm.step_seconds(x, 1, 4096)
    assert sm.step_seconds(x, 1, 32768) > sm.step_seconds(x, 1, 512)
    assert 32 / sm.step_seconds(x, 32, 4096) > 8 / sm.step_seconds(x, 8, 4096) > 1 / sm.step_seconds(x, 1, 4096)
    assert sm.prefill_seconds(x, 8192) > sm.prefill_seconds(x, 1024)


def test_moe_reads_only_the_picked_experts_at_batch_one():
    moe = _plan("fixtures/models/Qwen--Qwen3-30B-A3B").speed
    dense = _plan("fixtures/models/Qwen--Qwen3-32B").speed
    assert moe.decode_tokens_per_s > 2 * dense.decode_tokens_per_s
    assert "MoE" in moe.kernel_path


def test_sglang_borrows_vllms_calibration_with_a_wider_range():
    v = _plan("fixtures/models/Qwen--Qwen3-8B").speed
    s = _plan("fixtures/models/Qwen--Qwen3-8B", engine="sglang").speed
    assert s.decode_high / s.decode_low > v.decode_high / v.decode_low
    assert any("SGLang" in a for a in s.assumptions)


def test_gpu_without_flops_has_decode_but_no_prefill():
    plan = _plan("fixtures/models/Qwen--Qwen3-8B", engine="llamacpp", gpu="Jetson AGX Thor", flags={"quant": "Q5_K_M"})
    assert plan.speed.decode_tokens_per_s and plan.speed.prefill_tokens_per_s is None
    assert any("LPDDR" in a or "lpddr" in a for a in [plan.speed.kernel_path] + plan.speed.assumptions)


def test_llamacpp_offload_to_cpu_is_slow_and_says_so():
    full = _plan("fixtures/models/meta-llama--Llama-3.1-8B", engine="llamacpp", gpu="RTX 3090", flags={"quant": "Q4_K_M"})
    part = _plan("fixtures/models/meta-llama--Llama-3.1-8B", engine="llamacpp", gpu="RTX 3090",
                 flags={"quant": "Q4_K_M", "n_gpu_layers": 16})
    assert part.speed.decode_tokens_per_s < full.speed.decode_tokens_per_s / 2
    assert any("CPU memory" in a for a in part.speed.assumptions)


@pytest.mark.parametrize("name,fmt", [("Q4_K_M", "q4_k"), ("UD-Q2_K_XL", "q2_k"), ("IQ4_XS", "iq4_xs"),
                                      ("Q8_0", "q8_0"), ("BF16", "bf16"), ("Q5_K_M", "q5_k"), ("MXFP4", "mxfp4")])
def test_gguf_formats(name, fmt):
    assert gguf_format(name) == fmt


def test_a_llamacpp_server_pays_host_work_per_sequence(runs):
    """llama-server samples every sequence's token on the host: its step is llama-bench's plus t_serve per
    sequence. vLLM's calibration runs sample already (LLM.generate): no such term."""
    served = next(r for r in runs if r["id"] == "llamacpp-h200-llama-1b-q4_0-served-decode")
    x = L.inputs_for(served)
    bare = dataclasses.replace(x, served=False)
    t = SP.PARAMS["llamacpp"]["t_serve"]
    for batch in (1, 4, 16):
        assert sm.step_seconds(x, batch, 512) - sm.step_seconds(bare, batch, 512) == pytest.approx(batch * t)
    v = L.inputs_for(next(r for r in runs if r["engine"] == "vllm" and r["harness"] == "generate"))
    assert sm.step_seconds(v, 1, 512) == sm.step_seconds(dataclasses.replace(v, served=False), 1, 512)
    plan = _plan("fixtures/models/meta-llama--Llama-3.1-8B", engine="llamacpp", flags={"quant": "Q4_K_M"})
    assert any("host work" in a for a in plan.speed.assumptions)


def test_the_serving_cost_comes_from_pairs_of_one_file_in_one_run(runs):
    import fit
    bench, served = fit.llamacpp_split(runs)
    assert len(served) >= 3
    t = fit.serving_cost(served, bench, SP.PARAMS["llamacpp"])
    assert t == pytest.approx(SP.PARAMS["llamacpp"]["t_serve"], rel=0.02)
    assert 1e-4 < t < 2e-3
    with pytest.raises(SystemExit):       # a served row without llama-bench on its file in its run
        fit.serving_cost([dict(served[0], log="fixtures/logs/speed/llamacpp/lcpp-run5.log")], bench, SP.PARAMS["llamacpp"])


def test_llamacpp_mmq_above_eight_sequences_is_no_faster_per_step_than_eight(runs):
    """Above 8 sequences llama.cpp leaves its mat-vec kernels for MMQ: a 16-sequence step is not cheaper than an
    8-sequence one (H200, llama-batched-bench: 8.60 and 8.13 ms for Llama-3.1-8B Q4_K_M)."""
    _, x = L.plan_capturing(target_what_if("H200", None, 1),
                            read_model(os.path.join(ROOT, "benchmarks/speed/models/llama31-8b")),
                            PlanRequest(engine="llamacpp", flags={"quant": "Q4_K_M"}), verify=False)
    x = dataclasses.replace(x, served=False)
    steps = {b: sm.step_seconds(x, b, 576) for b in (1, 8, 9, 16, 32)}
    assert steps[1] < steps[8] < steps[32]
    assert steps[9] > 0.85 * steps[8] and steps[16] > 0.85 * steps[8]
    # against llama-batched-bench's own figures (fixtures/logs/speed/llamacpp/lcpp-run6.log): the 16/8 step ratio
    measured = {r["batch"]: r["batch"] / r["measured"] for r in runs
                if r["id"] in ("llamacpp-h200-llama-8b-q4_k_m-aggregate-b8-run6",
                               "llamacpp-h200-llama-8b-q4_k_m-aggregate-b16-run6")}
    assert steps[16] / steps[8] == pytest.approx(measured[16] / measured[8], rel=0.15)


def test_llamacpp_prefill_ceiling_applies_on_hbm_only():
    """cap_pf is the H200's MMQ ceiling (no wgmma there); a GDDR card's prefill is its efficiency x its FLOPs."""
    p = SP.PARAMS["llamacpp"]
    x = sm.SpeedInputs(engine="llamacpp", weight_format="q4_0", bandwidth=1e12, memory_class="gddr", flops=1e16)
    assert sm.prefill_flops(x, p) == pytest.approx(p["eta_pf"]["all"] * 1e16)
    hbm = dataclasses.replace(x, memory_class="hbm")
    assert sm.prefill_flops(hbm, p) == pytest.approx(p["cap_pf"]["q4_0"] * 1e12)


def test_backend_sampling_is_named_in_the_speed_record():
    plain = _plan("fixtures/models/meta-llama--Llama-3.1-8B", engine="llamacpp", flags={"quant": "Q4_K_M"})
    gpu = _plan("fixtures/models/meta-llama--Llama-3.1-8B", engine="llamacpp",
                flags={"quant": "Q4_K_M", "backend_sampling": True})
    assert not any("--backend-sampling" in a for a in plain.speed.assumptions)
    assert any("--backend-sampling" in a for a in gpu.speed.assumptions)


def test_backend_sampling_in_a_launch_command_is_understood():
    from llmdoctor.engines.command import parse_command
    cmd = parse_command(["llama-server", "-m", "x.gguf", "-bs"])
    assert cmd.flags.get("backend_sampling") is True and not cmd.unknown_flags


def test_llamacpp_below_volta_runs_without_cuda_graphs_and_says_so():
    """ggml-cuda.cu (0c1e57098) captures no CUDA graphs below compute capability 7.0: a Pascal card's plan is
    marked, its per-layer cost is not below the graphed one, and its range is wider."""
    pascal = _plan("fixtures/models/Qwen--Qwen3-8B", engine="llamacpp", gpu="Tesla P40", flags={"quant": "Q4_K_M"})
    turing = _plan("fixtures/models/Qwen--Qwen3-8B", engine="llamacpp", gpu="RTX 2080 Ti", flags={"quant": "Q4_K_M"})
    assert "no CUDA graphs" in pascal.speed.kernel_path and "no CUDA graphs" not in turing.speed.kernel_path
    width = lambda s: s.decode_high / s.decode_low
    assert width(pascal.speed) > width(turing.speed)
    assert any("compute capability 6.1" in a for a in pascal.speed.assumptions)


def _h200_inputs(model, engine="vllm", flags=None):
    _, x = L.plan_capturing(target_what_if("H200", None, 1), read_model(os.path.join(ROOT, model)),
                            PlanRequest(engine=engine, flags=flags or {}), verify=False)
    return dataclasses.replace(x, served=False) if engine == "llamacpp" else x


@pytest.mark.parametrize("shape,model,quant,role", [
    ("llama-1b", "llama32-1b", "q4_0", "calibration"), ("llama-8b", "llama31-8b", "q4_0", "calibration"),
    ("qwen3-8b", "qwen3-8b", "q4_k_m", "held-out")])
def test_llamacpp_without_graphs_is_bound_by_the_host_on_small_models_only(runs, shape, model, quant, role):
    """Without CUDA graphs the host launches a layer's kernels while the GPU runs the last ones: a 1B step waits
    for the host, an 8B one hardly (llama-bench tg128 with and without GGML_CUDA_DISABLE_GRAPHS=1, one call:
    lcpp-run7.log; 1001 -> 806 and 337 -> 310 tok/s)."""
    by_id = {r["id"]: r for r in runs}
    graphs, eager = (by_id[f"llamacpp-h200-{shape}-{quant}-decode-c64-{t}-run7"] for t in ("graphs", "eager"))
    assert eager["role"] == graphs["role"] == role
    x = _h200_inputs(f"benchmarks/speed/models/{model}", "llamacpp", {"quant": quant.upper()})
    no_graphs = dataclasses.replace(x, eager=True)
    assert sm.step_seconds(no_graphs, 1, 64) >= sm.step_seconds(x, 1, 64)
    assert 1 / sm.step_seconds(no_graphs, 1, 64) == pytest.approx(eager["measured"], rel=0.12)


def test_llamacpp_without_graphs_waits_on_the_graphs_operations_not_its_layers(runs):
    """Qwen3.5-0.8B (24 layers, 18 of them Gated DeltaNet: 900 graph operations) ran slower without CUDA graphs than
    Qwen3-0.6B (28 layers, 650 operations): the host launches operations, and a layer's count differs by kind
    (run10, one call; a per-layer launch cost had the 0.8B 80 % too fast)."""
    by_id = {r["id"]: r for r in runs}
    measured, predicted = {}, {}
    for shape, model in (("qwen35-0.8b", "qwen35-0.8b"), ("qwen3-0.6b", "qwen3-0.6b")):
        measured[shape] = by_id[f"llamacpp-h200-{shape}-q8_0-decode-c64-eager-run10"]["measured"]
        x = dataclasses.replace(_h200_inputs(f"benchmarks/speed/models/{model}", "llamacpp", {"quant": "Q8_0"}),
                                eager=True)
        predicted[shape] = 1 / sm.step_seconds(x, 1, 64)
        assert x.graph_nodes > 20 * x.num_layers
    assert measured["qwen35-0.8b"] < 0.7 * measured["qwen3-0.6b"]
    assert predicted["qwen35-0.8b"] < 0.8 * predicted["qwen3-0.6b"]


def test_long_context_kv_is_read_near_the_bandwidth_peak(runs):
    """vLLM on an H200 read Llama-3.1-8B's KV at ~4.3 TB/s between 16K and 123K tokens of context (the step
    grew 3.3 ms for 14 GB); the model's first KV ceiling, fitted on contexts up to 8K, had it at 1.8 TB/s."""
    by_id = {r["id"]: r for r in runs}
    short, long = (by_id[f"vllm-h200-llama31-8b-long-decode-b1-c{c}-p0"] for c in (16512, 123008))
    x = _h200_inputs("benchmarks/speed/models/llama31-8b", flags={"max_model_len": 131072})
    model = sm.step_seconds(x, 1, 123008) - sm.step_seconds(x, 1, 16512)
    measured = 1 / long["measured"] - 1 / short["measured"]
    assert (123008 - 16512) * x.kv_bytes_per_token / measured > 4.0e12
    assert model == pytest.approx(measured, rel=0.15)


def test_prefill_attention_runs_in_16_bits_whatever_the_weights():
    """An fp8 model's GEMMs run at the fp8 rate, its attention in bf16: a long prompt's attention time does not
    halve with fp8 weights (vLLM, H200: Llama-3.1-70B fp8 at 32K-64K tokens, held out, were +30 % and +47 % with
    attention at the fp8 rate)."""
    x = sm.SpeedInputs(engine="vllm", weight_format="fp8", bandwidth=4.8e12, memory_class="hbm",
                       attn_flops_per_ctx=2.6e6, flops=1.98e15, attn_flops=0.99e15)
    doubled = dataclasses.replace(x, flops=3.96e15)
    assert sm.prefill_seconds(x, 65536) == pytest.approx(sm.prefill_seconds(doubled, 65536))
    assert sm.prefill_seconds(dataclasses.replace(x, attn_flops=1.98e15), 65536) < sm.prefill_seconds(x, 65536)


def test_vllm_hides_its_host_work_behind_the_gpu_in_part(runs):
    """vLLM 0.26 schedules asynchronously: a step is the longer of host and GPU work plus a fitted share of the
    shorter. Llama-3.2-1B (calibration runs) decoded at 524, 491, 466 tok/s at 16K, 64K, 123K tokens, although
    its KV read grows ~0.9 ms a step over that span: the host's work hides it. The sum of both, with the same
    constants, would be 30 % slow at 123K."""
    p = SP.PARAMS["vllm"]
    assert 0.0 < p["serial_share"] < 1.0
    x = _h200_inputs("benchmarks/speed/models/llama32-1b", flags={"max_model_len": 131072})
    measured = {r["id"]: r["measured"] for r in runs}["vllm-h200-llama32-1b-long-decode-b1-c123008-p0"]
    overlapped = 1 / sm.step_seconds(x, 1, 123008, p)
    summed = 1 / sm.step_seconds(x, 1, 123008, dict(p, serial_share=1.0))
    assert overlapped == pytest.approx(measured, rel=0.15)
    assert summed < 0.8 * measured


def test_fa3_keeps_a_fraction_of_the_sms_busy_at_batch_one():
    """flash-attention's split heuristic (hopper/heuristics.h), worked by hand for 132 SMs and vLLM's 32-split
    cap: one 64-row query tile takes the fewest splits within 85 % of the best wave efficiency (32/132): 28;
    two tiles 28 each; eight tiles 14 each (112 CTAs); 106 tiles or more fill 80 % of the SMs and are not split."""
    assert sm.fa3_busy_fraction(1, 132) == pytest.approx(28 / 132)
    assert sm.fa3_busy_fraction(2, 132) == pytest.approx(56 / 132)
    assert sm.fa3_busy_fraction(8, 132) == pytest.approx(112 / 132)
    assert sm.fa3_busy_fraction(106, 132) == 1.0


def test_hopper_sm_count_matches_a_real_h200():
    """The SM count FA3's occupancy is worked from (and the plan prints) against torch's device properties and
    nvidia-smi on the device's H200 (fixtures/machines/h200-torch-device-properties.txt)."""
    import re
    text = open(os.path.join(ROOT, "fixtures/machines/h200-torch-device-properties.txt")).read()
    sms = int(re.search(r"multi_processor_count=(\d+)", text).group(1))
    cc = re.search(r"NVIDIA H200, (\d+)\.(\d+),", text)
    real = dataclasses.make_dataclass("Gpu", ["name", "cc_major"])("NVIDIA H200", int(cc.group(1)))
    assert sm.hopper_sm_count(real) == sms == 132
    assert sm.hopper_sm_count(target_what_if("H200", None, 1).gpus[0]) == sms


def test_mla_decode_on_hopper_is_modelled_and_elsewhere_flagged(runs):
    """vLLM on an H200 decodes MLA with FA3 at the tensor cores of the SMs it keeps busy (eta_mla fitted on the
    128-head dsv3-24l calibration run); the held-out 16-head DeepSeek-V2-Lite at 123K tokens (169 tok/s) is
    within the target, where reading its KV at GQA's rate gave +50 %. SGLang (other kernels, unmeasured) keeps the
    note that its long-context figure is high; a short context and a GQA model carry none."""
    said = lambda plan: any(a.startswith("MLA at a long context") for a in plan.speed.assumptions)
    vllm = _plan("benchmarks/speed/models/dsv2-lite", flags={"max_model_len": 131072})
    assert not said(vllm)
    measured = {r["id"]: r["measured"] for r in runs}["vllm-h200-dsv2-lite-long-decode-b1-c123008-p0"]
    x = L.inputs_for(next(r for r in runs if r["id"] == "vllm-h200-dsv2-lite-long-decode-b1-c123008-p0"))
    assert x.sm_count == 132 and x.mla_tiles == 1
    assert abs(1 / sm.step_seconds(x, 1, 123008) / measured - 1) <= L.TOLERANCE
    assert 1 / sm.step_seconds(dataclasses.replace(x, sm_count=None), 1, 123008) > 1.4 * measured
    assert said(_plan("benchmarks/speed/models/dsv2-lite", engine="sglang", flags={"context_length": 65536}))
    assert not said(_plan("benchmarks/speed/models/dsv2-lite", engine="sglang", flags={"context_length": 8192}))
    assert not said(_plan("benchmarks/speed/models/llama31-8b", flags={"max_model_len": 65536}))


def test_few_kv_heads_read_the_kv_cache_slower_on_vllm_hopper(runs):
    """FA3 splits each KV head's tile over at most 32 CTAs: one or two KV heads at batch 1 leave most of an H200's
    SMs idle (measured: ~1.8 and ~2.6 TB/s against ~4.3 with eight). The share is full with eight KV heads or
    with enough sequences, smaller with fewer heads; the held-out one-KV-head run is within the target."""
    byid = {r["id"]: r for r in runs}
    x1 = L.inputs_for(byid["vllm-h200-llama31-8b-kv1-long-decode-b1-c123008-p0"])
    x2 = L.inputs_for(byid["vllm-h200-llama31-8b-kv2-long-decode-b1-c123008-p0"])
    x8 = L.inputs_for(byid["vllm-h200-llama31-8b-long-decode-b1-c123008-p0"])
    p = SP.PARAMS["vllm"]
    assert (x1.kv_tiles, x2.kv_tiles, x8.kv_tiles) == (1, 2, 8)
    assert sm.fa3_kv_share(x1, 1, p) < sm.fa3_kv_share(x2, 1, p) < sm.fa3_kv_share(x8, 1, p) == 1.0
    assert sm.fa3_kv_share(x1, 8, p) == 1.0
    r = byid["vllm-h200-llama31-8b-kv1-long-decode-b1-c123008-p0"]
    assert abs(L.predict(r) / r["measured"] - 1) <= L.TOLERANCE
    # KV heads per tensor-parallel rank, at least one (vLLM replicates them past TP = KV heads)
    llama = read_model(os.path.join(ROOT, "benchmarks/speed/models/llama31-8b"))
    assert [sm.gqa_decode_tiles(llama, tp) for tp in (1, 2, 8, 16)] == [8, 4, 1, 1]
    # the plan says so where SMs sit idle, and only there
    fa3 = lambda model: [a for a in _plan(model).speed.assumptions if a.startswith("FA3 decode keeps")]
    assert "56 of the GPU's 132 SMs" in fa3("benchmarks/speed/models/llama31-8b-kv2")[0]
    assert fa3("benchmarks/speed/models/llama31-8b") == []


def test_pascal_is_calibrated_apart_and_its_held_out_rows_follow(runs):
    """llama.cpp on a P40 streams its weights at a fraction of what newer cards reach (arch_factor, fitted on six
    public P40 llama-bench rows), 2- and 3-bit K-quants at a smaller one. Without it the held-out Ollama P40 rows
    were +53..+76 %; with it four of five are within the target."""
    p = SP.PARAMS["llamacpp"]
    assert 0.2 < p["arch_factor"]["pascal-lowk"] < p["arch_factor"]["pascal"] < 1.0
    p40 = [r for r in runs if r["id"].startswith("pub-ollama-p40-")]
    errs = [L.predict(r) / r["measured"] - 1 for r in p40]
    assert len(p40) == 5 and sum(abs(e) <= L.TOLERANCE for e in errs) >= 4
    bare = dict(p, arch_factor={})
    assert all(L.predict(r, bare) > 1.4 * r["measured"] for r in p40)


def test_gated_deltanet_layers_cost_llamacpp_time_per_layer(runs):
    """Qwen3.5's linear-attention layers run more kernels than a transformer layer: t_layer_linear (fitted on the
    0.8B calibration files) takes the held-out Qwen3.5-35B-A3B from +51 % to within the target, and without it
    the held-out dense 27B would read faster than measured."""
    byid = {r["id"]: r for r in runs}
    for rid in ("llamacpp-h200-qwen35moe-35b-a3b-q4_k_m-decode-c64-run7", "llamacpp-h200-qwen35-27b-q4_k_m-decode-c64-gdn-run9"):
        r = byid[rid]
        x = L.inputs_for(r)
        assert x.linear_layers == {"Qwen--Qwen3.5-35B-A3B": 30, "Qwen--Qwen3.5-27B": 48}[r["model"].split("/")[-1]]
        assert abs(L.predict(r) / r["measured"] - 1) <= L.TOLERANCE
        assert 1 / sm.step_seconds(dataclasses.replace(x, linear_layers=0), 1, r["context"]) > r["measured"]


def test_a_plan_quotes_decode_at_its_longest_context_too(runs):
    """Reading the KV cache slows each step as the context grows: a plan allowing 131K tokens quotes one stream
    there as well (vLLM, H200, Llama-3.1-8B: 116.4 tok/s measured at 123K, a calibration run), and a plan whose
    longest context is the quoted one carries no second figure."""
    long = _plan("benchmarks/speed/models/llama31-8b", flags={"max_model_len": 131072}).speed
    assert long.max_context == 131072 and long.context == 4096
    assert long.decode_at_max_low < long.decode_at_max_tokens_per_s < long.decode_at_max_high
    assert long.decode_at_max_tokens_per_s < 0.7 * long.decode_tokens_per_s
    measured = {r["id"]: r["measured"] for r in runs}["vllm-h200-llama31-8b-long-decode-b1-c123008-p0"]
    assert long.decode_at_max_low < measured < long.decode_at_max_high
    short = _plan("benchmarks/speed/models/llama31-8b", flags={"max_model_len": 4096}).speed
    assert short.decode_at_max_tokens_per_s is None and short.max_context == 4096
    gguf = _plan("fixtures/models/meta-llama--Llama-3.1-8B", engine="llamacpp",
                 flags={"quant": "Q4_K_M", "ctx_size": 65536}).speed
    assert gguf.max_context == 65536 and gguf.decode_at_max_tokens_per_s < gguf.decode_tokens_per_s


@pytest.mark.parametrize("gpu,engine,flags,link", [
    ("H100 SXM5", "vllm", {"tensor_parallel_size": 4}, "nvlink"), ("H100 SXM5", "sglang", {"tp_size": 4}, "nvlink"),
    ("B200", "vllm", {"tensor_parallel_size": 4}, "nvlink"), ("H100 PCIe", "vllm", {"tensor_parallel_size": 4}, "pcie"),
    ("H100 NVL", "sglang", {"tp_size": 4}, "pcie")])
def test_tensor_parallel_on_an_sxm_board_runs_over_nvlink(gpu, engine, flags, link):
    """A what-if SXM machine is an HGX/DGX board whose NVLink is wired; bridged PCIe cards stay on PCIe. SGLang's
    plan asks the same question as vLLM's (it used to assume PCIe everywhere)."""
    _, x = L.plan_capturing(target_what_if(gpu, None, 4),
                            read_model(os.path.join(ROOT, "fixtures/models/meta-llama--Llama-3.1-70B")),
                            PlanRequest(engine=engine, flags=flags), verify=False)
    assert x.tp == 4 and x.link == link


def test_a_what_if_h200_board_has_the_nvlink_a_real_one_reported():
    """The links a what-if SXM GPU is given match what NVML reported on a real 2x H200 board
    (fixtures/machines/h200-x2-nvlink-live.json, llmdoctor probe --record)."""
    from llmdoctor.probes.replay import load_machine
    live = load_machine(os.path.join(ROOT, "fixtures", "machines", "h200-x2-nvlink-live.json"))
    what_if = target_what_if("H200 SXM", None, 2)
    assert [(g.nvlink.active_links, g.nvlink.version) for g in what_if.gpus] == \
        [(g.nvlink.active_links, g.nvlink.version) for g in live.gpus]


def test_a_block_fp8_plan_on_hopper_says_its_batches_assume_deepgemm():
    """vLLM's block-fp8 GEMMs batched on CUTLASS's block-scaled kernel (VLLM_USE_DEEP_GEMM=0) cost ~1 ms a step per
    added sequence (dsv3-24l-batch-r2); the planner models DeepGEMM, and the plan says so where it batches."""
    fp8 = _plan("benchmarks/speed/models/dsv3-24l", flags={"max_model_len": 8192})
    bf16 = _plan("benchmarks/speed/models/llama31-8b", flags={"max_model_len": 8192})
    assert any("DeepGEMM" in a for a in fp8.speed.assumptions)
    assert not any("DeepGEMM" in a for a in bf16.speed.assumptions)


def test_the_cutlass_block_fp8_step_times_the_plan_prints_are_the_measured_ones(runs):
    from llmdoctor.plan.speed import CUTLASS_BLOCK_FP8_STEP_MS
    by_id = {r["id"]: r for r in runs}
    for b, ms in CUTLASS_BLOCK_FP8_STEP_MS.items():
        kind = "decode-b1-c1152" if b == 1 else f"aggregate-b{b}-c1088"
        row = by_id[f"vllm-h200-dsv3-24l-batch-r2-{kind}-p0"]
        assert "CutlassFp8BlockScaledMMKernel" in open(os.path.join(ROOT, row["log"])).read()
        assert 1000 * b / row["measured"] == pytest.approx(ms, abs=0.05)



def test_a_multi_gpu_row_is_planned_on_all_its_gpus(runs):
    """'4x RTX A6000' is four cards: a 70B F16 that needs them runs on the GPUs, not from CPU memory; a vLLM row's
    tensor-parallel size reaches the speed model's all-reduces."""
    by_id = {r["id"]: r for r in runs}
    four = by_id["pub-xd-llamacpp-rtxa6000x4-llama3-70b-f16"]
    assert L.gpu_count(four) == ("RTX A6000", 4)
    one = dict(four, id="one-card", gpu="RTX A6000")
    assert L.inputs_for(four).host_seconds == 0 < L.inputs_for(one).host_seconds
    assert L.predict(four) > 3 * L.predict(one)
    tp = by_id["pub-vllm-3090tix4-llama31-70b-awq-tp4"]
    assert L.gpu_count(tp) == ("RTX 3090 Ti", 4) and L.inputs_for(tp).tp == 4
    assert L.inputs_for(tp).link == "pcie"


def test_a_layer_split_says_its_hand_overs_are_not_counted():
    one = _plan("fixtures/models/meta-llama--Llama-3.1-70B", engine="llamacpp", gpu="RTX A6000", flags={"quant": "Q4_K_M"})
    two = _plan("fixtures/models/meta-llama--Llama-3.1-70B", engine="llamacpp", gpu="RTX 3090", count=2,
                flags={"quant": "Q4_K_M"})
    assert not any("layer split" in a for a in one.speed.assumptions)
    assert any("layer split over 2 GPUs" in a for a in two.speed.assumptions)


def test_the_layer_split_cost_a_plan_quotes_is_the_median_of_the_public_pairs(runs):
    """(1/tok_s on n GPUs - 1/tok_s on one) / (n - 1), for each GDDR host of XiongjieDai's tables with both."""
    import statistics
    from llmdoctor.plan.speed import LAYER_SPLIT_MS_PER_GPU
    xd = [r for r in runs if r["id"].startswith("pub-xd-") and not any(k in r["id"] for k in ("a100", "h100"))]
    key = lambda r: (L.gpu_count(r)[0], r["model"], r["file_type"])
    one = {key(r): r["measured"] for r in xd if L.gpu_count(r)[1] == 1}
    per_gpu = []
    for r in xd:
        n = L.gpu_count(r)[1]
        if n > 1 and key(r) in one:
            per_gpu.append((1 / r["measured"] - 1 / one[key(r)]) / (n - 1) * 1e3)
    assert len(per_gpu) == 26
    assert LAYER_SPLIT_MS_PER_GPU == pytest.approx(statistics.median(per_gpu), abs=0.005)
