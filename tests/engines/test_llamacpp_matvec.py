"""llama.cpp's batch-1 mat-vec iterations (engines/llamacpp/matvec.py) against its kernel's geometry (mmvq.cu,
0c1e57098) and against the kernel times Nsight Compute recorded on the H200 (run12)."""
from __future__ import annotations

import csv
import os

import pytest

from llmdoctor.checkpoint import read_model
from llmdoctor.engines.llamacpp.matvec import block_iterations, matvec_iterations, row_iterations

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NCU = os.path.join(ROOT, "fixtures", "logs", "speed", "llamacpp", "ncu-run12-{}.csv")


@pytest.mark.parametrize("k, fmt, turing, iters", [
    (1024, "q8_0", False, 1), (1152, "q8_0", False, 2), (2048, "q8_0", False, 2),   # 4 warps x 256
    (3072, "q4_k", False, 2), (4096, "q4_k", False, 2), (4097, "q4_k", False, 3),   # 4 warps x 512
    (1152, "q4_k", False, 3), (1024, "q4_0", False, 2), (768, "q4_0", False, 2),    # under a block: one warp's 512
    (2048, "q4_k", True, 2), (2048, "q4_0", False, 1),                              # Turing: K-quants on 2 warps
    (4096, "f16", False, 0),                                                        # another kernel
])
def test_a_rows_iterations_follow_the_kernels_stride(k, fmt, turing, iters):
    assert row_iterations(k, fmt, turing) == iters


def _head_us(name: str, rows: int) -> float:
    """Mean duration of the output head's mat-vec (grid = its rows) over the recorded steps."""
    ts = [float(r["ns"]) for r in csv.DictReader(open(NCU.format(name)))
          if r["kernel"].startswith("void mul_mat_vec_q") and r["grid"] == f"({rows}, 1, 1)"]
    assert ts, name
    return sum(ts) / len(ts) / 1e3


def test_iterations_not_bytes_order_the_recorded_output_heads():
    """Gemma-3-1B's head (262144 rows of 1152, Q8_0) and Qwen3-1.7B's (151936 of 2048) hold about the same bytes,
    yet Gemma's took ~1.6x as long: as its rows x iterations (1.7x), not as its bytes (0.97x)."""
    ratio = _head_us("gemma3-1b-q8_0", 262144) / _head_us("qwen3-1.7b-q8_0", 151936)
    by_iters = (262144 * row_iterations(1152, "q8_0")) / (151936 * row_iterations(2048, "q8_0"))
    by_bytes = (262144 * 1152) / (151936 * 2048)
    assert abs(ratio - by_iters) < abs(ratio - by_bytes)
    assert 1.4 < ratio < 1.8


def test_a_narrow_model_walks_more_iterations_per_weight():
    gemma = read_model(os.path.join(ROOT, "fixtures", "models", "google--gemma-3-1b-it"))
    qwen = read_model(os.path.join(ROOT, "benchmarks", "speed", "models", "qwen3-1.7b"))
    per_param = lambda m: matvec_iterations(m, "q8_0") / (m.params_total or 1)
    assert per_param(gemma) > 1.5 * per_param(qwen)
    assert matvec_iterations(gemma, "f16") == 0


def test_under_one_blocks_stride_four_rows_share_a_block():
    """Qwen3-0.6B's 1024-wide rows in Q4_0 (a block's stride is 2048): a warp per row, four rows to a block, two
    iterations of 512; in Q8_0 (stride 1024) a block per row, one iteration."""
    assert block_iterations(3072, 1024, "q4_0") == 768 * 2
    assert block_iterations(3072, 1024, "q8_0") == 3072 * 1
    assert block_iterations(6, 1024, "q4_0") == 2 * 2          # a part-filled block still runs
