"""GGUF metadata and tensor infos -> ModelInfo.

Key names are llama.cpp's (`src/llama-arch.cpp` LLM_KV_* table, `<arch>.` prefixed); how they become
per-layer facts follows `src/llama-model.cpp` (load_hparams) and `src/llama-hparams.cpp`:
- head_count / head_count_kv / feed_forward_length may be per-layer arrays; a layer with 0 KV heads
  is recurrent (Jamba, Nemotron-H), and with 0 KV heads and 0 FFN in Nemotron-H it is Mamba, with an
  FFN only it is an MLP block.
- SWA layers: `attention.sliding_window_pattern` as a per-layer bool array (Gemma-3n/4) or a period
  n (layer i slides iff i % n < n - 1, `llama_hparams::set_swa_pattern`); without the key, the
  architecture's built-in period (gemma2 2, gemma3 6, gpt-oss 2, cohere2 4).
- qwen3next / qwen35 / qwen35moe: layer i is full attention iff (i + 1) % full_attention_interval
  == 0; the GDN shapes come from ssm.* as written by `convert_hf_to_gguf.py` (inner_size = value dim,
  state_size = key head dim, group_count = key heads, time_step_rank = value heads).
- MLA (deepseek2 and kin): kv_lora_rank + rope.dimension_count per token, one KV head, no V.
- nextn (MTP) layers are counted in block_count when their `blk.N.nextn.*` tensors are present.
"""
from __future__ import annotations

from typing import Any, Optional

from llmdoctor.checkpoint.chat_template import template_record
from llmdoctor.checkpoint.ggml_types import LLAMA_FILE_TYPES
from llmdoctor.checkpoint.gguf_reader import GGUFHeader, SkippedArray, read_gguf
from llmdoctor.checkpoint.spec import (
    FULL, LINEAR, MAMBA, MLA, MLP_ONLY, SLIDING, FileSummary, LayerSpec, ModelInfo, ModelSpec, MoESpec,
    QuantSpec, RecurrentState,
)
from llmdoctor.checkpoint.weight_roles import breakdown, gguf_role
from llmdoctor.errors import InputError

BUILTIN_SWA_PERIOD = {"gemma2": 2, "gemma3": 6, "gpt-oss": 2, "cohere2": 4}
GDN_ARCHS = {"qwen3next", "qwen35", "qwen35moe"}
MAMBA1_ARCHS = {"jamba", "mamba", "falcon-h1"}
MAX_LAYERS = 10_000
FLOAT_TYPES = {"F32", "F16", "BF16", "F64"}


class _Meta:
    def __init__(self, header: GGUFHeader):
        self.m = header.metadata
        self.path = header.path
        arch = self.m.get("general.architecture")
        if not isinstance(arch, str) or not arch:
            raise InputError(f"{header.path}: GGUF has no general.architecture")
        self.arch = arch

    def get(self, key: str, default: Any = None) -> Any:
        return self.m.get(f"{self.arch}.{key}", default)

    def int_(self, key: str, default: Optional[int] = None) -> Optional[int]:
        value = self.get(key)
        if isinstance(value, bool) or not isinstance(value, int):
            return default
        return value

    def per_layer(self, key: str, n: int, default: Optional[int]) -> list[Optional[int]]:
        """A scalar or per-layer array, as one value per layer."""
        value = self.get(key)
        if isinstance(value, list):
            if len(value) < n or not all(isinstance(v, int) for v in value[:n]):
                raise InputError(f"{self.path}: {self.arch}.{key} does not give one integer per layer")
            return list(value[:n])
        if isinstance(value, int) and not isinstance(value, bool):
            return [value] * n
        return [default] * n


def read_gguf_model(path: str) -> ModelInfo:
    header = read_gguf(path)
    meta = _Meta(header)
    tensors = header.tensors
    names = {t.name for t in tensors}
    notes: list[str] = []

    block_count = meta.int_("block_count")
    if block_count is None or not 0 < block_count <= MAX_LAYERS:
        raise InputError(f"{path}: {meta.arch}.block_count missing or out of range")
    nextn = meta.int_("nextn_predict_layers", 0) or 0
    num_layers, mtp_layers = block_count, 0
    if nextn:
        if any(n.startswith(f"blk.{block_count - 1}.nextn.") for n in names) and nextn < block_count:
            num_layers, mtp_layers = block_count - nextn, nextn
        else:
            notes.append(f"metadata names {nextn} nextn (MTP) layer(s), but the file carries no nextn tensors")
    hidden = meta.int_("embedding_length")
    if not hidden:
        raise InputError(f"{path}: {meta.arch}.embedding_length missing")
    layers = _layers(meta, num_layers, hidden, names, notes)
    by_type: dict[str, int] = {}
    numel_total = embedding = mtp_params = 0
    experts_numel = [0] * num_layers
    for t in tensors:
        by_type[t.type_name] = by_type.get(t.type_name, 0) + t.nbytes
        numel = _numel(t.shape)
        numel_total += numel
        role, index = gguf_role(t.name, num_layers)
        if role == "embedding":
            embedding += numel
        elif role == "mtp":
            mtp_params += numel
        elif role == "experts":
            experts_numel[index] += numel
    moe = _moe(meta, layers, experts_numel)
    vocab = _vocab_size(meta, header, tensors)
    kinds = [l.kind for l in layers]
    windows = [l.window for l in layers if l.kind == SLIDING and l.window]
    heads = meta.per_layer("attention.head_count", num_layers, None)
    spec = ModelSpec(
        num_layers=num_layers, hidden_size=hidden, vocab_size=vocab,
        max_position_embeddings=meta.int_("context_length"),
        num_attention_heads=next((h for h in heads if h), None),
        num_kv_heads=next((l.num_kv_heads for l in layers if l.kind == FULL), None),
        head_dim=next((l.head_dim_k for l in layers if l.kind in (FULL, SLIDING)), None),
        intermediate_size=next((f for f in meta.per_layer("feed_forward_length", num_layers, None) if f), None),
        layers=layers, full_attention_layers=kinds.count(FULL), sliding_attention_layers=kinds.count(SLIDING),
        linear_attention_layers=kinds.count(LINEAR) + kinds.count(MAMBA), mla_layers=kinds.count(MLA),
        moe=moe, mtp_layers=mtp_layers, vision=None,
        rope_theta=float(meta.get("rope.freq_base")) if isinstance(meta.get("rope.freq_base"), (int, float)) else None,
        sliding_window=max(windows) if windows else None, mlp_only_layers=kinds.count(MLP_ONLY),
        kv_shared_layers=sum(1 for l in layers if l.kv_shared_from is not None),
    )
    active = numel_total - mtp_params
    if moe and moe.num_experts:
        active -= sum(round(e * (1 - moe.experts_per_token / moe.num_experts)) for e in experts_numel)
    weight_bytes = sum(by_type.values())
    file_type = _file_type(header, by_type)
    template = header.metadata.get("tokenizer.chat_template")
    info = ModelInfo(
        path=path, format="gguf", architecture=meta.arch, model_type=meta.arch, spec=spec,
        params_total=numel_total, params_active=active, weight_bytes=weight_bytes,
        weight_bytes_by_dtype=dict(sorted(by_type.items())),
        weights=breakdown(((t.name, t.nbytes) for t in tensors), num_layers, gguf_role),
        quantization=QuantSpec(
            method="gguf", bits=round(weight_bytes * 8 / numel_total, 3) if numel_total else None,
            weight_dtype=file_type, unquantized_modules=_float_roles(tensors, num_layers),
            raw={"file_type": file_type, "quantization_version": header.metadata.get("general.quantization_version")},
        ),
        torch_dtype=None, tie_word_embeddings="output.weight" not in names,
        chat_template=template_record(template, "gguf:tokenizer.chat_template") if isinstance(template, str) else None,
        files=FileSummary(count=len(header.split_files), total_bytes=header.file_bytes, names=header.split_files),
        gguf_file_type=file_type, params_embedding=embedding, params_mtp=mtp_params, params_exact=True,
        notes=notes,
    )
    return info


def _numel(shape) -> int:
    count = 1
    for d in shape:
        count *= d
    return count


def _layers(meta: _Meta, n: int, hidden: int, names: set[str], notes: list) -> list[LayerSpec]:
    heads = meta.per_layer("attention.head_count", n, None)
    kv_heads = meta.per_layer("attention.head_count_kv", n, None)
    ffn = meta.per_layer("feed_forward_length", n, None)
    key_len = meta.int_("attention.key_length")
    value_len = meta.int_("attention.value_length")
    key_swa = meta.int_("attention.key_length_swa")
    value_swa = meta.int_("attention.value_length_swa")
    window = meta.int_("attention.sliding_window")
    swa = _swa_flags(meta, n, window)
    rank = meta.int_("attention.kv_lora_rank")
    rope_dim = meta.int_("rope.dimension_count")
    interval = meta.int_("full_attention_interval", 4) or 4
    state = _recurrent_state(meta)
    layers = []
    for i in range(n):
        layer = LayerSpec(index=i, kind=FULL, is_moe=f"blk.{i}.ffn_gate_inp.weight" in names)
        h = heads[i] or 0
        default_dim = hidden // h if h else None
        if meta.arch in GDN_ARCHS and (i + 1) % interval != 0:
            layer.kind = LINEAR
        elif kv_heads[i] == 0 and (state is not None or meta.arch.startswith("nemotron_h")):
            layer.kind = MLP_ONLY if (meta.arch.startswith("nemotron_h") and ffn[i]) else MAMBA
        elif rank:
            layer.kind = MLA
            layer.num_kv_heads, layer.kv_lora_rank, layer.rope_dim = 1, rank, rope_dim
            layer.head_dim_k, layer.head_dim_v = rank + (rope_dim or 0), 0
        elif swa[i]:
            layer.kind, layer.window = SLIDING, window
        if layer.kind in (FULL, SLIDING):
            layer.num_kv_heads = kv_heads[i] if kv_heads[i] is not None else h or None
            if layer.kind == SLIDING and key_swa:
                layer.head_dim_k, layer.head_dim_v = key_swa, value_swa or key_swa
            else:
                layer.head_dim_k = key_len or default_dim
                layer.head_dim_v = value_len or layer.head_dim_k
        if layer.kind in (LINEAR, MAMBA):
            if state is None:
                raise InputError(f"{meta.path}: recurrent layers but no {meta.arch}.ssm.* metadata")
            layer.state, layer.state_bytes = state
        layers.append(layer)
    shared = meta.int_("attention.shared_kv_layers", 0) or 0
    if 0 < shared < n:
        first = n - shared
        for layer in layers[first:]:
            source = next((s for s in reversed(layers[:first]) if s.kind == layer.kind), None)
            layer.kv_shared_from = source.index if source else None
    return layers


def _swa_flags(meta: _Meta, n: int, window: Optional[int]) -> list[bool]:
    if not window:
        return [False] * n
    pattern = meta.get("attention.sliding_window_pattern")
    if isinstance(pattern, list):
        if len(pattern) < n:
            raise InputError(f"{meta.path}: {meta.arch}.attention.sliding_window_pattern has {len(pattern)} entries for {n} layers")
        return [bool(v) for v in pattern[:n]]
    period = pattern if isinstance(pattern, int) and not isinstance(pattern, bool) else BUILTIN_SWA_PERIOD.get(meta.arch)
    if period is None:
        return [True] * n                      # one window for every layer (Mistral-style)
    if period <= 0:
        return [True] * n
    return [i % period < period - 1 for i in range(n)]


def _recurrent_state(meta: _Meta) -> Optional[tuple[RecurrentState, int]]:
    d_inner = meta.int_("ssm.inner_size")
    d_state = meta.int_("ssm.state_size")
    kernel = meta.int_("ssm.conv_kernel")
    if not (d_inner and d_state and kernel):
        return None
    groups = meta.int_("ssm.group_count", 1) or 1
    heads = meta.int_("ssm.time_step_rank")
    if meta.arch in GDN_ARCHS:
        v_heads = heads or 1
        conv_dim = 2 * groups * d_state + d_inner
        state = RecurrentState(type="gdn", conv_dim=conv_dim, conv_kernel=kernel, ssm_elements=d_inner * d_state,
                               num_heads=v_heads, num_k_heads=groups, head_dim_k=d_state,
                               head_dim_v=d_inner // v_heads, d_inner=d_inner, d_state=d_state, n_groups=groups)
    elif meta.arch in MAMBA1_ARCHS:
        state = RecurrentState(type="mamba1", conv_dim=d_inner, conv_kernel=kernel, ssm_elements=d_inner * d_state,
                               d_inner=d_inner, d_state=d_state)
    else:
        state = RecurrentState(type="mamba2", conv_dim=d_inner + 2 * groups * d_state, conv_kernel=kernel,
                               ssm_elements=d_inner * d_state, num_heads=heads, d_inner=d_inner, d_state=d_state,
                               n_groups=groups)
    # llama.cpp keeps both conv and SSM state in F32 (llama-memory-recurrent.cpp).
    return state, (state.conv_dim * (kernel - 1) + state.ssm_elements) * 4


def _moe(meta: _Meta, layers: list[LayerSpec], experts_numel: list[int]) -> Optional[MoESpec]:
    count = meta.int_("expert_count", 0) or 0
    if not count:
        return None
    return MoESpec(
        num_experts=count, experts_per_token=meta.int_("expert_used_count", 0) or 0,
        shared_experts=meta.int_("expert_shared_count", 0) or 0,
        moe_layers=sum(1 for l in layers if l.is_moe) or sum(1 for e in experts_numel if e),
        expert_intermediate_size=meta.int_("expert_feed_forward_length"),
    )


def _vocab_size(meta: _Meta, header: GGUFHeader, tensors) -> int:
    tokens = header.metadata.get("tokenizer.ggml.tokens")
    if isinstance(tokens, SkippedArray):
        return tokens.count
    if isinstance(tokens, list):
        return len(tokens)
    vocab = meta.int_("vocab_size")
    if vocab:
        return vocab
    embd = next((t for t in tensors if t.name == "token_embd.weight"), None)
    if embd is not None and len(embd.shape) == 2:
        return embd.shape[1]
    raise InputError(f"{meta.path}: no token list, vocab_size or token_embd.weight to size the vocabulary")


def _file_type(header: GGUFHeader, by_type: dict[str, int]) -> Optional[str]:
    file_type = header.metadata.get("general.file_type")
    if isinstance(file_type, int) and file_type in LLAMA_FILE_TYPES:
        return LLAMA_FILE_TYPES[file_type]
    if by_type:
        return max(by_type.items(), key=lambda kv: kv[1])[0]      # the dominant tensor type
    return None


def _float_roles(tensors, num_layers: int) -> list[str]:
    """Roles whose matrices are stored unquantized (F16/BF16/F32), e.g. an F16 token embedding."""
    roles = set()
    for t in tensors:
        if len(t.shape) >= 2 and t.type_name in FLOAT_TYPES:
            roles.add(gguf_role(t.name, num_layers)[0])
    return sorted(roles)
