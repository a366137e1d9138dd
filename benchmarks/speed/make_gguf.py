"""Write full-size GGUF files with random weights, for llama.cpp speed runs (llama-bench, batched-bench).

Decode and prefill speed depend on tensor shapes and quant types, not on the weights' values, so a
file with the real shapes of a model and random (but finite, small) values runs at the model's
speed. Each quantized tensor's blocks are random bytes whose fp16 scale fields are overwritten with
small finite values; the bytes come from one random pool per type (tensors are views into it).

Tensor names and shapes follow llama.cpp 0c1e57098 `src/models/{llama,qwen3,qwen3moe,qwen35,qwen35moe,gemma3}.cpp`.
Recipes follow llama-quantize's defaults loosely: Q4_0 (output Q6_K), Q8_0, F16, Q4_K_M (Q4_K;
attn_v and ffn_down(_exps) Q6_K on the 'more bits' layers; output Q6_K). A tied model's token_embd
takes the output's type, as llama-quantize gives it (the files of the 2026-11 runs had it at the base type).

Usage: python make_gguf.py OUT.gguf SHAPE RECIPE      e.g. make_gguf.py /tmp/m.gguf llama-8b q4_0
       python make_gguf.py --list
"""
from __future__ import annotations

import sys

import numpy as np
import gguf
from gguf import GGMLQuantizationType as T

SHAPES = {
    # Llama-3.2-1B / Llama-3.1-8B / Llama-3.1-70B (meta-llama configs)
    "llama-1b": dict(arch="llama", L=16, embd=2048, H=32, KV=8, D=64, ff=8192, vocab=128256, tied=True),
    "llama-8b": dict(arch="llama", L=32, embd=4096, H=32, KV=8, D=128, ff=14336, vocab=128256, tied=False),
    "llama-70b": dict(arch="llama", L=80, embd=8192, H=64, KV=8, D=128, ff=28672, vocab=128256, tied=False),
    # Llama-3.2-3B (benchmarks/speed/models/llama32-3b)
    "llama-3b": dict(arch="llama", L=28, embd=3072, H=24, KV=8, D=128, ff=8192, vocab=128256, tied=True),
    # Qwen3-0.6B / 1.7B / 4B / 8B / 14B (Qwen configs)
    "qwen3-0.6b": dict(arch="qwen3", L=28, embd=1024, H=16, KV=8, D=128, ff=3072, vocab=151936, tied=True),
    "qwen3-1.7b": dict(arch="qwen3", L=28, embd=2048, H=16, KV=8, D=128, ff=6144, vocab=151936, tied=True),
    "qwen3-4b": dict(arch="qwen3", L=36, embd=2560, H=32, KV=8, D=128, ff=9728, vocab=151936, tied=True),
    "qwen3-8b": dict(arch="qwen3", L=36, embd=4096, H=32, KV=8, D=128, ff=12288, vocab=151936, tied=False),
    "qwen3-14b": dict(arch="qwen3", L=40, embd=5120, H=40, KV=8, D=128, ff=17408, vocab=151936, tied=False),
    # Qwen3-30B-A3B
    "qwen3moe-30b-a3b": dict(arch="qwen3moe", L=48, embd=2048, H=32, KV=4, D=128, ff=6144, vocab=151936,
                             tied=False, E=128, EU=8, ffe=768),
    # Qwen3.5-35B-A3B: 3 Gated DeltaNet layers to 1 gated full-attention layer, 256 experts (8 used) + shared
    "qwen35moe-35b-a3b": dict(arch="qwen35moe", L=40, embd=2048, H=16, KV=2, D=256, ff=512, vocab=248320,
                              tied=False, E=256, EU=8, ffe=512, ffs=512, kh=16, vh=32, hd=128, interval=4),
    # Qwen3.5-0.8B (Qwen/Qwen3.5-0.8B@2fc06364) and Qwen3.5-27B (fixtures/models): dense, the same 3:1 hybrid
    "qwen35-0.8b": dict(arch="qwen35", L=24, embd=1024, H=8, KV=2, D=256, ff=3584, vocab=248320, tied=True,
                        kh=16, vh=16, hd=128, interval=4),
    "qwen35-27b": dict(arch="qwen35", L=64, embd=5120, H=24, KV=4, D=256, ff=17408, vocab=248320, tied=False,
                       kh=16, vh=48, hd=128, interval=4),
    # Gemma-3-1B / 27B (fixtures/models): q/k norms, post-attention and post-FFN norms, 5 sliding-window layers to 1
    "gemma3-1b": dict(arch="gemma3", L=26, embd=1152, H=4, KV=1, D=256, ff=6912, vocab=262144, tied=True, swa=512),
    "gemma3-27b": dict(arch="gemma3", L=62, embd=5376, H=32, KV=16, D=128, ff=21504, vocab=262208, tied=True,
                       swa=1024),
}
# diagnostic variants, one feature changed (benchmarks/speed/README.md, seventh session): not models, no rows
SHAPES.update({
    "gemma3-1b-v152k": dict(SHAPES["gemma3-1b"], vocab=151936),        # Qwen3's vocabulary
    "gemma3-1b-noswa": dict(SHAPES["gemma3-1b"], swa=0),               # every layer global
    "gemma3-1b-d128": dict(SHAPES["gemma3-1b"], H=8, KV=2, D=128),     # the same widths in 128-wide heads
    "qwen3-0.6b-v262k": dict(SHAPES["qwen3-0.6b"], vocab=262144),      # Gemma 3's vocabulary
})
HYBRID = ("qwen35", "qwen35moe")

BLOCK = {T.Q4_0: (32, 18), T.Q8_0: (32, 34), T.Q4_K: (256, 144), T.Q6_K: (256, 210), T.F16: (1, 2)}
FILE_TYPE = {"q4_0": 2, "q8_0": 7, "f16": 1, "q4_k_m": 15}
RNG = np.random.default_rng(0)


def _scales(n: int, exp: int) -> np.ndarray:
    """n finite fp16 bit patterns 2^(exp-15) x (1 + random mantissa), positive."""
    return ((exp << 10) | (RNG.integers(0, 1024, n, dtype=np.uint16))).astype(np.uint16)


def make_pool(q: T, nbytes: int) -> np.ndarray:
    elems, size = BLOCK[q]
    if q == T.F16:
        n = nbytes // 2 + 1
        bits = (RNG.integers(0, 1 << 16, n, dtype=np.uint16) & 0x83FF) | (8 << 10)    # +-2^-7 .. 2^-6
        return bits.view(np.uint8)
    nblk = nbytes // size + 1
    pool = RNG.integers(0, 256, nblk * size, dtype=np.uint8).reshape(nblk, size)
    f16 = lambda exp: _scales(nblk, exp).view(np.uint8).reshape(nblk, 2)
    if q == T.Q4_0:
        pool[:, 0:2] = f16(7)                       # d ~ 2^-8
    elif q == T.Q8_0:
        pool[:, 0:2] = f16(3)                       # d ~ 2^-12
    elif q == T.Q4_K:
        pool[:, 0:2] = f16(3)                       # d
        pool[:, 2:4] = f16(3)                       # dmin
    elif q == T.Q6_K:
        pool[:, 208:210] = f16(1)                   # d ~ 2^-14 (scales are int8)
    return pool.reshape(-1)


def tensors(s: dict, recipe: str) -> list[tuple[str, tuple[int, ...], T]]:
    """(name, ggml shape ne0.., type) for every tensor; 1-D tensors are F32."""
    base = {"q4_0": T.Q4_0, "q8_0": T.Q8_0, "f16": T.F16, "q4_k_m": T.Q4_K}[recipe]
    out_t = {"q4_0": T.Q6_K, "q8_0": T.Q8_0, "f16": T.F16, "q4_k_m": T.Q6_K}[recipe]
    L, E_ = s["L"], s["embd"]
    more = lambda i: recipe == "q4_k_m" and (i < L // 8 or i >= 7 * L // 8 or (i - L // 8) % 3 == 2)
    t = [("token_embd.weight", (E_, s["vocab"]), out_t if s["tied"] else base), ("output_norm.weight", (E_,), T.F32)]
    if not s["tied"]:
        t.append(("output.weight", (E_, s["vocab"]), out_t))
    H, KV, D = s["H"], s["KV"], s["D"]
    for i in range(L):
        p = f"blk.{i}."
        big = T.Q6_K if more(i) else base
        t.append((p + "attn_norm.weight", (E_,), T.F32))
        full = s["arch"] not in HYBRID or (i + 1) % s["interval"] == 0
        if full:
            gate = 2 if s["arch"] in HYBRID else 1
            t += [(p + "attn_q.weight", (E_, D * H * gate), base), (p + "attn_k.weight", (E_, D * KV), base),
                  (p + "attn_v.weight", (E_, D * KV), big), (p + "attn_output.weight", (D * H, E_), base)]
            if s["arch"] in ("qwen3", "qwen3moe", "gemma3") + HYBRID:
                t += [(p + "attn_q_norm.weight", (D,), T.F32), (p + "attn_k_norm.weight", (D,), T.F32)]
        else:
            kd, vd = s["hd"] * s["kh"], s["hd"] * s["vh"]
            conv = 2 * kd + vd
            t += [(p + "attn_qkv.weight", (E_, conv), base), (p + "attn_gate.weight", (E_, vd), base),
                  (p + "ssm_conv1d.weight", (4, conv), T.F32), (p + "ssm_dt.bias", (s["vh"],), T.F32),
                  (p + "ssm_a", (s["vh"],), T.F32), (p + "ssm_beta.weight", (E_, s["vh"]), T.F32),
                  (p + "ssm_alpha.weight", (E_, s["vh"]), T.F32), (p + "ssm_norm.weight", (s["hd"],), T.F32),
                  (p + "ssm_out.weight", (vd, E_), base)]
        if s["arch"] in HYBRID:
            t.append((p + "post_attention_norm.weight", (E_,), T.F32))
        else:
            t.append((p + "ffn_norm.weight", (E_,), T.F32))
        if s["arch"] == "gemma3":
            t += [(p + "post_attention_norm.weight", (E_,), T.F32), (p + "post_ffw_norm.weight", (E_,), T.F32)]
        if "E" in s:
            E, fe = s["E"], s["ffe"]
            t += [(p + "ffn_gate_inp.weight", (E_, E), T.F32), (p + "ffn_gate_exps.weight", (E_, fe, E), base),
                  (p + "ffn_up_exps.weight", (E_, fe, E), base), (p + "ffn_down_exps.weight", (fe, E_, E), big)]
            if s.get("ffs"):
                fs = s["ffs"]
                t += [(p + "ffn_gate_inp_shexp.weight", (E_,), T.F32), (p + "ffn_gate_shexp.weight", (E_, fs), base),
                      (p + "ffn_up_shexp.weight", (E_, fs), base), (p + "ffn_down_shexp.weight", (fs, E_), big)]
        else:
            ff = s["ff"]
            t += [(p + "ffn_gate.weight", (E_, ff), base), (p + "ffn_up.weight", (E_, ff), base),
                  (p + "ffn_down.weight", (ff, E_), big)]
    return t


def nbytes(shape: tuple[int, ...], q: T) -> int:
    if q == T.F32:
        return 4 * int(np.prod(shape))
    elems, size = BLOCK[q]
    return int(np.prod(shape[1:])) * shape[0] // elems * size


def _tokenizer(w: gguf.GGUFWriter, vocab: int) -> None:
    toks = ["<unk>", "<s>", "</s>"] + [f"<0x{i:02X}>" for i in range(256)]
    toks += [f"\u2581t{i}" for i in range(vocab - len(toks))]
    w.add_tokenizer_model("llama")
    w.add_token_list(toks)
    w.add_token_scores([0.0] * vocab)
    w.add_token_types([2, 3, 3] + [6] * 256 + [1] * (vocab - 259))
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)
    w.add_unk_token_id(0)


def write(path: str, shape: str, recipe: str) -> int:
    s = SHAPES[shape]
    arch = s["arch"]
    w = gguf.GGUFWriter(path, arch)
    w.add_name(f"{shape}-{recipe}-random")
    w.add_context_length(262144 if arch in HYBRID else 131072)
    w.add_embedding_length(s["embd"])
    w.add_block_count(s["L"])
    w.add_feed_forward_length(s["ff"])
    w.add_head_count(s["H"])
    w.add_head_count_kv(s["KV"])
    w.add_key_length(s["D"])
    w.add_value_length(s["D"])
    w.add_rope_freq_base(1e6)
    w.add_layer_norm_rms_eps(1e-6)
    w.add_file_type(FILE_TYPE[recipe])
    if arch == "llama":
        w.add_rope_dimension_count(s["D"])
        w.add_vocab_size(s["vocab"])
    if arch == "gemma3" and s["swa"]:
        w.add_sliding_window(s["swa"])
        w.add_uint32(f"{arch}.attention.sliding_window_pattern", 6)
        w.add_float32(f"{arch}.rope.freq_base_swa", 10000.0)
    if "E" in s:
        w.add_expert_count(s["E"])
        w.add_expert_used_count(s["EU"])
        w.add_expert_feed_forward_length(s["ffe"])
    if arch == "qwen35moe":
        w.add_expert_shared_feed_forward_length(s["ffs"])
    if arch in HYBRID:
        w.add_rope_dimension_count(s["D"] // 4)
        w.add_rope_dimension_sections([11, 11, 10, 0])
        w.add_ssm_conv_kernel(4)
        w.add_ssm_inner_size(s["hd"] * s["vh"])
        w.add_ssm_state_size(s["hd"])
        w.add_ssm_time_step_rank(s["vh"])
        w.add_ssm_group_count(s["kh"])
        w.add_uint32(f"{arch}.full_attention_interval", s["interval"])
    _tokenizer(w, s["vocab"])
    ts = tensors(s, recipe)
    need: dict[T, int] = {}
    for _, shp, q in ts:
        if q != T.F32:
            need[q] = max(need.get(q, 0), nbytes(shp, q))
    pools = {q: make_pool(q, n) for q, n in need.items()}
    total = 0
    for name, shp, q in ts:
        np_shape = tuple(reversed(shp))
        if q == T.F32:
            data = (RNG.standard_normal(np_shape) * 0.02).astype(np.float32)
            if len(shp) == 1:
                data = data + 1.0
            if name.endswith("ssm_a"):
                data = -np.abs(data) - 0.5
            w.add_tensor(name, data)
        elif q == T.F16:
            n = nbytes(shp, q)
            w.add_tensor(name, pools[q][:n].view(np.float16).reshape(np_shape))
        else:
            n = nbytes(shp, q)
            elems, size = BLOCK[q]
            raw = pools[q][:n].reshape(np_shape[:-1] + (np_shape[-1] // elems * size,))
            w.add_tensor(name, raw, raw_dtype=q)
        total += nbytes(shp, q)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return total


if __name__ == "__main__":
    if sys.argv[1:] == ["--list"]:
        for k, s in SHAPES.items():
            for r in FILE_TYPE:
                print(k, r, f"{sum(nbytes(shp, q) for _, shp, q in tensors(s, r)) / 1e9:.2f} GB")
        sys.exit(0)
    print(sys.argv[1], f"{write(sys.argv[1], sys.argv[2], sys.argv[3]) / 1e9:.2f} GB of tensors")
