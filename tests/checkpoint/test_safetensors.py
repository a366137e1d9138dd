"""Safetensors header reading on small generated files, and HF directories built from them."""
import json
import os
import shutil
import struct

import numpy as np
import pytest
from safetensors.numpy import save_file

from llmdoctor.checkpoint import read_model
from llmdoctor.checkpoint.safetensors_header import read_model_headers, read_shard_header
from llmdoctor.errors import InputError


def write_raw(path, header: dict, data_len: int):
    raw = json.dumps(header).encode()
    with open(path, "wb") as handle:
        handle.write(struct.pack("<Q", len(raw)) + raw + b"\0" * data_len)


def test_header_fields_match_what_was_written(tmp_path):
    path = tmp_path / "model.safetensors"
    save_file({"a": np.zeros((3, 5), np.float16), "b": np.zeros((7,), np.float32)}, str(path), metadata={"format": "pt"})
    header = read_shard_header(str(path))
    got = {t.name: (t.dtype, t.shape, t.nbytes) for t in header.tensors}
    assert got == {"a": ("F16", (3, 5), 30), "b": ("F32", (7,), 28)}
    assert header.metadata == {"format": "pt"}


@pytest.mark.parametrize("header,data_len,message", [
    ({"a": {"dtype": "F16", "shape": [2], "data_offsets": [0, 4]}, "b": {"dtype": "F16", "shape": [2], "data_offsets": [2, 6]}}, 6, "overlaps"),
    ({"a": {"dtype": "F16", "shape": [2], "data_offsets": [0, 4]}}, 2, "past the end"),
    ({"a": {"dtype": "F16", "shape": [2], "data_offsets": [-4, 0]}}, 4, "data_offsets"),
    ({"a": {"dtype": "F16", "shape": [3], "data_offsets": [0, 4]}}, 4, "need"),
    ({"a": {"dtype": "Q9", "shape": [2], "data_offsets": [0, 4]}}, 4, "dtype"),
    ({"a": {"dtype": "F16", "shape": [2], "data_offsets": [4, 8]}}, 8, "hole"),
    ({"__metadata__": {"k": 1}}, 0, "__metadata__"),
    ({"a": [1, 2]}, 0, "no dtype"),
])
def test_bad_headers_are_input_errors(tmp_path, header, data_len, message):
    path = tmp_path / "bad.safetensors"
    write_raw(path, header, data_len)
    with pytest.raises(InputError, match=message):
        read_shard_header(str(path))


def test_header_length_over_cap_is_rejected_before_reading(tmp_path):
    path = tmp_path / "huge.safetensors"
    path.write_bytes(struct.pack("<Q", 1 << 60) + b"{}")
    with pytest.raises(InputError, match="100 MB cap"):
        read_shard_header(str(path))


def test_deeply_nested_header(tmp_path):
    path = tmp_path / "deep.safetensors"
    raw = b"[" * 10_000 + b"]" * 10_000
    path.write_bytes(struct.pack("<Q", len(raw)) + raw)
    with pytest.raises(InputError, match="nested too deeply|not a JSON object"):
        read_shard_header(str(path))


def test_invalid_utf8_header(tmp_path):
    path = tmp_path / "utf.safetensors"
    raw = b'{"\xff": 1}'
    path.write_bytes(struct.pack("<Q", len(raw)) + raw)
    with pytest.raises(InputError, match="UTF-8"):
        read_shard_header(str(path))


def _tiny_llama_dir(root, fixtures_dir, shards=2):
    """A directory holding Llama-3.1-8B's real config with two tiny stand-in shards."""
    src = os.path.join(fixtures_dir, "meta-llama--Llama-3.1-8B", "config.json")
    if not os.path.exists(src):
        pytest.skip("Llama-3.1-8B fixture missing")
    shutil.copy(src, root / "config.json")
    weight_map = {}
    tensors = [("model.embed_tokens.weight", (16, 8)), ("lm_head.weight", (16, 8)), ("model.norm.weight", (8,)),
               ("model.layers.0.self_attn.q_proj.weight", (8, 8)), ("model.layers.31.mlp.down_proj.weight", (8, 4))]
    for i in range(shards):
        part = {n: np.zeros(s, np.float16) for j, (n, s) in enumerate(tensors) if j % shards == i}
        name = f"model-{i + 1:05d}-of-{shards:05d}.safetensors"
        save_file(part, str(root / name))
        weight_map.update({n: name for n in part})
    (root / "model.safetensors.index.json").write_text(json.dumps({"metadata": {}, "weight_map": weight_map}))
    (root / "tokenizer_config.json").write_text(json.dumps({"chat_template": "{{ bos_token }}{% for m in messages %}{% endfor %}"}))
    (root / "generation_config.json").write_text(json.dumps({"temperature": 0.6}))
    return root


def test_hf_directory_reads_shards_and_roles(tmp_path, fixtures_dir):
    model = _tiny_llama_dir(tmp_path, fixtures_dir)
    info = read_model(str(model))
    assert info.format == "hf" and not info.weights_computed
    assert info.weight_bytes_by_dtype == {"F16": (16 * 8 * 2 + 8 + 64 + 32) * 2}
    assert info.weights.embedding == 256 and info.weights.lm_head == 256 and info.weights.other == 16
    assert info.weights.per_layer[0] == 128 and info.weights.per_layer[31] == 64
    assert info.chat_template.source == "tokenizer_config.json" and len(info.chat_template.sha256) == 64
    assert info.generation_config == {"temperature": 0.6}
    assert any("safetensors hold" in n for n in info.notes)        # stand-in shards, so the count differs
    before = sorted(os.listdir(model))
    read_model(str(model))
    assert sorted(os.listdir(model)) == before                     # read-only


def test_partial_download_is_an_error_but_no_shards_is_config_only(tmp_path, fixtures_dir):
    model = _tiny_llama_dir(tmp_path, fixtures_dir)
    os.remove(model / "model-00002-of-00002.safetensors")
    with pytest.raises(InputError, match="missing"):
        read_model(str(model))
    os.remove(model / "model-00001-of-00002.safetensors")
    info = read_model(str(model))
    assert info.format == "hf-config-only" and info.weights_computed


def test_index_with_path_traversal_is_rejected(tmp_path, fixtures_dir):
    model = _tiny_llama_dir(tmp_path, fixtures_dir)
    (model / "model.safetensors.index.json").write_text(json.dumps({"weight_map": {"x": "../evil.safetensors"}}))
    with pytest.raises(InputError, match="plain file name"):
        read_model_headers(str(model))


def test_sixty_shards(tmp_path):
    for i in range(60):
        save_file({f"model.layers.{i}.w": np.zeros((4, 4), np.float16)}, str(tmp_path / f"model-{i:05d}.safetensors"))
    headers, _ = read_model_headers(str(tmp_path))
    assert len(headers) == 60 and sum(len(h.tensors) for h in headers) == 60
