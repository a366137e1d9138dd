"""`probe`, `check` and `plan` over several nodes: `--ray-address ADDR` (a running Ray cluster, probed
through one Ray task per node), `--cluster FILE` (a recorded cluster document) or `--nodes N` (what-if
nodes). The single-machine path (pipeline.py) is untouched; this one gathers the cluster, plans across
it (cluster_plan.py) and runs the rules once per node.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
from typing import Optional

from llmdoctor.app import options as opt
from llmdoctor.errors import ExitCode, UsageError

MAX_NODES = 256


def add_ray_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--ray-address", nargs="?", const="auto", metavar="ADDR",
                   help="probe every node of a running Ray cluster (head:6379 or ray://head:10001; without ADDR: "
                        "RAY_ADDRESS, then the local cluster). Needs the [cluster] extra (Ray)")
    p.add_argument("--ray-timeout", type=opt.float_in(0, 3600), default=120.0, metavar="S",
                   help="seconds each node's probe may take (default 120)")


def add_cluster_arguments(p: argparse.ArgumentParser) -> None:
    add_ray_arguments(p)
    p.add_argument("--cluster", metavar="FILE", help="use a recorded cluster (probe --ray-address ... --json output)")
    p.add_argument("--nodes", type=opt.int_in(1, MAX_NODES), metavar="N",
                   help="what-if: N nodes, each with the GPUs of --gpu/--gpus (else this machine's); plans across them")


def ray_address(args: argparse.Namespace) -> str:
    """The --ray-address value; a bare `--ray-address` before the model takes the model as the address."""
    addr = args.ray_address
    if ":" not in addr and addr != "auto" and os.path.exists(addr):
        raise UsageError(f"--ray-address took {addr!r} as the cluster's address; put the model first, or write "
                         "--ray-address=auto (RAY_ADDRESS, then the local cluster)")
    return addr


def wants_cluster(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "ray_address", None) or getattr(args, "cluster", None) or getattr(args, "nodes", None))


def _node_model_path(intent, inputs) -> Optional[str]:
    """The path the engine will be given on every node, when it is a path here (not a Hub id, not
    inside a container)."""
    cmd = inputs.command
    if cmd is not None and cmd.docker is not None:
        return None
    cand = cmd.model if cmd is not None and cmd.model else intent.model_path
    if cand and os.path.exists(cand):
        return os.path.abspath(cand)
    return None


def _what_if_gpus(intent):
    from llmdoctor.plan import target_what_if
    return target_what_if(intent.gpu, intent.vram_gib, intent.gpus, bandwidth_gbs=intent.bandwidth_gbs).gpus


def gather_cluster(intent, args):
    """(Inputs, Cluster): the model and command as for one machine, and the cluster's nodes."""
    from llmdoctor.app.pipeline import gather
    sources = [x for x in ("ray_address", "cluster", "nodes") if getattr(args, x, None)]
    if len(sources) > 1:
        raise UsageError("give one of --ray-address, --cluster and --nodes")
    if intent.machine_file:
        raise UsageError("--machine describes one machine; a cluster comes from --ray-address, --cluster or --nodes")
    if getattr(args, "ray_address", None):
        ray_address(args)
    inputs = gather(intent)
    if getattr(args, "nodes", None):
        from llmdoctor.cluster.load import what_if_cluster
        cluster = what_if_cluster(args.nodes, inputs.machine, model_path=_node_model_path(intent, inputs))
        return inputs, cluster
    if getattr(args, "cluster", None):
        from llmdoctor.cluster.load import load_cluster
        cluster = load_cluster(args.cluster)
    else:
        from llmdoctor.cluster.ray_probe import probe_cluster
        from llmdoctor.cluster.summary import summarize
        cluster = summarize(probe_cluster(ray_address(args), _node_model_path(intent, inputs), args.ray_timeout))
    if intent.gpu:
        from llmdoctor.cluster.load import with_gpus
        cluster = with_gpus(cluster, _what_if_gpus(intent))
    return inputs, cluster


def evaluate_cluster(intent, inputs, cluster, rules_config=None, prefer_recommended: bool = True):
    """Plan across the nodes and run the rules: the cluster rules once, the machine rules on every node
    (a finding on some nodes only says which)."""
    from llmdoctor.app.cluster_plan import plan_cluster, primary_machine
    from llmdoctor.app.pipeline import _command_for_rules
    from llmdoctor.diagnose import run_rules
    from llmdoctor.report import Report
    plans = plan_cluster(intent, inputs, cluster, prefer_recommended)
    primary = plans[0] if plans else None
    machine = primary_machine(cluster, inputs.machine)
    report = Report(machine=machine, model=inputs.model, plan=primary, command=_command_for_rules(inputs, primary),
                    alternatives=plans[1:], cluster=cluster)
    doc = report.document()
    derived: dict = {}
    findings = run_rules(doc, rules_config, model=inputs.model, derived_out=derived)
    report.derived = derived
    others = [n for n in cluster.nodes if not n.error and n.probed and n.machine is not machine]
    if others:
        findings = _per_node(findings, doc, others, cluster, machine, rules_config, inputs.model)
    report.findings = findings
    return report


def _per_node(findings, doc, others, cluster, machine, rules_config, model):
    from llmdoctor.diagnose import run_rules
    from llmdoctor.diagnose.config import DiagnoseConfig
    from llmdoctor.diagnose.rules import load_rules
    from llmdoctor.facts import to_dict
    config = rules_config or DiagnoseConfig()
    machine_codes = {r.code for r in load_rules(config.rule_dirs) if any(p.startswith("machine") for p in r.reads)}
    first = next((n.label for n in cluster.nodes if n.machine is machine), cluster.head or "head")
    on: dict[str, list[str]] = {f.code: [first] for f in findings if f.code in machine_codes}
    by_code = {f.code: f for f in findings}
    for n in others:
        for f in run_rules(dict(doc, machine=to_dict(n.machine)), rules_config, model=model):
            if f.code not in machine_codes:
                continue
            if f.code in by_code:
                on.setdefault(f.code, []).append(n.label)
            else:
                by_code[f.code] = f
                on[f.code] = [n.label]
    answered = [n for n in cluster.nodes if not n.error and n.probed]
    out = []
    for code, f in by_code.items():
        if code in on and len(answered) > 1:
            where = "every node" if len(on[code]) == len(answered) else "node" + ("s " if len(on[code]) > 1 else " ") + ", ".join(on[code])
            f = dataclasses.replace(f, message=f"On {where}: {f.message}", evidence={**f.evidence, "nodes": on[code]})
        out.append(f)
    return out


def run_cluster_probe(args, console_factory) -> int:
    from llmdoctor.app.cluster_plan import primary_machine
    from llmdoctor.cluster.ray_probe import probe_cluster
    from llmdoctor.cluster.summary import summarize
    from llmdoctor.facts import Machine
    from llmdoctor.report import Report
    if args.record or args.machine:
        raise UsageError("--ray-address probes the cluster's nodes; --record and --machine are for one machine")
    path = os.path.abspath(args.path) if args.path else None
    cluster = summarize(probe_cluster(ray_address(args), path, args.ray_timeout))
    report = Report(machine=primary_machine(cluster, Machine(source="ray")), cluster=cluster)
    if args.json:
        from llmdoctor.render.json_out import write_json
        write_json(report.document())
    else:
        from llmdoctor.render.cluster_text import render_cluster
        render_cluster(cluster, console_factory())
    return ExitCode.OK


def run_cluster_check(args, console_factory) -> int:
    from llmdoctor.app.plan_cli import exit_code, intent_from_args, rules_config
    if getattr(args, "tui", False):
        raise UsageError("the TUI shows one machine; check a cluster with the text or --json report")
    intent = intent_from_args(args)
    config = rules_config(args)
    inputs, cluster = gather_cluster(intent, args)
    report = evaluate_cluster(intent, inputs, cluster, config)
    if args.json:
        from llmdoctor.render.json_out import write_json
        write_json(report.document())
    else:
        from llmdoctor.render.check_text import render_check
        from llmdoctor.render.cluster_text import render_cluster
        console = console_factory()
        render_check(report, console)
        render_cluster(cluster, console)
    return exit_code(report, args.fail_on)


def run_cluster_plan(args, console_factory) -> int:
    from llmdoctor.app.cluster_plan import plan_cluster
    from llmdoctor.app.plan_cli import intent_from_args
    intent = intent_from_args(args)
    if not intent.engines and not intent.launch:
        raise UsageError("plan needs --engine (or a launch command after --)")
    inputs, cluster = gather_cluster(intent, args)
    plans = plan_cluster(intent, inputs, cluster, prefer_recommended=False)
    plan = plans[0] if plans else None
    if args.json:
        from llmdoctor.app.cluster_plan import primary_machine
        from llmdoctor.render.json_out import write_json
        from llmdoctor.report import Report
        write_json(Report(machine=primary_machine(cluster, inputs.machine), model=inputs.model, plan=plan,
                          alternatives=plans[1:], cluster=cluster).document())
    else:
        from llmdoctor.render.cluster_text import render_cluster
        from llmdoctor.render.plan_text import render_plan
        console = console_factory()
        if plan is not None:
            render_plan(plan, console, inputs.model.path if inputs.model else None)
        render_cluster(cluster, console)
    return ExitCode.OK if plan is None or plan.fits else ExitCode.FINDINGS
