"""The rule engine: loading and checking rule files (positions), null handling, config, findings."""
from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from llmdoctor.diagnose import DiagnoseConfig, Finding, load_config, load_rules, run_rules, run_rules_detailed
from llmdoctor.diagnose.refs import references
from llmdoctor.diagnose.rules import load_rule_file, split_template
from llmdoctor.diagnose.schema import ROOTS, resolve
from llmdoctor.errors import UsageError

from .facts import build

GOOD = '''\
code = "LD990"
name = "test-rule"
severity = "warning"
confidence = "sourced"
title = "t"
condition = \'\'\'
derived.min_cc < 8.0
&& {cond}
\'\'\'
message = "cc {{derived.min_cc}}"
fix = "f"
references = ["https://example.invalid/x"]

[doc]
what = "w"
why = "y"
fix = "f"
exceptions = "e"

[[examples]]
name = "fires"
expect = "fire"
machine = "rtx2080ti-22gb-x2-wsl"

[[examples]]
name = "passes"
expect = "pass"
machine = "h100-80gb-hbm3"
'''


def _write(tmp_path: Path, cond: str, name: str = "LD990-test-rule.toml") -> Path:
    p = tmp_path / name
    p.write_text(GOOD.format(cond=cond), encoding="utf-8")
    return p


def test_all_shipped_rules_load_and_are_many():
    rules = load_rules()
    assert len([r for r in rules if r.kind == "condition"]) >= 40
    codes = [r.code for r in rules]
    assert len(codes) == len(set(codes))
    for r in rules:
        assert r.references, r.code
        assert r.confidence in ("sourced", "partial", "seed")
        assert not r.code.startswith("LD8"), "8xx belongs to the log doctor"


def test_unknown_fact_is_reported_with_file_line_col(tmp_path):
    p = _write(tmp_path, "machine.gpus.exists(g, g.vram_gb > 20)")
    rule, problems = load_rule_file(p)
    assert rule is None and len(problems) == 1
    msg = str(problems[0])
    assert msg.startswith(f"{p}:8:")
    col = int(msg.split(":")[2])
    assert p.read_text().splitlines()[7][col - 1:].startswith("g.vram_gb")
    assert "machine.gpus[].vram_gb is not a fact" in msg


def test_typo_in_root_and_in_flags_free_paths(tmp_path):
    rule, problems = load_rule_file(_write(tmp_path, 'machin.host.wsl'))
    assert problems and "unknown name 'machin'" in str(problems[0])
    rule, problems = load_rule_file(_write(tmp_path, 'command.flags.anything_goes == 1 || env("X") == "1"'))
    assert rule is not None, problems          # flags and env are open maps


def test_syntax_error_is_reported_with_position(tmp_path):
    p = _write(tmp_path, "plan.fits == ")
    rule, problems = load_rule_file(p)
    assert rule is None
    assert str(problems[0]).startswith(f"{p}:")
    assert "does not compile" in str(problems[0])
    line = int(str(problems[0]).split(":")[1])
    assert line in (8, 9)


def test_placeholder_with_unknown_fact(tmp_path):
    p = tmp_path / "LD990-test-rule.toml"
    p.write_text(GOOD.format(cond="true").replace("cc {derived.min_cc}", "cc {derived.min_ccc}"), encoding="utf-8")
    rule, problems = load_rule_file(p)
    assert rule is None and "message placeholder" in str(problems[0]) and ":10:" in str(problems[0])


def test_file_name_and_required_sections(tmp_path):
    p = _write(tmp_path, "true", name="LD991-other.toml")
    _, problems = load_rule_file(p)
    assert any("file name says LD991-other" in str(x) for x in problems)
    p = tmp_path / "LD992-x.toml"
    p.write_text('code = "LD992"\nname = "x"\n', encoding="utf-8")
    _, problems = load_rule_file(p)
    text = "\n".join(map(str, problems))
    for key in ("severity", "references", "doc.what", "condition", "needs at least one example"):
        assert key in text


def test_refs_follow_macros_and_helpers():
    refs, problems = references('machine.gpus.filter(g, g.cc_major < 8).map(g, g.name)[0] == "x" '
                                '&& flag("dtype") == "half" && command.flags["kv_cache_dtype"] == "fp8"', ROOTS)
    paths = {r.path for r in refs}
    assert {"machine.gpus[].cc_major", "machine.gpus[].name", "command.flags.dtype",
            "command.flags.kv_cache_dtype"} <= paths
    assert not problems


def test_schema_is_derived_from_the_dataclasses():
    assert resolve("machine.gpus[].pcie.gen_gpu_max")[0] is not None
    assert resolve("plan.kv_cache.tokens")[0] is not None
    assert resolve("model.spec.layers[].state.conv_dim")[0] is not None
    assert resolve("command.docker.shm_size_bytes")[0] is not None
    assert resolve("derived.chat_template.developer_role_ok")[0] is not None
    assert resolve("plan.kv_cache.tokenz")[0] is None
    assert resolve("machine.gpus.name")[0] is None          # a list needs [] or a macro


def test_null_inputs_do_not_fire_and_do_not_crash():
    # no model, no plan, no command: every rule must end passed/unknown, never error
    doc, _ = build("no-gpu-ci")
    outcomes = run_rules_detailed(doc)
    assert not [o for o in outcomes if o.status == "error"], [(o.code, o.reason) for o in outcomes if o.status == "error"]
    assert {f.code for o in outcomes if (f := o.finding)} == {"LD002"}


@pytest.mark.parametrize("machine", ["a10-24gb", "a100-80gb-mig", "arc-b580-x2", "h100-80gb-hbm3",
                                     "h200-141gb-device", "jetson-thor", "no-gpu-ci", "rtx2080ti-22gb-x2-wsl",
                                     "rtx4080super-32gb-x2-pcie3", "rtx4090-x2-no-p2p"])
@pytest.mark.parametrize("engine", ["vllm", "sglang", "llamacpp", "ollama"])
def test_every_machine_and_engine_evaluates_without_rule_errors(machine, engine):
    doc, _ = build(machine, "Qwen--Qwen3-Coder-30B-A3B-Instruct", {"command.engine": engine})
    errors = [(o.code, o.reason) for o in run_rules_detailed(doc) if o.status == "error"]
    assert not errors


def test_a_rule_that_errors_becomes_ld001(tmp_path):
    d = tmp_path / "rules"
    d.mkdir()
    # int() of a non-number string raises at runtime although every input is known
    _write(d, 'int(machine.host.os) > 1')
    doc, _ = build("rtx2080ti-22gb-x2-wsl")
    findings = run_rules(doc, DiagnoseConfig(rule_dirs=[d]))
    ld001 = [f for f in findings if f.code == "LD001"]
    assert ld001 and "LD990" in ld001[0].message


def test_findings_have_the_contract_fields_and_serialize():
    doc, _ = build("rtx2080ti-22gb-x2-wsl", "Qwen--Qwen3-8B", {"command.engine": "vllm"})
    findings = run_rules(doc)
    f = next(f for f in findings if f.code == "LD201")
    assert isinstance(f, Finding)
    assert set(json.loads(json.dumps(f.__dict__))) == {"code", "severity", "title", "message", "fix", "evidence",
                                                      "references", "doc", "blocks", "clients"}
    assert f.evidence["derived.min_cc"] == 7.5
    assert set(f.doc) == {"what", "why", "fix", "exceptions"}
    order = [x.severity for x in findings]
    assert order == sorted(order, key=["error", "warning", "info"].index)


def test_severity_override_and_ignore_from_cli_and_files(tmp_path):
    doc, _ = build("rtx2080ti-22gb-x2-wsl", "Qwen--Qwen3-8B", {"command.engine": "vllm"})
    cfg = load_config(tmp_path, ignore=["LD501,LD204"], severity=["ld201=warning"])
    codes = {f.code: f.severity for f in run_rules(doc, cfg)}
    assert codes["LD201"] == "warning" and "LD501" not in codes and "LD204" not in codes

    (tmp_path / "pyproject.toml").write_text(textwrap.dedent('''
        [tool.llmdoctor]
        ignore = ["LD201"]
        severity = { LD501 = "error" }
    '''), encoding="utf-8")
    cfg = load_config(tmp_path, severity=["LD501=info"])
    codes = {f.code: f.severity for f in run_rules(doc, cfg)}
    assert "LD201" not in codes and codes["LD501"] == "info"          # the command line wins

    (tmp_path / "llmdoctor.toml").write_text('ignore = ["LD204"]\n', encoding="utf-8")
    cfg = load_config(tmp_path)                                        # llmdoctor.toml before pyproject
    assert cfg.ignore == {"LD204"} and cfg.source.endswith("llmdoctor.toml")


def test_bad_config_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError):
        load_config(tmp_path, severity=["LD201=fatal"])
    with pytest.raises(UsageError):
        load_config(tmp_path, ignore=["201"])
    (tmp_path / "llmdoctor.toml").write_text("ignore = [", encoding="utf-8")
    with pytest.raises(UsageError):
        load_config(tmp_path)


@pytest.mark.parametrize("text", ["tool = 1\n", 'ignores = ["LD204"]\n', '[tool.llmdoctor]\nrule = ["x"]\n'])
def test_an_unknown_config_key_is_named_not_ignored(tmp_path, text):
    """A misspelt key (ignores, rule) or a stray `tool = 1` used to be read as no settings at all."""
    (tmp_path / "llmdoctor.toml").write_text(text, encoding="utf-8")
    with pytest.raises(UsageError, match="unknown key"):
        load_config(tmp_path)


def test_user_rule_directory_and_duplicate_codes(tmp_path):
    d = tmp_path / "mine"
    d.mkdir()
    _write(d, "true")
    rules = load_rules([d])
    assert "LD990" in {r.code for r in rules}
    shutil_copy = d / "LD201-bf16-requires-sm80.toml"
    shutil_copy.write_text((Path(rules[0].path).parent / "LD201-bf16-requires-sm80.toml").read_text(), encoding="utf-8")
    with pytest.raises(UsageError, match="already used"):
        load_rules([d])
    with pytest.raises(UsageError, match="not found"):
        load_rules([tmp_path / "missing"])


def test_template_placeholders():
    assert split_template("a {x} {{b}} {y.z(\"}\")}") == [
        ("lit", "a ", 0), ("expr", "x", 3), ("lit", " {b} ", 5), ("expr", 'y.z("}")', 13)]


def test_rules_ship_as_package_data():
    from llmdoctor.resources import rules_dir
    assert (rules_dir() / "LD201-bf16-requires-sm80.toml").is_file()
    text = (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text()
    assert '"rules" = "llmdoctor/_rules"' in text
