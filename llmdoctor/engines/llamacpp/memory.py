"""llama.cpp memory arithmetic: context cells, KV / recurrent buffers, output and compute buffers.

Pure functions of the model spec and the effective settings. Sources (ggml-org/llama.cpp@0c1e57098):
- `src/llama-context.cpp` (llama_context ctor: n_ctx padding, n_ctx_seq; output_reserve)
- `src/llama-kv-cache.cpp` (K/V tensors per layer and stream), `src/llama-kv-cache-iswa.cpp` (SWA size)
- `src/llama-memory-recurrent.cpp` + `src/llama-hparams.cpp` (n_embd_r / n_embd_s, F32 rows)
- `src/llama-model.cpp` (create_memory: recurrent rows = max(1, n_seq_max))
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

MiB = 1024 * 1024

# Bytes per block and elements per block of the KV cache types llama.cpp accepts for -ctk/-ctv
# (`common/arg.cpp` kv_cache_types; block sizes from `ggml/src/ggml-common.h`).
KV_TYPES: dict[str, tuple[int, int]] = {
    "f32": (4, 1), "f16": (2, 1), "bf16": (2, 1),
    "q8_0": (34, 32), "q4_0": (18, 32), "q4_1": (20, 32),
    "iq4_nl": (18, 32), "q5_0": (22, 32), "q5_1": (24, 32),
}


def pad(x: int, n: int) -> int:
    return (x + n - 1) // n * n


def row_size(type_name: str, n: int) -> int:
    """ggml_row_size: bytes of a row of n elements."""
    size, block = KV_TYPES[type_name]
    return size * (n // block) + (size if n % block else 0)


@dataclass
class Cells:
    n_ctx: int              # total cells after padding (what the log calls n_ctx)
    n_ctx_seq: int          # cells one sequence can use (per stream)
    n_seq_max: int
    n_stream: int           # 1 when unified
    unified: bool


def context_cells(n_ctx_req: int, n_ctx_train: int, n_seq_max: int, unified: bool) -> Cells:
    """llama_context ctor: 0 -> n_ctx_train; pad to 256; split across streams when not unified."""
    n_ctx = n_ctx_req if n_ctx_req > 0 else n_ctx_train
    n_ctx = pad(n_ctx, 256)
    n_seq_max = max(1, n_seq_max)
    if unified:
        return Cells(n_ctx, n_ctx, n_seq_max, 1, True)
    n_ctx_seq = pad(n_ctx // n_seq_max, 256)
    return Cells(n_ctx_seq * n_seq_max, n_ctx_seq, n_seq_max, n_seq_max, False)


@dataclass
class LayerMemory:
    index: int
    kind: str
    cells: int = 0          # cells per stream of the cache this layer is in
    k_bytes: int = 0
    v_bytes: int = 0
    r_bytes: int = 0        # recurrent conv state (F32)
    s_bytes: int = 0        # recurrent SSM state (F32)

    @property
    def kv_bytes(self) -> int:
        return self.k_bytes + self.v_bytes

    @property
    def state_bytes(self) -> int:
        return self.r_bytes + self.s_bytes


@dataclass
class CacheMemory:
    layers: list[LayerMemory]
    cells: Cells
    swa_cells: Optional[int]            # per stream, None when the model has no SWA layers
    rs_rows: int                        # recurrent rows (sequences)
    notes: list[str] = field(default_factory=list)

    @property
    def kv_bytes(self) -> int:
        return sum(l.kv_bytes for l in self.layers)

    @property
    def state_bytes(self) -> int:
        return sum(l.state_bytes for l in self.layers)

    @property
    def k_bytes(self) -> int:
        return sum(l.k_bytes for l in self.layers)

    @property
    def v_bytes(self) -> int:
        return sum(l.v_bytes for l in self.layers)


def cache_memory(spec, cells: Cells, type_k: str, type_v: str, n_ubatch: int, swa_full: bool,
                 flash_attn: bool) -> CacheMemory:
    """K/V bytes per attention layer and recurrent state bytes per linear/mamba layer."""
    notes: list[str] = []
    swa_cells = None
    if any(l.kind == "sliding" for l in spec.layers):
        # llama_kv_cache_iswa: pad(min(size_base, n_swa * (unified ? n_seq_max : 1) + n_ubatch), 256)
        window = max((l.window or spec.sliding_window or 0) for l in spec.layers if l.kind == "sliding")
        swa_cells = cells.n_ctx_seq if swa_full else pad(
            min(cells.n_ctx_seq, window * (cells.n_seq_max if cells.unified else 1) + n_ubatch), 256)
    rs_rows = max(1, cells.n_seq_max)
    v_widths = [(l.num_kv_heads or 0) * (l.head_dim_v or 0) for l in spec.layers if l.kind in ("full", "sliding")]
    v_pad = max(v_widths) if v_widths else 0
    if not flash_attn and v_widths and len(set(v_widths)) > 1:
        notes.append(f"V cache padded to the widest layer ({v_pad}) because FA is off (transposed V)")
    out = []
    for l in spec.layers:
        mem = LayerMemory(l.index, l.kind)
        if l.kv_shared_from is not None:
            out.append(mem)                      # reuses another layer's cache: allocates nothing
            continue
        if l.kind in ("full", "sliding", "mla"):
            per_stream = swa_cells if l.kind == "sliding" else cells.n_ctx_seq
            mem.cells = per_stream
            n_cells = per_stream * cells.n_stream
            heads = 1 if l.kind == "mla" else (l.num_kv_heads or 0)
            mem.k_bytes = row_size(type_k, heads * (l.head_dim_k or 0)) * n_cells
            if l.kind != "mla":                  # MLA: K holds the latent + rope part, there is no V
                v_width = v_pad if (not flash_attn and len(set(v_widths)) > 1) else heads * (l.head_dim_v or 0)
                mem.v_bytes = row_size(type_v, v_width) * n_cells
        elif l.kind in ("linear", "mamba") and l.state is not None:
            st = l.state
            mem.r_bytes = 4 * st.conv_dim * max(st.conv_kernel - 1, 0) * rs_rows
            mem.s_bytes = 4 * st.ssm_elements * rs_rows
        out.append(mem)
    return CacheMemory(out, cells, swa_cells, rs_rows, notes)


def output_buffer_bytes(n_vocab: int, n_seq_max: int) -> int:
    """output_reserve at construction: logits for max(n_outputs, n_seq_max) rows, F32, host memory."""
    return n_vocab * max(1, n_seq_max) * 4


@dataclass
class ComputeEstimate:
    gpu_output_device: int      # the device holding the output layer (logits)
    gpu_other_device: int       # any other GPU holding layers
    host: int
    terms: dict


def compute_buffers(spec, cells: Cells, n_ubatch: int, flash_attn: bool, n_kv_max: int,
                    n_swa_kv: Optional[int], quantized_kv: bool = False, kv_width: int = 0,
                    pipeline_copies: int = 1) -> ComputeEstimate:
    """ESTIMATE of sched_reserve's worst-case graph (prompt graph, n_tokens = min(n_ctx, n_ubatch),
    every token producing logits), fitted to CUDA logs of 0c1e57098 (fixtures/logs/llamacpp-measured):
    - GPU holding the output layer: max(logits, attention working set) where logits =
      4 x n_tokens x (n_vocab + n_embd);
    - attention working set with FA: the KQ mask (F16, n_tokens x n_kv per stream, one per cache for
      iSWA), F16 copies of a quantized K/V (n_kv x streams x K+V width), plus ~32 x n_tokens x n_embd;
    - without FA: one layer's KQ scores (n_head x n_tokens x n_kv F32) plus an F32 mask;
    - host (CUDA_Host) compute buffer: the mask inputs plus 8 x n_tokens x n_embd;
    - pipeline parallelism (several GPUs, -sm layer, everything offloaded, no overrides): the scheduler
      keeps GGML_SCHED_MAX_COPIES = 4 copies of the graph inputs, so every GPU and the host hold 4 masks
      and the output GPU adds its logits on top (measured on 2x H200)."""
    n_tok = min(cells.n_ctx, n_ubatch)
    vocab, embd = spec.vocab_size, spec.hidden_size
    logits = 4 * n_tok * (vocab + embd)
    elem = 2 if flash_attn else 4
    mask = elem * n_tok * (n_kv_max or 0) + elem * n_tok * (n_swa_kv or 0)
    heads = spec.num_attention_heads or 0
    small = 32 * n_tok * embd
    if flash_attn:
        conv = 2 * kv_width * n_kv_max * cells.n_stream if quantized_kv else 0
        attention = mask + conv + small
        kq = 0
    else:
        kq = 4 * heads * n_tok * n_kv_max
        attention = kq + mask + small
    if pipeline_copies > 1:
        inputs = pipeline_copies * mask
        gpu_out = inputs + max(logits, attention - mask)
        gpu_other = inputs + attention - mask
        host = inputs + 8 * n_tok * embd
    else:
        gpu_out = max(logits, attention)
        gpu_other = attention
        host = mask + 8 * n_tok * embd
    return ComputeEstimate(gpu_out, gpu_other, host,
                           {"n_tokens": n_tok, "logits": logits, "kq_mask": mask, "kq_scores": kq,
                            "attention": attention})


def log_flag_ok(name: str, value) -> bool:
    """A cache type llama.cpp would refuse ("unsupported cache type") cannot have run."""
    return name not in ("cache_type_k", "cache_type_v") or (isinstance(value, str) and value in KV_TYPES)
