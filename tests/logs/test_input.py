"""Bounded, binary-refusing input through the CLI (exit codes from DESIGN.md)."""
import io
import json
import sys

import pytest

from llmdoctor.app.cli import main
from llmdoctor.logs.reader import decode_log, read_log_bytes
from llmdoctor.errors import InputError


def test_binary_file_is_one_line_error_exit_2(tmp_path, capsys):
    f = tmp_path / "blob.log"
    f.write_bytes(bytes(range(256)) * 100)
    assert main(["logs", str(f)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "binary data" in err


def test_missing_file_exit_2(tmp_path, capsys):
    assert main(["logs", str(tmp_path / "nope.log")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_read_is_capped(tmp_path):
    f = tmp_path / "big.log"
    f.write_bytes(b"INFO x\n" * 1000)
    data, truncated = read_log_bytes(str(f), max_bytes=100)
    assert len(data) == 100 and truncated


def test_utf16_log_from_windows_is_decoded():
    assert decode_log("Available KV cache memory: 1.0 GiB\r\n".encode("utf-16"), "x").startswith("Available")
    with pytest.raises(InputError):
        decode_log(b"\x00\x01\x02" * 10, "x")


def test_stdin_json(monkeypatch, capsys):
    text = "(EngineCore pid=3) INFO 01-01 00:00:00 [kv_cache_utils.py:1] GPU KV cache size: 268,560 tokens, Maximum concurrency for 2,048 tokens per request: 131.13x\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode())))
    assert main(["logs", "-", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    logs = doc["logs"]
    assert logs["engine"] == "vllm"
    assert logs["facts"]["kv_tokens"] == 268560 and logs["facts"]["max_concurrency"] == 131.13
    assert set(logs) >= {"engine", "version", "facts", "events", "unknown_errors", "reconcile"}


def test_error_event_gives_exit_1_and_escapes_markup(tmp_path, capsys):
    f = tmp_path / "oom.log"
    f.write_text("torch.OutOfMemoryError: CUDA out of memory. [bold red]Tried[/] to allocate 2.00 GiB\n")
    assert main(["logs", str(f)]) == 1
    out = capsys.readouterr().out
    assert "LD802" in out and "[bold red]Tried[/]" in out
