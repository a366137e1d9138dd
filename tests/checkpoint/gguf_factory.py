"""Write small but real GGUF files with gguf-py's GGUFWriter: real metadata keys, tiny tensors.

Each builder returns the facts it wrote so tests can check the reader against them.
"""
from __future__ import annotations

import numpy as np
from gguf import GGMLQuantizationType as Q
from gguf import GGUFWriter

BYTES_PER_BLOCK = {Q.Q4_K: (256, 144), Q.Q6_K: (256, 210), Q.Q8_0: (32, 34), Q.MXFP4: (32, 17)}


def _tensor(writer: GGUFWriter, name: str, shape: tuple[int, ...], qtype=Q.F32) -> None:
    """shape is GGUF order reversed (numpy order: slowest first); the last axis is the row."""
    if qtype == Q.F32:
        writer.add_tensor(name, np.zeros(shape, dtype=np.float32))
        return
    if qtype == Q.F16:
        writer.add_tensor(name, np.zeros(shape, dtype=np.float16))
        return
    block, size = BYTES_PER_BLOCK[qtype]
    assert shape[-1] % block == 0
    byte_shape = shape[:-1] + (shape[-1] // block * size,)
    writer.add_tensor(name, np.zeros(byte_shape, dtype=np.uint8), raw_dtype=qtype)


def _tokens(writer: GGUFWriter, vocab: int) -> None:
    writer.add_tokenizer_model("gpt2")
    writer.add_token_list([f"tok{i}" for i in range(vocab)])
    writer.add_token_types([1] * vocab)
    writer.add_token_merges([f"t o{i}" for i in range(vocab - 10)])


def _finish(writer: GGUFWriter) -> None:
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def write_llama(path, vocab: int = 300, hidden: int = 256, layers: int = 2, template: str = "{{ messages }}", split_max_tensors: int = 0):
    writer = GGUFWriter(str(path), "llama", split_max_tensors=split_max_tensors) if split_max_tensors else GGUFWriter(str(path), "llama")
    writer.add_block_count(layers)
    writer.add_context_length(8192)
    writer.add_embedding_length(hidden)
    writer.add_feed_forward_length(512)
    writer.add_head_count(8)
    writer.add_head_count_kv(2)
    writer.add_rope_freq_base(500000.0)
    writer.add_file_type(15)                          # Q4_K_M
    writer.add_chat_template(template)
    _tokens(writer, vocab)
    head_dim = hidden // 8
    _tensor(writer, "token_embd.weight", (vocab, hidden), Q.Q4_K)
    _tensor(writer, "output_norm.weight", (hidden,))
    _tensor(writer, "output.weight", (vocab, hidden), Q.Q6_K)
    for i in range(layers):
        _tensor(writer, f"blk.{i}.attn_norm.weight", (hidden,))
        _tensor(writer, f"blk.{i}.attn_q.weight", (hidden, hidden), Q.Q4_K)
        _tensor(writer, f"blk.{i}.attn_k.weight", (2 * head_dim, hidden), Q.Q4_K)
        _tensor(writer, f"blk.{i}.attn_v.weight", (2 * head_dim, hidden), Q.Q6_K)
        _tensor(writer, f"blk.{i}.attn_output.weight", (hidden, hidden), Q.Q4_K)
        _tensor(writer, f"blk.{i}.ffn_norm.weight", (hidden,))
        _tensor(writer, f"blk.{i}.ffn_gate.weight", (512, hidden), Q.Q4_K)
        _tensor(writer, f"blk.{i}.ffn_up.weight", (512, hidden), Q.Q4_K)
        _tensor(writer, f"blk.{i}.ffn_down.weight", (hidden, 512), Q.Q6_K)
    _finish(writer)
    return {"layers": layers, "hidden": hidden, "vocab": vocab, "kv_heads": 2, "head_dim": head_dim}


def write_qwen35(path, vocab: int = 300, hidden: int = 64, layers: int = 8):
    """Qwen3.5-style hybrid: GDN layers with a full-attention layer every 4th, plus one nextn layer."""
    arch = "qwen35"
    writer = GGUFWriter(str(path), arch)
    writer.add_block_count(layers + 1)                # llama.cpp counts the nextn layer in block_count
    writer.add_uint32(f"{arch}.nextn_predict_layers", 1)
    writer.add_context_length(262144)
    writer.add_embedding_length(hidden)
    writer.add_feed_forward_length(128)
    writer.add_head_count(4)
    writer.add_head_count_kv(2)
    writer.add_key_length(32)
    writer.add_value_length(32)
    writer.add_uint32(f"{arch}.full_attention_interval", 4)
    writer.add_uint32(f"{arch}.ssm.conv_kernel", 4)
    writer.add_uint32(f"{arch}.ssm.state_size", 16)        # linear_key_head_dim
    writer.add_uint32(f"{arch}.ssm.group_count", 2)        # linear_num_key_heads
    writer.add_uint32(f"{arch}.ssm.time_step_rank", 4)     # linear_num_value_heads
    writer.add_uint32(f"{arch}.ssm.inner_size", 4 * 16)    # value heads x value head dim
    writer.add_file_type(7)
    _tokens(writer, vocab)
    _tensor(writer, "token_embd.weight", (vocab, hidden), Q.Q8_0)
    _tensor(writer, "output_norm.weight", (hidden,))
    _tensor(writer, "output.weight", (vocab, hidden), Q.Q8_0)
    for i in range(layers + 1):
        _tensor(writer, f"blk.{i}.attn_norm.weight", (hidden,))
        if (i + 1) % 4 == 0 or i == layers:
            _tensor(writer, f"blk.{i}.attn_q.weight", (2 * 4 * 32, hidden), Q.Q8_0)
            _tensor(writer, f"blk.{i}.attn_k.weight", (2 * 32, hidden), Q.Q8_0)
            _tensor(writer, f"blk.{i}.attn_v.weight", (2 * 32, hidden), Q.Q8_0)
            _tensor(writer, f"blk.{i}.attn_output.weight", (hidden, 4 * 32), Q.Q8_0)
        else:
            _tensor(writer, f"blk.{i}.attn_qkv.weight", (2 * 2 * 16 + 64, hidden), Q.Q8_0)
            _tensor(writer, f"blk.{i}.ssm_conv1d.weight", (2 * 2 * 16 + 64, 4))
            _tensor(writer, f"blk.{i}.ssm_out.weight", (hidden, 64), Q.Q8_0)
        _tensor(writer, f"blk.{i}.ffn_up.weight", (128, hidden), Q.Q8_0)
        _tensor(writer, f"blk.{i}.ffn_down.weight", (hidden, 128), Q.Q8_0)
    _tensor(writer, f"blk.{layers}.nextn.eh_proj.weight", (hidden, 2 * hidden), Q.Q8_0)
    _finish(writer)
    return {"layers": layers, "full": [3, 7], "conv_dim": 2 * 2 * 16 + 64, "ssm_elements": 64 * 16}


def write_deepseek2(path, vocab: int = 300, hidden: int = 64, layers: int = 3):
    """MLA with one dense leading layer, 4 routed experts (2 used) and one shared expert."""
    arch = "deepseek2"
    writer = GGUFWriter(str(path), arch)
    writer.add_block_count(layers)
    writer.add_context_length(163840)
    writer.add_embedding_length(hidden)
    writer.add_feed_forward_length(128)
    writer.add_head_count(4)
    writer.add_head_count_kv(1)
    writer.add_uint32(f"{arch}.attention.kv_lora_rank", 32)
    writer.add_uint32(f"{arch}.attention.key_length_mla", 48)
    writer.add_uint32(f"{arch}.rope.dimension_count", 16)
    writer.add_uint32(f"{arch}.leading_dense_block_count", 1)
    writer.add_uint32(f"{arch}.expert_count", 4)
    writer.add_uint32(f"{arch}.expert_used_count", 2)
    writer.add_uint32(f"{arch}.expert_shared_count", 1)
    writer.add_uint32(f"{arch}.expert_feed_forward_length", 32)
    writer.add_file_type(7)
    _tokens(writer, vocab)
    _tensor(writer, "token_embd.weight", (vocab, hidden), Q.Q8_0)
    _tensor(writer, "output_norm.weight", (hidden,))
    _tensor(writer, "output.weight", (vocab, hidden), Q.Q8_0)
    for i in range(layers):
        _tensor(writer, f"blk.{i}.attn_norm.weight", (hidden,))
        _tensor(writer, f"blk.{i}.attn_q.weight", (4 * 48, hidden), Q.Q8_0)
        _tensor(writer, f"blk.{i}.attn_kv_a_mqa.weight", (32 + 16, hidden), Q.Q8_0)
        _tensor(writer, f"blk.{i}.attn_kv_a_norm.weight", (32,))
        _tensor(writer, f"blk.{i}.attn_kv_b.weight", (4 * (32 + 32), 32), Q.Q8_0)
        _tensor(writer, f"blk.{i}.attn_output.weight", (hidden, 4 * 32), Q.Q8_0)
        _tensor(writer, f"blk.{i}.ffn_norm.weight", (hidden,))
        if i == 0:
            _tensor(writer, f"blk.{i}.ffn_up.weight", (128, hidden), Q.Q8_0)
            _tensor(writer, f"blk.{i}.ffn_down.weight", (hidden, 128), Q.Q8_0)
        else:
            _tensor(writer, f"blk.{i}.ffn_gate_inp.weight", (4, hidden))
            _tensor(writer, f"blk.{i}.ffn_up_exps.weight", (4, 32, hidden), Q.Q8_0)
            _tensor(writer, f"blk.{i}.ffn_down_exps.weight", (4, hidden, 32), Q.Q8_0)
            _tensor(writer, f"blk.{i}.ffn_up_shexp.weight", (32, hidden), Q.Q8_0)
    _finish(writer)
    return {"layers": layers, "rank": 32, "rope": 16, "expert_numel_per_layer": 2 * 4 * 32 * hidden}


def write_gemma3(path, vocab: int = 5000, hidden: int = 64, layers: int = 12):
    """SWA with llama.cpp's built-in Gemma-3 period of 6, and a vocabulary big enough to be skipped."""
    arch = "gemma3"
    writer = GGUFWriter(str(path), arch)
    writer.add_block_count(layers)
    writer.add_context_length(131072)
    writer.add_embedding_length(hidden)
    writer.add_feed_forward_length(128)
    writer.add_head_count(4)
    writer.add_head_count_kv(1)
    writer.add_key_length(32)
    writer.add_value_length(32)
    writer.add_sliding_window(512)
    writer.add_file_type(7)
    _tokens(writer, vocab)
    writer.add_array("tokenizer.ggml.scores", [0.0] * vocab)
    _tensor(writer, "token_embd.weight", (vocab, hidden), Q.Q8_0)
    _tensor(writer, "output_norm.weight", (hidden,))
    for i in range(layers):
        _tensor(writer, f"blk.{i}.attn_norm.weight", (hidden,))
        _tensor(writer, f"blk.{i}.attn_q.weight", (128, hidden), Q.Q8_0)
    _finish(writer)
    return {"layers": layers, "vocab": vocab, "full": [5, 11]}


def write_nemotron_h(path, vocab: int = 300, hidden: int = 64):
    """Mamba2 hybrid: per-layer head_count_kv and feed_forward_length arrays (0 = none)."""
    arch = "nemotron_h"
    kv = [0, 2, 0, 0]
    ffn = [0, 0, 128, 0]
    writer = GGUFWriter(str(path), arch)
    writer.add_block_count(4)
    writer.add_context_length(8192)
    writer.add_embedding_length(hidden)
    writer.add_array(f"{arch}.feed_forward_length", ffn)
    writer.add_head_count(4)
    writer.add_array(f"{arch}.attention.head_count_kv", kv)
    writer.add_key_length(16)
    writer.add_value_length(16)
    writer.add_uint32(f"{arch}.ssm.conv_kernel", 4)
    writer.add_uint32(f"{arch}.ssm.state_size", 16)
    writer.add_uint32(f"{arch}.ssm.group_count", 2)
    writer.add_uint32(f"{arch}.ssm.time_step_rank", 4)
    writer.add_uint32(f"{arch}.ssm.inner_size", 128)
    writer.add_file_type(0)
    _tokens(writer, vocab)
    _tensor(writer, "token_embd.weight", (vocab, hidden))
    _tensor(writer, "output_norm.weight", (hidden,))
    _tensor(writer, "output.weight", (vocab, hidden))
    for i in range(4):
        _tensor(writer, f"blk.{i}.attn_norm.weight", (hidden,))
    _finish(writer)
    return {"kinds": ["mamba", "full", "mlp", "mamba"], "conv_dim": 128 + 2 * 2 * 16, "ssm_elements": 128 * 16}
