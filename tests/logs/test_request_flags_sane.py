"""Flags a log states bypass the flag parsers: values the engine could not have started with are dropped."""
from llmdoctor.logparse.records import LogReport
from llmdoctor.logs.reconcile import request_flags


def _report(engine, args, facts=None):
    return LogReport(source="x.log", engine=engine, version=None, model=None, args=args, facts=facts or {},
                     fact_lines={}, events=[], unknown_errors=[], lines_read=1)


def test_zero_tensor_parallel_from_a_log_is_dropped():
    flags = request_flags(_report("sglang", {"tp_size": 0, "context_length": 4096}))
    assert "tp_size" not in flags and flags["context_length"] == 4096


def test_positive_tensor_parallel_is_kept():
    assert request_flags(_report("sglang", {"tp_size": 2}))["tp_size"] == 2


def test_unknown_cache_type_from_a_log_is_dropped_but_known_kept():
    flags = request_flags(_report("llamacpp", {}, {"cache_type_k": "q9_9", "cache_type_v": "q8_0"}))
    assert "cache_type_k" not in flags and flags["cache_type_v"] == "q8_0"


def test_a_garbled_context_length_from_a_log_is_dropped():
    # a fuzzed vLLM log stated 'max_model_len': -0.21abc2; planning with it divided by zero
    assert "max_model_len" not in request_flags(_report("vllm", {"max_model_len": -0.21, "tensor_parallel_size": 1}))
    assert request_flags(_report("vllm", {"max_model_len": 8192}))["max_model_len"] == 8192


def test_a_garbled_number_in_a_logged_dict_prints_no_python_warning(tmp_path):
    import subprocess
    import sys
    log = tmp_path / "run.log"
    log.write_text("(APIServer pid=1) INFO non-default args: {'max_model_len': 12and 3, 'model': 'x'}\n")
    out = subprocess.run([sys.executable, "-W", "default", "-m", "llmdoctor", "logs", str(log)],
                         capture_output=True, text=True, timeout=60)
    assert "SyntaxWarning" not in out.stderr and out.returncode in (0, 1)
