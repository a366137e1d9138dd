"""Per-architecture spec facts, read from the real config.json files under fixtures/models/."""
import json
import os

import pytest

from llmdoctor.checkpoint import model_to_dict, read_model


def load(fixtures_dir, name):
    path = os.path.join(fixtures_dir, name)
    if not os.path.exists(os.path.join(path, "config.json")):
        pytest.skip(f"fixture {name} not collected yet")
    return read_model(path)


def kinds(info):
    return [layer.kind for layer in info.spec.layers]


def test_llama31_8b_dense_gqa(fixtures_dir):
    info = load(fixtures_dir, "meta-llama--Llama-3.1-8B")
    spec = info.spec
    assert (spec.num_layers, spec.hidden_size, spec.vocab_size) == (32, 4096, 128256)
    assert spec.full_attention_layers == 32 and spec.sliding_attention_layers == 0
    assert {(l.num_kv_heads, l.head_dim_k, l.head_dim_v) for l in spec.layers} == {(8, 128, 128)}
    assert spec.moe is None and spec.mtp_layers == 0 and info.tie_word_embeddings is False
    assert info.format == "hf-config-only" and info.weights_computed
    assert info.weight_bytes == info.params_total * 2            # bf16, no quantization


def test_qwen35_27b_hybrid_gdn_with_mtp(fixtures_dir):
    info = load(fixtures_dir, "Qwen--Qwen3.5-27B")
    spec = info.spec
    assert spec.num_layers == 64
    assert spec.full_attention_layers == 16 and spec.linear_attention_layers == 48
    assert [i for i, k in enumerate(kinds(info)) if k == "full"] == list(range(3, 64, 4))
    full = spec.layers[3]
    assert (full.num_kv_heads, full.head_dim_k) == (4, 256)
    gdn = spec.layers[0].state
    assert gdn.type == "gdn" and gdn.conv_dim == 2 * 16 * 128 + 48 * 128 and gdn.conv_kernel == 4
    assert gdn.ssm_elements == 48 * 128 * 128 and gdn.ssm_dtype == "float32"
    # conv in bf16 (3 columns) + fp32 SSM state, per sequence at TP=1
    assert spec.layers[0].state_bytes == 10240 * 3 * 2 + 48 * 128 * 128 * 4
    assert spec.mtp_layers == 1 and info.params_mtp > 0
    assert spec.vision is not None and spec.vision.params > 300_000_000


def test_qwen3_next_interval_and_moe(fixtures_dir):
    info = load(fixtures_dir, "Qwen--Qwen3-Next-80B-A3B-Thinking")
    spec = info.spec
    assert spec.full_attention_layers == 12 and spec.linear_attention_layers == 36
    assert spec.moe.num_experts == 512 and spec.moe.experts_per_token == 10 and spec.moe.shared_experts == 1
    assert spec.mtp_layers == 1 and any("MTP" in n for n in info.notes)


def test_deepseek_v3_mla_moe_mtp(fixtures_dir):
    info = load(fixtures_dir, "deepseek-ai--DeepSeek-V3")
    spec = info.spec
    assert spec.mla_layers == 61 and spec.full_attention_layers == 0
    layer = spec.layers[0]
    assert (layer.kind, layer.num_kv_heads, layer.kv_lora_rank, layer.rope_dim) == ("mla", 1, 512, 64)
    assert (layer.head_dim_k, layer.head_dim_v) == (576, 0)
    assert spec.moe.num_experts == 256 and spec.moe.experts_per_token == 8 and spec.moe.shared_experts == 1
    assert spec.moe.moe_layers == 58 and not spec.layers[2].is_moe and spec.layers[3].is_moe
    assert spec.mtp_layers == 1
    q = info.quantization
    assert q.method == "fp8" and q.weight_dtype == "fp8_e4m3" and q.group_size == 128 * 128


def test_gpt_oss_alternating_sliding_and_mxfp4(fixtures_dir):
    info = load(fixtures_dir, "openai--gpt-oss-20b")
    spec = info.spec
    assert kinds(info)[:4] == ["sliding", "full", "sliding", "full"]
    assert spec.sliding_attention_layers == 12 and spec.full_attention_layers == 12
    assert spec.layers[0].window == 128 and spec.layers[1].window is None
    assert spec.moe.num_experts == 32 and spec.moe.experts_per_token == 4
    q = info.quantization
    assert q.method == "mxfp4" and "attention" in q.unquantized_modules and "router" in q.unquantized_modules
    # published checkpoint: 13.8 GB of safetensors; computed from config within 3%
    assert info.weight_bytes == pytest.approx(13.76e9, rel=0.03)


def test_gemma2_even_layers_slide(fixtures_dir):
    info = load(fixtures_dir, "google--gemma-2-9b-it")
    assert kinds(info)[:4] == ["sliding", "full", "sliding", "full"]
    assert info.spec.sliding_window == 4096 and info.tie_word_embeddings is True


def test_gemma4_per_layer_head_dims(fixtures_dir):
    info = load(fixtures_dir, "google--gemma-4-26B-A4B")
    spec = info.spec
    assert [i for i, k in enumerate(kinds(info)) if k == "full"] == [5, 11, 17, 23, 29]
    sliding, full = spec.layers[0], spec.layers[5]
    assert (sliding.num_kv_heads, sliding.head_dim_k, sliding.window) == (8, 256, 1024)
    assert (full.num_kv_heads, full.head_dim_k) == (2, 512)        # global_head_dim, num_global_key_value_heads
    assert spec.moe.num_experts == 128 and spec.moe.experts_per_token == 8


def test_nemotron_h_hybrid_pattern(fixtures_dir):
    info = load(fixtures_dir, "nvidia--Nemotron-H-56B-Base-8K")
    spec = info.spec
    assert spec.num_layers == 118
    assert kinds(info).count("mamba") == 54 and spec.full_attention_layers == 10 and spec.mlp_only_layers == 54
    state = next(l.state for l in spec.layers if l.kind == "mamba")
    assert state.type == "mamba2" and state.d_inner == 256 * 64 and state.conv_dim == 256 * 64 + 2 * 8 * 256


def test_nemotron3_nano_moe_blocks(fixtures_dir):
    info = load(fixtures_dir, "nvidia--NVIDIA-Nemotron-3-Nano-30B-A3B-BF16")
    assert info.spec.moe.num_experts == 128 and info.spec.moe.moe_layers == 23
    assert info.spec.layers[1].is_moe and info.spec.layers[1].kind == "mlp"


def test_phi4_window_equal_to_context_is_full(fixtures_dir):
    info = load(fixtures_dir, "microsoft--phi-4")
    assert info.spec.full_attention_layers == 40 and info.spec.sliding_attention_layers == 0


def test_mixtral_moe(fixtures_dir):
    info = load(fixtures_dir, "mistralai--Mixtral-8x7B-v0.1")
    moe = info.spec.moe
    assert (moe.num_experts, moe.experts_per_token, moe.moe_layers, moe.shared_experts) == (8, 2, 32, 0)


def test_nvfp4_modelopt_roles(fixtures_dir):
    info = load(fixtures_dir, "nvidia--Gemma-4-31B-IT-NVFP4")
    q = info.quantization
    assert q.method == "modelopt" and q.weight_dtype == "nvfp4" and q.group_size == 16
    assert "attention" in q.unquantized_modules and q.kv_cache_scheme is not None
    assert set(info.weight_bytes_by_dtype) == {"bfloat16", "nvfp4"}


def test_fp8_skip_list_spares_only_router_and_head(fixtures_dir):
    info = load(fixtures_dir, "Qwen--Qwen3-30B-A3B-FP8")
    assert info.quantization.unquantized_modules == ["embed_tokens", "lm_head", "router"]


def test_every_fixture_reads_and_serializes(fixtures_dir):
    names = sorted(n for n in os.listdir(fixtures_dir) if os.path.isfile(os.path.join(fixtures_dir, n, "config.json")))
    assert names, "no config fixtures"
    for name in names:
        info = read_model(os.path.join(fixtures_dir, name))
        doc = model_to_dict(info)
        json.dumps(doc, allow_nan=False)
        assert len(info.spec.layers) == info.spec.num_layers
        assert info.params_total and info.params_active <= info.params_total
        assert doc["spec"]["layers"][0]["kind"] in ("full", "sliding", "linear", "mamba", "mla", "mlp")
