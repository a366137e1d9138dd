"""Summarise Nsight Compute's kernel durations of llama.cpp decode steps (device/ncu_decode.sh), diagnostic only.

    python benchmarks/speed/ncu_kernels.py reduce NCU.csv OUT.csv   keep kernel, grid, block and duration (ns)
    python benchmarks/speed/ncu_kernels.py summary OUT.csv ...      per decode step, by kernel

llama-bench -p 0 -n 4 -r 1 runs one warm-up token and four timed ones, each the same graph: the last four
fifths of the kernels are four steps. ncu runs each kernel alone, its caches flushed, so a kernel's duration
here is longer than inside a CUDA graph (about 1.3 us more per kernel on the H200); compare the models
with each other, not with the step time.
"""
from __future__ import annotations

import collections
import csv
import re
import sys

STEPS_TIMED, STEPS_RUN = 4, 5


def reduce(src: str, dst: str) -> None:
    lines = open(src).read().splitlines()
    rows = csv.reader(lines[next(i for i, line in enumerate(lines) if line.startswith('"ID"')):])
    head = next(rows)
    unit = next(rows)[head.index("gpu__time_duration.sum")]
    if unit != "ns":
        raise SystemExit(f"{src}: durations in {unit}, expected ns")
    cols = [head.index(c) for c in ("Kernel Name", "Grid Size", "Block Size", "gpu__time_duration.sum")]
    with open(dst, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["kernel", "grid", "block", "ns"])
        for r in rows:
            if len(r) > max(cols):
                w.writerow([re.sub(r"\(.*", "", r[cols[0]])[:120], r[cols[1]], r[cols[2]], r[cols[3]].replace(",", "")])


def summary(path: str) -> None:
    rows = list(csv.DictReader(open(path)))
    per = len(rows) // STEPS_RUN
    agg: dict = collections.defaultdict(lambda: [0, 0.0])
    for r in rows[len(rows) - STEPS_TIMED * per:]:
        k = re.sub(r"<.*", "", r["kernel"]).replace("void ", "")
        agg[k][0] += 1
        agg[k][1] += float(r["ns"])
    busy = sum(t for _, t in agg.values()) / STEPS_TIMED / 1e3
    print(f"{path}: {per} kernels a step, {busy:.0f} us of kernels a step")
    for k, (n, t) in sorted(agg.items(), key=lambda kv: -kv[1][1]):
        print(f"  {k:34s} {n // STEPS_TIMED:4d} a step  {t / STEPS_TIMED / 1e3:7.1f} us  ({t / n / 1e3:.2f} us each)")


if __name__ == "__main__":
    if sys.argv[1:2] == ["reduce"]:
        reduce(sys.argv[2], sys.argv[3])
    else:
        for p in sys.argv[2:]:
            summary(p)
