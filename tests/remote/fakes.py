"""Remote models with realistic headers and virtual weights, for the loopback test servers.

A file is its first bytes (`head`) and its real size: the servers answer any byte range, with zeros
past the head, so a 5 GB GGUF costs its 6 MB header in memory. The models are Qwen3-8B as published:
- `Qwen/Qwen3-8B`: config.json (the fixture), generation_config.json, tokenizer_config.json with its chat
  template, the index, five BF16 safetensors shards with their real tensor names and shapes, and the
  large files a download would fetch but a plan does not need (tokenizer.json, vocab.json, merges.txt);
- `Qwen/Qwen3-8B-GGUF`: seven quants Q2_K .. Q8_0 and a BF16 split in two, each header with the full
  151,936-entry vocabulary and 151,387 merges (about 5.7 MB before the tensor data, as the real files).
"""
from __future__ import annotations

import hashlib
import json
import struct
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from llmdoctor.checkpoint.ggml_types import GGML_TYPES

ROOT = Path(__file__).resolve().parent.parent.parent
QWEN3_8B = ROOT / "fixtures" / "models" / "Qwen--Qwen3-8B" / "config.json"

HIDDEN, LAYERS, HEADS, KV_HEADS, HEAD_DIM, FFN, VOCAB, MERGES = 4096, 36, 32, 8, 128, 12288, 151936, 151387
F32, F16, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, BF16 = 0, 1, 8, 10, 11, 12, 13, 14, 30
TEMPLATE = ("{%- for message in messages %}{{- '<|im_start|>' + message.role + '\\n' + message.content + "
            "'<|im_end|>' + '\\n' }}{%- endfor %}{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}"
            "{%- endif %}") * 12                                 # ~4 KB, as Qwen3's template


@dataclass
class VFile:
    head: bytes                     # the first bytes; zeros follow up to size
    size: int
    lfs: bool = True

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.head + str(self.size).encode()).hexdigest()

    @property
    def blob_id(self) -> str:
        return hashlib.sha1(b"blob %d\0" % self.size + self.head).hexdigest()

    def read(self, start: int, stop: int) -> bytes:
        part = self.head[start:stop]
        return part + b"\0" * (stop - start - len(part))


def small(data: bytes) -> VFile:
    return VFile(data, len(data), lfs=False)


@dataclass
class FakeRepo:
    files: dict[str, VFile]
    sha: str
    refs: dict[str, str] = field(default_factory=dict)      # branch/tag -> commit
    older: dict[str, dict[str, VFile]] = field(default_factory=dict)   # other commits' files
    private: bool = False
    gated: bool = False
    token: str = "hf_test_token"                             # the token that may read it (private / gated)

    def at(self, rev: str):
        sha = self.refs.get(rev, rev)
        if sha == self.sha:
            return sha, self.files
        if sha in self.older:
            return sha, self.older[sha]
        return None, None


def commit(name: str) -> str:
    return hashlib.sha1(name.encode()).hexdigest()


# -- safetensors ----------------------------------------------------------------------------------


def hf_tensors() -> list[tuple[str, list[int]]]:
    out = [("model.embed_tokens.weight", [VOCAB, HIDDEN])]
    for i in range(LAYERS):
        p = f"model.layers.{i}."
        out += [(p + "input_layernorm.weight", [HIDDEN]), (p + "self_attn.q_proj.weight", [HEADS * HEAD_DIM, HIDDEN]),
                (p + "self_attn.k_proj.weight", [KV_HEADS * HEAD_DIM, HIDDEN]),
                (p + "self_attn.v_proj.weight", [KV_HEADS * HEAD_DIM, HIDDEN]),
                (p + "self_attn.o_proj.weight", [HIDDEN, HEADS * HEAD_DIM]), (p + "self_attn.q_norm.weight", [HEAD_DIM]),
                (p + "self_attn.k_norm.weight", [HEAD_DIM]), (p + "post_attention_layernorm.weight", [HIDDEN]),
                (p + "mlp.gate_proj.weight", [FFN, HIDDEN]), (p + "mlp.up_proj.weight", [FFN, HIDDEN]),
                (p + "mlp.down_proj.weight", [HIDDEN, FFN])]
    return out + [("model.norm.weight", [HIDDEN]), ("lm_head.weight", [VOCAB, HIDDEN])]


def safetensors_file(tensors: list[tuple[str, list[int]]]) -> VFile:
    header, offset = {"__metadata__": {"format": "pt"}}, 0
    for name, shape in tensors:
        n = 2
        for d in shape:
            n *= d
        header[name] = {"dtype": "BF16", "shape": shape, "data_offsets": [offset, offset + n]}
        offset += n
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    return VFile(struct.pack("<Q", len(raw)) + raw, 8 + len(raw) + offset)


@lru_cache(maxsize=1)
def qwen3_safetensors_files() -> dict[str, VFile]:
    tensors = hf_tensors()
    shards: list[list] = [[] for _ in range(5)]
    per_shard = sum(2 * _numel(s) for _, s in tensors) / 5
    used, k = 0, 0
    for t in tensors:
        if used >= per_shard * (k + 1) and k < 4:
            k += 1
        shards[k].append(t)
        used += 2 * _numel(t[1])
    files, weight_map = {}, {}
    for i, group in enumerate(shards, 1):
        name = f"model-{i:05d}-of-00005.safetensors"
        files[name] = safetensors_file(group)
        weight_map.update({n: name for n, _ in group})
    total = sum(2 * _numel(s) for _, s in tensors)
    files["model.safetensors.index.json"] = small(json.dumps(
        {"metadata": {"total_size": total}, "weight_map": weight_map}, indent=2).encode())
    files["config.json"] = small(QWEN3_8B.read_bytes())
    files["generation_config.json"] = small(json.dumps({
        "bos_token_id": 151643, "do_sample": True, "eos_token_id": [151645, 151643], "pad_token_id": 151643,
        "temperature": 0.6, "top_k": 20, "top_p": 0.95, "transformers_version": "4.51.0"}, indent=2).encode())
    added = {str(151643 + i): {"content": f"<|extra_{i}|>", "lstrip": False, "normalized": False, "rstrip": False,
                               "single_word": False, "special": True} for i in range(26)}
    files["tokenizer_config.json"] = small(json.dumps({
        "add_bos_token": False, "add_prefix_space": False, "added_tokens_decoder": added, "bos_token": None,
        "chat_template": TEMPLATE * 2, "clean_up_tokenization_spaces": False, "eos_token": "<|im_end|>",
        "model_max_length": 131072, "pad_token": "<|endoftext|>", "tokenizer_class": "Qwen2Tokenizer"},
        indent=2).encode())
    files["tokenizer.json"] = VFile(b"{", 11_422_654)
    files["vocab.json"] = VFile(b"{", 2_776_833)
    files["merges.txt"] = VFile(b"#", 1_671_853)
    files["README.md"] = small(b"---\nlicense: apache-2.0\n---\n# Qwen3-8B\n" + b"text " * 2000)
    files["LICENSE"] = small(b"Apache License 2.0\n" * 500)
    files[".gitattributes"] = small(b"*.safetensors filter=lfs diff=lfs merge=lfs -text\n" * 30)
    return files


def _numel(shape) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


# -- GGUF -----------------------------------------------------------------------------------------

U16, U32, I32, F32V, BOOL, STR, ARR, U64 = 2, 4, 5, 6, 7, 8, 9, 10


def _s(text) -> bytes:
    b = text.encode() if isinstance(text, str) else text
    return struct.pack("<Q", len(b)) + b


def _kv(key: str, vtype: int, value) -> bytes:
    out = _s(key) + struct.pack("<I", vtype)
    if vtype == STR:
        return out + _s(value)
    if vtype == ARR:
        etype, payload, count = value
        return out + struct.pack("<IQ", etype, count) + payload
    fmt = {U16: "<H", U32: "<I", I32: "<i", F32V: "<f", BOOL: "<?", U64: "<Q"}[vtype]
    return out + struct.pack(fmt, value)


@lru_cache(maxsize=1)
def vocabulary_kvs() -> tuple[bytes, ...]:
    """tokens, token types and merges of a 151,936-entry BPE vocabulary (Qwen's sizes)."""
    def token(i: int) -> bytes:
        return ("Ġ" if i % 3 == 0 else "").encode() + format(i, "x").encode() + b"ab"[: i % 3]
    tokens = b"".join(_s(token(i)) for i in range(VOCAB))
    types = struct.pack(f"<{VOCAB}i", *([1] * (VOCAB - 293) + [3] * 293))
    merges = b"".join(_s(token(i) + b" " + token(i + 7)[:4]) for i in range(MERGES))
    return (_kv("tokenizer.ggml.model", STR, "gpt2"), _kv("tokenizer.ggml.pre", STR, "qwen2"),
            _kv("tokenizer.ggml.tokens", ARR, (STR, tokens, VOCAB)),
            _kv("tokenizer.ggml.token_type", ARR, (I32, types, VOCAB)),
            _kv("tokenizer.ggml.merges", ARR, (STR, merges, MERGES)),
            _kv("tokenizer.ggml.eos_token_id", U32, 151645), _kv("tokenizer.ggml.padding_token_id", U32, 151643),
            _kv("tokenizer.ggml.bos_token_id", U32, 151643), _kv("tokenizer.ggml.add_bos_token", BOOL, False),
            _kv("tokenizer.chat_template", STR, TEMPLATE))


# llama_ftype, then the ggml type of: most matrices, attn_v and ffn_down, token_embd, output
RECIPES = {
    "Q2_K": (10, Q2_K, Q3_K, Q2_K, Q6_K), "Q3_K_M": (12, Q3_K, Q4_K, Q3_K, Q6_K),
    "Q4_K_M": (15, Q4_K, Q6_K, Q4_K, Q6_K), "Q5_K_M": (17, Q5_K, Q6_K, Q5_K, Q6_K),
    "Q6_K": (18, Q6_K, Q6_K, Q6_K, Q6_K), "Q8_0": (7, Q8_0, Q8_0, Q8_0, Q8_0), "BF16": (32, BF16, BF16, BF16, BF16),
}


def gguf_tensors(quant: str) -> list[tuple[str, tuple[int, ...], int]]:
    _, main, strong, embd, out = RECIPES[quant]
    ts = [("token_embd.weight", (HIDDEN, VOCAB), embd), ("output_norm.weight", (HIDDEN,), F32),
          ("output.weight", (HIDDEN, VOCAB), out)]
    for i in range(LAYERS):
        b = f"blk.{i}."
        ts += [(b + "attn_norm.weight", (HIDDEN,), F32), (b + "attn_q.weight", (HIDDEN, HEADS * HEAD_DIM), main),
               (b + "attn_k.weight", (HIDDEN, KV_HEADS * HEAD_DIM), main),
               (b + "attn_v.weight", (HIDDEN, KV_HEADS * HEAD_DIM), strong),
               (b + "attn_output.weight", (HEADS * HEAD_DIM, HIDDEN), main), (b + "attn_q_norm.weight", (HEAD_DIM,), F32),
               (b + "attn_k_norm.weight", (HEAD_DIM,), F32), (b + "ffn_norm.weight", (HIDDEN,), F32),
               (b + "ffn_gate.weight", (HIDDEN, FFN), main), (b + "ffn_up.weight", (HIDDEN, FFN), main),
               (b + "ffn_down.weight", (FFN, HIDDEN), strong)]
    return ts


def gguf_file(kvs: list[bytes], tensors, alignment: int = 32) -> VFile:
    infos, offset = b"", 0
    for name, dims, t in tensors:
        _, block, size = GGML_TYPES[t]
        nbytes = _numel(dims) // block * size
        infos += _s(name) + struct.pack("<I", len(dims)) + struct.pack(f"<{len(dims)}Q", *dims)
        infos += struct.pack("<IQ", t, offset)
        offset += nbytes + (-nbytes % alignment)
    head = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(kvs)) + b"".join(kvs) + infos
    head += b"\0" * (-len(head) % alignment)
    return VFile(head, len(head) + offset)


def qwen3_kvs(quant: str) -> list[bytes]:
    ftype = RECIPES[quant][0]
    a = "qwen3"
    return [_kv("general.architecture", STR, a), _kv("general.type", STR, "model"), _kv("general.name", STR, "Qwen3 8B"),
            _kv("general.basename", STR, "Qwen3"), _kv("general.size_label", STR, "8B"),
            _kv("general.license", STR, "apache-2.0"), _kv(f"{a}.block_count", U32, LAYERS),
            _kv(f"{a}.context_length", U32, 40960), _kv(f"{a}.embedding_length", U32, HIDDEN),
            _kv(f"{a}.feed_forward_length", U32, FFN), _kv(f"{a}.attention.head_count", U32, HEADS),
            _kv(f"{a}.attention.head_count_kv", U32, KV_HEADS), _kv(f"{a}.rope.freq_base", F32V, 1_000_000.0),
            _kv(f"{a}.attention.layer_norm_rms_epsilon", F32V, 1e-6), _kv(f"{a}.attention.key_length", U32, HEAD_DIM),
            _kv(f"{a}.attention.value_length", U32, HEAD_DIM), *vocabulary_kvs(),
            _kv("general.quantization_version", U32, 2), _kv("general.file_type", U32, ftype)]


@lru_cache(maxsize=None)
def qwen3_gguf(quant: str, splits: int = 1) -> tuple[VFile, ...]:
    tensors = gguf_tensors(quant)
    kvs = qwen3_kvs(quant)
    if splits == 1:
        return (gguf_file(kvs, tensors),)
    cut = len(tensors) // splits
    parts = [tensors[i * cut: (i + 1) * cut if i < splits - 1 else None] for i in range(splits)]
    split_kv = lambda i: [_kv("split.no", U16, i), _kv("split.count", U16, splits),    # noqa: E731
                          _kv("split.tensors.count", I32, len(tensors))]
    return tuple(gguf_file((kvs if i == 0 else []) + split_kv(i), part) for i, part in enumerate(parts))


def qwen3_gguf_repo_files() -> dict[str, VFile]:
    files = {"README.md": small(b"# Qwen3-8B-GGUF\n" + b"text " * 1000), ".gitattributes": small(b"*.gguf filter=lfs\n")}
    for quant in ("Q2_K", "Q3_K_M", "Q4_K_M", "Q5_K_M", "Q6_K", "Q8_0"):
        files[f"Qwen3-8B-{quant}.gguf"] = qwen3_gguf(quant)[0]
    for i, part in enumerate(qwen3_gguf("BF16", 2), 1):
        files[f"BF16/Qwen3-8B-BF16-{i:05d}-of-00002.gguf"] = part
    files["mmproj-Qwen3-8B-F16.gguf"] = VFile(b"GGUF", 600_000_000)      # a projector: never read
    return files
