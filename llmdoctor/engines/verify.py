"""Check the recommended launch command by planning it again, and shorten its context until it fits.

A recommendation the planner itself would reject is worse than none: the command a report prints
is planned once more, exactly as given, and the outcome is stored with the plan.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any, Callable

from llmdoctor.plan.records import CommandCheck, Plan, PlanRequest, Recommendation, Target

# request settings that are not engine flags, so a command cannot carry them
CARRIED = ("quant", "concurrency")
MIN_CONTEXT = 4096          # below this an agent cannot work; say it does not fit instead


def verify_command(plan: Plan, target: Target, model: Any, request: PlanRequest,
                   make: Callable[[Target, Any, PlanRequest], Plan]) -> Plan:
    """The plan with its command planned again; if that does not fit, with the largest context that does."""
    if not plan.command:
        return plan
    from llmdoctor.engines import get
    from llmdoctor.engines.command import parse_command
    try:
        parsed = parse_command(list(plan.command))
    except ValueError as exc:
        return _with_check(plan, CommandCheck(fits=None, why=f"could not re-read the command: {exc}"))
    from llmdoctor.engines.command import rewrap
    user = request.command
    wrap = (lambda argv: rewrap(user, argv)) if user is not None and (user.docker or user.env) else list
    if wrap(plan.command) != plan.command:
        plan = replace(plan, command=wrap(plan.command))
        parsed = parse_command(list(plan.command))
    command, dropped = _without_refused_values(plan, parsed, request)
    if dropped:
        plan = replace(plan, command=command, assumptions=plan.assumptions + [
            f"left out of the recommended command: {d}" for d in dropped])
        parsed = parse_command(list(command))
    flags = {**{k: request.flags[k] for k in CARRIED if k in request.flags}, **parsed.flags}
    again = _replan(target, model, request, parsed, flags, make)
    key = get(plan.engine).context_flag
    recommendations = plan.recommendations
    if not again.fits and again.max_model_len > MIN_CONTEXT:
        best = _largest_fitting_context(target, model, request, parsed, flags, key, again.max_model_len, make)
        if best is not None:
            flags[key] = best
            again = _replan(target, model, request, parsed, flags, make)
            recommendations = {**recommendations, key: Recommendation(
                best, "largest context at which the recommended settings fit (planned again)")}
    check = CommandCheck(fits=again.fits, why=again.fits_reason, kv_tokens=again.kv_cache.tokens,
                         max_model_len=again.max_model_len, max_concurrency=again.max_concurrency)
    return _with_check(replace(plan, recommendations=recommendations,
                               command=wrap(again.command) if again.fits else plan.command), check)


def _without_refused_values(plan: Plan, parsed, request: PlanRequest) -> tuple[list[str], list[str]]:
    """The recommended command without the user's flag values the engine would refuse (a bad choice,
    a value out of range): the command the report prints must start."""
    from llmdoctor.engines import get
    from llmdoctor.engines.cli_table import check_args
    version = plan.engine_version
    found = check_args(parsed.engine, version, parsed.args, parsed.program) + \
        get(parsed.engine).check_config(parsed.flags, version, dict(request.env))
    argv, dropped = list(plan.command), []
    for issue in found:
        if not issue.refuses or issue.kind not in ("bad-value", "bad-choice", "bad-config") or issue.value is None:
            continue
        for i, tok in enumerate(argv):
            if tok == issue.flag and i + 1 < len(argv) and argv[i + 1] == issue.value:
                del argv[i:i + 2]
                break
            if tok == f"{issue.flag}={issue.value}":
                del argv[i]
                break
        else:
            continue
        dropped.append(f"{issue.flag} {issue.value} ({issue.message})")
    return argv, dropped


def _with_check(plan: Plan, check: CommandCheck) -> Plan:
    return replace(plan, details=replace(plan.details, command_check=check))


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
