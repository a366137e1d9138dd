"""The Report: machine facts + model + plan + findings, and the JSON document built from it."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from . import __version__
from .facts import Machine, to_dict

SCHEMA_VERSION = 1


@dataclass
class Report:
    machine: Machine
    model: Optional[Any] = None        # checkpoint.spec.ModelInfo
    plan: Optional[Any] = None         # plan record
    findings: list[Any] = field(default_factory=list)
    command: Optional[dict] = None     # the parsed launch command, when one was given

    def document(self) -> dict:
        return {
            "schema_version": SCHEMA_VERSION,
            "tool": {"name": "llmdoctor", "version": __version__},
            "machine": to_dict(self.machine),
            "model": _model_dict(self.model),
            "plan": to_dict(self.plan) if self.plan is not None else None,
            "command": self.command,
            "findings": [to_dict(f) for f in self.findings],
        }


def _model_dict(model: Any) -> Optional[dict]:
    if model is None:
        return None
    from .checkpoint import model_to_dict
    return model_to_dict(model)
