"""Which rules run and at what severity: [tool.llmdoctor] in pyproject.toml, or llmdoctor.toml,
in the current directory, then the command line (--rules DIR, --ignore CODE, --severity CODE=LEVEL).

    [tool.llmdoctor]                     # or, in llmdoctor.toml, the same keys at top level
    rules = ["./site-rules"]             # extra rule directories (relative to the file)
    ignore = ["LD305"]
    severity = { LD201 = "warning" }
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Optional

from llmdoctor.errors import UsageError
from llmdoctor.diagnose.rules import SEVERITIES

try:
    import tomllib
except ModuleNotFoundError:      # Python 3.10
    import tomli as tomllib

CODE = re.compile(r"^LD\d{3}$")
KEYS = ("rules", "ignore", "severity")


@dataclass
class DiagnoseConfig:
    rule_dirs: list[Path] = field(default_factory=list)
    ignore: set[str] = field(default_factory=set)
    severity: dict[str, str] = field(default_factory=dict)
    source: Optional[str] = None        # the config file read, if any


def _check_code(code: str, where: str) -> str:
    code = code.strip().upper()
    if not CODE.match(code):
        raise UsageError(f"{where}: {code!r} is not a rule code (like LD201)")
    return code


def _check_severity(code: str, level: str, where: str) -> tuple[str, str]:
    level = str(level).strip().lower()
    if level not in SEVERITIES:
        raise UsageError(f"{where}: severity for {code} must be one of {', '.join(SEVERITIES)}, not {level!r}")
    return _check_code(code, where), level


def _read_toml(path: Path) -> dict:
    from llmdoctor.errors import InputError
    from llmdoctor.safe_io import read_regular
    try:
        return tomllib.loads(read_regular(str(path), 1 << 20, "TOML file").decode("utf-8"))
    except InputError as exc:
        raise UsageError(str(exc)) from None
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: not valid TOML ({exc})") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read ({exc.strerror or exc})") from None


def file_config(cwd: Path | str = ".") -> tuple[dict, Optional[Path]]:
    cwd = Path(cwd)
    own = cwd / "llmdoctor.toml"
    if own.is_file():
        data = _read_toml(own)
        tool = data.get("tool")
        section = tool.get("llmdoctor", data) if isinstance(tool, dict) else data
        if not isinstance(section, dict):
            raise UsageError(f"{own}: [tool.llmdoctor] must be a table")
        return section, own
    py = cwd / "pyproject.toml"
    if py.is_file():
        tool = _read_toml(py).get("tool")
        data = tool.get("llmdoctor") if isinstance(tool, dict) else None
        if isinstance(data, dict):
            return data, py
    return {}, None


def _strings(data: dict, key: str, where: str) -> list[str]:
    """A list of strings (or one string) under `key`; anything else is a usage error naming the key."""
    value = data.get(key, [])
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise UsageError(f"{where}: {key} must be a list of strings, not {type(value).__name__} {str(value)[:40]!r}")
    return value


def load_config(cwd: Path | str = ".", *, rules: Iterable[str] = (), ignore: Iterable[str] = (),
                severity: Iterable[str] = (), read_files: bool = True) -> DiagnoseConfig:
    """File settings first, then the command line's (which win)."""
    cfg = DiagnoseConfig()
    if read_files:
        data, source = file_config(cwd)
        if source is not None:
            where = str(source)
            cfg.source = where
            unknown = sorted(str(k) for k in data if k not in KEYS)
            if unknown:           # a misspelt key would otherwise do nothing, silently
                raise UsageError(f"{where}: unknown key {unknown[0]!r} (the keys are {', '.join(KEYS)})")
            for d in _strings(data, "rules", where):
                p = Path(d)
                cfg.rule_dirs.append(p if p.is_absolute() else source.parent / p)
            for c in _strings(data, "ignore", where):
                cfg.ignore.add(_check_code(c, where))
            sev = data.get("severity", {}) or {}
            if not isinstance(sev, dict):
                raise UsageError(f"{where}: severity must be a table such as {{ LD201 = \"warning\" }}")
            for c, lvl in sev.items():
                code, level = _check_severity(str(c), lvl, where)
                cfg.severity[code] = level
    for d in rules:
        cfg.rule_dirs.append(Path(d))
    for c in ignore:
        for part in str(c).split(","):
            if part.strip():
                cfg.ignore.add(_check_code(part, "--ignore"))
    for item in severity:
        if "=" not in item:
            raise UsageError(f"--severity: expected CODE=LEVEL (like LD201=warning), got {item!r}")
        c, _, lvl = item.partition("=")
        code, level = _check_severity(c, lvl, "--severity")
        cfg.severity[code] = level
    return cfg
