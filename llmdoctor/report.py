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
    cluster: Optional[Any] = None      # cluster.records.Cluster: the nodes of a multi-node check

    def sorted_findings(self) -> list[Any]:
        return sorted(self.findings, key=lambda f: (SEVERITY_ORDER.get(f.severity, 9), f.code))

    def verdict(self) -> Verdict:
        """"Will not run" only when the engine would stop (a finding that blocks, in the order the engine
        meets them: its command line, start-up, the plan's memory, serving one request) or cannot serve
        one request at the configured length; a finding that breaks clients says whom; warnings next."""
        from llmdoctor.diagnose.rules import BLOCKS
        findings = self.sorted_findings()
        plan = self.plan
        stage = {name: i for i, name in enumerate(BLOCKS)}
        blocking = sorted((f for f in findings if f.blocks), key=lambda f: stage.get(f.blocks, 9))
        plan_stops = plan is not None and not plan.fits
        short = plan is not None and plan.fits and plan.max_concurrency < 1
        if blocking and (not plan_stops or stage.get(blocking[0].blocks, 9) < stage["serving"]):
            f = blocking[0]
            return Verdict("will-not-run", "Will not run", f"{f.code}: {f.message}")
        if plan_stops:
            return Verdict("will-not-run", "Will not run", plan.fits_reason)
        if short:
            return Verdict("will-not-run", "Will not run",
                           f"the KV cache holds {plan.max_concurrency:.2f}x of one request of {plan.max_model_len:,} "
                           "tokens: a full-length request cannot be served")
        clients = [f for f in findings if f.clients]
        warnings = [f for f in findings if f.severity in ("error", "warning")]
        if clients:
            hit = ", ".join(dict.fromkeys(c for f in clients for c in f.clients))
            return Verdict("runs-with-warnings", f"Runs, but breaks {hit}",
                           f"{clients[0].code}: {clients[0].title}")
        if warnings:
            return Verdict("runs-with-warnings", "Runs, with warnings", f"{warnings[0].code}: {warnings[0].title}")
        if plan is None:
            return Verdict("runs-with-warnings", "No plan made", "no model or engine to plan for")
        return Verdict("runs", "Runs", plan.fits_reason)

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
            "cluster": to_dict(self.cluster) if self.cluster is not None else None,
        }


def _model_dict(model: Any) -> Optional[dict]:
    if model is None:
        return None
    from llmdoctor.checkpoint import model_to_dict
    return model_to_dict(model)
