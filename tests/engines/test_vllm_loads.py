"""vllm/loads.py and profile.py: which towers vLLM builds, which model runner it picks, what its sampler holds."""
from __future__ import annotations

import pytest

from llmdoctor.checkpoint import read_model
from llmdoctor.engines.vllm.loads import skipped_towers
from llmdoctor.engines.vllm.profile import sampler_bytes, uses_v2_runner


@pytest.mark.parametrize("settings,model_type,expected", [
    ({"limit_mm_per_prompt": {"image": 0, "audio": 0, "video": 0}}, "gemma4", {"vision", "audio"}),
    ({"limit_mm_per_prompt": {"image": 0, "audio": 0}}, "gemma4", {"audio"}),        # video still uses the tower
    ({"limit_mm_per_prompt": {"image": 0}}, "gemma3", {"vision"}),                  # an image-only tower
    ({"limit_mm_per_prompt": {"image": {"count": 0}, "video": 0}}, "qwen2_5_vl", {"vision"}),
    ({"limit_mm_per_prompt": {"image": 1}}, "gemma3", set()),
    ({"limit_mm_per_prompt": {"image": False}}, "gemma3", set()),                   # a bool is not a count
    ({"language_model_only": True}, "gemma4", {"vision", "audio"}),
])
def test_towers_skipped_as_vllm_0_26_does(settings, model_type, expected):
    assert skipped_towers(settings, "0.26.0", model_type) == frozenset(expected)
    assert skipped_towers(settings, "0.11.0", model_type) == frozenset()      # no tower skipping before 0.16


def test_model_runner_v2_by_version_and_model():
    dense = read_model("fixtures/models/Qwen--Qwen3-8B")
    moe = read_model("fixtures/models/Qwen--Qwen3-30B-A3B")
    hybrid = read_model("fixtures/models/nvidia--NVIDIA-Nemotron-3-Nano-30B-A3B-BF16")
    assert uses_v2_runner(dense, "0.26.0", {}, None)
    assert uses_v2_runner(dense, "0.23.0", {}, None)                 # Qwen3ForCausalLM is on 0.23's list
    assert not uses_v2_runner(dense, "0.21.0", {}, None)
    assert not uses_v2_runner(moe, "0.26.0", {}, None) and not uses_v2_runner(hybrid, "0.26.0", {}, None)
    assert not uses_v2_runner(dense, "0.26.0", {}, "ngram")
    assert uses_v2_runner(moe, "0.26.0", {"VLLM_USE_V2_MODEL_RUNNER": "1"}, None)
    assert uses_v2_runner(moe, "0.29.0", {}, None) and uses_v2_runner(hybrid, "0.33.0", {}, None)   # V2 for all


def test_sampler_bytes_by_path():
    assert sampler_bytes("0.26.0", 1024, v2=True) == (2, True)
    assert sampler_bytes("0.33.0", 1024, v2=True) == (10, True)      # + the warm-up parameters' fp32 pass
    assert sampler_bytes("0.19.0", 1024) == (14, True)
    assert sampler_bytes("0.19.0", 4) == (36, False)          # under 8 requests: the sort path
    assert sampler_bytes("0.10.1", 1024) == (36, False)


def test_skipped_towers_leave_the_weights():
    from llmdoctor.engines import make_plan
    from llmdoctor.plan import target_what_if
    from llmdoctor.plan.records import PlanRequest
    model = read_model("fixtures/models/google--gemma-4-E4B-it")

    def weights(**flags):
        plan = make_plan(target_what_if("H200 SXM"), model, PlanRequest(engine="vllm", engine_version="0.26.0",
                                                                        flags={"max_model_len": 8192, **flags}))
        return plan.weights.bytes_per_gpu, plan.assumptions
    full, _ = weights()
    text, notes = weights(limit_mm_per_prompt={"image": 0, "audio": 0, "video": 0})
    audio_only, _ = weights(limit_mm_per_prompt={"audio": 0})
    w = model.weights
    assert full - text == pytest.approx(w.vision, abs=1)
    assert full - audio_only == pytest.approx(w.audio, abs=1) and 0 < w.audio < w.vision
    assert any("vision and audio tower(s) not built" in n for n in notes)


def test_v2_graphs_leave_the_budget_only_from_0_23_to_0_28():
    from llmdoctor.engines import make_plan
    from llmdoctor.plan import target_what_if
    from llmdoctor.plan.records import PlanRequest
    model = read_model("fixtures/models/Qwen--Qwen3-8B")

    def details(version):
        plan = make_plan(target_what_if("H200 SXM"), model, PlanRequest(engine="vllm", engine_version=version,
                                                                        flags={"max_model_len": 8192}))
        return plan.details
    assert details("0.26.0").graphs_after_kv and details("0.26.0").cudagraph_bytes == 0
    assert not details("0.29.0").graphs_after_kv and details("0.29.0").cudagraph_bytes > 0
    assert not details("0.21.0").graphs_after_kv               # V1 runner, estimate on by default from 0.20


def test_a_modelopt_lm_head_listed_under_exclude_modules_is_quantized_by_vllm():
    """vLLM reads a config.json ModelOpt exclusion list only under `ignore` (modelopt.py from_config, 0.26):
    the device run of a config with `exclude_modules: [lm_head]` loaded 5.20 GiB, its lm_head in fp4."""
    from llmdoctor.checkpoint.quant import NVFP4_BYTES
    from llmdoctor.engines.vllm.loads import modelopt_head_scale
    as_run = read_model("benchmarks/vllm_memory/models/qwen3-8b-nvfp4-exclude-modules")
    published = read_model("benchmarks/speed/models/qwen3-8b-nvfp4")       # the same under `ignore`
    scale, why = modelopt_head_scale(as_run)
    assert scale == pytest.approx(NVFP4_BYTES / 2) and "exclude_modules" in why
    assert modelopt_head_scale(published) == (1.0, "")
    assert as_run.weights.lm_head == published.weights.lm_head          # the checkpoint reading is engine-free


def test_awq_on_hopper_counts_machete_zero_points():
    """Machete (vLLM's AWQ kernel on sm90 only) keeps zero points as fp16 per group: 2 B instead of 0.5 B."""
    from types import SimpleNamespace

    from llmdoctor.engines.vllm.loads import machete_layer_scale
    awq = read_model("benchmarks/vllm_memory/models/qwen25-7b-instruct-awq")
    hopper = SimpleNamespace(cc_major=9, cc_minor=0, vendor="nvidia")
    ada = SimpleNamespace(cc_major=8, cc_minor=9, vendor="nvidia")
    scale, why = machete_layer_scale(awq, 1, hopper, "0.26.0")
    assert scale == pytest.approx((0.5 + 4 / 128) / (0.5 + 2.5 / 128)) and "Machete" in why
    assert machete_layer_scale(awq, 1, ada, "0.26.0")[0] == 1.0            # Marlin elsewhere: checkpoint layout
    assert machete_layer_scale(awq, 1, hopper, "0.11.0")[0] == 1.0         # not read before 0.19
    dense = read_model("fixtures/models/Qwen--Qwen3-8B")
    assert machete_layer_scale(dense, 1, hopper, "0.26.0")[0] == 1.0


def test_mla_keeps_a_16_bit_copy_of_a_quantized_kv_b_proj():
    """DeepSeek-V3's fp8 kv_b_proj is dequantized into 16-bit W_UK/W_UV beside it (512 x 128 heads x 256 x 2 B a
    layer, 61 layers: 1.91 GiB at TP 1, an eighth at TP 8); a 16-bit kv_b_proj is only viewed (DeepSeek-V2-Lite);
    a GQA model has none. The dsv3-24l speed run logged 17.28 GiB against 17.25 with it (docs/accuracy.md)."""
    from llmdoctor.engines.vllm.loads import mla_absorbed_copy_bytes
    v3 = read_model("fixtures/models/deepseek-ai--DeepSeek-V3")
    per_layer = 512 * 128 * (128 + 128) * 2
    assert mla_absorbed_copy_bytes(v3, 1, 1, 2, None, "0.26.0")[0] == 61 * per_layer
    assert mla_absorbed_copy_bytes(v3, 8, 1, 2, None, "0.26.0")[0] == 61 * per_layer // 8
    assert mla_absorbed_copy_bytes(v3, 1, 2, 2, None, "0.26.0")[0] == 31 * per_layer      # the busier PP stage
    lite = read_model("benchmarks/speed/models/dsv2-lite")
    assert mla_absorbed_copy_bytes(lite, 1, 1, 2, None, "0.26.0") == (0, "")
    assert mla_absorbed_copy_bytes(lite, 1, 1, 2, "fp8", "0.26.0")[0] > 0    # online fp8 quantizes kv_b too
    assert mla_absorbed_copy_bytes(read_model("fixtures/models/Qwen--Qwen3-8B"), 1, 1, 2, "fp8", "0.26.0") == (0, "")
    assert mla_absorbed_copy_bytes(v3, 1, 1, 2, None, "0.7.3") == (0, "")    # before the V1 engine

