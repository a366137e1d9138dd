"""Every rule's own examples: the facts it must fire on and the facts it must pass."""
from __future__ import annotations

import pytest

from llmdoctor.diagnose import load_rules
from llmdoctor.diagnose.engine import _Env, evaluate

from .facts import build

RULES = load_rules()
CASES = [(r, ex) for r in RULES for ex in r.examples]


@pytest.mark.parametrize("rule,example", CASES, ids=[f"{r.code}:{ex.name}" for r, ex in CASES])
def test_example(rule, example):
    doc, overrides = build(example.machine or "h100-80gb-hbm3", example.model, example.facts, example.template_file)
    env = _Env(doc, None, overrides)
    outcome = evaluate(rule, env)
    assert outcome.status != "error", f"{rule.path}: {example.name}: {outcome.reason}"
    if example.expect == "fire":
        assert outcome.status == "fired", f"{rule.path}: {example.name}: expected to fire, got {outcome.status} ({outcome.reason})"
        f = outcome.finding
        assert "unknown" not in f.message, f"{rule.code} message has an unknown number: {f.message}"
        assert f.evidence, f"{rule.code} fired without evidence"
    else:
        assert outcome.status in ("passed", "unknown"), f"{rule.path}: {example.name}: expected to pass, it fired: {outcome.finding.message if outcome.finding else outcome.reason}"
