"""Line cleaning: prefixes, colours, line ends, wrapped lines."""
from llmdoctor.logparse.clean import clean_lines


def test_docker_compose_ansi_crlf_and_worker_prefix():
    raw = "vllm-1  | \x1b[0;36m(Worker_TP1 pid=242)\x1b[0;0m INFO 04-26 02:44:06 [gpu_model_runner.py:4820] Model loading took 6.29 GiB memory\r\n"
    [ln] = clean_lines(raw)
    assert ln.text == "Model loading took 6.29 GiB memory"
    assert (ln.proc, ln.rank, ln.pid, ln.level, ln.src) == ("Worker_TP1", 1, 242, "INFO", "gpu_model_runner.py:4820")


def test_literal_caret_escape_fragments_and_bare_codes():
    raw = "^[[0;36m(EngineCore_DP0 pid=70073)^[[0;0m INFO 01-27 00:31:44 [cuda.py:351] Using FLASH_ATTN attention backend\n" \
          "[34m1.14.608.946[0m [32mI [0mllama_kv_cache_iswa: creating non-SWA KV cache, size = 64000 cells\n"
    a, b = clean_lines(raw)
    assert a.text.startswith("Using FLASH_ATTN") and a.proc == "EngineCore_DP0"
    assert b.text.startswith("llama_kv_cache_iswa: creating non-SWA") and b.level == "INFO"


def test_sglang_prefix_gives_rank_and_docker_timestamps_are_dropped():
    raw = "2025-10-07T22:29:11.123456789Z [2025-10-07 22:29:11 DP0 TP3] KV Cache is allocated. #tokens: 5, KV size: 1 GB\n"
    [ln] = clean_lines(raw)
    assert ln.text.startswith("KV Cache is allocated") and ln.rank == 3 and ln.proc == "DP0 TP3"


def test_hard_wrapped_line_is_rejoined_with_first_line_number():
    first = "(APIServer pid=1) INFO 04-26 02:43:22 [utils.py:233] non-default args: {'model': '/m', " + "'x': 1, " * 20 + "'quantizati"
    raw = f"{first}\non': 'fp8'}}\n(APIServer pid=1) INFO 04-26 02:43:26 [model.py:1678] Using max model len 8\n"
    lines = clean_lines(raw)
    assert len(lines) == 2 and lines[0].no == 1 and lines[1].no == 3
    assert lines[0].text.endswith("'quantization': 'fp8'}")


def test_indented_continuation_after_levelled_line():
    raw = "INFO [interface.py:915] Setting attention block size to 1600 tokens to ensure that\n     attention page size is >= mamba page size.\n"
    [ln] = clean_lines(raw)
    assert ln.text.endswith("ensure that attention page size is >= mamba page size.")


def test_traceback_frames_are_not_joined():
    raw = "Traceback (most recent call last):\n  File \"a.py\", line 1, in <module>\nValueError: boom\n"
    assert [ln.text for ln in clean_lines(raw)] == ["Traceback (most recent call last):", 'File "a.py", line 1, in <module>', "ValueError: boom"]


def test_typographic_quotes_and_en_dash_flags():
    [ln] = clean_lines("caovan-vllm-serve \u201c$M\u201d \u2013tensor-parallel-size 2 \u2018x\u2019\n")
    assert ln.text == 'caovan-vllm-serve "$M" --tensor-parallel-size 2 \'x\''
