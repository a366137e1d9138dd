"""Unit checks of the llama.cpp arithmetic against the worked examples in llama.cpp's own code paths."""
from llmdoctor.checkpoint.spec import LayerSpec, ModelSpec
from llmdoctor.engines.llamacpp.memory import cache_memory, context_cells, row_size
from llmdoctor.engines.llamacpp.weights import layer_devices


def _gemma3_4b() -> ModelSpec:
    # 34 layers, 4 KV heads x 256, window 1024, global layers i % 6 == 5 (src/models/gemma3.cpp)
    layers = [LayerSpec(i, "full" if i % 6 == 5 else "sliding", 4, 256, 256, None if i % 6 == 5 else 1024)
              for i in range(34)]
    return ModelSpec(34, 2560, 262208, 131072, 8, 4, 256, 10240, layers, 5, 29, 0, 0, None, 0, None,
                     sliding_window=1024)


def test_row_sizes_are_ggml_block_sizes():
    assert row_size("f16", 1024) == 2048
    assert row_size("q8_0", 1024) == 34 * 32          # 34 bytes per 32, not 1 byte per element
    assert row_size("q4_0", 512) == 18 * 16
    assert row_size("q5_1", 128) == 24 * 4


def test_cells_padding_and_streams():
    c = context_cells(10000, 40960, 3, True)
    assert (c.n_ctx, c.n_ctx_seq, c.n_stream) == (10240, 10240, 1)
    c = context_cells(10000, 40960, 3, False)         # pad(10240 / 3, 256) = 3584 per stream
    assert (c.n_ctx_seq, c.n_ctx, c.n_stream) == (3584, 3 * 3584, 3)
    assert context_cells(0, 131072, 1, True).n_ctx == 131072


def test_gemma3_iswa_unified_four_slots():
    spec = _gemma3_4b()
    mem = cache_memory(spec, context_cells(131072, 131072, 4, True), "f16", "f16", 512, False, True)
    assert mem.swa_cells == 4608                       # pad(min(131072, 1024 * 4 + 512), 256)
    glob = sum(l.kv_bytes for l in mem.layers if l.kind == "full")
    assert glob == 131072 * 5 * 2048 * 2               # 2560 MiB
    full = cache_memory(spec, context_cells(131072, 131072, 4, True), "f16", "f16", 512, True, True)
    assert full.swa_cells == 131072


def test_layer_devices_ngl_and_tensor_split():
    devs, out = layer_devices(8, 4, [1.0], "layer", 0)         # last 4 of 9 "layers" on the GPU
    assert devs == [-1, -1, -1, -1, -1, 0, 0, 0] and out == 0
    devs, out = layer_devices(8, -1, [3.0, 1.0], "layer", 0)   # -ts 3,1
    assert devs.count(0) == 7 and devs.count(1) == 1 and out == 1
    devs, out = layer_devices(8, -1, [1.0, 1.0], "none", 1)    # -sm none -mg 1
    assert set(devs) == {1} and out == 1


def test_phi3_window_is_not_used_by_llamacpp(tmp_path):
    """Phi-3-mini-4k's config names sliding_window 2047; llama.cpp's phi3 loader turns SWA off
    ("Phi SWA is currently disabled"), so every layer keeps the full context (issue: KV was 44 % low)."""
    import json
    from llmdoctor.checkpoint import read_model
    from llmdoctor.engines import make_plan
    from llmdoctor.plan import target_what_if
    from llmdoctor.plan.records import PlanRequest
    cfg = {"architectures": ["Phi3ForCausalLM"], "model_type": "phi3", "hidden_size": 3072, "intermediate_size": 8192,
           "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 32, "vocab_size": 32064,
           "max_position_embeddings": 4096, "sliding_window": 2047, "torch_dtype": "bfloat16",
           "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "tie_word_embeddings": False}
    (tmp_path / "config.json").write_text(json.dumps(cfg))
    model = read_model(str(tmp_path))
    assert model.spec.sliding_attention_layers == 32            # what the config says
    plan = make_plan(target_what_if("RTX 4090"), model, PlanRequest(engine="llamacpp", flags={"ctx_size": 4096,
                                                                                               "quant": "Q4_K_M"}))
    det = plan.kv_cache.details
    assert det.swa_cells is None and det.n_ctx == 4096
    assert det.kv_bytes == 32 * 2 * 4096 * 3072 * 2            # f16 K and V, all 32 layers, full context
    assert any("Phi SWA is currently disabled" in a for a in plan.assumptions)
