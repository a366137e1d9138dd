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


MACHINES = sorted((Path(__file__).parent / "crashes").glob("machine-*.json"))


@pytest.mark.parametrize("machine", MACHINES, ids=lambda p: p.stem)
def test_a_kept_machine_recording_now_plans_within_bounds(machine, capsys):
    """machine-list-memory-clock.json: GPU 1's recorded memory clock is [[[]]]; the bandwidth arithmetic made a
    768-million-element list (6 GB, 15 s) until replayed NVML answers were checked for their shape."""
    import resource
    import time
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.monotonic()
    code = main(["check", "--json", "--machine", str(machine), str(ROOT / "fixtures/models/Qwen--Qwen3-8B")])
    assert code in (0, 1, 2), capsys.readouterr().err
    assert time.monotonic() - start < 10
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 512 * 1024      # KiB
