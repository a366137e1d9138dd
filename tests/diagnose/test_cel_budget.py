"""CEL from the user's rule files runs under a time and memory budget (diagnose/cel_budget.py)."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from llmdoctor.diagnose.cel_budget import map_bounded

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "fixtures" / "models" / "Qwen--Qwen3-8B"
OVER = "over"


def _slow(x):
    if x == 2:
        time.sleep(30)
    return x * 10


def _hungry(x):
    if x == 1:
        return len(bytearray(3 << 30))        # 3 GiB: over the 1 GiB the child may add
    return x


def test_a_call_over_time_is_cut_and_the_rest_still_run():
    start = time.monotonic()
    out = map_bounded(_slow, [1, 2, 3], lambda _: OVER, seconds=0.5)
    assert out == [10, OVER, 30]
    assert time.monotonic() - start < 10


def test_a_call_over_memory_is_cut():
    assert map_bounded(_hungry, [0, 1, 2], lambda _: OVER, seconds=5) == [0, OVER, 2]


def _heavy_rule(tmp_path: Path) -> Path:
    """A rule whose condition iterates 10^9 times: three nested comprehensions over 1000-element literals."""
    lst = "[" + ",".join(map(str, range(1000))) + "]"
    cond = f"{lst}.map(x, {lst}.map(y, {lst}.map(z, x).size()).size()).size() > 0"
    d = tmp_path / "rules"
    d.mkdir()
    (d / "LD990-heavy.toml").write_text(f'''code = "LD990"
name = "heavy"
severity = "warning"
confidence = "sourced"
title = "A condition that runs for ever"
condition = \'\'\'
{cond}
\'\'\'
message = "never"
fix = "none"
references = ["https://example.org"]

[doc]
what = "x"
why = "x"
fix = "x"
exceptions = "x"

[[examples]]
name = "fires"
expect = "fire"

[[examples]]
name = "passes"
expect = "pass"
facts = {{ "command.engine" = "vllm" }}
''')
    return d


def _cli(*args, timeout=60):
    return subprocess.run([sys.executable, "-m", "llmdoctor", *args], capture_output=True, text=True, timeout=timeout,
                          cwd=ROOT)


def test_check_with_a_runaway_user_rule_finishes_and_says_so(tmp_path):
    d = _heavy_rule(tmp_path)
    start = time.monotonic()
    r = _cli("check", "--json", "--gpu", "A10", "--rules", str(d), str(MODEL))
    assert time.monotonic() - start < 30
    assert r.returncode in (0, 1), r.stderr
    found = {f["code"]: f for f in json.loads(r.stdout)["findings"]}
    assert "LD990" not in found
    assert "LD990" in found["LD001"]["message"] and "budget" in found["LD001"]["message"]


def test_rules_check_refuses_a_runaway_condition(tmp_path):
    d = _heavy_rule(tmp_path)
    r = _cli("rules", "--check", "--rules", str(d))
    assert r.returncode == 2
    assert "LD990-heavy.toml: condition on empty facts: over llmdoctor's CEL budget" in r.stderr
    assert "on example 'passes'" in r.stderr


@pytest.mark.parametrize("dirs", [[]])
def test_rules_check_passes_the_shipped_rules(dirs):
    r = _cli("rules", "--check", *dirs)
    assert r.returncode == 0, r.stderr


def _broken(x):
    raise KeyError("our bug")


def test_an_exception_in_the_child_is_our_bug_and_raised_again():
    with pytest.raises(RuntimeError, match="KeyError"):
        map_bounded(_broken, [1], lambda _: OVER, seconds=5)
