"""docs/rules/ is generated from the rule files; stale pages fail here. Regenerate with
`python -m llmdoctor.diagnose.docs`."""
from __future__ import annotations

from pathlib import Path

from llmdoctor.app.cli import main
from llmdoctor.diagnose.docs import expected_docs

DOCS = Path(__file__).resolve().parents[2] / "docs" / "rules"


def test_rule_pages_are_current():
    expected = expected_docs()
    stale = [n for n, text in expected.items()
             if not (DOCS / n).is_file() or (DOCS / n).read_text(encoding="utf-8") != text]
    extra = [p.name for p in DOCS.glob("LD*.md") if p.name not in expected]
    assert not stale and not extra, (f"stale: {stale}, extra: {extra}; "
                                     "run: .venv/bin/python -m llmdoctor.diagnose.docs")


def test_cli_rules_and_explain(capsys):
    assert main(["rules"]) == 0
    out = capsys.readouterr().out
    assert "LD201  error" in out and "bf16-requires-sm80" in out
    assert main(["rules", "--json"]) == 0
    assert '"code": "LD401"' in capsys.readouterr().out
    assert main(["explain", "LD201"]) == 0
    out = capsys.readouterr().out
    assert "What:" in out and "https://github.com/vllm-project/vllm/issues/1157" in out
    assert main(["explain", "LD999"]) == 2
    assert main(["rules", "--check"]) == 0


def test_engines_page_is_current():
    from llmdoctor.diagnose.engine_docs import markdown
    page = Path(__file__).resolve().parents[2] / "docs" / "engines.md"
    assert page.read_text(encoding="utf-8") == markdown(), "run: python -m llmdoctor.diagnose.engine_docs > docs/engines.md"
