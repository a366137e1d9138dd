"""Command line: parse flags, run the pipeline, pick a renderer. Heavy imports stay inside commands."""
from __future__ import annotations

import argparse
import json
import sys

from . import __version__
from .errors import ExitCode, LLMDoctorError, UsageError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):   # usage errors exit 2 with one line, as argparse does
        self.print_usage(sys.stderr)
        self.exit(ExitCode.USAGE, f"llmdoctor: error: {message}\n")


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
    p.set_defaults(func=cmd_probe)

    p = sub.add_parser("model", help="read a checkpoint's headers (HF directory, config.json or GGUF) and print its spec")
    p.add_argument("path", help="model directory, config.json, or .gguf file (the first of a split set)")
    p.add_argument("--json", action="store_true", help="print the model section of the facts document")
    p.set_defaults(func=cmd_model)
    return parser


def _console():
    from .render.console import make_console
    return make_console()


def get_machine(args, path: str | None = None):
    if getattr(args, "machine", None):
        from .probes.replay import load_machine
        return load_machine(args.machine, path)
    from .probes import probe_machine
    return probe_machine(path=path)


def cmd_probe(args) -> int:
    from .report import Report
    if args.record:
        if args.machine:
            raise UsageError("--record probes this machine; it cannot be combined with --machine")
        from .probes import probe_machine
        from .probes.source import RecordingSource
        src = RecordingSource()
        machine = probe_machine(src, path=args.path)
        _write_recording(args.record, src.document(args.description))
    else:
        machine = get_machine(args, args.path)
    report = Report(machine=machine)
    if args.json:
        from .render.json_out import write_json
        write_json(report.document())
    else:
        from .render.machine_text import render_machine
        render_machine(machine, _console())
        if args.record:
            print(f"recording saved to {args.record}")
    return ExitCode.OK


def cmd_model(args) -> int:
    from .checkpoint import model_to_dict, read_model
    model = read_model(args.path)
    if args.json:
        from .render.json_out import write_json
        write_json({"schema_version": 1, "model": model_to_dict(model)})
    else:
        from .render.model_text import render_model
        render_model(model, _console())
    return ExitCode.OK


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
