"""Command line: parse flags, run the pipeline, pick a renderer. Heavy imports stay inside commands."""
from __future__ import annotations

import argparse
import json
import sys

from llmdoctor import __version__, engines
from llmdoctor.errors import ExitCode, LLMDoctorError, UsageError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):   # usage errors exit 2 with one line
        self.exit(ExitCode.USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _add_machine_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--machine", metavar="FILE",
                   help="use a recorded machine (--record output or a --json facts document) instead of probing")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="llmdoctor", description="Will this LLM run on this machine, with which "
                     "settings, and which known pitfalls will bite?")
    parser.add_argument("--version", action="version", version=f"llmdoctor {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for internal errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("probe", help="examine this machine: GPUs, host, CPU, drivers, toolchain, engines")
    p.add_argument("--json", action="store_true", help="print the facts document as JSON")
    p.add_argument("--record", metavar="FILE", help="save a replayable recording of the raw answers (uuids and hostnames scrubbed)")
    p.add_argument("--path", help="also report the filesystem and free space of this path")
    p.add_argument("--description", help="a note stored in the recording")
    _add_machine_flags(p)
    from llmdoctor.app.cluster_cli import add_cluster_arguments, add_ray_arguments
    add_ray_arguments(p)
    p.set_defaults(func=cmd_probe)

    p = sub.add_parser("model", help="read a checkpoint's headers (HF directory, config.json or GGUF) and print its spec")
    p.add_argument("path", help="model directory, config.json, or .gguf file (the first of a split set); or a Hub "
                   "repo id (ORG/NAME[@REV], hf.co/ORG/NAME[:QUANT]) or an Ollama tag (ollama:NAME:TAG), read "
                   "remotely (headers only) when it is not here")
    p.add_argument("--revision", metavar="REV", help="Hub revision (branch, tag or commit) of a repo-id model")
    p.add_argument("--json", action="store_true", help="print the model section of the facts document")
    p.set_defaults(func=cmd_model)

    from llmdoctor.app import options as opt
    from llmdoctor.app.plan_cli import add_arguments as _add_plan_arguments, add_rule_arguments, add_what_if_hardware
    p = sub.add_parser("check", help="the main job: probe, read the model, plan the engine(s), diagnose; "
                       "MODEL [--engine E], or -- <your launch command>")
    _add_plan_arguments(p, engine_required_without_command=False)
    add_rule_arguments(p)
    add_cluster_arguments(p)
    p.add_argument("--tui", action="store_true", help="open the interactive report")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("tui", help="the interactive report: summary, machine, model, plan, findings, what-if")
    _add_plan_arguments(p, engine_required_without_command=False)
    add_rule_arguments(p)
    p.set_defaults(func=cmd_tui)

    p = sub.add_parser("plan", help="capacity plan for one engine: fit, settings, KV tokens, speed; "
                       "MODEL --engine ENGINE, or -- <your launch command>")
    _add_plan_arguments(p)
    add_cluster_arguments(p)
    p.set_defaults(func=cmd_plan)

    p = sub.add_parser("logs", help="read an engine's log (vLLM, SGLang, llama.cpp, Ollama): facts, known "
                       "messages explained, and with --model the plan compared with what the engine did")
    p.add_argument("file", metavar="FILE", help="the log file, or - for stdin")
    p.add_argument("--model", metavar="PATH", help="the model (HF directory, config.json or GGUF) to reconcile the plan with")
    p.add_argument("--engine", choices=engines.names(), help="skip engine detection")
    p.add_argument("--engine-version", metavar="V", type=opt.engine_version,
                   help="the engine version, when the log does not print it")
    p.add_argument("--json", action="store_true", help="print the logs document as JSON")
    _add_machine_flags(p)
    add_what_if_hardware(p)
    p.set_defaults(func=cmd_logs)

    p = sub.add_parser("rules", help="list the pitfall rules: code, severity, name (--check: validate rule files)")
    p.add_argument("--rules", action="append", default=[], metavar="DIR", help="also load rules from DIR")
    p.add_argument("--check", action="store_true", help="report rule-file problems as file:line:col (exit 2 if any)")
    p.add_argument("--json", action="store_true", help="print the list as JSON")
    p.set_defaults(func=cmd_rules)

    p = sub.add_parser("explain", help="print a rule's documentation: what, why, fix, exceptions, references")
    p.add_argument("code", metavar="CODE", help="a rule code such as LD201")
    p.add_argument("--rules", action="append", default=[], metavar="DIR", help="also load rules from DIR")
    p.add_argument("--json", action="store_true", help="print the rule's documentation as JSON")
    p.set_defaults(func=cmd_explain)
    return parser


def _console():
    from llmdoctor.render.console import make_console
    return make_console()


def get_machine(args, path: str | None = None):
    if getattr(args, "machine", None):
        from llmdoctor.probes.replay import load_machine
        return load_machine(args.machine, path)
    from llmdoctor.probes import probe_machine
    return probe_machine(path=path)


def cmd_probe(args) -> int:
    from llmdoctor.report import Report
    if args.ray_address:
        from llmdoctor.app.cluster_cli import run_cluster_probe
        return run_cluster_probe(args, _console)
    if args.record:
        if args.machine:
            raise UsageError("--record probes this machine; it cannot be combined with --machine")
        from llmdoctor.probes import probe_machine
        from llmdoctor.probes.source import RecordingSource
        src = RecordingSource()
        machine = probe_machine(src, path=args.path)
        _write_recording(args.record, src.document(args.description))
    else:
        machine = get_machine(args, args.path)
    report = Report(machine=machine)
    if args.json:
        from llmdoctor.render.json_out import write_json
        write_json(report.document())
    else:
        from llmdoctor.render.machine_text import render_machine
        render_machine(machine, _console())
        if args.record:
            print(f"recording saved to {args.record}")
    return ExitCode.OK


def cmd_model(args) -> int:
    import os
    from llmdoctor.app.model_ref import read_source, resolve_arg
    from llmdoctor.checkpoint import model_to_dict
    from llmdoctor.checkpoint.remote_http import configure
    configure(debug=args.debug)
    model = read_source(resolve_arg(args.path, args.revision, os.environ), os.environ)
    if args.json:
        from llmdoctor.render.json_out import write_json
        write_json({"schema_version": 1, "model": model_to_dict(model)})
    else:
        from llmdoctor.render.model_text import render_model
        render_model(model, _console())
    return ExitCode.OK


def cmd_plan(args) -> int:
    from llmdoctor.app.plan_cli import run_plan
    return run_plan(args, _console)


def cmd_check(args) -> int:
    from llmdoctor.app.plan_cli import run_check
    return run_check(args, _console)


def cmd_tui(args) -> int:
    from llmdoctor.app.plan_cli import intent_from_args, rules_config, run_tui_with
    return run_tui_with(intent_from_args(args), rules_config(args))


def cmd_logs(args) -> int:
    from llmdoctor.logs import analyze_file
    report = analyze_file(args.file, engine=args.engine)
    if args.model:
        from llmdoctor.checkpoint import read_model
        from llmdoctor.logs.reconcile import reconcile
        from llmdoctor.plan import target_from_machine, target_what_if
        model = read_model(args.model)
        target = (target_what_if(args.gpu, args.vram_gib, args.gpus, bandwidth_gbs=args.bandwidth_gbs) if args.gpu
                  else target_from_machine(get_machine(args)))
        report.reconcile, report.reconcile_note = reconcile(report, model, target, engine_version=args.engine_version)
    if args.json:
        from llmdoctor.logs.document import logs_document
        from llmdoctor.render.json_out import write_json
        write_json(logs_document(report))
    else:
        from llmdoctor.render.logs_text import render_logs
        render_logs(report, _console())
    return ExitCode.FINDINGS if any(e.severity == "error" for e in report.events) else ExitCode.OK


def _write_recording(path: str, document: dict) -> None:
    try:
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(document, fh, indent=1, sort_keys=True)
            fh.write("\n")
    except OSError as exc:
        raise UsageError(f"{path}: cannot write recording ({exc.strerror or exc})") from None


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return ExitCode.USAGE
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        print("llmdoctor: interrupted", file=sys.stderr)
        return ExitCode.INTERRUPTED
    except LLMDoctorError as exc:
        print(f"llmdoctor: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:
        return ExitCode.OK
    except Exception as exc:  # a bug: one line, exit 3, traceback only with --debug
        if args.debug:
            raise
        print(f"llmdoctor: internal error: {type(exc).__name__}: {exc} (run with --debug for details)",
              file=sys.stderr)
        return ExitCode.INTERNAL


def entry() -> None:
    sys.exit(main())


def cmd_rules(args) -> int:
    from llmdoctor.diagnose.docs import rules_listing
    text, code = rules_listing(args.rules, as_json=args.json, check=args.check)
    print(text, file=sys.stderr if code else sys.stdout)
    return code


def cmd_explain(args) -> int:
    from llmdoctor.diagnose.docs import explain
    text, code = explain(args.code, args.rules, as_json=args.json)
    print(text, file=sys.stderr if code else sys.stdout)
    return code
