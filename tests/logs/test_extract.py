"""Every figure runs.json records for a log (copied by hand from the issue threads) must come out of
the extractor exactly as printed: bytes = printed value x unit, counts equal."""
import pytest

from .conftest import LOGS, runs

GIB, MIB = 1 << 30, 1 << 20

# runs.json key -> (fact name, unit multiplier or None for plain values)
KEYS = {
    "weights_gib_per_rank": ("weights_bytes", GIB), "available_kv_gib": ("available_kv_bytes", GIB),
    "kv_tokens": ("kv_tokens", None), "kv_tokens_derived": ("kv_tokens", None),
    "max_concurrency": ("max_concurrency", None), "max_model_len": ("max_model_len", None),
    "block_size": ("block_size", None), "checkpoint_size_gib": ("checkpoint_bytes", GIB),
    "total_gpu_memory_gib": ("total_gpu_memory_bytes", GIB), "peak_torch_memory_gib": ("peak_torch_bytes", GIB),
    "non_torch_memory_gib": ("non_torch_bytes", GIB), "num_gpu_blocks": ("num_gpu_blocks", None),
    "num_cpu_blocks": ("num_cpu_blocks", None), "compile_range": ("compile_range", None),
    "attention_backend": ("attention_backend", None), "cuda_graph_gib_actual": ("cuda_graph_bytes", GIB),
    "cuda_graph_gib_estimated": ("cuda_graph_estimated_bytes", GIB),
    "weights_plus_non_torch_gib": ("non_kv_consumed_bytes", GIB), "peak_activation_gib": ("peak_activation_bytes", GIB),
    "needed_kv_gib": ("kv_needed_bytes", GIB), "estimated_max_model_len": ("estimated_max_model_len", None),
    "free_memory_pre_profile_gib": ("free_memory_pre_profile_bytes", GIB),
    # SGLang ("GB" is GiB)
    "mem_fraction_static": ("mem_fraction_static", None), "k_size_gb": ("kv_k_bytes", GIB),
    "v_size_gb": ("kv_v_bytes", GIB), "kv_size_gb": ("kv_cache_bytes", GIB), "weights_gb": ("weights_bytes", GIB),
    "avail_mem_after_weights_gb": ("avail_mem_after_weights_bytes", GIB),
    "avail_mem_after_pool_gb": ("avail_mem_after_pool_bytes", GIB), "chunked_prefill_size": ("chunked_prefill_size", None),
    "sglang_profiled_max_total_tokens": ("profiled_max_total_tokens", None),
    "sglang_max_total_num_tokens": ("max_total_num_tokens", None), "max_running_requests": ("max_running_requests", None),
    "context_len": ("max_model_len", None), "available_gpu_mem_gb": ("available_gpu_mem_bytes", GIB),
    "max_prefill_tokens": ("max_prefill_tokens", None),
    # llama.cpp / Ollama runner
    "n_ctx": ("n_ctx", None), "n_ctx_per_seq": ("n_ctx_seq", None), "model_buffer_mib": ("model_buffer_bytes", MIB),
    "kv_buffer_mib": ("kv_buffer_bytes", MIB), "kv_self_mib": ("kv_total_bytes", MIB),
    "compute_buffer_mib": ("compute_buffer_bytes", MIB), "pipeline_copies": ("pipeline_copies", None),
    "non_swa_cells": ("kv_cells_non_swa", None), "swa_cells": ("kv_cells_swa", None), "non_swa_layers": ("kv_layers", None),
    "rs_buffer_mib": ("rs_buffer_bytes", MIB), "recurrent_total_mib": ("recurrent_bytes", MIB),
    "recurrent_cells": ("recurrent_cells", None), "r_mib": ("recurrent_r_bytes", MIB), "s_mib": ("recurrent_s_bytes", MIB),
    # Ollama's offload line
    "layers_model": ("layers_total", None), "layers_offload": ("layers_offloaded", None),
    "memory_required_full_gib": ("ollama_required_full_bytes", GIB), "memory_required_partial_gib": ("ollama_required_partial_bytes", GIB),
    "memory_required_kv_gib": ("ollama_required_kv_bytes", GIB), "memory_required_kv_mib": ("ollama_required_kv_bytes", MIB),
    "memory_weights_total_gib": ("ollama_weights_total_bytes", GIB), "memory_graph_full_gib": ("ollama_graph_full_bytes", GIB),
    "memory_graph_full_mib": ("ollama_graph_full_bytes", MIB), "memory_graph_partial_gib": ("ollama_graph_partial_bytes", GIB),
}
# Figures runs.json takes from the prose or title, not from the log excerpt itself.
NOT_IN_EXCERPT = {
    ("sglang/sglang-11309-deepseek-v32-exp-8xb200-main.log", "mem_fraction_static"),
    ("sglang/sglang-18263-qwen3-30b-a3b-amd-aiter-kv.log", "workspace_buffer_gb"),
    ("llamacpp/llama.cpp-14043-no-kv-offload-iswa-240k.log", "kv_device"),
    ("seeds/002-vllm-sm75-qwopus27b-awq-shm-hang.log", "outcome"),
    ("vllm/vllm-25350-fp8-kv-maxlen-100k-vs-221k.log", "weights_gib_per_rank"),
    # V0 default block size 16 is not printed; runs.json used it to derive the token count
    ("vllm/vllm-10517-llama31-8b-3090-maxlen-20k-ok.log", "block_size"),
    ("vllm/vllm-10517-llama31-8b-3090-maxlen-29k-fail.log", "block_size"),
}
SECOND_RUN = {"max_model_len": "failed_max_model_len", "available_kv_gib": "failed_available_kv_bytes",
              "needed_kv_gib": "kv_needed_bytes", "estimated_max_model_len": "estimated_max_model_len"}


def _check(facts, fact, unit, expected, where):
    assert fact in facts, f"{where}: fact {fact} not extracted"
    got = facts[fact]
    if isinstance(expected, dict):
        # per-device tables: the RS buffer of a single device is recorded as a bare number
        assert set(expected) <= set(got), f"{where}: devices {set(expected)} vs {set(got)}"
        for dev, v in expected.items():
            _check(got, dev, unit, v, f"{where}[{dev}]")
        return
    if isinstance(got, dict) and len(got) == 1:
        got = next(iter(got.values()))
    if unit:
        # runs.json keeps the figure as printed, or rounded to its last digit when the log printed more
        digits = len(repr(float(expected)).split(".")[1])
        tol = 1 + (0.5 * 10 ** -digits * unit if digits < 4 else 0)
        assert abs(got - expected * unit) <= tol, f"{where}: {got} bytes vs {expected} printed"
    else:
        assert got == expected, f"{where}: {got!r} vs {expected!r}"


CASES = [(r["file"], key, value) for r in runs() for key, value in r["observed"].items()
         if key not in ("weights_unit", "error", "outcome", "note")]


@pytest.mark.parametrize("rel,key,value", CASES, ids=[f"{c[0].split('/')[-1][:40]}:{c[1]}" for c in CASES])
def test_observed_figure_is_extracted(analyze, rel, key, value):
    if (rel, key) in NOT_IN_EXCERPT:
        pytest.skip("figure from the issue text, not the log excerpt")
    facts = analyze(rel).facts
    if key == "mem_fraction_static" and "mem_fraction_static" not in (LOGS / rel).read_text():
        pytest.skip("--mem-fraction-static from the issue's command, not printed in the excerpt")
    if key == "second_run":
        for k, v in value.items():
            if k in SECOND_RUN:
                _check(facts, SECOND_RUN[k], GIB if k.endswith("_gib") else None, v, f"{rel}:second_run.{k}")
        return
    if key == "offloaded_layers":
        done, total = map(int, value.split("/"))
        assert (facts["layers_offloaded"], facts["layers_total"]) == (done, total)
        return
    assert key in KEYS, f"runs.json key {key} has no mapping in this test"
    fact, unit = KEYS[key]
    _check(facts, fact, unit, value, f"{rel}:{key}")


def test_engine_and_version_of_every_run(analyze):
    for r in runs():
        rep = analyze(r["file"])
        assert rep.engine == r["engine"], r["file"]
        v = r["engine_version"].split()[0]
        if v[:1].isdigit() and v in (LOGS / r["file"]).read_text():
            assert rep.version and v.startswith(rep.version.split("+")[0]), (r["file"], rep.version)


def test_seed_001_numbers_and_args(analyze):
    r = analyze("seeds/001-vllm-xpu-gemma4-e4b-tp2-startup.log")
    f = r.facts
    assert round(f["weights_bytes"] / GIB, 2) == 6.29 and round(f["available_kv_bytes"] / GIB, 2) == 1.14
    assert f["kv_tokens"] == 49344 and f["max_concurrency"] == 2.15 and f["concurrency_at_tokens"] == 131072
    # the dict repr was hard-wrapped twice by the poster and still parses completely (literal_eval)
    assert r.args["quantization"] == "fp8" and r.args["kv_cache_dtype"] == "fp8" and r.args["tensor_parallel_size"] == 2
    assert r.args["served_model_name"] == ["google/gemma-4-E4B-it"]
    assert f["attention_backend"] == "TRITON_ATTN" and f["enforce_eager"] is True
    assert r.model == "/models/gemma-4-E4B-it" and r.version.startswith("0.19.2")


def test_seed_002_block_size_ram_and_kernels(analyze):
    f = analyze("seeds/002-vllm-sm75-qwopus27b-awq-shm-hang.log").facts
    assert f["block_size"] == 1600 and f["attention_backend"] == "FLASHINFER"
    assert round(f["available_ram_bytes"] / GIB, 2) == 8.90 and round(f["checkpoint_bytes"] / GIB, 2) == 25.03
    g = analyze("seeds/002-vllm-sm75-qwen36-27b-awq-shm-hang.log").facts
    assert g["quant_kernels"] == ["MarlinLinearKernel for CompressedTensorsWNA16"]


def test_spec_decode_and_throughput(analyze):
    f = analyze("seeds/002-vllm-caovan-wsl-specdecode-metrics.log").facts
    assert (f["spec_acceptance_length_min"], f["spec_acceptance_length_max"]) == (3.87, 4.20)
    assert f["spec_acceptance_length_samples"] == 5 and f["spec_per_position_acceptance"] == [0.898, 0.810, 0.723, 0.620]
    assert f["generation_throughput_tps_max"] == 64.2 and f["kv_cache_usage_pct_max"] == 13.9


def test_mxfp4_triton_line_is_not_the_attention_backend(analyze):
    f = analyze("vllm/vllm-33155-gpt-oss-120b-h100-v0.14.1-load.log").facts
    assert f["attention_backend"] == "FLASH_ATTN"
    assert any("mxfp4" in k for k in f["quant_kernels"])


def test_per_rank_weights_v0_workers(analyze):
    f = analyze("vllm/vllm-15676-gemma3-tp4-v0.8.2-load.log").facts
    assert sorted(f["weights_bytes_by_rank"]) == ["0", "1", "2", "3"]


def test_ollama_runner_command_and_offload(analyze):
    r = analyze("ollama/ollama-9181-70b-4x22gb-offload-44of81.log")
    assert r.args["ctx_size"] == 64000 and r.args["n_gpu_layers"] == 44 and r.args["tensor_split"] == "11,11,11,11"
    assert r.facts["ollama_available_bytes"] == [round(22.0 * GIB)] * 4


def test_llamacpp_kv_on_cpu_layers(analyze):
    f = analyze("llamacpp/llama.cpp-14043-no-kv-offload-iswa-240k.log").facts
    assert list(f["cache_layers_by_device"]) == ["CPU"]
