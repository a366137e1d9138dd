"""Property-based fuzzing of every input kind (llmdoctor/app/fuzz.py), bounded for CI: each generated
input goes through the real command line and must end with exit 0, 1 or 2 in bounded time, never 3.
The long campaign: python -m llmdoctor.app.fuzz --per-kind 100000."""
import random
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from llmdoctor.app import fuzz


@pytest.mark.parametrize("kind", sorted(fuzz.KINDS))
def test_no_input_crashes_or_hangs(kind, tmp_path):
    @settings(max_examples=120, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(seed=st.integers(0, 2 ** 32 - 1))
    def one(seed):
        tmp = Path(tempfile.mkdtemp(dir=tmp_path))
        argv = fuzz.KINDS[kind](random.Random(seed), tmp)
        code, seconds, site = fuzz.run_one(argv, tmp)
        assert site is None, f"{kind} seed {seed}: {site}: {argv[:20]}"
        assert code in (0, 1, 2)
    one()


def test_the_known_crash_inputs_stay_fixed(tmp_path):
    """One input per crash site the first campaign found (issue: 22 launch-command sites and more)."""
    model = str(fuzz.MODEL)
    cases = [
        ["vllm", "serve", "x", "--max-model-len", "1e400"], ["vllm", "serve", "x", "--gpu-memory-utilization", "nan"],
        ["vllm", "serve", "x", "--max-model-len", "9" * 400], ["llama-server", "-m", "x", "-c", "abc"],
        ["vllm", "serve", "x", "--limit-mm-per-prompt", "[" * 5000 + "]" * 5000],
        ["llama-server", "-m", "x", "-ctk", "--spec-ngram-simple-size-n=4096"],
        ["sglang", "serve", "--model-path", "x", "--pipeline-parallel-size", "2147483648"],
        ["bash", "-c", 'vllm serve "x'], ["ollama", "run", "x", "--keepalive"],
    ]
    for cmd in cases:
        code, _, site = fuzz.run_one(["check", "--json", "--gpu", "A10", "--model-path", model, "--", *cmd], tmp_path)
        assert site is None and code in (0, 1, 2), (cmd, site)


def test_the_campaign_splits_inputs_over_workers_and_measures_memory():
    report = fuzz.campaign(["rules"], 6, seed=3, max_seconds=60, jobs=2)["rules"]
    assert report["inputs"] == 6 and not report["crashes"]
    assert sum(report["exit_codes"].values()) == 6
    assert report["peak_rss_mib"] > 0 and report["largest_rise_input"] is not None


def test_a_log_line_mutated_again_and_again_stays_bounded(tmp_path):
    """The generator itself once took 18.8 GiB: a line whose digits became 400-digit numbers, repeated 50 times,
    mutated again grew geometrically. Lines are capped."""
    rnd = random.Random(11)
    for i in range(40):
        d = tmp_path / str(i)
        d.mkdir()
        argv = fuzz.gen_log(rnd, d)
        lines = Path(argv[2]).read_text().splitlines()
        assert max((len(x) for x in lines), default=0) <= fuzz.LINE_CAP


@pytest.mark.parametrize("cmd", [
    ["vllm", "serve", "x", "-pp", "-1"], ["vllm", "serve", "x", "--tensor-parallel-size", "0"],
    ["python", "-m", "sglang.launch_server", "--model-path", "x", "--tp-size", "0"],
    ["python", "-m", "sglang.launch_server", "--model-path", "x", "--pp-size", "-2"],
])
def test_a_parallel_size_below_one_reads_will_not_run(cmd, capsys):
    """The launch kind of the long campaign found `-pp -1` ending in max() of an empty stage list (exit 3)."""
    from llmdoctor.app.cli import main
    code = main(["check", "--json", "--gpu", "RTX 4090", "--model-path", str(fuzz.MODEL), "--", *cmd])
    import json
    doc = json.loads(capsys.readouterr().out)
    assert code in (1, 2) and doc["verdict"]["status"] == "will-not-run"
    assert "must be at least 1" in doc["verdict"]["reason"] or any(
        "must be at least 1" in p for p in doc["plan"].get("assumptions", []) + [doc["plan"]["fits_reason"]])


def test_a_fact_beyond_int64_reads_unknown_not_a_rule_failure(capsys):
    """The launch kind found a 400-digit --context-length failing the CEL conversion of every fact (exit 3)."""
    from llmdoctor.app.cli import main
    code = main(["check", "--json", "--gpu", "RTX 4090", "--model-path", str(fuzz.MODEL), "--", "sglang", "serve",
                 "--model-path", "Qwen/Qwen3-8B", "--context-length", "9" * 400])
    assert code in (0, 1, 2), capsys.readouterr().err
