"""An HF model directory (or a lone config.json) -> ModelInfo."""
from __future__ import annotations

import os
from typing import Optional

from llmdoctor.checkpoint.bounded_io import describe_os_error, optional_json_object, read_json_object
from llmdoctor.checkpoint.chat_template import find_chat_template
from llmdoctor.checkpoint.config_view import MAX_LAYERS, ConfigView
from llmdoctor.checkpoint.hf_layers import DTYPE_BYTES, attention_shape, build_layers, moe_spec, mtp_layer_count
from llmdoctor.checkpoint.hf_params import LayerParams, ParamTally, count_params
from llmdoctor.checkpoint.quant import MXFP4_BYTES, NVFP4_BYTES, RoleBytes, parse_quantization
from llmdoctor.checkpoint.safetensors_header import read_model_headers
from llmdoctor.checkpoint.spec import (
    FULL, LINEAR, MAMBA, MLA, MLP_ONLY, SLIDING, FileSummary, ModelInfo, ModelSpec, RopeScaling, VisionSpec,
    WeightBreakdown,
)
from llmdoctor.checkpoint.weight_roles import breakdown, hf_role
from llmdoctor.errors import InputError

MAX_LISTED_FILES = 200
KNOWN_PER_PARAM = {NVFP4_BYTES: "nvfp4", MXFP4_BYTES: "mxfp4"}     # label mixed-precision bytes by format


def read_hf(path: str, config_path: str, config_only: bool) -> ModelInfo:
    model_dir = os.path.dirname(config_path)
    config = read_json_object(config_path)
    cfg = ConfigView(config, config_path)
    notes: list[str] = []
    dtype_name = _dtype_name(cfg)
    dtype_bytes = DTYPE_BYTES.get(dtype_name or "", 2)
    num_layers = cfg.req_int("num_hidden_layers", hi=MAX_LAYERS, alt=("n_layer", "num_layers"))
    layers = build_layers(cfg, num_layers, dtype_bytes)
    spec = _model_spec(cfg, layers)
    tally = count_params(cfg, layers)
    notes += tally.notes
    hf_quant = None if config_only else optional_json_object(os.path.join(model_dir, "hf_quant_config.json"))
    qcfg = cfg.top.get("quantization_config") or cfg.text.get("quantization_config")
    quant, role_bytes = parse_quantization(qcfg if isinstance(qcfg, dict) else None, hf_quant, num_layers)

    info = ModelInfo(
        path=path, format="hf-config-only" if config_only else "hf", architecture=cfg.architecture,
        model_type=cfg.model_type, spec=spec, params_total=tally.total, params_active=tally.active,
        weight_bytes=None, weight_bytes_by_dtype={}, weights=WeightBreakdown(), quantization=quant,
        torch_dtype=dtype_name, tie_word_embeddings=cfg.bool_("tie_word_embeddings", True),
        chat_template=None, files=FileSummary(count=0, total_bytes=0),
        params_embedding=tally.embedding + tally.per_layer_embedding, params_mtp=tally.mtp_total,
        params_exact=not tally.notes,
    )
    if tally.vision is not None:
        spec.vision = VisionSpec(params=tally.vision, bytes=tally.vision * dtype_bytes)
    if not config_only:
        info.files = _file_summary(model_dir)
        info.chat_template = find_chat_template(model_dir)
        generation = optional_json_object(os.path.join(model_dir, "generation_config.json"))
        info.generation_config = generation
        config_only = not _fill_from_safetensors(info, model_dir, num_layers, quant is not None, notes)
        if config_only:
            info.format = "hf-config-only"
    if config_only:
        _fill_computed(info, tally, role_bytes, dtype_bytes, dtype_name, notes)
    info.notes = notes
    return info


def _dtype_name(cfg: ConfigView) -> Optional[str]:
    for key in ("torch_dtype", "dtype"):
        value = cfg.raw(key)
        if isinstance(value, str):
            return value
    return None


def _model_spec(cfg: ConfigView, layers) -> ModelSpec:
    shape = attention_shape(cfg) if cfg.has("num_attention_heads") else None
    kinds = [layer.kind for layer in layers]
    windows = [layer.window for layer in layers if layer.kind == SLIDING and layer.window]
    full_kv = next((l.num_kv_heads for l in layers if l.kind == FULL), shape.num_kv_heads if shape else None)
    inter = cfg.int_("intermediate_size")
    mtp, _ = mtp_layer_count(cfg)
    return ModelSpec(
        num_layers=len(layers), hidden_size=cfg.req_int("hidden_size", alt=("d_model", "n_embd")),
        vocab_size=cfg.req_int("vocab_size"),
        max_position_embeddings=cfg.int_("max_position_embeddings", None, hi=1 << 40),
        num_attention_heads=shape.num_heads if shape else None, num_kv_heads=full_kv,
        head_dim=shape.head_dim if shape else None, intermediate_size=inter, layers=layers,
        full_attention_layers=kinds.count(FULL), sliding_attention_layers=kinds.count(SLIDING),
        linear_attention_layers=kinds.count(LINEAR) + kinds.count(MAMBA), mla_layers=kinds.count(MLA),
        moe=moe_spec(cfg, [layer.is_moe for layer in layers]), mtp_layers=mtp, vision=None,
        rope_theta=cfg.rope_theta(), sliding_window=max(windows) if windows else None,
        mlp_only_layers=kinds.count(MLP_ONLY),
        kv_shared_layers=sum(1 for layer in layers if layer.kv_shared_from is not None),
        context_keys=context_keys(cfg), rope_scaling=rope_scaling(cfg),
    )


# The config keys engines read a context length from (vLLM model_arch_config_convertor.py
# derive_max_model_len_and_key; SGLang hf_transformers/common.py CONTEXT_LENGTH_KEYS).
CONTEXT_KEYS = ("max_position_embeddings", "n_positions", "max_seq_len", "seq_length", "model_max_length",
                "max_target_positions", "max_sequence_length", "max_seq_length", "seq_len")


def context_keys(cfg: ConfigView) -> dict[str, int]:
    out = {}
    for key in CONTEXT_KEYS:
        value = cfg.raw(key)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= 1 << 40:
            out[key] = value
    return out


def rope_scaling(cfg: ConfigView) -> list[RopeScaling]:
    """rope_scaling, or transformers v5's rope_parameters (one entry, or one per layer type); when the
    config gives neither, the config class's default rope_parameters, less plain "default" entries
    (gpt-oss's class defaults to YaRN x32)."""
    raw = cfg.given("rope_scaling")
    if not isinstance(raw, dict):
        raw = cfg.given("rope_parameters")
    from_class = not isinstance(raw, dict)
    if from_class:
        raw = cfg.raw("rope_parameters")
    if not isinstance(raw, dict):
        return []
    entries = [raw] if ("rope_type" in raw or "type" in raw or "factor" in raw) else \
        [v for v in raw.values() if isinstance(v, dict)][:16]
    out = []
    for e in entries:
        kind = e.get("rope_type", e.get("type", "default"))
        if from_class and kind == "default" and e.get("factor") is None:
            continue
        factor = e.get("factor")
        orig = e.get("original_max_position_embeddings")
        out.append(RopeScaling(
            rope_type=str(kind) if isinstance(kind, str) else "default",
            factor=float(factor) if isinstance(factor, (int, float)) and not isinstance(factor, bool)
            and 0 < factor < 1e6 else None,
            original_max_position_embeddings=int(orig) if isinstance(orig, int) and not isinstance(orig, bool)
            and 0 < orig <= 1 << 40 else None))
    return out


def _file_summary(model_dir: str) -> FileSummary:
    try:
        entries = sorted(os.scandir(model_dir), key=lambda e: e.name)
    except OSError as exc:
        raise InputError(describe_os_error(model_dir, exc)) from None
    names, total = [], 0
    for entry in entries:
        try:
            if entry.is_file():
                names.append(entry.name)
                total += entry.stat().st_size
        except OSError as exc:
            raise InputError(describe_os_error(entry.path, exc)) from None
    return FileSummary(count=len(names), total_bytes=total, names=names[:MAX_LISTED_FILES])


def _fill_from_safetensors(info: ModelInfo, model_dir: str, num_layers: int, quantized: bool, notes: list) -> bool:
    headers, shard_notes = read_model_headers(model_dir)
    notes += shard_notes
    if not headers:
        notes.append("no *.safetensors in the directory: weight bytes computed from config.json")
        return False
    by_dtype: dict[str, int] = {}
    entries, numel = [], 0
    for header in headers:
        for tensor in header.tensors:
            by_dtype[tensor.dtype] = by_dtype.get(tensor.dtype, 0) + tensor.nbytes
            entries.append((tensor.name, tensor.nbytes))
            numel += tensor.numel
    info.weight_bytes = sum(by_dtype.values())
    info.weight_bytes_by_dtype = dict(sorted(by_dtype.items()))
    info.weights = breakdown(entries, num_layers, hf_role)
    if info.spec.vision is not None and info.weights.vision:
        info.spec.vision.bytes = info.weights.vision
    if not quantized and info.params_total and abs(numel - info.params_total) > 0.01 * info.params_total:
        notes.append(f"safetensors hold {numel} elements; the architecture count is {info.params_total}")
    return True


def _fill_computed(info: ModelInfo, tally: ParamTally, roles: RoleBytes, dtype_bytes: int,
                   dtype_name: Optional[str], notes: list) -> None:
    by_dtype: dict[str, float] = {}
    plain = dtype_name or "bfloat16"

    def cost(params: int, per_param: Optional[float], quant_name: str) -> float:
        if per_param is None:
            by_dtype[plain] = by_dtype.get(plain, 0) + params * dtype_bytes
            return params * dtype_bytes
        name = KNOWN_PER_PARAM.get(per_param, quant_name)
        by_dtype[name] = by_dtype.get(name, 0) + params * per_param
        return params * per_param

    qname = (info.quantization.weight_dtype or info.quantization.method) if info.quantization else plain

    def layer_cost(p: LayerParams, r: RoleBytes = roles) -> tuple[float, float]:
        experts = cost(p.experts, r.experts, qname)
        rest = cost(p.attention, r.attention, qname) + cost(p.mlp, r.mlp, qname)
        rest += cost(p.router + p.small, None, qname)
        return rest + experts, experts

    weights = WeightBreakdown()
    # The per-layer embedding table is an embedding too (vLLM: a VocabParallelEmbedding; safetensors:
    # embed_tokens_per_layer, which hf_role files under "embedding").
    weights.embedding = round(cost(tally.embedding + tally.per_layer_embedding, None, qname))
    weights.lm_head = round(cost(tally.lm_head, roles.lm_head, qname))
    for p in tally.layers:
        total, experts = layer_cost(p)
        weights.per_layer.append(round(total))
        weights.per_layer_experts.append(round(experts))
    mtp_roles = RoleBytes() if info.quantization and "mtp" in info.quantization.unquantized_modules else roles
    weights.mtp = round(sum(layer_cost(p, mtp_roles)[0] for p in tally.mtp) + cost(tally.mtp_vocab, None, qname))
    weights.vision = round(cost(tally.vision or 0, None, qname))
    weights.audio = round(cost(tally.audio or 0, None, qname))
    # per_layer_model_projection and its norm sit outside the layers (hf_role: "other").
    weights.other = round(cost(tally.final_norm + tally.per_layer_projection, None, qname))
    info.weights = weights
    info.weight_bytes_by_dtype = {k: round(v) for k, v in sorted(by_dtype.items()) if v}
    info.weight_bytes = sum(info.weight_bytes_by_dtype.values())
    info.weights_computed = True
    notes.append("weights computed from config.json and quantization_config (no safetensors read)")
