"""Build benchmarks/speed/runs.csv: every speed measurement the model is fitted on or checked against.

Sources: the device logs in fixtures/logs/speed/ (vLLM 0.26.0 and llama.cpp 0c1e57098 on one H200,
benchmarks/speed/README.md has the commands) and the public rows of public_runs.csv (each with its
citation). The role of every measured case - calibration or held-out - was fixed in ROLE below
before the measurements were made; rows excluded from both carry the reason.

Columns: id, role (calibration | held-out | excluded), engine, engine_version, gpu, gpu_vram_gib,
gpu_bandwidth_gbs (for GPUs not in the table), model (config dir standing in for the checkpoint),
file_type (GGUF type), flags (JSON of planner flags), metric (decode | aggregate | prefill), batch,
context (tokens of context per sequence, averaged over the measured tokens), prompt (prefill prompt
tokens), measured (tok/s), harness (how it was measured: bench = the engine's benchmark, no sampling
(llama-bench, llama-batched-bench); server = requests to a running server (llama-server, Ollama,
vllm serve); generate = vLLM's offline LLM.generate, which samples as its server does; unknown), source,
command, log, note.
Usage: python benchmarks/speed/collect.py   (rewrites runs.csv)
"""
from __future__ import annotations

import csv
import json
import os
import re
import statistics

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
LOGS = os.path.join(ROOT, "fixtures", "logs", "speed")
M = "benchmarks/speed/models/"

# decided before measuring (see README.md): whole models/cases are held out, never single points
ROLE = {
    # vLLM 0.26.0, H200
    "llama31-8b": "calibration", "qwen3-30b-a3b": "calibration", "llama31-8b-eager": "calibration",
    "dsv2-lite": "calibration", "llama31-70b-fp8": "calibration", "llama32-1b": "calibration",
    "llama2-7b-awq": "calibration", "qwen35-35b-a3b": "calibration",
    "qwen3-8b": "held-out", "qwen3-32b-fp8": "held-out", "llama2-7b-gptq": "held-out",
    "nemotron3-nano-30b-a3b": "held-out", "moonlight-16b-a3b": "held-out", "qwen3-14b-eager": "held-out",
    # fixed 2026-12-02 before they ran: small models, where the per-step and per-layer costs rule
    "gemma3-1b": "held-out", "gemma3-1b-seqs1024": "held-out", "qwen3-0.6b": "held-out", "qwen3-1.7b": "held-out",
    "llama32-1b-seqs1024": "calibration",     # a calibration model at the memory runs' settings (max_num_seqs 1024)
    "llama31-8b-eager-r2": "calibration",     # the eager case again, alone on the GPU and the host
    "llama32-1b-r2": "calibration", "llama32-1b-seqs1024-r2": "calibration",   # again, each alone on the host
    # a group of three (eager first, two idle beside it), then two cases alone; fixed before the run
    "llama31-8b-eager-r3": "calibration", "llama32-1b-r3": "calibration", "qwen3-0.6b-r3": "held-out",
    "qwen3-14b-eager-r2": "held-out", "gemma3-1b-r2": "held-out",
    # CUDA-graph cases again, each alone, to see how much a host's speed moves mid-size models; fixed before the run
    "qwen3-8b-r2": "held-out", "llama31-8b-r2": "calibration", "moonlight-16b-a3b-r2": "held-out",
    # VB_REPEATS=3 (a warm decode first, then the median of three), each alone; fixed before the run
    "qwen3-0.6b-r4": "held-out", "qwen3-1.7b-r2": "held-out", "gemma3-1b-r3": "held-out", "llama32-1b-r4": "calibration",
    # 2026-12-02 (fifth session), fixed before the run: decode at 16K-123K tokens of context (VB_CONTEXTS), where reading
    # the KV cache rules the step; cap_kv had been fitted on contexts up to ~8K. One GQA model calibrates; a
    # second GQA shape and an MLA model are held out
    "llama31-8b-long": "calibration", "qwen3-8b-long": "held-out", "dsv2-lite-long": "held-out",
    # the same machine right after, fixed before it ran: an fp8 KV cache and an MoE model at long context, held out
    "llama31-8b-long-fp8kv": "held-out", "qwen3-30b-a3b-long": "held-out",
    # then, fixed before it ran: a 70B fp8 model at 32K-64K, held out (and llama.cpp "long llama-1b q4_0" below)
    "llama31-70b-fp8-long": "held-out",
    # a second call, fixed before it ran: a second GQA model at long context (cap_kv rested on one) and an MLA
    # model (Moonlight, 16 heads, past its 8K limit: VLLM_ALLOW_LONG_MAX_MODEL_LEN=1, dummy weights), both calibration;
    # dsv2-lite-long above stays held out (the same attention shape as Moonlight: a weak test of the MLA term)
    "llama32-1b-long": "calibration", "moonlight-16b-a3b-long": "calibration",
    # 2026-12-02 (sixth session), fixed before the run. vLLM's FA3 decode kernels split the KV over at most 32 CTAs
    # per query tile under CUDA graphs (attention_config.flash_attn_max_num_splits_for_cuda_graph): one latent KV
    # head (MLA) fills a fraction of an H200's 132 SMs. A 128-head MLA shape (DeepSeek-V3's attention and dense
    # MLP, 24 layers, fp8) calibrates; dsv2-lite-long stays held out (16 heads: one query tile where V3 has two),
    # and a one-KV-head GQA shape (Llama-3.1-8B with num_key_value_heads 1) is held out
    "dsv3-24l-long": "calibration", "llama31-8b-kv1-long": "held-out",
    # then, fixed before it ran, on a second machine: two KV heads (56 CTAs at batch 1) calibrate FA3's occupancy
    # for GQA (the one-KV-head run above read its KV at ~1.8 TB/s; it stays held out, seen); a 64-head MLA shape
    # (one query tile, as DeepSeek-V2-Lite) at 2 and 4 sequences, where the tiles fill more SMs, is held out
    "llama31-8b-kv2-long": "calibration", "dsv3-24l-h64-long": "held-out",
    # 2026-12-02 (seventh session), fixed before the run: batched MLA at a short context (1K, where attention is
    # small) beside longer ones, to part the block-fp8 GEMMs at small M from FA3's MLA decode. The 128-head shape
    # calibrates; the 64-head shape at batch sizes and contexts not measured before is held out
    "dsv3-24l-batch": "calibration", "dsv3-24l-h64-batch": "held-out",
    # again, each case alone on a fresh machine with nothing else running: the first call ran while llama.cpp's build
    # (ninja -j 14, niced) still compiled on the host (it was at step 112 of 366 when the call began and done at its
    # end; logs of run10), so its batch rows are excluded; fixed before the second call
    "dsv3-24l-batch-r2": "calibration", "dsv3-24l-h64-batch-r2": "held-out",
    # llama.cpp 0c1e57098, H200
    "llama-8b q4_0": "calibration", "qwen3moe-30b-a3b q4_0": "calibration", "llama-1b q4_0": "calibration",
    "llama-8b q8_0": "calibration", "llama-8b q4_k_m": "calibration", "llama-1b f16": "calibration",
    "qwen3-14b q4_k_m": "held-out", "qwen3-4b q8_0": "held-out", "qwen35moe-35b-a3b q4_k_m": "held-out",
    "qwen3moe-30b-a3b q4_k_m": "held-out", "llama-70b q4_0": "held-out",
    # 2026-12-02, fixed before the run: llama-bench and llama-server on the same file (device/llamacpp_served.sh).
    # The serving cost is fitted on the Llama-vocabulary (128k) calibration cases above and checked on
    # Qwen-vocabulary (152k) cases held out: two already held out, three shapes new here
    "qwen3-0.6b q8_0": "held-out", "qwen3-1.7b q4_k_m": "held-out", "qwen3-8b q4_k_m": "held-out",
    # run4, fixed before it ran. Q4_K's per-layer cost and its bandwidth ceiling rest on one HBM case (an 8B,
    # where weights rule); a small Q4_K model separates them. The held-out Qwen3-1.7B Q4_K_M missed (+32 %)
    # before this was added, so it no longer tests the change; two new Q4_K_M shapes are held out for that.
    "llama-1b q4_k_m": "calibration", "qwen3-0.6b q4_k_m": "held-out", "qwen3-4b q4_k_m": "held-out",
    # run4: 4 and 8 requests at once on llama-server (-np 8): whether the serving cost is per step or per sequence
    "par llama-1b q4_0": "calibration", "par qwen3-8b q4_k_m": "held-out",
    # run5 (the same machine, right after run4), fixed before it ran: 16 and 32 requests at once (-np 32), held out
    "par32 llama-1b q4_0": "held-out", "par32 qwen3-8b q4_k_m": "held-out",
    # run6, fixed before it ran: llama-batched-bench at 1, 2, 4, 8, 16 and 32 sequences (no batch between 8 and
    # 32 was measured; llama.cpp leaves its mat-vec kernels for MMQ above 8) on the two served cases above and
    # llama-8b q4_k_m; each case keeps its role: "llama-1b q4_0", "llama-8b q4_k_m" calibration, "qwen3-8b q4_k_m" held out
    # run7, fixed before it ran (llamacpp_served.sh bench/run): tg128 with CUDA graphs ("graphs") and without
    # (GGML_CUDA_DISABLE_GRAPHS=1, "eager") on the same files in the same call, for llama.cpp's per-layer launch
    # cost without graphs (as on cards below cc 7.0); tg128 at depth 16K-64K ("long") for llama.cpp's KV
    # reads; a small Q8_0 calibration case; the Qwen3.5 hybrid (held out above) that did not fit in run1
    "graphs llama-1b q4_0": "calibration", "graphs llama-8b q4_0": "calibration",
    "eager llama-1b q4_0": "calibration", "eager llama-8b q4_0": "calibration",
    "graphs qwen3-8b q4_k_m": "held-out", "graphs qwen3-0.6b q8_0": "held-out",
    "eager qwen3-8b q4_k_m": "held-out", "eager qwen3-0.6b q8_0": "held-out",
    "long llama-8b q4_0": "calibration", "long qwen3-8b q4_k_m": "held-out",
    "long llama-1b q4_0": "held-out",     # fixed before its own call, after the runs above
    "llama-1b q8_0": "calibration",
    # run9 (sixth session), fixed before it ran: Qwen3.5's Gated DeltaNet layers (3 of 4). The 0.8B shape
    # calibrates (small: per-layer costs rule), at depth 0 and 16K; the dense 27B shape is held out (bench and
    # llama-server), and the 0.8B without CUDA graphs; qwen35moe-35b-a3b above stays held out
    "gdn qwen35-0.8b q8_0": "calibration", "gdn qwen35-0.8b q4_k_m": "calibration",
    "gdn qwen35-27b q4_k_m": "held-out", "qwen35-27b q4_k_m": "held-out", "eager qwen35-0.8b q8_0": "held-out",
    # run10 (seventh session), fixed before it ran: without CUDA graphs (as on every card below cc 7.0) a step takes
    # at least the host's time to launch the decode graph's kernels, which differ by architecture: Qwen3 adds q/k
    # norms, Gemma 3 also sandwich norms, MoE layers a router, Gated DeltaNet layers ~40 nodes (ggml graph nodes
    # counted with llama.cpp's CPU build). Llama-1B (again) and a Qwen3-1.7B Q8_0 file calibrate; Gemma-3-1B, Qwen3-4B,
    # Qwen3-30B-A3B and, again, Qwen3-0.6B and Qwen3.5-0.8B are held out. Each file also with graphs, keeping its role
    "eager qwen3-1.7b q8_0": "calibration", "graphs qwen3-1.7b q8_0": "calibration",
    "eager gemma3-1b q8_0": "held-out", "graphs gemma3-1b q8_0": "held-out",
    "eager qwen3-4b q4_k_m": "held-out", "graphs qwen3-4b q4_k_m": "held-out",
    "eager qwen3moe-30b-a3b q4_0": "held-out", "graphs qwen3moe-30b-a3b q4_0": "calibration",
    "graphs qwen35-0.8b q8_0": "calibration",
    # run11 (seventh session), fixed before it ran: Gemma-3-1B ran 39 % slower than modelled with graphs (held out,
    # run10). It again, with Qwen3-0.6B beside it, and Gemma-3-27B Q4_K_M, held out: whether the gap is per step or
    # grows with the model. Diagnostic files ("diag", one feature of Gemma-3-1B changed: vocabulary, sliding
    # window, head width; Qwen3-0.6B with Gemma's vocabulary) are not models and make no rows
    "graphs gemma3-27b q4_k_m": "held-out",
    # run13 (eighth session), fixed before it ran: the mat-vec kernels' iterations over a row (t_iter, fitted on the
    # calibration rows after Nsight Compute showed Gemma-3-1B's 1152-wide rows cost two 1024-element iterations of
    # Q8_0), on row widths the calibration files do not have: Llama-3.2-3B (3072: two 2048-element iterations of
    # Q4_K, three of 1024 for Q8_0), Gemma-3-1B in Q4_K_M and Q4_0 (1152, under one block's stride: three of one
    # warp's 512), Qwen3-0.6B Q4_0 (1024: two of 512). All held out
    "mv llama-3b q4_k_m": "held-out", "mv llama-3b q8_0": "held-out", "mv gemma3-1b q4_k_m": "held-out",
    "mv gemma3-1b q4_0": "held-out", "mv qwen3-0.6b q4_0": "held-out",
    # run14 (eighth session), fixed before it ran: Qwen3-0.6B Q4_0 ran 29 % faster than modelled in run13 (Q4_0's
    # per-layer constant, t_layer_fmt, was fitted on Llama files alone). Qwen3 in Q4_0 at 1.7B calibrates; 0.6B
    # (again), 4B and 8B are held out
    "mv2 qwen3-1.7b q4_0": "calibration", "mv2 qwen3-0.6b q4_0": "held-out", "mv2 qwen3-4b q4_0": "held-out",
    "mv2 qwen3-8b q4_0": "held-out",
}
# measurements that do not measure what the row says (decided from the logs, not from the errors)
GPTQ_CONFIG_ONLY = ("ran unquantized: vLLM 0.26 takes the GPTQ layer list from the checkpoint's safetensors "
                    "(quantization/auto_gptq.py maybe_update_config), and a config-only directory has none")
BUILD_BESIDE = ("measured while llama.cpp's CUDA build (ninja -j 14, nice 19) ran on the same 16 vCPUs: it was at step "
                "112 of 366 when the call began and had finished at its end; measured again alone (-r2)")
# batched rows of cases run with VLLM_USE_DEEP_GEMM=0 (the DeepGEMM warm-up did not fit the start-up limit)
CUTLASS_BLOCK_FP8 = ("batched decode with VLLM_USE_DEEP_GEMM=0: the block-fp8 GEMMs ran on CutlassFp8BlockScaledMMKernel "
                     "(the log's 'Selected ... for Fp8LinearMethod'), ~1 ms a step per added sequence, not on DeepGEMM, "
                     "vLLM's default where deep_gemm is installed and the path the planner assumes (its plans say so)")
EXCLUDE = {
    "llama2-7b-gptq": GPTQ_CONFIG_ONLY + " (12.55 GiB loaded for a 4-bit 7B; AWQ: 3.74 GiB)",
    "dsv3-24l-batch": BUILD_BESIDE, "dsv3-24l-h64-batch": BUILD_BESIDE,
}
DEFAULT_MOE = "aggregate rows: the fused-MoE kernel had no tuned config on H200 ('Using default MoE config') and " \
              "vbench.py did not warm each batch size, so Triton JIT fell inside the timed region (non-monotonic)"
# files that differ from what llama-quantize writes (make_gguf.py then): the planner reads the quantizer's recipe
GGUF_FILE_NOTE = {"llama-1b q4_0": "the file's tied token_embd was Q4_0; llama-quantize (and the planner) make it Q6_K: "
                                   "the planner reads 67 MB per token more than this file had"}
GGUF_MODEL = {"llama-1b": "llama32-1b", "llama-8b": "llama31-8b", "llama-70b": "fixtures/models/meta-llama--Llama-3.1-70B",
              "qwen3-4b": "qwen3-4b", "qwen3-14b": "qwen3-14b", "qwen3moe-30b-a3b": "qwen3-30b-a3b",
              "qwen35moe-35b-a3b": "fixtures/models/Qwen--Qwen3.5-35B-A3B", "qwen3-0.6b": "qwen3-0.6b",
              "qwen3-1.7b": "qwen3-1.7b", "qwen3-8b": "qwen3-8b", "qwen35-0.8b": "qwen35-0.8b",
              "qwen35-27b": "fixtures/models/Qwen--Qwen3.5-27B", "gemma3-1b": "fixtures/models/google--gemma-3-1b-it",
              "gemma3-27b": "fixtures/models/google--gemma-3-27b-it", "llama-3b": "llama32-3b"}
# llama.cpp device runs: (bench jsonl, log, llama-bench command, note). run3 and run4 also served the same
# files (lcpp-served-runN.jsonl); run5 only served, on the machine of run4
LCPP_RUNS = {
    "run1": ("lcpp-bench-run1.jsonl", "lcpp-run1.log", "-p 512 -n 128 -d 0,8192 -r 2 -o jsonl",
             "two idle vLLM processes held ~120 GB of GPU memory (no GPU work)"),
    "run2": ("lcpp-bench-run2.jsonl", "lcpp-run2.log", "-p 512 -n 128 -d 0,8192 -r 2 -o jsonl", ""),
    "run3": ("lcpp-bench-run3.jsonl", "lcpp-run3.log", "-p 512 -n 128 -r 3 -o jsonl",
             "2026-12-02 host (Intel Xeon, 16 vCPU); the same file then served by llama-server"),
    "run4": ("lcpp-bench-run4.jsonl", "lcpp-run4.log", "-p 512 -n 128 -r 3 -o jsonl",
             "2026-12-02 host (Intel Xeon, 16 vCPU); the same file then served by llama-server"),
    "run7": ("lcpp-bench-run7.jsonl", "lcpp-run7.log", "-p 512 -n 128 -r 3 -o jsonl",
             "2026-12-02 host (Intel Xeon, 16 vCPU; host-run7-lscpu.txt)"),
    "run8": ("lcpp-bench-run8.jsonl", "lcpp-run8.log", "", "the machine of run7, after two vLLM calls"),
    "run9": ("lcpp-bench-run9.jsonl", "lcpp-run9.log", "-p 512 -n 128 -r 3 -o jsonl",
             "2026-12-02 host (Intel Xeon, 16 vCPU; host-run9-lscpu.txt), after a vLLM call"),
    "run10": ("lcpp-bench-run10.jsonl", "lcpp-run10.log", "",
              "2026-12-02 host (Intel Xeon, 16 vCPU; host-run10-lscpu.txt), after a vLLM call"),
    "run11": ("lcpp-bench-run11.jsonl", "lcpp-run11.log", "", "2026-12-02 host (Intel Xeon, 16 vCPU), a fresh machine"),
    "run13": ("lcpp-bench-run13.jsonl", "lcpp-run13.log", "",
              "2026-12-02 host (Intel Xeon, 16 vCPU; host-run13-lscpu.txt), a fresh machine"),
    "run14": ("lcpp-bench-run14.jsonl", "lcpp-run14.log", "",
              "2026-12-02 host (Intel Xeon, 16 vCPU; host-run14-lscpu.txt), a fresh machine"),
}
# run7/run8 llama-bench arguments by the case's tag (llamacpp_served.sh bench: LB_TAG, LB_ARGS, LB_ENV)
TAG_ARGS = {"graphs": "-p 0 -n 128 -r 3 -o jsonl",
            "eager": "-p 0 -n 128 -r 3 -o jsonl, GGML_CUDA_DISABLE_GRAPHS=1 in the environment",
            "long": "-p 0 -n 128 -d 16384,65536 -r 2 -o jsonl (Qwen3-8B: -d 32768)",
            "gdn": "-p 512 -n 128 -d 0,16384 -r 3 -o jsonl"}
# where a run's tag took other arguments
RUN_TAG_ARGS = {("run10", "eager"): "-p 0 -n 128 -r 5 -o jsonl, GGML_CUDA_DISABLE_GRAPHS=1 in the environment",
                ("run10", "graphs"): "-p 512 -n 128 -r 3 -o jsonl", ("run11", "graphs"): "-p 512 -n 128 -r 3 -o jsonl",
                ("run13", "mv"): "-p 512 -n 128 -r 3 -o jsonl", ("run14", "mv2"): "-p 512 -n 128 -r 3 -o jsonl"}
SERVED_RUNS = ("run3", "run4", "run5", "run7", "run9")
# llama-server's arguments and the planner flags they stand for, by the case's prefix in the served logs
SERVER_ARGS = {"": ("-c 4096", {"ctx_size": 4096}), "par": ("-np 8 -c 8192", {"ctx_size": 8192, "parallel": 8}),
               "par32": ("-np 32 -c 16384", {"ctx_size": 16384, "parallel": 32})}
VBENCH = ("PYTHONPATH=/tmp/site python3 benchmarks/speed/vbench.py WORKDIR benchmarks/speed/vllm_cases.json GROUP "
          "(benchmarks/speed/README.md)")
COLS = ["id", "role", "engine", "engine_version", "gpu", "gpu_vram_gib", "gpu_bandwidth_gbs", "model", "file_type",
        "flags", "metric", "batch", "context", "prompt", "measured", "harness", "source", "command", "log", "note"]


def _model(name: str) -> str:
    return name if name.startswith("fixtures/") else M + name


def _run_suffix(run: str) -> str:
    """Row ids of the first runs carry no run name (they came first); later runs' ids end in it."""
    return "" if run in ("run1", "run2") else f"-{run}"


def vllm_rows() -> list[dict]:
    rows = []
    cases = json.load(open(os.path.join(HERE, "vllm_cases.json")))
    for line in open(os.path.join(LOGS, "vllm", "results.jsonl")):
        r = json.loads(line)
        cid = r["case"]
        kw = r["kwargs"]
        if "decode_bs1_p512_tok_s" not in r:
            rows += long_rows(r, cases)
            continue
        log = f"fixtures/logs/speed/vllm/{cid}.log"
        default_moe = "Using default MoE config" in open(os.path.join(ROOT, log), errors="replace").read()
        flags = {"max_model_len": kw.get("max_model_len", 8192), "max_num_seqs": kw.get("max_num_seqs", 64)}
        if kw.get("enforce_eager"):
            flags["enforce_eager"] = True
        long = [int(k.split("_")[2][1:]) for k in r if re.match(r"decode_bs1_p\d+_tok_s", k) and k != "decode_bs1_p512_tok_s"][0]
        base = dict(role=ROLE[cid], engine="vllm", engine_version="0.26.0", gpu="H200 SXM", gpu_vram_gib="",
                    gpu_bandwidth_gbs="", model=cases[cid]["model"], file_type="", flags=json.dumps(flags),
                    source="device: one H200, vLLM 0.26.0 (torch 2.11.0+cu130), dummy weights",
                    command=f"{VBENCH} case {cid}", log=log, note=r.get("note", ""), harness="generate")
        pts = [("decode", 1, 512 + 128, 0, r["decode_bs1_p512_tok_s"]),
               ("decode", 1, long + 128, 0, r[f"decode_bs1_p{long}_tok_s"])]
        pts += [("aggregate", b, 512 + 64, 0, r[f"decode_bs{b}_tok_s"]) for b in (8, 32, 64)]
        pts += [("prefill", 1, 0, p, round(p / r[f"ttft_{p}_s"], 1)) for p in (512, 2048, long)]
        for metric, b, ctx, prompt, val in pts:
            row = dict(base, id=f"vllm-h200-{cid}-{metric}-b{b}-c{ctx}-p{prompt}", metric=metric, batch=b,
                       context=ctx, prompt=prompt, measured=val)
            if cid in EXCLUDE:
                row.update(role="excluded", note=EXCLUDE[cid])
            elif metric == "aggregate" and default_moe:
                row.update(role="excluded", note=DEFAULT_MOE)
            rows.append(row)
    return rows


def long_rows(r: dict, cases: dict) -> list[dict]:
    """A long-context case (vbench.py VB_CONTEXTS): single-stream decode and time to first token at each
    prompt length P, and B sequences of P tokens at once (decode_bsB_pP)."""
    cid, kw, rows = r["case"], r["kwargs"], []
    if not any(k.startswith("decode_bs1_p") for k in r):      # the case measured nothing (its note says why)
        return rows
    flags = {"max_model_len": kw["max_model_len"], "max_num_seqs": kw["max_num_seqs"]}
    if kw.get("kv_cache_dtype"):
        flags["kv_cache_dtype"] = kw["kv_cache_dtype"]
    base = dict(role=ROLE[cid], engine="vllm", engine_version="0.26.0", gpu="H200 SXM", gpu_vram_gib="",
                gpu_bandwidth_gbs="", model=cases[cid]["model"], file_type="", flags=json.dumps(flags),
                source="device: one H200, vLLM 0.26.0 (torch 2.11.0+cu130), dummy weights",
                command=f"{VBENCH} case {cid} (VB_CONTEXTS, VB_BATCH_AT: vllm_cases.json)",
                log=f"fixtures/logs/speed/vllm/{cid}.log", note=r.get("note", ""), harness="generate")
    if cid in EXCLUDE:
        base.update(role="excluded", note=EXCLUDE[cid])
    cutlass = cases[cid].get("env", {}).get("VLLM_USE_DEEP_GEMM") == "0"
    for k, val in r.items():
        m = re.fullmatch(r"decode_bs(\d+)_p(\d+)_tok_s|ttft_(\d+)_s", k)
        if not m:
            continue
        if m.group(3):
            p = int(m.group(3))
            pt = ("prefill", 1, 0, p, round(p / val, 1))
        else:
            b, p = int(m.group(1)), int(m.group(2))
            pt = ("decode", 1, p + 128, 0, val) if b == 1 else ("aggregate", b, p + 64, 0, val)
        metric, b, ctx, prompt, v = pt
        rows.append(dict(base, id=f"vllm-h200-{cid}-{metric}-b{b}-c{ctx}-p{prompt}", metric=metric, batch=b,
                         context=ctx, prompt=prompt, measured=v))
        if cutlass and metric == "aggregate" and base["role"] != "excluded":
            rows[-1].update(role="excluded", note=CUTLASS_BLOCK_FP8)
    return rows


# vLLM 0.26.0 memory runs (benchmarks/vllm_memory, vrun.py): decode at batch 1 after a 512-token prompt. Their
# roles were fixed when the cases were chosen (before the runs); their prefill is a prefix-cache hit (vrun.py
# repeats the prompt with caching on), so it is not a row.
VRUN_ROLE = {"gemma3-1b": "held-out", "phi4": "held-out", "qwen3-30b-a3b-fp8": "held-out", "qwen25-7b-awq": "held-out",
             "dsv2-lite": "calibration",          # the same case as the speed run above
             "llama31-8b-eagle3": "excluded",
             # fixed 2026-12-02 before these ran: all held out
             "nemotron3-nano": "held-out", "qwen25-7b-gptq": "held-out", "qwen3-8b-nvfp4": "held-out",
             "gemma2-9b": "held-out", "mixtral-8x7b": "held-out",
             "qwen25-7b-gptq-listed": "held-out"}            # fixed before it ran
VRUN_NOTE = {"llama31-8b-eagle3": "speculative decoding with dummy weights: drafts are never accepted",
             "qwen3-8b-nvfp4": "predicted -11 % before the run; after it, vLLM's reading of the config's lm_head "
                               "exclusion was modelled (a memory fix, not a speed fit): lm_head now fp4",
             "qwen25-7b-awq": "predicted +7 % before the memory run; Machete's zero-point layout was modelled "
                              "after it (a memory fix, not a speed fit)"}
# excluded after the run, for what the run was, not for its error
VRUN_EXCLUDE = {"qwen25-7b-gptq": GPTQ_CONFIG_ONLY + " (14.29 GiB loaded)"}


def vrun_rows() -> list[dict]:
    rows = []
    cases = json.load(open(os.path.join(ROOT, "benchmarks", "vllm_memory", "cases.json")))
    for line in open(os.path.join(ROOT, "fixtures", "logs", "vllm-h200", "results.jsonl")):
        r = json.loads(line)
        cid = r["case"]
        if r.get("rc") != 0 or "decode_tok_s" not in r:
            continue
        rows.append(dict(id=f"vllm-h200-vrun-{cid}-decode-b1-c640-p0", role=VRUN_ROLE[cid], engine="vllm",
                         engine_version="0.26.0", gpu="H200 SXM", gpu_vram_gib="", gpu_bandwidth_gbs="",
                         model=cases[cid]["model"], file_type="",
                         flags=json.dumps({k: r["kwargs"][k] for k in ("max_model_len", "max_num_seqs")}),
                         metric="decode", batch=1, context=640, prompt=0, measured=r["decode_tok_s"], harness="generate",
                         source="device: one H200, vLLM 0.26.0 (torch 2.11.0+cu130), dummy weights",
                         command=f"PYTHONPATH=/tmp/site python3 vrun.py WORKDIR benchmarks/vllm_memory/cases.json {cid}",
                         log=f"fixtures/logs/vllm-h200/{cid}.log", note=VRUN_NOTE.get(cid, "")))
        if cid in VRUN_EXCLUDE:
            rows[-1].update(role="excluded", note=VRUN_EXCLUDE[cid])
    return rows


def llamacpp_rows() -> list[dict]:
    rows = []
    batched: dict[tuple, dict[int, float]] = {}
    for f in ("lcpp-run1.log", "lcpp-run2.log", "lcpp-run6.log"):
        cur = None
        for line in open(os.path.join(LOGS, "llamacpp", f), errors="replace"):
            m = re.match(r"\$ llama-batched-bench -m /tmp/gg/(\S+)-(q\w+|f16)\.gguf.* -npl (\S+)", line)
            if m:
                cur = (f, f"{m.group(1)} {m.group(2)}", m.group(3))
                continue
            m = re.match(r"\|\s+512 \|\s+128 \|\s+(\d+) \|.*\|\s+([\d.]+) \|\s+[\d.]+ \|\s+[\d.]+ \|$", line)
            if m and cur:
                # columns: PP TG B N_KV T_PP S_PP T_TG S_TG T S; S_TG is the 3rd number from the end
                nums = [x.strip() for x in line.strip().strip("|").split("|")]
                batched.setdefault(cur, {})[int(nums[2])] = float(nums[7])
    for run, (jsonl, logname, args, run_note) in LCPP_RUNS.items():
        log = "fixtures/logs/speed/llamacpp/" + logname
        for line in open(os.path.join(LOGS, "llamacpp", jsonl)):
            b = json.loads(line)
            case, r = b["case"], b["r"]
            *tag, shape, ftype = case.split()
            tag = tag[0] if tag else ""
            if tag == "diag":          # a diagnostic variant, not a model's shape: in the log, not a row
                continue
            file_note = GGUF_FILE_NOTE.get(case, "") if run == "run1" else ""
            base = dict(role=ROLE[case], engine="llamacpp", engine_version="0c1e57098", gpu="H200 SXM",
                        gpu_vram_gib="", gpu_bandwidth_gbs="", model=_model(GGUF_MODEL[shape]), file_type=ftype.upper(),
                        flags=json.dumps({"ctx_size": max(16384, r["n_depth"] + 1024)}
                                         | ({"enforce_eager": True} if tag == "eager" else {})),
                        log=log, harness="bench",
                        source="device: one H200, llama.cpp 0c1e57098 (llama-cpp-python 0.3.36 sdist), CUDA sm_90, "
                               "random-weight GGUF of the real shapes (benchmarks/speed/make_gguf.py)",
                        note="; ".join(n for n in (run_note, file_note) if n))
            d = r["n_depth"]
            test = f"tg128@d{d}" if r["n_gen"] else f"pp512@d{d}"
            if r["n_gen"]:
                row = dict(base, metric="decode", batch=1, context=d + 64, prompt=0, measured=round(r["avg_ts"], 1))
            else:
                row = dict(base, metric="prefill", batch=1, context=d, prompt=512, measured=round(r["avg_ts"], 1))
            row["command"] = f"llama-bench -m {shape}-{ftype}.gguf {RUN_TAG_ARGS.get((run, tag)) or TAG_ARGS[tag] if tag else args} ({test})"
            row["id"] = (f"llamacpp-h200-{shape}-{ftype}-{row['metric']}-c{row['context']}" + (f"-{tag}" if tag else "")
                         + _run_suffix(run))
            rows.append(row)
    rows += served_rows()
    for (logname, case, npl), per_b in batched.items():
        shape, ftype = case.split()
        run = logname[len("lcpp-"):-len(".log")]
        for bsz, val in sorted(per_b.items()):
            if bsz == 1:
                continue
            rows.append(dict(role=ROLE[case], engine="llamacpp", engine_version="0c1e57098", gpu="H200 SXM",
                             gpu_vram_gib="", gpu_bandwidth_gbs="", model=_model(GGUF_MODEL[shape]),
                             file_type=ftype.upper(), flags=json.dumps({"ctx_size": 24576, "parallel": 32}),
                             metric="aggregate", batch=bsz, context=512 + 64, prompt=0, measured=val, harness="bench",
                             id=f"llamacpp-h200-{shape}-{ftype}-aggregate-b{bsz}" + _run_suffix(run),
                             source="device: one H200, llama.cpp 0c1e57098, random-weight GGUF",
                             command=f"llama-batched-bench -m {shape}-{ftype}.gguf -c 24576 -b 2048 -ub 512 -npp 512 "
                                     f"-ntg 128 -npl {npl} -ngl 99 (S_TG at B={bsz})",
                             log=f"fixtures/logs/speed/llamacpp/{logname}",
                             note=GGUF_FILE_NOTE.get(case, "") if run == "run1" else ""))
    return rows


def served_rows() -> list[dict]:
    """llama-server on the files of the runs: per case, the median of three requests of 128 tokens with the
    server's default sampling (served_bench.py mode `default`; `greedy` and `stream` are in the log beside it);
    for N requests at once (cases 'par ...'), N times the median of the requests' own tokens/s."""
    tps: dict[tuple, list[float]] = {}
    prompt: dict[tuple, list[int]] = {}          # the prompt's tokens, as the server counted them
    for run in SERVED_RUNS:
        for line in open(os.path.join(LOGS, "llamacpp", f"lcpp-served-{run}.jsonl")):
            r = json.loads(line)
            if r["mode"] == "default":
                tps.setdefault((run, r["case"], r.get("parallel", 1)), []).append(r["predicted_per_second"])
                prompt.setdefault((run, r["case"], r.get("parallel", 1)), []).append(r["prompt_n"])
    rows = []
    for (run, case, n), vals in tps.items():
        *prefix, shape, ftype = case.split()
        server, flags = SERVER_ARGS[" ".join(prefix)]
        med = statistics.median(vals)
        rows.append(dict(id=f"llamacpp-h200-{shape}-{ftype}-served-" + (f"aggregate-b{n}" if n > 1 else "decode"),
                         role=ROLE[case], engine="llamacpp", engine_version="0c1e57098", gpu="H200 SXM", gpu_vram_gib="",
                         gpu_bandwidth_gbs="", model=_model(GGUF_MODEL[shape]), file_type=ftype.upper(),
                         flags=json.dumps(flags),
                         metric="aggregate" if n > 1 else "decode", batch=n, context=int(statistics.median(prompt[(run, case, n)])) + 64, prompt=0,
                         measured=round(n * med, 1), harness="server",
                         source="device: one H200, llama-server 0c1e57098, random-weight GGUF (synthetic 'llama' "
                                "vocabulary of the model's size)",
                         command=f"llama-server -m {shape}-{ftype}.gguf -ngl 99 {server}; served_bench.py (default "
                                 f"sampling, 128 tokens, {n} at once, median of {len(vals)} requests' tokens/s: "
                                 f"{med:.1f}, range {min(vals):.1f}-{max(vals):.1f})",
                         log=f"fixtures/logs/speed/llamacpp/lcpp-{run}.log",
                         note="timings.predicted_per_second (generated tokens over the generation's wall time)"
                              + (f", times {n}" if n > 1 else "")))
    return rows


def public_rows() -> list[dict]:
    out = []
    for r in csv.DictReader(open(os.path.join(HERE, "public_runs.csv"))):
        out.append({k: r.get(k, "") for k in COLS})
    return out


def main() -> None:
    rows = vllm_rows() + vrun_rows() + llamacpp_rows() + public_rows()
    with open(os.path.join(HERE, "runs.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=COLS)
        w.writeheader()
        for r in rows:
            w.writerow({k: r.get(k, "") for k in COLS})
    roles = {}
    for r in rows:
        roles[(r["engine"], r["role"])] = roles.get((r["engine"], r["role"]), 0) + 1
    print(len(rows), "rows", roles)


if __name__ == "__main__":
    main()
