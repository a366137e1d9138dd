"""Whole-process speed of `llmdoctor check` and of the TUI's what-if replan.

1. `llmdoctor check fixtures/models/Qwen--Qwen3-8B --gpu "RTX 4090"` run N times as a fresh process
   (Python start-up, imports, reading the config, planning two engines, 94 rules, rendering); the
   median and the spread are printed. With --against REV, the same command from a worktree of REV
   runs interleaved with this checkout's, so both see the same machine load.
2. The what-if panel: `evaluate` on one gathered input with a new context length, timed in-process.

    .venv/bin/python benchmarks/bench_check.py [-n 15] [--against 7dd0249]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ARGS = ["check", os.path.join(REPO, "fixtures", "models", "Qwen--Qwen3-8B"), "--gpu", "RTX 4090"]


def run_once(src: str) -> float:
    # as installed: pip writes bytecode at install time, so allow it (some shells set PYTHONDONTWRITEBYTECODE)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = src
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "llmdoctor", *ARGS], cwd=src, env=env, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - t


def whatif_ms(n: int) -> list[float]:
    sys.path.insert(0, REPO)
    from llmdoctor.app.pipeline import Intent, evaluate, gather, with_what_if
    from llmdoctor.render.tui.session import WhatIf
    intent = Intent(model_path=ARGS[1], gpu="RTX 4090")
    inputs = gather(intent)
    evaluate(intent, inputs)
    out = []
    for i in range(n):
        t = time.perf_counter()
        evaluate(with_what_if(intent, WhatIf(max_model_len=8192 + 1024 * i)), inputs, None, prefer_recommended=False)
        out.append((time.perf_counter() - t) * 1000)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=15)
    ap.add_argument("--against", help="a git revision to time interleaved with this checkout")
    a = ap.parse_args()
    trees = {"this checkout": REPO}
    tmp = None
    if a.against:
        tmp = tempfile.mkdtemp()
        subprocess.run(["git", "-C", REPO, "worktree", "add", "--detach", tmp, a.against], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        trees[a.against] = tmp
    try:
        times = {k: [] for k in trees}
        for src in trees.values():          # warm-up: bytecode and the rule cache, as on a used install
            run_once(src)
        for _ in range(a.n):
            for name, src in trees.items():
                times[name].append(run_once(src))
        for name, ts in times.items():
            print(f"check, {name}: median {statistics.median(ts):.3f} s (min {min(ts):.3f}, max {max(ts):.3f}, n={len(ts)})")
        if a.against:
            ratio = statistics.median(times["this checkout"]) / statistics.median(times[a.against])
            print(f"ratio this/{a.against}: {ratio:.2f}")
        w = whatif_ms(a.n)
        print(f"what-if replan: median {statistics.median(w):.1f} ms (max {max(w):.1f}, n={len(w)})")
    finally:
        if tmp:
            subprocess.run(["git", "-C", REPO, "worktree", "remove", "--force", tmp], check=False)


if __name__ == "__main__":
    main()
