"""Shared by fit.py and check.py: read runs.csv, plan every run through llmdoctor's own planners (so the
model sees exactly what `llmdoctor plan` sees), and predict each row's metric from the captured inputs."""
from __future__ import annotations

import csv
import json
import math
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, ROOT)

from llmdoctor.plan import speed_model as sm  # noqa: E402

TOLERANCE = 0.30      # the target, set before measuring: |predicted / measured - 1| <= 30 % on held-out rows


def load_runs(path: str = os.path.join(HERE, "runs.csv")) -> list[dict]:
    """The rows; a single-stream decode row faster than its GPU's bandwidth roofline (bytes read per token x
    tok/s > peak bandwidth) is not a batch-1 decode (speculative decoding, another measure): excluded."""
    rows = list(csv.DictReader(open(path, newline="")))
    for r in rows:
        for k in ("batch", "context", "prompt"):
            r[k] = int(r[k] or 0)
        r["measured"] = float(r["measured"])
        r["flags"] = json.loads(r["flags"] or "{}")
        if r["role"] != "excluded" and r["metric"] == "decode":
            roof = roofline(r)
            if roof and r["measured"] > roof:
                r["note"] = (f"excluded: {r['measured']:g} tok/s is above the bandwidth roofline {roof:.1f} tok/s "
                             f"of this GPU for this model (was {r['role']}). " + r["note"]).strip()
                r["role"] = "excluded"
    return rows


def roofline(row: dict) -> float | None:
    x = inputs_for(row)
    if not x.bandwidth:
        return None
    share = x.experts_per_token / x.num_experts if x.num_experts else 1.0
    read = x.dense_bytes + x.expert_bytes * share + row["context"] * x.kv_bytes_per_token + 2 * x.state_bytes
    return x.bandwidth / read


_CACHE: dict = {}


def inputs_for(row: dict) -> sm.SpeedInputs:
    """Plan the run and capture the SpeedInputs the planner hands to the speed model; a benchmark's bare decode
    (harness bench, and unknown taken as bench) leaves out a server's host work (served=False)."""
    served = row["harness"] in ("server", "generate")
    key = (row["engine"], row["gpu"], row["gpu_vram_gib"], row["gpu_bandwidth_gbs"], row["model"], row["file_type"],
           json.dumps(row["flags"], sort_keys=True), served)
    if key in _CACHE:
        return _CACHE[key]
    from llmdoctor.checkpoint import read_model
    from llmdoctor.plan import target_what_if
    from llmdoctor.plan.records import PlanRequest
    name, gpus = gpu_count(row)
    target = target_what_if(name, float(row["gpu_vram_gib"]) if row["gpu_vram_gib"] else None, gpus,
                            bandwidth_gbs=float(row["gpu_bandwidth_gbs"]) if row["gpu_bandwidth_gbs"] else None)
    model = read_model(os.path.join(ROOT, row["model"]))
    flags = dict(row["flags"])
    if row["file_type"]:
        flags["quant"] = row["file_type"]
    # llama.cpp run with GGML_CUDA_DISABLE_GRAPHS=1: what a card below cc 7.0 does, on this one
    no_graphs = row["engine"] == "llamacpp" and flags.pop("enforce_eager", False)
    _, x = plan_capturing(target, model, PlanRequest(engine=row["engine"], flags=flags), verify=False)
    if x is None:
        raise RuntimeError(f"{row['id']}: the planner made no speed estimate")
    x.served = served
    x.eager = x.eager or bool(no_graphs)
    _CACHE[key] = x
    return x


def gpu_count(row: dict) -> tuple[str, int]:
    """('RTX 3090', 4) from a row's GPU '4x RTX 3090' (a host of several) or its tensor-parallel size."""
    m = re.match(r"(\d+)x (.+)", row["gpu"])
    tp = int(row["flags"].get("tensor_parallel_size") or row["flags"].get("tp_size") or 1)
    return (m.group(2), max(int(m.group(1)), tp)) if m else (row["gpu"], tp)


def plan_capturing(target, model, request, **kw):
    """(plan, the SpeedInputs the planner handed to the speed model, or None)."""
    from llmdoctor.engines import make_plan
    captured = []
    real = sm.estimate

    def grab(x):
        captured.append(x)
        return real(x)
    sm.estimate = grab
    try:
        plan = make_plan(target, model, request, **kw)
    finally:
        sm.estimate = real
    return plan, (captured[0] if captured else None)


def predict(row: dict, params: dict | None = None) -> float | None:
    """tok/s the model predicts for the row's metric (params: one engine's constants, default the fitted ones)."""
    x = inputs_for(row)
    if not x.bandwidth:
        return None
    p = params or sm._params(x.engine)
    if row["metric"] == "decode":
        return 1.0 / sm.step_seconds(x, 1, row["context"], p)
    if row["metric"] == "aggregate":
        return row["batch"] / sm.step_seconds(x, row["batch"], row["context"], p)
    t = sm.prefill_seconds(x, row["prompt"], row["context"], p)
    return row["prompt"] / t if t else None


def point(r: dict) -> tuple:
    """What a row measures; repeats of one point (the same case measured again) share it."""
    return (r["engine"], r["gpu"], r["model"], r["file_type"], bool(r["flags"].get("enforce_eager")), r["metric"],
            r["batch"], r["context"], r["prompt"], r["harness"] == "server")


def points(rows: list[dict]) -> list[tuple[list[dict], float]]:
    """The rows with an estimate grouped by point: (the point's runs, the median of their measured values)."""
    import statistics
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        if predict(r):
            groups.setdefault(point(r), []).append(r)
    return [(g, statistics.median(r["measured"] for r in g)) for g in groups.values()]


def rel_error(pred: float, meas: float) -> float:
    return pred / meas - 1.0


def log_err(pred: float, meas: float) -> float:
    return math.log(pred / meas)
