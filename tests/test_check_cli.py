"""`llmdoctor check` end to end through the command line: verdicts, exit codes, --fail-on, --ignore."""
import json
import subprocess
import sys

from .conftest import FIXTURES, ROOT

MACHINES, MODELS = FIXTURES / "machines", FIXTURES / "models"
SEED002 = ["vllm", "serve", str(MODELS / "Qwen--Qwen3.5-27B"), "--tensor-parallel-size", "2", "--dtype", "half",
           "--max-model-len", "262144", "--kv-cache-dtype", "fp8"]


def check(*args):
    out = subprocess.run([sys.executable, "-m", "llmdoctor", "check", *args], capture_output=True, text=True,
                         timeout=120, cwd=ROOT)
    assert "Traceback" not in out.stderr, out.stderr
    return out


def test_model_that_fits_exits_zero_and_leads_with_the_verdict():
    out = check(str(MODELS / "Qwen--Qwen3-8B"), "--gpu", "RTX 4090")
    assert out.returncode == 0
    first_words = out.stdout.splitlines()[1].strip("│ ")
    assert first_words.startswith("Runs")            # the verdict is the first thing printed


def test_launch_command_that_does_not_fit_exits_one_with_the_reason():
    # seed 002's command with the bf16 checkpoint: 51 GiB of weights on 2 x 22 GiB
    out = check("--machine", str(MACHINES / "rtx2080ti-22gb-x2-wsl.json"), "--", *SEED002)
    assert out.returncode == 1
    assert "Will not run" in out.stdout and "No launch command fits this machine" in out.stdout


def test_fail_on_warning_and_ignore():
    base = [str(MODELS / "Qwen--Qwen3-8B"), "--machine", str(MACHINES / "rtx2080ti-22gb-x2-wsl.json"),
            "--engine", "vllm", "--json"]
    doc = json.loads(check(*base).stdout)
    warnings = sorted({f["code"] for f in doc["findings"] if f["severity"] == "warning"})
    assert warnings and not [f for f in doc["findings"] if f["severity"] == "error"] and doc["plan"]["fits"]
    assert check(*base).returncode == 0
    assert check(*base, "--fail-on", "warning").returncode == 1
    ignored = check(*base, "--fail-on", "warning", *[a for c in warnings for a in ("--ignore", c)])
    assert ignored.returncode == 0
    assert not {f["code"] for f in json.loads(ignored.stdout)["findings"]} & set(warnings)


def test_severity_override_turns_a_warning_into_an_error():
    base = [str(MODELS / "Qwen--Qwen3-8B"), "--machine", str(MACHINES / "rtx2080ti-22gb-x2-wsl.json"),
            "--engine", "vllm", "--json"]
    code = next(f["code"] for f in json.loads(check(*base).stdout)["findings"] if f["severity"] == "warning")
    out = check(*base, "--severity", f"{code}=error")
    assert out.returncode == 1
    assert next(f for f in json.loads(out.stdout)["findings"] if f["code"] == code)["severity"] == "error"


def test_recommended_command_is_what_the_rules_read_when_none_is_given():
    doc = json.loads(check(str(MODELS / "Qwen--Qwen3-8B"), "--gpu", "L4", "--json").stdout)
    assert doc["command"]["origin"] == "recommended"
    assert doc["command"]["argv"] == doc["plan"]["command"]
    assert doc["plan"]["details"]["engine_defaults"]["fits"] is False     # bf16 KV at 40,960 would not


def test_bad_inputs_exit_two_with_one_line(tmp_path):
    assert check(str(tmp_path / "missing")).returncode == 2
    bad = tmp_path / "config.json"
    bad.write_text("[1, 2]")
    out = check(str(bad), "--gpu", "RTX 4090")
    assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1
    assert check(str(MODELS / "Qwen--Qwen3-8B"), "--gpu", "no such gpu").returncode == 2
    assert check().returncode == 2


def test_json_carries_the_derived_facts_the_rules_read():
    doc = json.loads(check("--machine", str(MACHINES / "rtx2080ti-22gb-x2-wsl.json"), "--json", "--", *SEED002).stdout)
    assert doc["derived"]["engine"] == "vllm" and doc["derived"]["tensor_parallel_size"] == 2
    ld110 = next(f for f in doc["findings"] if f["code"] == "LD110")      # nvcc 13.3 JIT builds
    assert doc["derived"]["jit_nvcc"]["version"] == "13.3" and "13.3" in ld110["message"]
