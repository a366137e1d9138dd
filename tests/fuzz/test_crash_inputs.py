"""Inputs a fuzzing campaign found crashing (kept with `python -m llmdoctor.app.fuzz --keep DIR`) replay here."""
from pathlib import Path

import pytest

from llmdoctor.app.cli import main

ROOT = Path(__file__).resolve().parents[2]
CRASHES = sorted((Path(__file__).parent / "crashes").glob("*.log"))


@pytest.mark.parametrize("log", CRASHES, ids=lambda p: p.stem)
def test_a_kept_crash_log_now_reads(log, capsys):
    code = main(["logs", "--json", str(log), "--model", str(ROOT / "fixtures/models/Qwen--Qwen3-8B"), "--gpu", "H100"])
    assert code in (0, 1, 2), capsys.readouterr().err
