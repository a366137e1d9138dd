"""Load a machine from a file: a `--record` recording (replayed through the probes) or a facts
document (`llmdoctor probe --json` output, read back as is)."""
from __future__ import annotations

import json
import os

from llmdoctor.errors import InputError
from llmdoctor.facts import Machine, from_dict
from llmdoctor.probes.source import RECORDING_FORMAT, ReplaySource
from llmdoctor.safe_io import check_nesting, read_regular

MAX_MACHINE_FILE = 64 << 20


def read_json_file(path: str, what: str) -> dict:
    try:
        data = json.loads(read_regular(path, MAX_MACHINE_FILE, what).decode("utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except PermissionError:
        raise InputError(f"{path}: permission denied") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, expected a JSON file") from None
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise InputError(f"{path}: not valid JSON ({type(exc).__name__})") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: {what} must be a JSON object")
    check_nesting(data, path)
    return data


def load_machine(path: str, model_path: str | None = None) -> Machine:
    from llmdoctor.probes import probe_machine
    doc = read_json_file(path, "machine file")
    if doc.get("format") == RECORDING_FORMAT:
        if not isinstance(doc.get("calls"), dict):
            raise InputError(f"{path}: recording has no 'calls' object")
        machine = probe_machine(ReplaySource(doc, os.path.basename(path)), path=model_path)
        machine.description = doc.get("description") if isinstance(doc.get("description"), str) else None
        return _checked(machine, path)
    facts = doc.get("machine") if isinstance(doc.get("machine"), dict) else None
    if facts is None:
        raise InputError(f"{path}: neither a llmdoctor recording nor a facts document with 'machine'")
    try:
        machine = from_dict(Machine, facts)
    except (TypeError, KeyError, AttributeError) as exc:
        raise InputError(f"{path}: machine facts do not match the schema ({exc})") from None
    machine.source = f"facts:{os.path.basename(path)}"
    return _checked(machine, path)


def _checked(machine: Machine, path: str) -> Machine:
    """The machine's fields against their types (a recording's answers and a facts file are untrusted)."""
    from llmdoctor.schema import check_record, node_for
    try:
        check_record(machine, node_for(Machine), path)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    return machine
