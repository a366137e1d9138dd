"""Header-only reading speed on sparse files shaped like real checkpoints.

1. A sparse GGUF shaped like Qwen3-32B at Q4_K_M (64 layers, 151,936-token vocabulary with its
   merges, token types), written with gguf-py's GGUFWriter (tensor infos only; the data region is a
   hole made by truncate). llmdoctor's reader and gguf.GGUFReader read the same file in the same run.
2. A 60-shard sparse safetensors directory (Qwen3-32B's real config.json, bf16 tensors).
The "whole command" figure runs `read_model` + `model_to_dict` + JSON in a fresh interpreter, so
it includes Python start-up and imports.

    .venv/bin/python benchmarks/bench_readers.py [--keep DIR]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
QWEN3_32B_CONFIG = os.path.join(REPO, "fixtures", "models", "Qwen--Qwen3-32B", "config.json")

HIDDEN, LAYERS, HEADS, KV_HEADS, HEAD_DIM, FFN, VOCAB = 5120, 64, 64, 8, 128, 25600, 151_936


def qwen3_32b_tensors():
    """(name, numpy-order shape, is_q6k) of Qwen3-32B; Q4_K_M puts Q6_K on output, and attn_v and
    ffn_down of about half the layers (llama.cpp's use_more_bits rule)."""
    yield "token_embd.weight", (VOCAB, HIDDEN), False
    yield "output_norm.weight", (HIDDEN,), None
    yield "output.weight", (VOCAB, HIDDEN), True
    for i in range(LAYERS):
        more_bits = i < LAYERS // 8 or i >= 7 * LAYERS // 8 or (i - LAYERS // 8) % 3 == 2
        yield f"blk.{i}.attn_norm.weight", (HIDDEN,), None
        yield f"blk.{i}.attn_q.weight", (HEADS * HEAD_DIM, HIDDEN), False
        yield f"blk.{i}.attn_k.weight", (KV_HEADS * HEAD_DIM, HIDDEN), False
        yield f"blk.{i}.attn_v.weight", (KV_HEADS * HEAD_DIM, HIDDEN), more_bits
        yield f"blk.{i}.attn_output.weight", (HIDDEN, HEADS * HEAD_DIM), False
        yield f"blk.{i}.attn_q_norm.weight", (HEAD_DIM,), None
        yield f"blk.{i}.attn_k_norm.weight", (HEAD_DIM,), None
        yield f"blk.{i}.ffn_norm.weight", (HIDDEN,), None
        yield f"blk.{i}.ffn_gate.weight", (FFN, HIDDEN), False
        yield f"blk.{i}.ffn_up.weight", (FFN, HIDDEN), False
        yield f"blk.{i}.ffn_down.weight", (HIDDEN, FFN), more_bits


def write_sparse_gguf(path: str) -> int:
    import numpy as np
    from gguf import GGMLQuantizationType as Q
    from gguf import GGUFWriter

    writer = GGUFWriter(path, "qwen3")
    writer.add_block_count(LAYERS)
    writer.add_context_length(40960)
    writer.add_embedding_length(HIDDEN)
    writer.add_feed_forward_length(FFN)
    writer.add_head_count(HEADS)
    writer.add_head_count_kv(KV_HEADS)
    writer.add_key_length(HEAD_DIM)
    writer.add_value_length(HEAD_DIM)
    writer.add_rope_freq_base(1_000_000.0)
    writer.add_layer_norm_rms_eps(1e-6)
    writer.add_file_type(15)
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("qwen2")
    writer.add_token_list([f"token_{i:06d}" for i in range(VOCAB)])
    writer.add_token_types([1] * VOCAB)
    writer.add_token_merges([f"tok_{i} en_{i}" for i in range(151_387)])
    writer.add_chat_template("{% for message in messages %}{{ message.content }}{% endfor %}" * 50)
    total = 0
    for name, shape, q6 in qwen3_32b_tensors():
        if q6 is None:
            nbytes = 4 * int(np.prod(shape))
            writer.add_tensor_info(name, shape, np.dtype(np.float32), nbytes, raw_dtype=Q.F32)
        else:
            qtype, block_bytes = (Q.Q6_K, 210) if q6 else (Q.Q4_K, 144)
            byte_shape = shape[:-1] + (shape[-1] // 256 * block_bytes,)     # gguf-py takes quantized shapes in bytes
            nbytes = int(np.prod(byte_shape))
            writer.add_tensor_info(name, byte_shape, np.dtype(np.uint8), nbytes, raw_dtype=qtype)
        total += -(-nbytes // 32) * 32
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_ti_data_to_file()
    writer.close()
    size = os.path.getsize(path)
    size = -(-size // 32) * 32
    os.truncate(path, size + total)            # the data region is a hole: sparse on disk
    return size + total


def write_sparse_safetensors_dir(root: str, shards: int = 60) -> int:
    shutil.copy(QWEN3_32B_CONFIG, os.path.join(root, "config.json"))
    names = []
    for i in range(LAYERS):
        p = f"model.layers.{i}."
        names += [(p + "self_attn.q_proj.weight", [HEADS * HEAD_DIM, HIDDEN]), (p + "self_attn.k_proj.weight", [KV_HEADS * HEAD_DIM, HIDDEN]),
                  (p + "self_attn.v_proj.weight", [KV_HEADS * HEAD_DIM, HIDDEN]), (p + "self_attn.o_proj.weight", [HIDDEN, HEADS * HEAD_DIM]),
                  (p + "self_attn.q_norm.weight", [HEAD_DIM]), (p + "self_attn.k_norm.weight", [HEAD_DIM]),
                  (p + "mlp.gate_proj.weight", [FFN, HIDDEN]), (p + "mlp.up_proj.weight", [FFN, HIDDEN]),
                  (p + "mlp.down_proj.weight", [HIDDEN, FFN]), (p + "input_layernorm.weight", [HIDDEN]),
                  (p + "post_attention_layernorm.weight", [HIDDEN])]
    names += [("model.embed_tokens.weight", [VOCAB, HIDDEN]), ("lm_head.weight", [VOCAB, HIDDEN]), ("model.norm.weight", [HIDDEN])]
    per_shard = -(-len(names) // shards)
    weight_map, total = {}, 0
    for s in range(shards):
        part = names[s * per_shard:(s + 1) * per_shard]
        file = f"model-{s + 1:05d}-of-{shards:05d}.safetensors"
        header, offset = {"__metadata__": {"format": "pt"}}, 0
        for name, shape in part:
            n = 2
            for d in shape:
                n *= d
            header[name] = {"dtype": "BF16", "shape": shape, "data_offsets": [offset, offset + n]}
            offset += n
            weight_map[name] = file
        raw = json.dumps(header).encode()
        path = os.path.join(root, file)
        with open(path, "wb") as handle:
            handle.write(struct.pack("<Q", len(raw)) + raw)
        os.truncate(path, 8 + len(raw) + offset)
        total += 8 + len(raw) + offset
    with open(os.path.join(root, "model.safetensors.index.json"), "w") as handle:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, handle)
    return total


def best_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def whole_command(path: str) -> float:
    code = ("import json,sys; from llmdoctor.checkpoint import read_model, model_to_dict; "
            "json.dumps(model_to_dict(read_model(sys.argv[1])))")
    times = []
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code, path], check=True, cwd=REPO)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--keep", help="write the sparse files here and keep them")
    args = parser.parse_args()
    root = args.keep or tempfile.mkdtemp(prefix="llmdoctor-bench-")
    os.makedirs(root, exist_ok=True)
    gguf_path = os.path.join(root, "qwen3-32b-q4_k_m.gguf")
    st_dir = os.path.join(root, "qwen3-32b-60-shards")
    os.makedirs(st_dir, exist_ok=True)
    try:
        logical = write_sparse_gguf(gguf_path)
        st_total = write_sparse_safetensors_dir(st_dir)
        from gguf import GGUFReader

        from llmdoctor.checkpoint import read_model
        from llmdoctor.checkpoint.gguf_reader import read_gguf

        info = read_model(gguf_path)
        print(f"GGUF: {logical / 2**30:.1f} GiB logical, {os.stat(gguf_path).st_blocks * 512 / 2**20:.1f} MiB on disk, "
              f"{len(read_gguf(gguf_path).tensors)} tensors, vocab {info.spec.vocab_size}, "
              f"{info.params_total / 1e9:.2f}B params, {info.weight_bytes / 2**30:.2f} GiB weights, {info.gguf_file_type}")
        ours_header = best_of(lambda: read_gguf(gguf_path), 5)
        ours_model = best_of(lambda: read_model(gguf_path), 5)
        theirs = best_of(lambda: GGUFReader(gguf_path), 3)
        print(f"  llmdoctor gguf_reader.read_gguf      {ours_header * 1000:8.1f} ms")
        print(f"  llmdoctor read_model (spec built)    {ours_model * 1000:8.1f} ms")
        print(f"  gguf.GGUFReader (gguf-py)            {theirs * 1000:8.1f} ms")
        print(f"  ratio GGUFReader / read_model        {theirs / ours_model:8.1f}x")
        print(f"  whole command, fresh interpreter     {whole_command(gguf_path) * 1000:8.1f} ms")

        st_info = read_model(st_dir)
        print(f"safetensors: 60 shards, {st_total / 2**30:.1f} GiB logical, {st_info.params_total / 1e9:.2f}B params")
        print(f"  llmdoctor read_model                 {best_of(lambda: read_model(st_dir), 5) * 1000:8.1f} ms")
        print(f"  whole command, fresh interpreter     {whole_command(st_dir) * 1000:8.1f} ms")
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
