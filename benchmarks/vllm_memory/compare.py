"""Set llmdoctor's figures written before the run (predictions.jsonl) beside vLLM's own (results.jsonl from
vrun.py; fixtures/logs/vllm-h200/), with each figure's target (predict.TARGETS), as a markdown table.

    python benchmarks/vllm_memory/compare.py [--now] [--predictions FILE] [--results FILE]

--now compares today's planner instead of the recorded predictions (after a model change these rows are
no longer held out: say so wherever the figures are used).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from predict import TARGETS, predict  # noqa: E402

ROOT = HERE.parents[1]
RESULTS = ROOT / "fixtures" / "logs" / "vllm-h200" / "results.jsonl"
FIGURES = ["model_loading_gib", "peak_activation_gib", "non_torch_gib", "cudagraph_gib", "available_kv_gib",
           "kv_tokens", "decode_tok_s", "prefill_tok_s"]


SPEED_CALIBRATED = {"dsv2-lite"}    # its decode was among the speed model's calibration runs (benchmarks/speed)


def measured(r: dict) -> dict:
    """vLLM's figures. Not prefill: vrun.py times a 512-token prompt it has just run, with prefix caching on,
    so its "time to first token" is a cache hit (512 / ttft lands above the H200's compute roofline)."""
    out = {k: r[k] for k in FIGURES if k in r and k != "prefill_tok_s"}
    if "decode_tok_s" in r and r["kwargs"].get("speculative_config"):
        del out["decode_tok_s"]            # dummy weights: drafts are never accepted; not a decode figure
    return out


def rows(now: bool = False, predictions: Path = HERE / "predictions.jsonl", results: Path = RESULTS):
    cases = json.loads((HERE / "cases.json").read_text())
    before = {p["case"]: p for p in map(json.loads, predictions.read_text().splitlines())}
    for r in map(json.loads, results.read_text().splitlines()):
        if not now and r["case"] not in before:        # predicted in the other file
            continue
        ours = predict(cases[r["case"]]) if now else before[r["case"]]
        if r.get("rc") != 0:
            yield r["case"], "starts", "no" if r.get("rc") != "timeout" else "timed out", ours["starts"], None, None, \
                (r.get("tail") or [""])[-1][:160]
            continue
        for k, v in measured(r).items():
            if k in ours and ours[k] is not None:
                err = 100 * (ours[k] / v - 1) if v else None
                note = "speed calibration case" if k == "decode_tok_s" and r["case"] in SPEED_CALIBRATED else ""
                yield r["case"], k, v, ours[k], err, TARGETS.get(k), note


def _arg(name: str, default: Path) -> Path:
    return Path(sys.argv[sys.argv.index(name) + 1]) if name in sys.argv else default


def main() -> None:
    now = "--now" in sys.argv
    print(f"| case | figure | vLLM 0.26.0 | llmdoctor ({'today' if now else 'before the run'}) | error % | target ±% |")
    print("|---|---|---|---|---|---|")
    for case, fig, v, o, err, tgt, note in rows(now, _arg("--predictions", HERE / "predictions.jsonl"),
                                                _arg("--results", RESULTS)):
        e = f"{err:+.1f}" if err is not None else "n/a"
        mark = " **miss**" if err is not None and tgt is not None and abs(err) > tgt else ""
        print(f"| {case} | {fig} | {v if isinstance(v, str) else f'{v:,.2f}'} | {o:,.2f} | {e}{mark} | "
              f"{tgt if tgt is not None else '-'} |{(' ' + note) if note else ''}")


if __name__ == "__main__":
    main()
