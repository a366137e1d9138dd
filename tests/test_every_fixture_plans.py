"""Every real model config and GGUF fixture, planned for every engine on a recorded machine: the
pipeline never breaks, and the figures it reports are sane (non-negative, consistent)."""

import pytest

from llmdoctor.app.pipeline import Inputs, Intent, evaluate
from llmdoctor.probes.replay import load_machine

from .conftest import FIXTURES, ROOT

MODELS = sorted(p.relative_to(ROOT).as_posix() for p in FIXTURES.glob("models/*/config.json")) + \
    sorted(p.relative_to(ROOT).as_posix() for p in FIXTURES.glob("models/gguf*/*.gguf"))


@pytest.fixture(scope="module")
def machine():
    return load_machine(str(FIXTURES / "machines" / "rtx2080ti-22gb-x2-wsl.json"))


@pytest.mark.parametrize("path", MODELS)
def test_plans_for_every_engine(path, machine):
    from llmdoctor.checkpoint import read_model
    model = read_model(str(ROOT / path))
    for engine in ("vllm", "sglang", "llamacpp", "ollama"):
        options = {"quant": "Q4_K_M"} if engine in ("llamacpp", "ollama") and model.format != "gguf" else {}
        report = evaluate(Intent(engines=[engine], options=options), Inputs(machine, model, None))
        plan = report.plan
        assert plan.engine == engine
        assert plan.weights.bytes_per_gpu >= 0 and plan.kv_cache.tokens >= 0 and plan.max_model_len > 0
        assert plan.kv_cache.bytes_per_token >= 0 and plan.max_concurrency >= 0
        assert plan.fits_reason and isinstance(plan.fits, bool)
        if plan.fits:
            assert plan.command, f"{engine}: a fitting plan must say how to launch it"
        codes = {f.code for f in report.findings}
        assert "LD001" not in codes, [f.message for f in report.findings]
        # the rules read our own recommended command here: its parsers must pass them
        assert not codes & {"LD701", "LD702", "LD703", "LD704"}, (engine, codes)
