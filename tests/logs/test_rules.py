"""Log rules: the files load, each rule's own examples fire or pass, and every fixture raises
exactly the codes a reader of that log expects."""

import pytest

from llmdoctor.logs import analyze_text
from llmdoctor.diagnose.rules import RuleError, load_rule

from .conftest import LOGS, ROOT

# fixture -> codes expected (everything else must stay silent); the reason is in the rule's doc
EXPECTED = {
    "seeds/000-llamacpp-jinja-unexpected-role.log": {"LD809"},
    "seeds/001-vllm-xpu-gemma4-e4b-tp2-startup.log": set(),
    "seeds/002-caovan-nvcc13.3-gdn-build-error.log": {"LD810"},
    "seeds/002-nvidia-smi-2080ti-during-hang.log": set(),
    "seeds/002-vllm-caovan-wsl-specdecode-metrics.log": {"LD801", "LD814"},
    "vllm-h200/qwen3-8b-nvfp4.log": {"LD815"},          # vLLM 0.26 on an H200: Marlin W4A16 for NVFP4
    "seeds/002-vllm-sm75-qwen36-27b-awq-shm-hang.log": {"LD801", "LD807"},
    "seeds/002-vllm-sm75-qwopus27b-awq-shm-hang.log": {"LD801", "LD807", "LD818"},
    "seeds/003-jetson-thor-fp8-moe-illegal-memory-access.log": {"LD806"},
    "vllm/vllm-10439-qwen25-05b-no-cache-blocks.log": {"LD803"},
    "vllm/vllm-27508-gpt-oss-120b-h100-no-cache-blocks.log": {"LD803"},
    "vllm/vllm-23278-gpt-oss-120b-h100-negative-kv.log": {"LD804", "LD815"},
    "vllm/vllm-10517-llama31-8b-3090-maxlen-29k-fail.log": {"LD805"},
    "vllm/vllm-10517-llama31-8b-3090-maxlen-20k-ok.log": set(),
    "vllm/vllm-13061-r1-distill-qwen14b-2x4090-maxlen.log": {"LD805"},
    "vllm/vllm-25350-fp8-kv-maxlen-100k-vs-221k.log": {"LD805"},
    "vllm/vllm-44376-deepseek-v4-flash-2xgh200-maxlen.log": {"LD805"},
    "vllm/vllm-6976-illegal-memory-access.log": {"LD806"},
    "vllm/vllm-43576-turboquant-t4-sm75-fa-ampere.log": {"LD812"},
    "vllm/vllm-4618-nccl-unhandled-system-error-custom-allreduce.log": {"LD819"},
    "vllm/vllm-10626-nccl-unhandled-system-error-docker.log": set(),
    "sglang/sglang-7691-deepseek-r1-rocm-dp8-negative-profile.log": {"LD813"},
    "sglang/sglang-4840-gemma3-vision-test-mfs065.log": {"LD821"},
    "ollama/ollama-3418-rocm-compute-buffer-alloc-fail.log": {"LD802"},
    "ollama/ollama-10114-llama-kv-cache-init-32k.log": {"LD816"},
    "ollama/ollama-11656-cpu-only-qwen3-16k.log": {"LD817"},
    "ollama/ollama-11812-vram-not-recovered-2x24gb.log": {"LD817"},
    "ollama/ollama-5913-rocm-llama3-70b-offload-43of81.log": {"LD822"},
    "ollama/ollama-9181-70b-4x22gb-offload-44of81.log": {"LD822"},
    # llama.cpp runs measured on the device machine; -ngl below the layer count offloads partially
    "llamacpp-measured/run-h-ngl5.log": {"LD822"},
    "llamacpp-measured/run-q3-ngl4.log": {"LD822"},
}
ALL_LOGS = sorted(str(p.relative_to(LOGS)) for p in LOGS.glob("*/*.log"))


def test_rules_load_with_unique_codes(log_rules):
    assert len(log_rules) >= 20
    assert all(r.code.startswith("LD8") for r in log_rules)
    assert len({r.code for r in log_rules}) == len(log_rules)


def test_fact_rule_loader_does_not_see_log_rules():
    """The rule engine reads only rules/*.toml and refuses LD8xx there; log rules live in rules/logs/."""
    from llmdoctor.resources import rules_dir
    assert not list(rules_dir().glob("LD8*.toml"))
    assert list((rules_dir() / "logs").glob("LD8*.toml"))


@pytest.mark.parametrize("rule_path", sorted((ROOT / "rules" / "logs").glob("LD8*.toml")), ids=lambda p: p.stem)
def test_rule_examples(rule_path):
    rule = load_rule(rule_path, scope="log")
    for ex in rule.examples:
        text = (ROOT / ex.log_file).read_text(encoding="utf-8") if ex.log_file else ex.text
        fired = [e for e in analyze_text(text, rules=[rule]).events if e.code == rule.code]
        assert bool(fired) == (ex.expect == "fire"), f"{rule.code} example {ex.name!r}"
        for e in fired:            # messages render without a broken placeholder
            assert "{" not in e.message and e.lines, (rule.code, e.message)


@pytest.mark.parametrize("rel", ALL_LOGS)
def test_codes_raised_for_every_fixture(analyze, rel):
    codes = {e.code for e in analyze(rel).events}
    assert codes == EXPECTED.get(rel, set()), rel


def test_harmless_rules_are_info(log_rules):
    for r in log_rules:
        if r.harmless:
            assert r.severity == "info", r.code


def test_shm_message_pairs_ram_with_checkpoint(analyze):
    [ev] = [e for e in analyze("seeds/002-vllm-sm75-qwopus27b-awq-shm-hang.log").events if e.code == "LD807"]
    assert "4 times" in ev.message and "8.90 GiB" in ev.message and "25.03 GiB" in ev.message
    assert ev.lines[0] == 52


def test_maxlen_fix_names_the_engine_estimate(analyze):
    [ev] = analyze("vllm/vllm-25350-fp8-kv-maxlen-100k-vs-221k.log").events
    assert "221000" in ev.message and "122080" in ev.fix


def test_unknown_errors_keep_their_first_line(analyze):
    unk = analyze("vllm/vllm-17431-a800-qwen3-8b-v1-no-cache-blocks.log").unknown_errors
    assert unk and unk[0].text == "EngineCore failed to start." and unk[0].line == 2
    # an explained error is not listed again
    assert not analyze("vllm/vllm-10439-qwen25-05b-no-cache-blocks.log").unknown_errors


def test_bad_rule_file_is_refused(tmp_path):
    p = tmp_path / "LD899-broken.toml"
    p.write_text('code = "LD899"\nname = "broken"\nseverity = "fatal"\ncondition = "log.count >"\n')
    with pytest.raises(RuleError):
        load_rule(p, scope="log")
