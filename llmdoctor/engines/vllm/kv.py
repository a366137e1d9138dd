"""vLLM's KV-cache arithmetic for one rank: layer specs, hybrid block alignment, groups, blocks,
and the "GPU KV cache size" / "Maximum concurrency" figures as each version prints them.

Sources (vllm-project/vllm):
- vllm/v1/kv_cache_interface.py: page_size_bytes and max_memory_usage_bytes per spec.
- vllm/platforms/interface.py Platform._align_hybrid_block_size (v0.20+; before that
  vllm/model_executor/models/config.py HybridAttentionMambaModelConfig): attention block enlarged
  to kernel_align * cdiv(mamba_page, kernel_align * attn_page_1tok); mamba page padded to match.
- vllm/v1/core/kv_cache_utils.py: unify_kv_cache_spec_page_size, _get_kv_cache_groups_uniform_page_size
  (group_size heuristic "max < 1.5*min -> max" since v0.18), get_max_concurrency_for_kv_cache_config,
  get_num_blocks, and the token count: (num_blocks // num_groups) * min_block_size up to v0.21,
  int(concurrency * max_model_len) from v0.23 (get_kv_cache_capacity).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Optional

from llmdoctor.checkpoint.spec import FULL, LINEAR, MAMBA, MLA, SLIDING, ModelInfo
from llmdoctor.engines.vllm.versions import has
from llmdoctor.plan.common import cdiv
from llmdoctor.plan.weights import pp_split


@dataclass
class LayerKv:
    kind: str                      # full | sliding | mla | mamba
    bytes_per_token: int = 0       # attention: K+V bytes one token takes in this layer on this rank
    state_bytes: int = 0           # mamba: the state page (per sequence) on this rank
    window: Optional[int] = None
    block_size: int = 16
    draft: bool = False

    @property
    def page(self) -> int:
        return self.state_bytes if self.kind == "mamba" else self.bytes_per_token * self.block_size

    def key(self) -> tuple:
        return (self.kind, self.bytes_per_token, self.state_bytes, self.window, self.block_size)


@dataclass
class KvSettings:
    version: Optional[str]
    tp: int
    kv_bytes: float                # bytes per element of the KV dtype
    state_dtype_bytes: int         # mamba conv state dtype (model dtype unless --mamba-cache-dtype)
    ssm_dtype_bytes: Optional[int] # temporal state; None = same as conv
    max_model_len: int
    max_num_batched_tokens: int
    block_size: int = 16
    user_block_size: bool = False
    mamba_cache_mode: str = "none"
    num_spec: int = 0
    mtp_layers: int = 0            # draft MTP layers that join the KV groups
    draft_layers: int = 0          # EAGLE-style drafter layers (a separate small model) that join them
    draft_model: Optional[ModelInfo] = None   # the drafter read from disk: its own layers' shapes join instead
    pp: int = 1
    disable_hybrid: bool = False


@dataclass
class KvResult:
    layers: list[LayerKv]
    block_size: int
    groups: list[tuple[str, int]] = field(default_factory=list)   # (kind, layers in group) per group
    bytes_per_block: int = 0
    num_blocks: int = 0
    tokens: int = 0
    concurrency: float = 0.0
    blocks_per_request: int = 0
    request_bytes: int = 0         # what one max_model_len request needs (vLLM's admission check)
    mamba_padding_pct: Optional[float] = None
    padding_layers: int = 0
    bytes_per_token: int = 0       # sum over attention layers, per rank
    state_bytes_per_sequence: int = 0
    estimated_max_model_len: Optional[int] = None


def layer_specs(model: ModelInfo, s: KvSettings) -> list[LayerKv]:
    """The KV layers of one pipeline stage, the one whose layers need the most KV (every stage holds
    its own layers for all tokens; vLLM reports one stage's tokens), drafter layers on the last stage."""
    stages = pp_split(len(model.spec.layers), s.pp) if s.pp > 1 else [range(len(model.spec.layers))]
    per_stage = [_stage_specs(model, s, [model.spec.layers[i] for i in rng], last=k == len(stages) - 1)
                 for k, rng in enumerate(stages)]
    return max(per_stage, key=lambda specs: (sum(l.bytes_per_token for l in specs), sum(l.state_bytes for l in specs)))


def _stage_specs(model: ModelInfo, s: KvSettings, layers: list, last: bool) -> list[LayerKv]:
    out: list[LayerKv] = []
    full_template: Optional[LayerKv] = None
    for layer in layers:
        if layer.kv_shared_from is not None:      # KV-sharing layers allocate nothing (Gemma-3n/4 E-models)
            continue
        if layer.kind in (FULL, SLIDING):
            heads = max(1, (layer.num_kv_heads or 1) // s.tp)     # ModelConfig.get_num_kv_heads
            per_tok = int(heads * ((layer.head_dim_k or 0) + (layer.head_dim_v or 0)) * s.kv_bytes)
            kind = "sliding" if layer.kind == SLIDING and not s.disable_hybrid else "full"
            spec = LayerKv(kind, per_tok, window=layer.window if kind == "sliding" else None)
            out.append(spec)
            if kind == "full" and full_template is None:
                full_template = spec
        elif layer.kind == MLA:
            # One latent per token, not split by TP: every rank holds the full copy.
            per_tok = int(((layer.kv_lora_rank or 0) + (layer.rope_dim or 0)) * s.kv_bytes)
            spec = LayerKv("mla", per_tok)
            out.append(spec)
            full_template = full_template or spec
        elif layer.kind in (LINEAR, MAMBA) and layer.state is not None:
            st = layer.state
            conv = (st.conv_dim // s.tp) * (st.conv_kernel - 1 + s.num_spec) * s.state_dtype_bytes
            ssm = (st.ssm_elements // s.tp) * (s.ssm_dtype_bytes or s.state_dtype_bytes)
            out.append(LayerKv("mamba", state_bytes=conv + ssm))
    if full_template is None:           # a stage of linear/mamba layers only: drafters copy the model's shape
        first = next((l for l in model.spec.layers if l.kind in (FULL, MLA)), None)
        if first is not None and last and (s.mtp_layers or s.draft_layers):
            full_template = _stage_specs(model, s, [first], last=False)[0]
    if last and s.draft_model is not None:
        # a drafter read from disk: its own attention layers join the same cache (vllm/v1/spec_decode/)
        plain = replace(s, draft_model=None, mtp_layers=0, draft_layers=0)
        for spec in _stage_specs(s.draft_model, plain, list(s.draft_model.spec.layers), last=False):
            spec.draft = True
            out.append(spec)
    if last and full_template is not None:
        # MTP and EAGLE drafter layers are ordinary attention layers of the target's shape, marked is_draft
        # (vllm/v1/spec_decode/eagle.py; the drafter's KV joins the same cache).
        for _ in range(s.mtp_layers + (0 if s.draft_model is not None else s.draft_layers)):
            out.append(LayerKv(full_template.kind, full_template.bytes_per_token, draft=True))
    return out


def _align_hybrid(layers: list[LayerKv], s: KvSettings) -> tuple[int, Optional[float]]:
    attn = [l for l in layers if l.kind != "mamba"]
    mamba = [l for l in layers if l.kind == "mamba"]
    block = s.block_size
    if not attn or not mamba or not has("hybrid_mamba_alignment", s.version):
        return block, None
    attn_1tok = attn[0].bytes_per_token
    mamba_page = max(l.state_bytes for l in mamba)
    align = max(16, block)           # smallest kernel block of FlashAttention/FlashInfer/Triton is 16
    attn_block = align * cdiv(mamba_page, align * attn_1tok)
    if block < attn_block:
        block = attn_block
    attn_page = block * attn_1tok
    pct = None
    if attn_page > mamba_page:
        pct = 100.0 * (attn_page - mamba_page) / mamba_page
    for l in mamba:
        l.state_bytes = attn_page
    return block, pct


def _usage(l: LayerKv, s: KvSettings, M: int) -> int:
    """max_memory_usage_bytes of one layer's spec for a request of M tokens."""
    if l.kind == "mamba":
        extra = 2 if s.mamba_cache_mode == "align" else 1
        return (extra + s.num_spec) * l.page
    if l.kind == "sliding" and l.window:
        if has("swa_in_flight_batches", s.version):
            in_flight = s.max_num_batched_tokens * (2 if s.pp == 1 else s.pp)
        else:
            in_flight = s.max_num_batched_tokens
        return (cdiv(min(l.window - 1 + in_flight, M), l.block_size) + 1) * l.page
    return cdiv(M, l.block_size) * l.page


def plan_kv(model: ModelInfo, s: KvSettings, available: int) -> KvResult:
    layers = layer_specs(model, s)
    for l in layers:
        l.block_size = s.block_size
    block, pct = _align_hybrid(layers, s)
    for l in layers:
        # mamba_block_size: the attention block in align mode, max_model_len otherwise (MambaModelConfig)
        l.block_size = block if l.kind != "mamba" or s.mamba_cache_mode == "align" else s.max_model_len
    res = KvResult(layers=layers, block_size=block, mamba_padding_pct=pct)
    res.bytes_per_token = sum(l.bytes_per_token for l in layers if l.kind != "mamba")
    res.state_bytes_per_sequence = sum(l.state_bytes for l in layers if l.kind == "mamba")
    if not layers:
        return res
    # Unify page sizes: smaller attention pages get a proportionally larger block.
    max_page = max(l.page for l in layers)
    for l in layers:
        if l.kind != "mamba" and l.page < max_page and max_page % l.page == 0:
            l.block_size = l.block_size * (max_page // l.page)
    buckets: dict[tuple, list[LayerKv]] = {}
    for l in layers:
        buckets.setdefault(l.key(), []).append(l)
    counts = [len(v) for v in buckets.values()]
    if len(buckets) == 1:
        group_size = counts[0]
    else:
        group_size = min(counts)
        if has("group_size_heuristic", s.version) and max(counts) < 1.5 * min(counts):
            group_size = max(counts)
    groups: list[tuple[LayerKv, int]] = []
    for members in buckets.values():
        n = cdiv(len(members), group_size)
        res.padding_layers += n * group_size - len(members)
        for i in range(n):
            groups.append((members[0], len(members[i::n])))
    res.groups = [(spec.kind, n) for spec, n in groups]
    page = max_page
    res.bytes_per_block = group_size * page
    res.num_blocks = available // res.bytes_per_block if available > 0 else 0
    M = s.max_model_len
    res.blocks_per_request = sum(cdiv(_usage(spec, s, M), spec.page) for spec, _ in groups)
    res.request_bytes = sum(_usage(l, s, M) for l in layers)
    v = s.version
    min_block = min(spec.block_size for spec, _ in groups)
    if not has("grouped_kv_cache", v):       # V0 and v0.8.x: one uniform group
        res.tokens = res.num_blocks * min_block
        res.concurrency = res.tokens / M
    else:
        res.concurrency = res.num_blocks / res.blocks_per_request
        if has("kv_tokens_from_concurrency", v):
            res.tokens = int(res.concurrency * M)
        else:
            res.tokens = (res.num_blocks // len(groups)) * min_block
    if res.request_bytes > available:
        res.estimated_max_model_len = _max_len_that_fits(layers, s, available)
    return res


def _max_len_that_fits(layers: list[LayerKv], s: KvSettings, available: int) -> int:
    lo, hi = 0, s.max_model_len
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if sum(_usage(l, s, mid) for l in layers) <= available:
            lo = mid
        else:
            hi = mid - 1
    return lo
