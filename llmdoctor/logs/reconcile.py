"""Reconcile: run the planner with the flags the log shows and compare its figures with the log's.

error_pct = (predicted - actual) / |actual| x 100, so a positive error means the planner
over-predicted. Only figures present on both sides get a row.
"""
from __future__ import annotations

from typing import Any, Optional

from llmdoctor.logparse.records import LogReport, ReconcileRow

# Echoed arguments that are not sizing flags (the planner would carry them along unused).
_NOT_FLAGS = {"model", "model_tag", "served_model_name", "host", "port", "api_key", "tokenizer",
              "enable_auto_tool_choice", "tool_call_parser", "reasoning_parser", "chat_template",
              "model_path", "tokenizer_path", "trust_remote_code", "log_level", "dp_size"}

def request_flags(report: LogReport) -> dict[str, Any]:
    """The engine flags the run used: echoed arguments first, then figures the log states."""
    from llmdoctor import engines
    engine = report.engine or ""
    spec = engines.get(engine)
    flags = {k: v for k, v in report.args.items() if k not in _NOT_FLAGS and v is not None}
    for name in spec.log_fact_flags:
        key = spec.log_flag_names.get(name, name)
        if key not in flags and name in report.facts and report.facts[name] is not None:
            flags[key] = report.facts[name]
    if spec.runs_gguf:
        f = report.facts
        for fact, flag in (("n_ctx", "ctx_size"), ("n_seq_max", "parallel"), ("n_ubatch", "ubatch_size"),
                           ("n_batch", "batch_size"), ("cache_type_k", "cache_type_k"),
                           ("cache_type_v", "cache_type_v")):
            if fact in f and flag not in flags:
                flags[flag] = f[fact]
        if "n_gpu_layers" not in flags and "layers_offloaded" in f:
            flags["n_gpu_layers"] = f["layers_offloaded"]
        if engine == "ollama" and "ctx_size" in report.args:
            flags["ctx_size"] = report.args["ctx_size"]
    return _sane(flags, spec.flag_value_ok)


# Sizes a planner divides by; a log can state anything. A value that is not a positive integer is
# dropped, so the plan falls back to the engine's default (llama.cpp's ctx_size 0 is not among these).
_PARALLEL_COUNTS = ("tensor_parallel_size", "pipeline_parallel_size", "data_parallel_size",
                    "tp_size", "pp_size", "dp_size", "tp", "pp", "dp", "max_model_len", "context_length")


def _sane(flags: dict[str, Any], value_ok) -> dict[str, Any]:
    """Drop log-stated flags the engine could not have started with (they bypass the flag parsers)."""
    out = dict(flags)
    for key in _PARALLEL_COUNTS:
        v = out.get(key)
        if v is not None and not (isinstance(v, int) and not isinstance(v, bool) and v >= 1):
            out.pop(key)
    return {k: v for k, v in out.items() if value_ok(k, v)}


def _row(figure: str, unit: str, predicted: Optional[float], actual: Optional[float], note: str = "") -> ReconcileRow:
    err = None
    if predicted is not None and actual not in (None, 0):
        err = round((predicted - actual) / abs(actual) * 100, 1)
    return ReconcileRow(figure=figure, unit=unit, predicted=predicted, actual=actual, error_pct=err, note=note)


def compare(report: LogReport, plan: Any) -> list[ReconcileRow]:
    f = report.facts
    rows: list[ReconcileRow] = []

    def add(figure, unit, predicted, actual, note=""):
        if predicted is not None and actual is not None:
            rows.append(_row(figure, unit, predicted, actual, note))

    from llmdoctor import engines
    add("weights per GPU", "bytes", plan.weights.bytes_per_gpu, f.get("weights_bytes"))
    for figure, unit, planned, logged in engines.get(report.engine).log_figures(f, plan):
        add(figure, unit, planned, logged)
    return rows


def reconcile(report: LogReport, model: Any, target: Any, engine_version: Optional[str] = None,
              extra_flags: Optional[dict] = None) -> tuple[list[ReconcileRow], Optional[str]]:
    """(rows, note). The note says why there are no rows, or which version the planner assumed.
    engine_version / extra_flags: what the user knows and the log does not say (they win)."""
    if report.engine is None:
        return [], "engine not recognised in the log; nothing to plan"
    try:
        from llmdoctor.engines import make_plan
        from llmdoctor.plan.records import PlanRequest
    except ImportError as exc:              # the planner is optional for the log doctor
        return [], f"planner not available ({exc})"
    flags = request_flags(report)
    flags.update(extra_flags or {})
    version = engine_version or _plain_version(report.version)
    request = PlanRequest(engine=report.engine, engine_version=version, flags=flags)
    try:
        plan = make_plan(target, model, request)
    except (ImportError, ValueError, NotImplementedError) as exc:
        return [], f"planner cannot plan {report.engine} here: {exc}"
    note = None if version else f"engine version not in the log; planner used {plan.engine_version} ({plan.engine_version_source})"
    return compare(report, plan), note


def _plain_version(v: Optional[str]) -> Optional[str]:
    """'0.19.2.dev0+gb1388b1fb.d20260418' -> '0.19.2': the planner keys formulas by release."""
    if not v:
        return None
    import re
    m = re.match(r"v?(\d+\.\d+(?:\.\d+)?)", v)
    return m.group(1) if m else None
