"""Count llama.cpp's decode-graph nodes per architecture (fixtures/logs/speed/llamacpp/graph-nodes-0c1e57098.txt),
the counts llmdoctor/engines/llamacpp/graph.py is built from. Needs a CPU build of llama.cpp's llama-bench
(cmake -B build -DGGML_CUDA=OFF -DLLAMA_BUILD_SERVER=OFF -DLLAMA_BUILD_APP=OFF && cmake --build build --target
llama-bench). Each file is make_gguf.py's shape at small widths: the count depends on layers and their kinds only.

Usage: python benchmarks/speed/count_nodes.py LLAMA_BENCH WORKDIR > graph-nodes.txt
"""
from __future__ import annotations

import collections
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_gguf as M  # noqa: E402

SHAPES = ["llama-1b", "llama-8b", "qwen3-0.6b", "qwen3-8b", "qwen3moe-30b-a3b", "qwen35-0.8b", "qwen35-27b",
          "qwen35moe-35b-a3b", "gemma3-1b", "gemma3-27b"]


def small(name: str, **over) -> dict:
    s = dict(M.SHAPES[name], embd=256, ff=512, vocab=1024)
    s.update({k: 128 for k in ("ffe", "ffs") if k in s})
    if s["arch"] in M.HYBRID:
        s["hd"] = 32
    if s["arch"] != "gemma3":
        s["D"] = min(s["D"], 128)
    return dict(s, **over)


def variants() -> dict[str, dict]:
    v = {name: small(name) for name in SHAPES}
    for iv in (1, 2, 8):      # Qwen3.5 with 8 layers: all full attention, half, one in eight
        v[f"q35i{iv}"] = small("qwen35-0.8b", L=8, interval=iv)
    for iv in (1, 8):
        v[f"q35mi{iv}"] = small("qwen35moe-35b-a3b", L=8, interval=iv, ffe=64, ffs=64)
    v["q3m8"] = small("qwen3moe-30b-a3b", L=8, ffe=64)
    return v


def count(bench: str, path: str) -> tuple[int, collections.Counter]:
    """(llama_context's total node count, the last printed graph's non-view nodes by op)."""
    out = subprocess.run([bench, "-m", path, "-p", "0", "-n", "1", "-r", "1", "-v", "-t", "2"], capture_output=True,
                         text=True, errors="replace", env=dict(os.environ, GGML_SCHED_DEBUG="2"), timeout=600)
    lines = (out.stdout + out.stderr).split("\n")
    total = int(re.search(r"graph: nodes = (\d+)", out.stderr).group(1))
    last = max(i for i, line in enumerate(lines) if line.startswith("## SPLIT #0"))
    ops = [re.match(r"node #\s*\d+ \((.{10})\)", line).group(1).strip() for line in lines[last:]
           if line.startswith("node #")]
    return total, collections.Counter(ops)


def main() -> None:
    bench, work = sys.argv[1], sys.argv[2]
    print("# llama.cpp decode-graph nodes that are not views, by op, one decode step: "
          "python benchmarks/speed/count_nodes.py LLAMA_BENCH WORKDIR (see its docstring)")
    for name, shape in variants().items():
        M.SHAPES["small-" + name] = shape
        path = os.path.join(work, name + ".gguf")
        M.write(path, "small-" + name, "q8_0")
        total, ops = count(bench, path)
        print(f"{name} (total nodes {total}): {sum(ops.values())} {dict(ops.most_common())}", flush=True)
        os.remove(path)


if __name__ == "__main__":
    main()
