"""The TUI driven with Textual's pilot: tabs, what-if recomputation, rule docs, saving."""
import asyncio
import json

import pytest

from llmdoctor.app.pipeline import Intent
from llmdoctor.render.tui.app import LLMDoctorApp
from llmdoctor.render.tui.whatif import WhatIfPanel
from llmdoctor.app.tui_session import make_loader

from ..conftest import FIXTURES, ROOT

QWEN3_8B = "fixtures/models/Qwen--Qwen3-8B"      # relative, so snapshots do not depend on the checkout path


@pytest.fixture(autouse=True)
def in_repo_root(monkeypatch):
    monkeypatch.chdir(ROOT)


def app_for(**intent) -> LLMDoctorApp:
    defaults = dict(model_path=QWEN3_8B, engines=["vllm"], gpu="L4")   # bf16 KV does not fit 40,960 tokens here
    defaults.update(intent)
    return LLMDoctorApp(make_loader(Intent(**defaults), None))


async def loaded(pilot, app):
    for _ in range(100):
        if app.ready:
            return
        await pilot.pause(0.05)
    raise AssertionError("the report never loaded")


async def until(pilot, condition, what):
    for _ in range(100):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"never happened: {what}")


def test_summary_then_what_if_context_recomputes():
    async def scenario():
        app = app_for()
        async with app.run_test(size=(80, 24)) as pilot:
            await loaded(pilot, app)
            first = app.session.report.plan
            # no launch command given: the report leads with the recommended settings, which fit
            assert first.max_model_len == 40960 and first.fits and first.kv_cache.dtype == "fp8"
            assert not first.details.engine_defaults.fits
            await pilot.press("6")
            assert app.query_one("#tabs").active == "whatif"
            field = app.query_one("#wi-max_model_len")
            field.value = ""
            field.focus()
            await pilot.press(*"16384")
            await until(pilot, lambda: app.session.report.plan.max_model_len == 16384, "replanned at 16384")
            plan = app.session.report.plan
            assert plan.max_model_len == 16384
            assert plan.fits and plan.kv_cache.tokens == first.kv_cache.tokens
            assert "16384" in " ".join(plan.command)
            assert app.sub_title in ("Runs", "Runs, with warnings")
    asyncio.run(scenario())


def test_what_if_kv_dtype_and_gpus_change_the_numbers():
    async def scenario():
        app = app_for()
        async with app.run_test(size=(100, 30)) as pilot:
            await loaded(pilot, app)
            panel = app.query_one(WhatIfPanel)
            fp8 = app.session.report.plan
            app.query_one("#wi-kv").value = "auto"
            await until(pilot, lambda: app.session.report.plan.kv_cache.dtype != "fp8", "replanned with bf16 KV")
            base = app.session.report.plan
            assert fp8.kv_cache.bytes_per_token * 2 == base.kv_cache.bytes_per_token
            assert fp8.kv_cache.tokens > base.kv_cache.tokens * 1.9
            assert not base.fits and app.sub_title == "Will not run"   # bf16 KV: 40,960 no longer fits
            app.query_one("#wi-num_gpus").value = "2"
            app.query_one("#wi-tensor_parallel_size").value = "2"
            await until(pilot, lambda: app.session.report.plan.tensor_parallel_size == 2, "replanned at TP 2")
            two = app.session.report.plan
            assert (two.num_gpus, two.tensor_parallel_size) == (2, 2)
            assert two.weights.bytes_per_gpu < fp8.weights.bytes_per_gpu * 0.6
            assert panel is app.query_one(WhatIfPanel)
    asyncio.run(scenario())


def test_findings_open_rule_doc_and_json_saves(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    async def scenario():
        # seed 002's machine: Turing GPUs under WSL2 raise findings (FA2 notice, WSL, P2P)
        app = app_for(model_path=str(FIXTURES / "models" / "Qwen--Qwen3-8B"), gpu=None,
                      machine_file=str(FIXTURES / "machines" / "rtx2080ti-22gb-x2-wsl.json"))
        async with app.run_test(size=(80, 24)) as pilot:
            await loaded(pilot, app)
            await pilot.press("5")
            table = app.query_one("#findings-table")
            assert table.row_count == len(app.session.report.findings) > 0
            table.focus()
            await pilot.press("enter")
            await pilot.pause(0.1)
            assert type(app.screen).__name__ == "RuleDocScreen"
            await pilot.press("escape")
            await pilot.press("s")
            await pilot.pause(0.1)
    asyncio.run(scenario())
    doc = json.loads((tmp_path / "llmdoctor-report.json").read_text())
    assert doc["schema_version"] == 1 and doc["plan"]["engine"] == "vllm"


def test_help_and_copy():
    async def scenario():
        app = app_for()
        async with app.run_test(size=(80, 24)) as pilot:
            await loaded(pilot, app)
            await pilot.press("question_mark")
            assert type(app.screen).__name__ == "HelpScreen"
            await pilot.press("escape")
            await pilot.press("c")
            await pilot.pause(0.05)
            assert app.clipboard.startswith("vllm serve ")
    asyncio.run(scenario())


def test_keys_never_trap_the_user():
    """Escape leaves a what-if field, q quits from one, and a tab's number key puts the keyboard on its view."""
    async def scenario():
        app = app_for()
        async with app.run_test(size=(100, 30)) as pilot:
            await loaded(pilot, app)
            await pilot.press("5")                       # Findings: the table takes the keyboard
            assert app.query_one("#tabs").active == "findings"
            assert app.focused is not None and app.focused.id == "findings-table"
            await pilot.press("6")
            field = app.query_one("#wi-max_model_len")
            field.focus()
            await pilot.pause()
            assert app.focused is field
            await pilot.press("escape")
            assert app.focused is not field
            field.focus()
            await pilot.pause()
            await pilot.press("q")
            await pilot.pause()
            assert not app.is_running
    asyncio.run(scenario())


def test_tui_without_a_terminal_exits_two_with_one_line():
    import subprocess
    import sys
    out = subprocess.run([sys.executable, "-m", "llmdoctor", "check", QWEN3_8B, "--gpu", "RTX 4090", "--tui"],
                         capture_output=True, text=True, timeout=60, cwd=ROOT, stdin=subprocess.DEVNULL)
    assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1 and "terminal" in out.stderr
