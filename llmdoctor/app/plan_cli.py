"""`llmdoctor plan`, `check` and `tui`: their options, turned into a pipeline Intent.

Kept outside plan/ because these commands probe the machine; the planner itself never does."""
from __future__ import annotations

import argparse

from llmdoctor.errors import ExitCode
from llmdoctor import engines
from llmdoctor.app import options as opt
from llmdoctor.app.pipeline import Intent, check_inputs, evaluate, gather

SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}


def add_arguments(p: argparse.ArgumentParser, *, engine_required_without_command: bool = True) -> None:
    p.add_argument("model", nargs="?", help="model directory, config.json or GGUF file; or a Hub repo id "
                   "(ORG/NAME[@REV], hf.co/ORG/NAME[:QUANT]) or an Ollama tag (ollama:NAME:TAG), read remotely "
                   "(headers only) when it is not here")
    p.add_argument("--revision", metavar="REV", help="Hub revision (branch, tag or commit) of a repo-id model")
    p.add_argument("launch", nargs="*", help=argparse.SUPPRESS)
    p.add_argument("--engine", choices=engines.names(),
                   help="engine to plan for" + ("" if engine_required_without_command else
                                                " (default: the engines that suit the model's format)"))
    p.add_argument("--engine-version", type=opt.engine_version,
                   help="plan for this engine version (default: installed, else newest known)")
    p.add_argument("--model-path", help="checkpoint to read when the launch command names a hub id")
    add_what_if_hardware(p)
    p.add_argument("--machine", metavar="FILE", help="use a recorded machine instead of probing")
    p.add_argument("--json", action="store_true", help="print the facts document as JSON")
    p.add_argument("--tp", type=opt.int_in(1, opt.MAX_GPUS), help="tensor parallel size")
    p.add_argument("--pp", type=opt.int_in(1, opt.MAX_GPUS), help="pipeline parallel size")
    p.add_argument("--max-model-len", type=opt.int_in(1, opt.MAX_TOKENS),
                   help="context length (llama.cpp -c, Ollama num_ctx)")
    p.add_argument("--gpu-memory-utilization", type=opt.float_in(0, 1),
                   help="vLLM gpu_memory_utilization / SGLang mem_fraction_static, in (0, 1]")
    p.add_argument("--kv-cache-dtype", type=opt.dtype_name, help="KV cache dtype (fp8, q8_0, ...)")
    p.add_argument("--kv-cache-memory-bytes", type=opt.int_in(1, 1 << 50), help="vLLM: fixed KV cache size")
    p.add_argument("--max-num-seqs", type=opt.int_in(1, opt.MAX_COUNT), help="concurrent sequences (llama.cpp -np)")
    p.add_argument("--max-num-batched-tokens", type=opt.int_in(1, opt.MAX_TOKENS))
    p.add_argument("--n-gpu-layers", type=opt.int_in(-2, 100000), help="llama.cpp -ngl / Ollama num_gpu (-1 all)")
    p.add_argument("--dtype", type=opt.dtype_name)
    p.add_argument("--quant", metavar="TYPE", type=opt.dtype_name,
                   help="llama.cpp/Ollama: size a config-only model as this GGUF type (Q4_K_M, Q8_0, ...)")
    p.add_argument("--concurrency", type=opt.int_in(1, opt.MAX_COUNT), help="requests that must fit at max-model-len")


def add_what_if_hardware(p: argparse.ArgumentParser) -> None:
    p.add_argument("--gpu", help="what-if: plan for this GPU (from the GPU table) instead of probing; "
                   "a name not in the table needs --vram-gib")
    p.add_argument("--vram-gib", type=opt.float_in(0, 4096),
                   help="what-if: memory of that GPU (modded cards, GPUs not in the table)")
    p.add_argument("--bandwidth-gbs", type=opt.float_in(0, 100000), metavar="GB/S",
                   help="what-if: memory bandwidth of that GPU in GB/s (speed estimates)")
    p.add_argument("--gpus", type=opt.int_in(1, opt.MAX_GPUS), default=1, help="what-if: number of such GPUs")


def add_rule_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--rules", action="append", default=[], metavar="DIR", help="also load rules from DIR")
    p.add_argument("--ignore", action="append", default=[], metavar="CODE", help="ignore a rule code (repeatable, or comma-separated)")
    p.add_argument("--severity", action="append", default=[], metavar="CODE=LEVEL", help="change a rule's severity")
    p.add_argument("--fail-on", choices=("error", "warning", "info", "never"), default="error",
                   help="exit 1 when a finding is at or above this severity (default: error)")


def intent_from_args(args: argparse.Namespace) -> Intent:
    launch = None
    model_path = args.model_path or args.model
    if args.launch:
        launch = [args.model] + list(args.launch)
        model_path = args.model_path
    options = {name: getattr(args, name) for name in
               ("tp", "pp", "max_model_len", "gpu_memory_utilization", "kv_cache_dtype", "kv_cache_memory_bytes",
                "max_num_seqs", "max_num_batched_tokens", "n_gpu_layers", "dtype", "concurrency", "quant")
               if getattr(args, name, None) is not None}
    intent = Intent(model_path=model_path, engines=[args.engine] if args.engine else [],
                    engine_version=args.engine_version, options=options, launch=launch,
                    machine_file=args.machine, gpu=args.gpu, vram_gib=args.vram_gib, gpus=args.gpus,
                    bandwidth_gbs=getattr(args, "bandwidth_gbs", None), revision=getattr(args, "revision", None))
    check_inputs(intent)
    from llmdoctor.checkpoint.remote_http import configure
    configure(debug=getattr(args, "debug", False))
    return intent


def rules_config(args: argparse.Namespace):
    from llmdoctor.diagnose import load_config
    return load_config(".", rules=args.rules, ignore=args.ignore, severity=args.severity)


def exit_code(report, fail_on: str) -> int:
    if fail_on == "never":
        return ExitCode.OK
    limit = SEVERITY_RANK[fail_on]
    failing = [f for f in report.findings if SEVERITY_RANK.get(f.severity, 9) <= limit]
    if report.plan is not None and not report.plan.fits:
        failing.append(report.plan)
    return ExitCode.FINDINGS if failing else ExitCode.OK


def run_plan(args: argparse.Namespace, console_factory) -> int:
    from llmdoctor.errors import UsageError
    from llmdoctor.app.cluster_cli import run_cluster_plan, wants_cluster
    if wants_cluster(args):
        return run_cluster_plan(args, console_factory)
    intent = intent_from_args(args)
    if not intent.engines and not intent.launch:
        raise UsageError("plan needs --engine (or a launch command after --)")
    inputs = gather(intent)
    report = evaluate(intent, inputs, prefer_recommended=False)
    if args.json:
        from llmdoctor.render.json_out import write_json
        write_json(report.document())
    else:
        from llmdoctor.render.plan_text import render_plan
        cmd = inputs.command
        render_plan(report.plan, console_factory(), inputs.model.path if inputs.model else None,
                    cmd.unknown_flags if cmd else None)
    return ExitCode.OK if report.plan is None or report.plan.fits else ExitCode.FINDINGS


def run_check(args: argparse.Namespace, console_factory) -> int:
    from llmdoctor.app.cluster_cli import run_cluster_check, wants_cluster
    if wants_cluster(args):
        return run_cluster_check(args, console_factory)
    intent = intent_from_args(args)
    config = rules_config(args)
    if args.tui:
        return run_tui_with(intent, config)
    report = evaluate(intent, gather(intent), config)
    if args.json:
        from llmdoctor.render.json_out import write_json
        write_json(report.document())
    else:
        from llmdoctor.render.check_text import render_check
        render_check(report, console_factory())
    return exit_code(report, args.fail_on)


def run_tui_with(intent: Intent, config) -> int:
    import sys
    from llmdoctor.errors import UsageError
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UsageError("--tui needs a terminal on stdin and stdout; use --json or the text report in a pipe")
    from llmdoctor.render.tui.app import LLMDoctorApp
    from llmdoctor.app.tui_session import make_loader
    LLMDoctorApp(make_loader(intent, config)).run()
    return ExitCode.OK
