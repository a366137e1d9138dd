"""Diagnose: load the rules in rules/*.toml, evaluate their CEL conditions over the facts document
(plus `derived.*`), and produce findings. Public API:

    run_rules(document, config=None, *, model=None) -> list[Finding]
    load_config(cwd, rules=..., ignore=..., severity=...) -> DiagnoseConfig
    load_rules(extra_dirs) -> list[Rule]
"""
from __future__ import annotations

from llmdoctor.diagnose.config import DiagnoseConfig, load_config
from llmdoctor.diagnose.engine import Finding, Outcome, run_rules, run_rules_detailed
from llmdoctor.diagnose.rules import Rule, RuleError, load_rules

__all__ = ["Finding", "Outcome", "DiagnoseConfig", "Rule", "RuleError", "load_config", "load_rules",
           "run_rules", "run_rules_detailed"]
