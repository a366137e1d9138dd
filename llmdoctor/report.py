"""The Report: machine facts + model + plan + findings, and the JSON document built from it."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from llmdoctor import __version__
from llmdoctor.facts import Machine, to_dict

SCHEMA_VERSION = 1


SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


@dataclass
class Verdict:
    status: str                        # "runs" | "runs-with-warnings" | "will-not-run"
    headline: str                      # one line a person reads first
    reason: Optional[str]              # the one reason that matters most


@dataclass
class Report:
    machine: Machine
    model: Optional[Any] = None        # checkpoint.spec.ModelInfo
    plan: Optional[Any] = None         # plan record
    findings: list[Any] = field(default_factory=list)
    command: Optional[dict] = None     # the parsed launch command, when one was given
    alternatives: list[Any] = field(default_factory=list)   # plans for other engines, side by side
    derived: Optional[dict] = None     # the derived facts the rules read (diagnose/derived.py)

    def sorted_findings(self) -> list[Any]:
        return sorted(self.findings, key=lambda f: (SEVERITY_ORDER.get(f.severity, 9), f.code))

    def verdict(self) -> Verdict:
        """Will not run when the plan does not fit or an error-level finding fired; warnings next."""
        errors = [f for f in self.sorted_findings() if f.severity == "error"]
        warnings = [f for f in self.sorted_findings() if f.severity == "warning"]
        if self.plan is not None and not self.plan.fits:
            return Verdict("will-not-run", "Will not run", self.plan.fits_reason)
        if errors:
            return Verdict("will-not-run", "Will not run", f"{errors[0].code}: {errors[0].title}")
        if warnings:
            return Verdict("runs-with-warnings", "Runs, with warnings", f"{warnings[0].code}: {warnings[0].title}")
        if self.plan is None:
            return Verdict("runs-with-warnings", "No plan made", "no model or engine to plan for")
        return Verdict("runs", "Runs", self.plan.fits_reason)

    def document(self) -> dict:
        return {
            "schema_version": SCHEMA_VERSION,
            "tool": {"name": "llmdoctor", "version": __version__},
            "machine": to_dict(self.machine),
            "model": _model_dict(self.model),
            "plan": to_dict(self.plan) if self.plan is not None else None,
            "command": self.command,
            "derived": self.derived,
            "findings": [to_dict(f) for f in self.sorted_findings()],
            "alternatives": [to_dict(p) for p in self.alternatives],
            "verdict": to_dict(self.verdict()),
        }


def _model_dict(model: Any) -> Optional[dict]:
    if model is None:
        return None
    from llmdoctor.checkpoint import model_to_dict
    return model_to_dict(model)
