"""How many block iterations llama.cpp's batch-1 mat-vec kernels run per token (ggml-cuda/mmvq.cu, 0c1e57098).

A quantized weight times one to eight tokens runs `mul_mat_vec_q`: on NVIDIA (its generic parameter table) a
block of 4 warps takes one row and walks it in iterations of vdr * 32 / qi * qk elements per warp, the four
warps side by side. An iteration costs about the same however many of its threads load, so a row whose width is
not a multiple of the block's stride pays a part-idle last one: Gemma-3-1B's 1152-wide rows take two 1024-element
iterations of Q8_0, as Qwen3-1.7B's 2048-wide rows do (Nsight Compute, run12: the 262144-row output head 326 us,
the 151936-row one 208 us, for about the same bytes). A row shorter than the block's stride is walked by one warp
('small_k', four rows to a block). Float weights run another kernel (mmv.cu) and are not counted.
"""
from __future__ import annotations

# elements one warp covers per iteration: vdr * warp_size / qi * qk (vecdotq.cuh VDR_*_MMVQ, ggml-common.h QI*)
WARP_STRIDE = {
    "q4_0": 512, "q4_1": 512, "q5_0": 512, "q5_1": 512, "iq4_nl": 512, "mxfp4": 512, "q8_0": 256,
    "q2_k": 512, "q3_k": 512, "q4_k": 512, "q5_k": 512, "q6_k": 256, "iq4_xs": 1024,
}
WARPS = 4                        # calc_nwarps, MMVQ_PARAMETERS_GENERIC, one to four columns
TURING_K_QUANT_WARPS = 2         # MMVQ_PARAMETERS_TURING: Q2_K-Q6_K take two warps on cc 7.5


def _warps(fmt: str, turing: bool) -> int:
    return TURING_K_QUANT_WARPS if turing and fmt.endswith("_k") else WARPS


def row_iterations(k: int, fmt: str, turing: bool = False) -> int:
    """Iterations a row of width k takes: the block's stride, or one warp's below it (should_use_small_k)."""
    warp = WARP_STRIDE.get(fmt)
    if not warp or k <= 0:
        return 0
    stride = warp * _warps(fmt, turing) if k >= warp * _warps(fmt, turing) else warp
    return -(-k // stride)


def block_iterations(rows: int, k: int, fmt: str, turing: bool = False) -> int:
    """Iterations of the kernel's blocks over a rows x k weight: a block per row, or, below one block's stride,
    a row per warp and as many rows to a block as it has warps (calc_rows_per_block, small_k)."""
    warp = WARP_STRIDE.get(fmt)
    if not warp or k <= 0:
        return 0
    per_block = 1 if k >= warp * _warps(fmt, turing) else _warps(fmt, turing)
    return -(-rows // per_block) * row_iterations(k, fmt, turing)


def matvec_iterations(model, fmt: str, turing: bool = False) -> int:
    """The kernels' block iterations over the weight rows one token multiplies: attention's projections, the FFN
    or the routed and shared experts a token picks, the output head. 0 for float weights."""
    s = model.spec
    h = s.hidden_size
    if not h or fmt not in WARP_STRIDE:
        return 0
    heads, kv = s.num_attention_heads or 0, s.num_kv_heads or 0
    hd = s.head_dim or (h // max(heads, 1))
    q_width = heads * hd or h
    ff = s.intermediate_size or 4 * h
    moe = s.moe
    mats: list[tuple[int, int]] = []          # (rows, width)
    for layer in s.layers:
        mats += [(q_width + 2 * max(kv, 1) * hd, h), (h, q_width)]
        if moe and layer.is_moe:
            n = moe.experts_per_token + moe.shared_experts
            ffe = moe.expert_intermediate_size or ff
            mats += [(2 * ffe * n, h), (h * n, ffe)]
        else:
            mats += [(2 * ff, h), (h, ff)]
    mats.append((s.vocab_size, h))
    return sum(block_iterations(rows, k, fmt, turing) for rows, k in mats)
