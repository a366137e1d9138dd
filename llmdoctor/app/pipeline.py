"""probe → read → plan → rules: the one path `check`, `plan` and `tui` share.

`gather` does the slow part once (probing the machine, reading headers, parsing the launch
command); `evaluate` is pure and cheap (planner + rules), so the TUI's what-if panel calls it on
every change.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Optional

from llmdoctor.errors import UsageError

GGUF_TYPE_IN_NAME = re.compile(r"(?i)[-_.]((?:UD-)?I?Q\d(?:_[0-9KSMLXH]+)*|BF16|F16|F32)(?:[-_.]|$)")


@dataclass
class Intent:
    """What the user asked for, before anything is probed or read."""
    model_path: Optional[str] = None
    engines: list[str] = field(default_factory=list)   # empty: chosen by the model's format
    engine_version: Optional[str] = None
    options: dict[str, Any] = field(default_factory=dict)   # keys of Engine.options, plus concurrency
    launch: Optional[list[str]] = None                  # the user's launch command (argv after --)
    machine_file: Optional[str] = None
    gpu: Optional[str] = None                           # what-if GPU name
    vram_gib: Optional[float] = None
    gpus: int = 1
    bandwidth_gbs: Optional[float] = None                # what-if memory bandwidth (GB/s)
    revision: Optional[str] = None                      # Hub revision of a repo-id model (--revision)


@dataclass
class Inputs:
    machine: Any                    # facts.Machine
    model: Any                      # checkpoint.spec.ModelInfo or None
    command: Any                    # plan.records.LaunchCommand or None
    draft: Any = None               # checkpoint.spec.ModelInfo of the command's separate draft model, when here


def gather(intent: Intent) -> Inputs:
    """The model is read where it is: a path, a cache, or remotely (headers only; app/model_ref.py). A GGUF
    repo named without a quant is weighed quant by quant on the probed machine (app/quant_choice.py)."""
    import os
    from llmdoctor.app.model_ref import command_source, draft_path, probe_path, read_source, resolve_arg
    command = source = draft = None
    if intent.launch:
        from llmdoctor.engines.command import parse_command
        command = parse_command(list(intent.launch))
        if not intent.model_path:
            source = command_source(command, os.environ, intent.revision)
        where_draft = draft_path(command, os.environ)
        if where_draft:
            from llmdoctor.checkpoint import read_model
            draft = read_model(where_draft)
    if intent.model_path:
        source = resolve_arg(intent.model_path, intent.revision, os.environ)
    where = probe_path(source, os.environ)
    if source is not None and source.choose:
        from llmdoctor.app.quant_choice import chooser
        machine = _machine(intent, where)
        return Inputs(machine=machine, model=read_source(source, os.environ, chooser(intent, machine)), command=command,
                      draft=draft)
    model = read_source(source, os.environ) if source is not None else None
    return Inputs(machine=_machine(intent, where), model=model, command=command, draft=draft)


def _machine(intent: Intent, model_path: Optional[str]):
    if intent.gpu:
        from llmdoctor.facts import Host, Machine, Software
        from llmdoctor.plan import target_what_if
        target = target_what_if(intent.gpu, intent.vram_gib, intent.gpus, bandwidth_gbs=intent.bandwidth_gbs)
        return Machine(source=target.source, gpus=target.gpus, host=target.host or Host(),
                       software=target.software or Software(),
                       description="what-if: only the GPUs are given; host facts are unknown")
    if intent.machine_file:
        from llmdoctor.probes.replay import load_machine
        return load_machine(intent.machine_file, model_path)
    from llmdoctor.probes import probe_machine
    return probe_machine(path=model_path)


def engines_for(intent: Intent, inputs: Inputs) -> list[str]:
    if intent.engines:
        return list(intent.engines)
    if inputs.command is not None:
        return [inputs.command.engine]
    if inputs.model is not None:
        from llmdoctor import engines
        return list(engines.for_format(inputs.model.format))
    return []


def request_for(engine: str, intent: Intent, inputs: Inputs):
    from llmdoctor import engines
    from llmdoctor.plan.records import PlanRequest
    spec = engines.get(engine)
    cmd = inputs.command if inputs.command is not None and inputs.command.engine == engine else None
    flags = dict(cmd.flags) if cmd else {}
    for option, flag in spec.options.items():
        value = intent.options.get(option)
        if value is not None:
            flags[flag] = value
            if flag == "cache_type_k":          # llama.cpp: one --kv-cache-dtype sets K and V
                flags["cache_type_v"] = value
    if intent.options.get("concurrency"):
        flags["concurrency"] = intent.options["concurrency"]
    if spec.runs_gguf and "quant" not in flags and inputs.model is not None \
            and inputs.model.format != "gguf" and cmd is not None and cmd.model:
        # a config stands in for a GGUF file that is not here: size it by the type in the file name
        m = GGUF_TYPE_IN_NAME.search(cmd.model.rsplit("/", 1)[-1])
        if m:
            flags["quant"] = m.group(1).upper()
    version = intent.engine_version
    if version is None and cmd is not None:
        from llmdoctor.engines.command import image_version
        version = image_version(cmd)
    return PlanRequest(engine=engine, engine_version=version, flags=flags,
                       env=dict(cmd.env) if cmd else {}, command=cmd, draft=inputs.draft if cmd else None)


def _visible(command) -> Optional[str]:
    if command is None:
        return None
    if command.docker and command.docker.gpus:
        g = command.docker.gpus.strip().strip('"').strip("'")
        return f"count={g}" if g.isdigit() else g
    return command.env.get("CUDA_VISIBLE_DEVICES")


def make_plans(intent: Intent, inputs: Inputs, prefer_recommended: bool = False) -> list:
    """One plan per engine; the first is the one the report leads with (a fitting one if any).

    With `prefer_recommended` and no launch command from the user, each engine is planned with the
    recommended command when that one fits (the user has not said how they would launch), and the
    engine's defaults are kept as a note."""
    if inputs.model is None:
        return []
    from llmdoctor.engines import make_plan
    from llmdoctor.plan import target_from_machine, target_what_if
    count = intent.options.get("num_gpus")
    if intent.gpu:
        target = target_what_if(intent.gpu, intent.vram_gib, count or intent.gpus, bandwidth_gbs=intent.bandwidth_gbs)
    else:
        visible = _visible(inputs.command)
        if visible is None and count:
            visible = ",".join(str(i) for i in range(count))
        target = target_from_machine(inputs.machine, visible)
    plans = []
    for engine in engines_for(intent, inputs):
        request = request_for(engine, intent, inputs)
        plan = make_plan(target, inputs.model, request)
        if prefer_recommended and inputs.command is None:
            plan = _recommended_plan(plan, target, inputs.model, request, make_plan)
        plans.append(plan)
    if not intent.engines and inputs.command is None:
        plans.sort(key=lambda p: not p.fits)    # stable: keeps the engine order among equals
    return plans


def _recommended_plan(plan, target, model, request, make_plan):
    check = plan.details.command_check
    if plan.fits or check is None or not check.fits:
        return plan
    from llmdoctor.engines.command import parse_command
    from llmdoctor.engines.verify import CARRIED
    from llmdoctor.plan.records import EngineDefaults, PlanRequest
    cmd = parse_command(list(plan.command))
    carried = {k: request.flags[k] for k in CARRIED if k in request.flags}
    better = make_plan(target, model, PlanRequest(engine=plan.engine, engine_version=plan.engine_version,
                                                  flags={**carried, **cmd.flags}, command=cmd))
    return replace(better, details=replace(better.details, engine_defaults=EngineDefaults(plan.fits, plan.fits_reason)),
                   assumptions=[f"planned with the recommended settings; with {plan.engine}'s defaults it "
                                f"would not fit: {plan.fits_reason}"] + better.assumptions)


def _command_for_rules(inputs: Inputs, plan) -> Optional[dict]:
    """Rules read the user's command; without one, the recommended command (so the advice is checked too)."""
    if inputs.command is not None:
        return asdict(inputs.command)
    if plan is None or not plan.command:
        return None
    from llmdoctor.engines.command import parse_command
    cmd = parse_command(list(plan.command))
    cmd.origin = "recommended"
    return asdict(cmd)


def evaluate(intent: Intent, inputs: Inputs, rules_config=None, prefer_recommended: bool = True):
    from llmdoctor.diagnose import run_rules
    from llmdoctor.report import Report
    plans = make_plans(intent, inputs, prefer_recommended)
    primary = plans[0] if plans else None
    report = Report(machine=inputs.machine, model=inputs.model, plan=primary,
                    command=_command_for_rules(inputs, primary), alternatives=plans[1:])
    derived: dict = {}
    report.findings = run_rules(report.document(), rules_config, model=inputs.model, derived_out=derived)
    report.derived = derived
    return report


def with_what_if(intent: Intent, what_if) -> Intent:
    """The intent the TUI's what-if panel describes (empty fields keep the original)."""
    options = dict(intent.options)
    for name in ("tensor_parallel_size", "max_model_len", "concurrency", "kv_cache_dtype",
                 "gpu_memory_utilization", "n_gpu_layers"):
        value = getattr(what_if, name)
        if value is not None:
            options["tp" if name == "tensor_parallel_size" else name] = value
    if what_if.num_gpus:
        options["num_gpus"] = what_if.num_gpus
    engines = [what_if.engine] if what_if.engine else intent.engines
    return replace(intent, options=options, engines=engines)


def check_inputs(intent: Intent) -> None:
    if not intent.model_path and not intent.launch:
        raise UsageError("give a model (directory, config.json or GGUF) or a launch command after --")
    from llmdoctor import engines
    for engine in intent.engines:
        engines.get(engine)
