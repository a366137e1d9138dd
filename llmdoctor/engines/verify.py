"""Check the recommended launch command by planning it again, and shorten its context until it fits.

A recommendation the planner itself would reject is worse than none: the command a report prints
is planned once more, exactly as given, and the outcome is stored with the plan.
"""
from __future__ import annotations

from typing import Any, Callable

from llmdoctor.plan.records import Plan, PlanRequest, Target

# request settings that are not engine flags, so a command cannot carry them
CARRIED = ("quant", "concurrency")
CONTEXT_FLAG = {"vllm": "max_model_len", "sglang": "context_length", "llamacpp": "ctx_size", "ollama": "num_ctx"}
MIN_CONTEXT = 4096          # below this an agent cannot work; say it does not fit instead


def verify_command(plan: Plan, target: Target, model: Any, request: PlanRequest,
                   make: Callable[[Target, Any, PlanRequest], Plan]) -> None:
    """Plan `plan.command` again; if it does not fit, try the largest context that does."""
    if not plan.command:
        return
    from llmdoctor.engines.command import parse_command
    try:
        parsed = parse_command(list(plan.command))
    except ValueError as exc:
        plan.details["command_check"] = {"fits": None, "why": f"could not re-read the command: {exc}"}
        return
    flags = {**{k: request.flags[k] for k in CARRIED if k in request.flags}, **parsed.flags}
    again = _replan(target, model, request, parsed, flags, make)
    key = CONTEXT_FLAG.get(plan.engine)
    if not again.fits and key and again.max_model_len > MIN_CONTEXT:
        best = _largest_fitting_context(target, model, request, parsed, flags, key, again.max_model_len, make)
        if best is not None:
            flags[key] = best
            again = _replan(target, model, request, parsed, flags, make)
            plan.recommendations[key] = {"value": best, "why": "largest context at which the recommended "
                                                               "settings fit (planned again)"}
    if again.fits:
        plan.command = again.command
    plan.details["command_check"] = {
        "fits": again.fits, "why": again.fits_reason, "kv_tokens": again.kv_cache.tokens,
        "max_model_len": again.max_model_len, "max_concurrency": again.max_concurrency}


def _replan(target, model, request, parsed, flags, make) -> Plan:
    parsed.flags = flags
    req = PlanRequest(engine=request.engine, engine_version=request.engine_version, flags=dict(flags),
                      env=dict(request.env), command=parsed)
    return make(target, model, req)


def _largest_fitting_context(target, model, request, parsed, flags, key, upper, make):
    lo, hi, best = MIN_CONTEXT, upper, None
    while lo <= hi:
        mid = (lo + hi) // 2 // 256 * 256 or lo
        trial = dict(flags, **{key: mid})
        if _replan(target, model, request, parsed, trial, make).fits:
            best, lo = mid, mid + 256
        else:
            hi = mid - 256
    return best
