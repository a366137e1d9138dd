"""The planner against figures engines printed (tests/plan/accuracy_cases.py lists each URL)."""
import pytest

from tests.plan.accuracy_cases import CASES, error_pct


@pytest.mark.parametrize("case", CASES, ids=[f"{c.id}: {c.figure}" for c in CASES])
def test_figure(case, request):
    if case.known_gap:
        request.applymarker(pytest.mark.xfail(strict=True, reason=case.note))
    value = case.compute()
    if case.tolerance_pct == 0:
        assert value == pytest.approx(case.engine_value, abs=1e-9), f"{case.url}: {value} != {case.engine_value}"
    else:
        err = error_pct(case, value)
        assert err is not None and abs(err) <= case.tolerance_pct, \
            f"{case.url}: llmdoctor {value:.4g} vs engine {case.engine_value} ({err:+.1f}%)"


def test_accuracy_doc_is_current():
    from pathlib import Path

    from .accuracy_table import render
    doc = Path(__file__).resolve().parents[2] / "docs" / "accuracy.md"
    assert doc.read_text(encoding="utf-8") == render(), "run: python -m tests.plan.accuracy_table"
