"""Rich tables of the model and the plan, shared by the text reports and the TUI."""
from __future__ import annotations

from rich.markup import escape
from rich.table import Table

from llmdoctor.render.units import gib, show


def model_table(model) -> Table:
    table = Table(title="Model", title_justify="left", show_header=False)
    table.add_column("fact")
    table.add_column("value")
    if model is None:
        table.add_row("model", "none given")
        return table
    s = model.spec
    rows = [
        ("path", model.path), ("format", model.format), ("architecture", show(model.architecture)),
        ("parameters", f"{show(model.params_total)} total, {show(model.params_active)} active"),
        ("weights", f"{gib(model.weight_bytes)}" + (" (computed from config)" if model.weights_computed else "")),
        ("layers", f"{s.num_layers}: {s.full_attention_layers} full, {s.sliding_attention_layers} sliding, "
                   f"{s.linear_attention_layers} linear/mamba, {s.mla_layers} MLA"),
        ("attention", f"{show(s.num_attention_heads)} heads, {show(s.num_kv_heads)} KV heads, head dim {show(s.head_dim)}"),
        ("MoE", f"{s.moe.num_experts} experts, {s.moe.experts_per_token} per token" if s.moe else "dense"),
        ("MTP layers", str(s.mtp_layers)),
        ("context", show(s.max_position_embeddings)),
        ("quantization", f"{model.quantization.method} {show(model.quantization.bits, '')}-bit" if model.quantization else "none"),
        ("dtype", show(model.torch_dtype)),
        ("chat template", f"{model.chat_template.source} ({model.chat_template.length} chars)" if model.chat_template else "none"),
    ]
    for k, v in rows:
        table.add_row(k, escape(str(v)))
    return table


def plan_table(plan) -> Table:
    table = Table(title="Plan", title_justify="left", show_header=False)
    table.add_column("figure")
    table.add_column("value")
    if plan is None:
        table.add_row("plan", "none")
        return table
    kv = plan.kv_cache
    rows = [
        ("engine", f"{plan.engine} {show(plan.engine_version)} ({plan.engine_version_source})"),
        ("target", plan.target), ("GPUs", f"{plan.num_gpus} (TP {plan.tensor_parallel_size}, PP {plan.pipeline_parallel_size})"),
        ("dtype", plan.dtype), ("weights per GPU", gib(plan.weights.bytes_per_gpu)),
        ("activations per GPU", gib(plan.activation_bytes_per_gpu)),
        ("KV cache", f"{kv.dtype}, {kv.bytes_per_token:,} B/token/GPU, block {show(kv.block_size)}"),
        ("KV memory per GPU", gib(kv.available_bytes_per_gpu)), ("KV tokens", f"{kv.tokens:,}"),
        ("max model len", f"{plan.max_model_len:,}"), ("max concurrency", f"{plan.max_concurrency:.2f}×"),
        ("gpu memory utilization", show(plan.gpu_memory_utilization)),
        ("speculative", f"{plan.speculative.method} × {plan.speculative.num_speculative_tokens}" if plan.speculative else "off"),
        ("decode (expected, one stream)", f"{plan.decode_tokens_per_s:.1f} tok/s" if plan.decode_tokens_per_s else "unknown"),
        ("fits", f"{'yes' if plan.fits else 'NO'}: {plan.fits_reason}"),
    ]
    for k, v in rows:
        table.add_row(k, escape(str(v)))
    for a in plan.assumptions:
        table.add_row("assumes", escape(a))
    return table
