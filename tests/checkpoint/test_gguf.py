"""The GGUF reader against small real files written with gguf-py's GGUFWriter."""
import os

import pytest

import gguf_factory as factory
from llmdoctor.checkpoint import model_to_dict, read_model
from llmdoctor.checkpoint.gguf_reader import SkippedArray, read_gguf, read_gguf_header


def test_llama_q4_k_m(gguf_dir):
    root, every = gguf_dir
    info = read_model(str(root / "llama.gguf"))
    spec = info.spec
    assert info.format == "gguf" and info.architecture == "llama" and info.gguf_file_type == "Q4_K_M"
    assert (spec.num_layers, spec.hidden_size, spec.vocab_size) == (2, 256, 300)
    assert {(l.kind, l.num_kv_heads, l.head_dim_k) for l in spec.layers} == {("full", 2, 32)}
    assert info.quantization.method == "gguf" and info.quantization.weight_dtype == "Q4_K_M"
    assert set(info.weight_bytes_by_dtype) == {"F32", "Q4_K", "Q6_K"}
    # Q6_K output: 300 rows x 256 cols = 300 blocks of 210 bytes
    assert info.weights.lm_head == 300 * 210 and info.weights.embedding == 300 * 144
    assert info.tie_word_embeddings is False and info.chat_template.source == "gguf:tokenizer.chat_template"
    assert "text" not in model_to_dict(info)["chat_template"]


def test_byte_sizes_and_offsets_match_gguf_py(gguf_dir):
    from gguf import GGUFReader

    root, _ = gguf_dir
    for name in ("llama", "qwen35", "deepseek2", "gemma3", "nemotron_h"):
        ours = {t.name: (t.nbytes, t.offset, t.shape) for t in read_gguf(str(root / f"{name}.gguf")).tensors}
        theirs = GGUFReader(str(root / f"{name}.gguf"))
        expected = {t.name: (int(t.n_bytes), int(t.data_offset - theirs.data_offset), tuple(int(d) for d in t.shape)) for t in theirs.tensors}
        assert ours == expected, name


def test_qwen35_hybrid_and_nextn(gguf_dir):
    root, every = gguf_dir
    facts = every["qwen35"]
    info = read_model(str(root / "qwen35.gguf"))
    spec = info.spec
    assert spec.num_layers == 8 and spec.mtp_layers == 1
    assert [l.index for l in spec.layers if l.kind == "full"] == facts["full"]
    assert spec.linear_attention_layers == 6
    state = spec.layers[0].state
    assert state.type == "gdn" and state.conv_dim == facts["conv_dim"] and state.ssm_elements == facts["ssm_elements"]
    assert (state.num_heads, state.num_k_heads, state.head_dim_k, state.head_dim_v) == (4, 2, 16, 16)
    assert info.weights.mtp > 0 and info.params_mtp > 0


def test_deepseek2_mla_and_experts(gguf_dir):
    root, every = gguf_dir
    facts = every["deepseek2"]
    info = read_model(str(root / "deepseek2.gguf"))
    layer = info.spec.layers[0]
    assert info.spec.mla_layers == 3
    assert (layer.kv_lora_rank, layer.rope_dim, layer.head_dim_k, layer.head_dim_v, layer.num_kv_heads) == (32, 16, 48, 0, 1)
    moe = info.spec.moe
    assert (moe.num_experts, moe.experts_per_token, moe.shared_experts, moe.moe_layers) == (4, 2, 1, 2)
    assert [l.is_moe for l in info.spec.layers] == [False, True, True]
    # half of each MoE layer's routed experts are inactive
    assert info.params_total - info.params_active == 2 * facts["expert_numel_per_layer"] // 2
    assert info.weights.per_layer_experts[0] == 0 and info.weights.per_layer_experts[1] > 0


def test_gemma3_builtin_swa_period_and_skipped_vocab(gguf_dir):
    root, every = gguf_dir
    facts = every["gemma3"]
    header = read_gguf_header(str(root / "gemma3.gguf"))
    assert header.metadata["tokenizer.ggml.tokens"] == SkippedArray(8, facts["vocab"])
    assert isinstance(header.metadata["tokenizer.ggml.scores"], SkippedArray)
    info = read_model(str(root / "gemma3.gguf"))
    assert info.spec.vocab_size == facts["vocab"]
    assert [l.index for l in info.spec.layers if l.kind == "full"] == facts["full"]
    assert info.spec.layers[0].window == 512 and info.tie_word_embeddings is True


def test_nemotron_h_per_layer_arrays(gguf_dir):
    root, every = gguf_dir
    facts = every["nemotron_h"]
    info = read_model(str(root / "nemotron_h.gguf"))
    assert [l.kind for l in info.spec.layers] == facts["kinds"]
    state = info.spec.layers[0].state
    assert state.type == "mamba2" and state.conv_dim == facts["conv_dim"] and state.ssm_elements == facts["ssm_elements"]
    assert info.spec.layers[0].state_bytes == (state.conv_dim * 3 + state.ssm_elements) * 4


def test_split_files_are_all_read(tmp_path):
    factory.write_llama(tmp_path / "m.gguf", layers=3, split_max_tensors=10)
    splits = sorted(os.listdir(tmp_path))
    assert len(splits) > 1 and splits[0].endswith("-00001-of-%05d.gguf" % len(splits))
    whole = tmp_path / "whole"
    whole.mkdir()
    factory.write_llama(whole / "m.gguf", layers=3)
    split_info = read_model(str(tmp_path / splits[0]))
    whole_info = read_model(str(whole / "m.gguf"))
    assert split_info.params_total == whole_info.params_total
    assert split_info.weight_bytes_by_dtype == whole_info.weight_bytes_by_dtype
    assert split_info.files.count == len(splits)
    os.remove(tmp_path / splits[-1])
    with pytest.raises(Exception, match="incomplete"):
        read_model(str(tmp_path / splits[0]))


def test_directory_with_one_gguf(gguf_dir, tmp_path):
    root, _ = gguf_dir
    os.symlink(root / "llama.gguf", tmp_path / "model.gguf")
    assert read_model(str(tmp_path)).architecture == "llama"
