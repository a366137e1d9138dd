"""Fit the speed model's constants on the CALIBRATION rows of runs.csv and write llmdoctor/plan/speed_params.py.

Held-out rows are never read here (check.py reports them). Least squares on log(predicted / measured),
Levenberg-Marquardt on the logs of the constants (all positive). llama.cpp is fitted first, together
with the peak-bandwidth efficiency ETA_PEAK (its calibration rows include a GDDR card); vLLM's constants
are then fitted with that ETA_PEAK. SGLang has no calibration rows: it uses vLLM's constants.
llama.cpp's serving cost t_serve is not part of the least squares: it is measured directly, as llama-server's
time per token minus llama-bench's on the same file in the same run (the median over the calibration cases).
Usage: python benchmarks/speed/fit.py [--dry-run]
"""
from __future__ import annotations

import copy
import math
import os
import pprint
import statistics
import sys
from collections import Counter

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import speedlib as L  # noqa: E402
from llmdoctor.plan import speed_model as sm  # noqa: E402
from llmdoctor.plan import speed_params as SP  # noqa: E402

WEIGHT = {"decode": 2.0, "aggregate": 1.0, "prefill": 1.0}
BOUNDS = {"eta_moe": (0.2, 1.0), "eta_mm": (0.02, 1.0), "pf_moe": (0.1, 1.0), "ETA_PEAK": (0.5, 0.97),
          "eta_pf": (0.01, 0.95), "cap_pf": (10, 5000), "cap_w": (100, 100000), "cap_kv": (100, 100000),
          "eta_attn": (0.05, 1.0), "serial_share": (0.0, 1.0),
          "eta_mla": (0.02, 1.0), "fa3_alpha": (0.0, 2.0), "t_layer_linear": (1e-7, 1e-3), "pf_linear": (1e-10, 1e-5),
          "memory_class_factor": (0.3, 1.0), "arch_factor": (0.2, 1.0), "moe_class_factor": (0.2, 1.0), "mv_batch": (0.0, 1.0), "mmq_floor": (1.0, 10.0), "t_layer_fmt": (1e-7, 1e-3), "t_layer_moe": (1e-7, 1e-3),
          "t_iter": (1e-13, 1e-8)}


def _keys(p: dict, formats: list[str], eager: bool, moe: bool, classes: list[str], hbm_formats: list[str],
          moe_classes: list[str], prefill_ctx: bool, layer_kinds: set, archs: list[str]) -> list[tuple]:
    keys = [("t_fixed",), ("t_seq",), ("t_layer",), ("cap_kv",), ("eta_mm",), ("t_pf",)]
    # a kernel's ceiling only shows on HBM; a format seen only on slower memory informs the memory factor
    keys += [("cap_w", f) for f in hbm_formats]
    if "cap_pf" in p:        # llama.cpp: one efficiency off HBM, a ceiling per format on HBM
        keys += [("eta_pf", "all")] + [("cap_pf", f) for f in hbm_formats]
    else:
        keys += [("eta_pf", f) for f in formats]
    keys += [("memory_class_factor", c) for c in classes if c not in ("hbm", "gddr")]
    keys += [("moe_class_factor", c) for c in moe_classes]
    keys += [("arch_factor", a) for a in archs]
    if eager:
        keys.append(("t_node",) if "t_node" in p else ("t_layer_eager",))
    if prefill_ctx:
        keys.append(("eta_attn",))
    if "serial_share" in p:
        keys.append(("serial_share",))
    if "t_layer_seq" in p:
        keys.append(("t_layer_seq",))
    if "t_iter" in p:
        keys.append(("t_iter",))
    if moe:
        keys += [("eta_moe",), ("pf_moe",), ("t_pf_moe",), ("t_layer_moe",)]
    # eta_mla, fa3_alpha (FA3 decode, vLLM on Hopper); t_layer_linear, pf_linear (Gated DeltaNet, llama.cpp)
    keys += [(k,) for k in sorted(layer_kinds)]
    keys += [("t_layer_fmt", f) for f in hbm_formats if f != p["default_format"]]
    if "mv_batch" in p and p["mv_batch"]:
        keys += [("mv_batch",), ("mmq_floor",)]
    return keys


def _get(p, k):
    if k == ("ETA_PEAK",):
        return SP.ETA_PEAK
    if k == ("ETA_LPDDR",):
        return SP.MEMORY_CLASS_FACTOR["lpddr"]
    return p[k[0]] if len(k) == 1 else p[k[0]][k[1]]


def _set(p, k, v):
    lo, hi = BOUNDS.get(k[0], (1e-12, 1e12))
    v = min(max(v, lo), hi)
    if k == ("ETA_PEAK",):
        SP.ETA_PEAK = v
    elif k == ("ETA_LPDDR",):
        SP.MEMORY_CLASS_FACTOR["lpddr"] = v
    elif len(k) == 1:
        p[k[0]] = v
    else:
        p[k[0]][k[1]] = v


def residuals(rows, p) -> np.ndarray:
    """Weighted log errors. A point measured n times weighs as one measurement (each repeat 1/n): repeats
    say how noisy the point is, not that it matters n times more."""
    repeats = Counter(L.point(r) for r in rows)
    out = []
    for r in rows:
        pred = L.predict(r, p)
        if pred is None or pred <= 0 or not math.isfinite(pred):
            out.append(5.0)
            continue
        out.append(math.sqrt(WEIGHT[r["metric"]] / repeats[L.point(r)]) * math.log(pred / r["measured"]))
    return np.array(out)


def lm(rows, p, keys, iters=200):
    theta = np.array([math.log(_get(p, k)) for k in keys])

    def apply(th):
        for k, v in zip(keys, th):
            _set(p, k, math.exp(v))
        return np.array([math.log(_get(p, k)) for k in keys])
    theta = apply(theta)
    r = residuals(rows, p)
    lam = 1e-2
    for _ in range(iters):
        J = np.zeros((len(r), len(keys)))
        for j in range(len(keys)):
            th = theta.copy()
            th[j] += 1e-4
            apply(th)
            J[:, j] = (residuals(rows, p) - r) / 1e-4
        apply(theta)
        A = J.T @ J
        g = J.T @ r
        improved = False
        for _ in range(10):
            step = np.clip(-np.linalg.solve(A + lam * np.diag(np.diag(A) + 1e-6) + 1e-9 * np.eye(len(g)), g), -2, 2)
            new = apply(theta + step)
            rn = residuals(rows, p)
            if rn @ rn < r @ r:
                theta, r, lam, improved = new, rn, lam / 3, True
                break
            lam *= 4
        apply(theta)
        if not improved or np.max(np.abs(step)) < 1e-6:
            break
    return float(r @ r)


def _spread_row(r) -> bool:
    """Rows the calibration spread is taken on: single-stream decode with CUDA graphs (eager mode's host-bound
    speed has its own, wider term in the range: UNCALIBRATED['eager'])."""
    return r["metric"] == "decode" and not r["flags"].get("enforce_eager")


def spread(rows, p) -> float:
    e = sorted(abs(L.predict(r, p) / r["measured"] - 1) for r in rows if _spread_row(r))
    return round(e[min(len(e) - 1, int(0.9 * len(e)))], 3) if e else 0.15


def fit_engine(engine: str, rows, p, extra_keys=(), cv_spread: bool = True):
    formats = sorted({L.inputs_for(r).weight_format for r in rows})
    eager = any(L.inputs_for(r).eager for r in rows)
    moe = any(L.inputs_for(r).num_experts for r in rows)
    classes = sorted({L.inputs_for(r).memory_class for r in rows})
    hbm_formats = sorted({L.inputs_for(r).weight_format for r in rows if L.inputs_for(r).memory_class == "hbm"})
    moe_classes = sorted({L.inputs_for(r).memory_class for r in rows if L.inputs_for(r).num_experts} - {"hbm"})
    p.setdefault("moe_class_factor", {})
    for c in moe_classes:
        p["moe_class_factor"].setdefault(c, 1.0)
    # attention's own prefill rate shows only where a prompt meets a long context (8K tokens or more)
    prefill_ctx = any(r["metric"] == "prefill" and r["prompt"] / 2 + r["context"] >= 8192 for r in rows)
    p.setdefault("eta_attn", 1.0)
    # constants of layer kinds the calibration rows have: MLA decoded by FA3 (vLLM, Hopper), linear attention
    layer_kinds = {k for k, has in (("eta_mla", lambda x: x.mla_flops_per_ctx and x.sm_count),
                                    ("t_layer_linear", lambda x: x.linear_layers),
                                    ("pf_linear", lambda x: x.linear_layers),
                                    ("fa3_alpha", lambda x: x.kv_tiles and x.sm_count))
                   if any(has(L.inputs_for(r)) for r in rows)}
    for k in layer_kinds:
        p.setdefault(k, {"eta_mla": 0.5, "t_layer_linear": 1e-5, "pf_linear": 1e-7, "fa3_alpha": 0.5}[k])
    # GPU generations with rows of their own (sm.arch_key); 0.7 to start off the bound of 1
    archs = sorted({sm.arch_key(L.inputs_for(r)) for r in rows} - {""})
    p["arch_factor"] = {a: p.get("arch_factor", {}).get(a, 0.7) for a in archs}
    keys = (_keys(p, formats, eager, moe, classes, hbm_formats, moe_classes, prefill_ctx, layer_kinds, archs)
            + list(extra_keys))
    p.setdefault("t_layer_fmt", {})
    p.setdefault("t_layer_moe", 1e-5)
    if p.get("mv_batch"):
        p.setdefault("mmq_floor", 2.0)
    for f in formats:
        if "cap_pf" in p:
            p["cap_pf"].setdefault(f, p["cap_pf"][p["default_format"]]) if f in hbm_formats else None
        else:
            p["eta_pf"].setdefault(f, p["eta_pf"][p["default_format"]])
        if f != p["default_format"] and f in hbm_formats:
            p["t_layer_fmt"].setdefault(f, 1e-6)
    p["t_layer_fmt"] = {f: v for f, v in p["t_layer_fmt"].items() if f in hbm_formats}
    for c in classes:
        p["memory_class_factor"].setdefault(c, 1.0)
    cost = lm(rows, p, keys)
    cv = cross_validated_spread(rows, p, keys) if cv_spread else None
    p["cap_w"] = {f: v for f, v in p["cap_w"].items() if f in hbm_formats or f == p["default_format"]}
    p["memory_classes"] = sorted({L.inputs_for(r).memory_class for r in rows})
    p["calibrated_formats"] = formats
    p["spread"] = max(spread(rows, p), cv or 0.0)
    print(f"{engine}: {len(rows)} calibration rows, cost {cost:.4f}, formats {formats}, fit residual "
          f"{spread(rows, p)}, leave-one-case-out {cv}")
    return p


def _case(r) -> tuple:
    return (r["gpu"], r["model"], r["file_type"], bool(r["flags"].get("enforce_eager")))


def cross_validated_spread(rows, p, keys) -> float:
    """90th percentile of |error| of single-stream decode when each calibration case is left out of the fit
    and predicted by the others: the range the model claims is what it does on a case it has not seen."""
    errs = []
    for case in sorted({_case(r) for r in rows}):
        rest = [r for r in rows if _case(r) != case]
        out = [r for r in rows if _case(r) == case and _spread_row(r)]
        if not out or not rest:
            continue
        q = copy.deepcopy(p)
        ks = [k for k in keys if k != ("ETA_PEAK",) and any(_touches(k, r) for r in rest)]
        lm(rest, q, ks)
        errs += [abs(L.predict(r, q) / r["measured"] - 1) for r in out]
    errs.sort()
    return round(errs[min(len(errs) - 1, int(0.9 * len(errs)))], 3) if errs else 0.0


def _touches(k, r) -> bool:
    """Whether a constant is informed by the row at all (a format's constants only by rows of that format)."""
    x = L.inputs_for(r)
    if k == ("eta_pf", "all"):
        return x.memory_class != "hbm" and r["metric"] == "prefill"
    if k[0] in ("cap_w", "eta_pf", "t_layer_fmt", "cap_pf"):
        return x.weight_format == k[1]
    if k[0] in ("memory_class_factor", "moe_class_factor"):
        return x.memory_class == k[1]
    if k[0] == "arch_factor":
        return sm.arch_key(x) == k[1]
    if k[0] in ("eta_moe", "pf_moe", "t_pf_moe", "t_layer_moe"):
        return bool(x.num_experts)
    if k[0] in ("t_layer_eager", "t_node"):
        return x.eager
    if k[0] == "eta_attn":
        return r["metric"] == "prefill"
    if k[0] == "eta_mla":
        return bool(x.mla_flops_per_ctx and x.sm_count)
    if k[0] == "fa3_alpha":
        return bool(x.kv_tiles and x.sm_count)
    if k[0] == "t_layer_linear":
        return bool(x.linear_layers) and r["metric"] != "prefill"
    if k[0] == "pf_linear":
        return bool(x.linear_layers) and r["metric"] == "prefill"
    return True


def serving_cost(served: list[dict], bench: list[dict], p: dict) -> float:
    """Median over the served single-stream calibration cases of 1/served - 1/bench tok/s, each pair the same file
    in the same run (the same log); the model's own KV-read difference between their contexts is taken off."""
    deltas = []
    for s in served:
        b = [r for r in bench if r["log"] == s["log"] and r["model"] == s["model"] and r["file_type"] == s["file_type"]
             and r["metric"] == "decode" and r["context"] < s["context"]]
        if not b:
            raise SystemExit(f"{s['id']}: no llama-bench decode row of the same file in the same run")
        kv = 1 / L.predict(dict(b[0], context=s["context"]), p) - 1 / L.predict(b[0], p)
        deltas.append(1 / s["measured"] - 1 / b[0]["measured"] - kv)
        print(f"  serving cost {s['id']}: {deltas[-1] * 1e3:.3f} ms/token")
    return float(f"{statistics.median(deltas):.4g}") if deltas else 0.0


def llamacpp_split(rows: list[dict]) -> tuple[list[dict], list[dict]]:
    """llama.cpp's calibration rows: (those the least squares fits, the served single-stream rows the serving cost
    is measured from). Served rows of several sequences at once showed the cost is per sequence; not fitted."""
    ll = [r for r in rows if r["engine"] == "llamacpp" and r["role"] == "calibration"]
    return ([r for r in ll if r["harness"] != "server"],
            [r for r in ll if r["harness"] == "server" and r["batch"] == 1])


def main():
    rows = [r for r in L.load_runs() if r["role"] == "calibration"]
    params = copy.deepcopy(SP.PARAMS)
    ll, ll_served = llamacpp_split(rows)
    vl = [r for r in rows if r["engine"] == "vllm"]
    fit_engine("llamacpp", ll, params["llamacpp"], extra_keys=[("ETA_PEAK",)])
    params["llamacpp"]["t_serve"] = serving_cost(ll_served, ll, params["llamacpp"])
    params["llamacpp"]["spread"] = max(params["llamacpp"]["spread"], spread(ll + ll_served, params["llamacpp"]))
    fit_engine("vllm", vl, params["vllm"])
    params["llamacpp"]["basis"] = ("llama.cpp 0c1e57098 on one H200 (12 GGUF files, 0.8B-30B, Q4_0/Q4_K_M/Q8_0/F16, "
                                   "Gated DeltaNet on 2; llama-server on 5 of them; depth to 64K; without CUDA "
                                   "graphs on 3) + public RTX 3090, DGX Spark and Tesla P40 rows")
    params["vllm"]["basis"] = ("vLLM 0.26.0 on one H200 (9 models and shapes, 1B-70B: bf16, fp8, AWQ, MoE, MLA, "
                               "eager; four of them at 16K-123K tokens) + a public DGX Spark NVFP4 row")
    for p in params.values():
        for k in ("t_fixed", "t_seq", "t_layer", "t_pf"):
            p[k] = float(f"{p[k]:.4g}")
        for k in ("t_layer_eager", "t_node", "t_iter", "eta_attn", "serial_share", "t_layer_seq", "cap_kv", "eta_moe", "eta_mm", "pf_moe",
                  "t_pf_moe", "mv_batch", "t_layer_moe", "mmq_floor", "eta_mla", "t_layer_linear", "pf_linear", "fa3_alpha"):
            if k in p:
                p[k] = float(f"{p[k]:.4g}")
        for t in ("cap_w", "eta_pf", "memory_class_factor", "t_layer_fmt", "moe_class_factor", "cap_pf", "arch_factor"):
            if t not in p:
                continue
            p[t] = {f: float(f"{v:.4g}") for f, v in p[t].items()}
    if "--dry-run" in sys.argv:
        pprint.pprint(params, sort_dicts=False)
        return
    path = os.path.join(L.ROOT, "llmdoctor", "plan", "speed_params.py")
    text = open(path).read()
    head = text[:text.index("PARAMS = ")]
    body = ("PARAMS = " + pprint.pformat(params, sort_dicts=False, width=110) + "\n\n"
            f"ETA_PEAK = {SP.ETA_PEAK:.4g}\n\n"
            f"MEMORY_CLASS_FACTOR = {SP.MEMORY_CLASS_FACTOR!r}   # prior for an engine with no rows in a class\n\n"
            f"UNCALIBRATED = {SP.UNCALIBRATED!r}\n\n"
            f"MAX_MEASURED_BATCH = {max(r['batch'] for r in rows)}\n")
    open(path, "w").write(head + body)
    print("wrote", path)


if __name__ == "__main__":
    main()
