"""Hostile, truncated and corrupt inputs: every failure is one InputError line, nothing else."""
import json
import os
import struct
import tracemalloc

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from safetensors.numpy import save_file

import gguf_factory as factory
from llmdoctor.checkpoint import read_model
from llmdoctor.checkpoint.gguf_reader import read_gguf_header
from llmdoctor.checkpoint.safetensors_header import read_shard_header
from llmdoctor.errors import InputError

U32, U64 = struct.Struct("<I"), struct.Struct("<Q")
GGUF_V3 = b"GGUF" + U32.pack(3)
MEMORY_CEILING = 64 * 1024 * 1024


def gguf_bytes(tensors: int, kvs: int, body: bytes = b"") -> bytes:
    return GGUF_V3 + U64.pack(tensors) + U64.pack(kvs) + body + b"\0" * 64


def key(name: str) -> bytes:
    return U64.pack(len(name)) + name.encode()


@pytest.mark.parametrize("payload,message", [
    (gguf_bytes(1 << 40, 0), "tensors"),
    (gguf_bytes(0, 1 << 40), "metadata entries"),
    (gguf_bytes(0, 1, U64.pack(1 << 60)), "too long"),
    (gguf_bytes(0, 1, key("a") + U32.pack(8) + U64.pack(1 << 60)), "too long"),
    (gguf_bytes(0, 1, key("a") + U32.pack(9) + U32.pack(4) + U64.pack(1 << 62)), "past the end"),
    (gguf_bytes(0, 1, key("a") + U32.pack(9) + U32.pack(8) + U64.pack(1 << 62)), "past the end"),
    (gguf_bytes(0, 1, key("a") + U32.pack(99)), "unknown value type"),
    (gguf_bytes(0, 1, U64.pack(2) + b"\xff\xfe" + U32.pack(4) + U32.pack(1)), "UTF-8"),
    (b"GGUF" + struct.pack(">I", 3) + b"\0" * 40, "big-endian"),
    (b"GGUF" + U32.pack(1) + b"\0" * 40, "version 1"),
    (b"GGML" + b"\0" * 40, "bad magic"),
    (gguf_bytes(1, 0, key("t") + U32.pack(1) + U64.pack(1 << 62) + U32.pack(0) + U64.pack(0)), "impossible dimension"),
    (gguf_bytes(1, 0, key("t") + U32.pack(9) + U64.pack(4)), "dimensions"),
    (gguf_bytes(1, 0, key("t") + U32.pack(1) + U64.pack(4) + U32.pack(77) + U64.pack(0)), "unknown ggml type"),
    (gguf_bytes(1, 0, key("t") + U32.pack(1) + U64.pack(1 << 40) + U32.pack(0) + U64.pack(0)), "past the end"),
    (gguf_bytes(2, 0, key("a") + U32.pack(1) + U64.pack(8) + U32.pack(0) + U64.pack(0)
                + key("b") + U32.pack(1) + U64.pack(8) + U32.pack(0) + U64.pack(0)), "overlap"),
    (gguf_bytes(1, 0, key("t") + U32.pack(1) + U64.pack(8) + U32.pack(0) + U64.pack(3)), "aligned"),
])
def test_hostile_gguf_headers(tmp_path, payload, message):
    path = tmp_path / "x.gguf"
    path.write_bytes(payload)
    with pytest.raises(InputError, match=message):
        read_gguf_header(str(path))


@pytest.fixture(scope="module")
def real_gguf_header(tmp_path_factory):
    path = tmp_path_factory.mktemp("real") / "llama.gguf"
    factory.write_llama(path)
    data = path.read_bytes()
    return data[: min(len(data), 40_000)] + b"\0" * 4096


@pytest.fixture(scope="module")
def real_safetensors(tmp_path_factory):
    path = tmp_path_factory.mktemp("real") / "m.safetensors"
    save_file({"a": np.zeros((4, 4), np.float16), "b.c": np.zeros((3,), np.float32)}, str(path))
    return path.read_bytes()


def _only_input_errors(reader, path):
    tracemalloc.start()
    try:
        reader(str(path))
    except InputError as exc:
        assert "\n" not in str(exc)
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert peak < MEMORY_CEILING


FUZZ = settings(max_examples=150, deadline=2000, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(st.binary(max_size=512))
def test_random_bytes_gguf(tmp_path, blob):
    path = tmp_path / "r.gguf"
    path.write_bytes(GGUF_V3 + blob)
    _only_input_errors(read_gguf_header, path)


@FUZZ
@given(st.binary(max_size=512))
def test_random_bytes_safetensors(tmp_path, blob):
    path = tmp_path / "r.safetensors"
    path.write_bytes(blob)
    _only_input_errors(read_shard_header, path)


@FUZZ
@given(st.lists(st.tuples(st.integers(0, 39_999), st.integers(0, 255)), min_size=1, max_size=8),
       st.integers(16, 40_000))
def test_mutated_real_gguf(tmp_path, real_gguf_header, edits, cut):
    data = bytearray(real_gguf_header[:cut])
    for pos, value in edits:
        if pos < len(data):
            data[pos] = value
    path = tmp_path / "m.gguf"
    path.write_bytes(bytes(data))
    _only_input_errors(read_gguf_header, path)
    _only_input_errors(read_model, path)


@FUZZ
@given(st.lists(st.tuples(st.integers(0, 300), st.integers(0, 255)), min_size=1, max_size=6), st.integers(0, 400))
def test_mutated_real_safetensors(tmp_path, real_safetensors, edits, cut):
    data = bytearray(real_safetensors[:cut])
    for pos, value in edits:
        if pos < len(data):
            data[pos] = value
    path = tmp_path / "m.safetensors"
    path.write_bytes(bytes(data))
    _only_input_errors(read_shard_header, path)


def test_symlink_loop(tmp_path):
    os.symlink(tmp_path / "a", tmp_path / "b")
    os.symlink(tmp_path / "b", tmp_path / "a")
    with pytest.raises(InputError, match="symlink loop"):
        read_model(str(tmp_path / "a"))


def test_config_symlink_loop_inside_directory(tmp_path):
    os.symlink(tmp_path / "config.json", tmp_path / "config.json")
    with pytest.raises(InputError, match="symlink loop"):
        read_model(str(tmp_path))


def test_missing_path_and_empty_directory(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_model(str(tmp_path / "nope"))
    with pytest.raises(InputError, match="no config.json"):
        read_model(str(tmp_path))


@pytest.mark.parametrize("content,message", [
    (b"[1, 2]", "expected a JSON object"),
    (b'{"a": "\xff"}', "UTF-8"),
    (b"[" * 10_000 + b"]" * 10_000, "nested too deeply"),
    (b'{"num_hidden_layers": "32", "hidden_size": 8, "vocab_size": 8, "num_attention_heads": 1}', "must be an integer"),
    (b'{"num_hidden_layers": 1000000000, "hidden_size": 8, "vocab_size": 8}', "outside"),
    (b'{"hidden_size": 8}', "missing num_hidden_layers"),
    (b"{not json", "invalid JSON"),
])
def test_bad_config_files(tmp_path, content, message):
    (tmp_path / "config.json").write_bytes(content)
    with pytest.raises(InputError, match=message):
        read_model(str(tmp_path))
    with pytest.raises(InputError, match=message):
        read_model(str(tmp_path / "config.json"))


def test_unreadable_shard(tmp_path, fixtures_dir):
    src = os.path.join(fixtures_dir, "meta-llama--Llama-3.1-8B", "config.json")
    if not os.path.exists(src):
        pytest.skip("fixture missing")
    (tmp_path / "config.json").write_text(open(src).read())
    os.mkdir(tmp_path / "model.safetensors")            # a directory where a shard should be
    with pytest.raises(InputError, match="directory"):
        read_model(str(tmp_path))


def test_layer_types_must_match_layers(tmp_path, fixtures_dir):
    src = os.path.join(fixtures_dir, "openai--gpt-oss-20b", "config.json")
    if not os.path.exists(src):
        pytest.skip("fixture missing")
    config = json.load(open(src))
    config["layer_types"] = ["warp_attention"] * 24
    (tmp_path / "config.json").write_text(json.dumps(config))
    with pytest.raises(InputError, match="layer_types"):
        read_model(str(tmp_path))
