"""Checkpoint readers: HF directories, lone config.json files and GGUF files -> ModelInfo.

Only headers are read, with bounds; nothing is written into the model directory.
"""
from __future__ import annotations

import dataclasses
import os

from llmdoctor.checkpoint.bounded_io import describe_os_error
from llmdoctor.checkpoint.spec import ModelInfo
from llmdoctor.errors import InputError

__all__ = ["read_model", "model_to_dict", "ModelInfo"]


def read_model(path: str) -> ModelInfo:
    """Dispatch on what `path` is: HF directory, config.json, or a GGUF file (first split or any)."""
    try:
        real = os.path.realpath(path, strict=True)
    except OSError as exc:
        raise InputError(describe_os_error(path, exc)) from None
    except RuntimeError:                        # Python < 3.13 reports some symlink loops this way
        raise InputError(f"{path}: symlink loop") from None
    if os.path.isdir(real):
        config_path = os.path.join(path, "config.json")
        if os.path.lexists(config_path):
            from llmdoctor.checkpoint.hf_model import read_hf
            return read_hf(path, config_path, config_only=False)
        ggufs = sorted(n for n in _listdir(path) if n.endswith(".gguf"))
        if len(ggufs) == 1 or (ggufs and all("-of-" in n for n in ggufs)):
            from llmdoctor.checkpoint.gguf_spec import read_gguf_model
            return read_gguf_model(os.path.join(path, ggufs[0]))
        raise InputError(f"{path}: no config.json (and not a single GGUF model) in this directory")
    if path.endswith(".gguf") or _has_gguf_magic(path):
        from llmdoctor.checkpoint.gguf_spec import read_gguf_model
        return read_gguf_model(path)
    if path.endswith(".json"):
        from llmdoctor.checkpoint.hf_model import read_hf
        return read_hf(path, path, config_only=True)
    raise InputError(f"{path}: not a model directory, config.json or GGUF file")


def model_to_dict(info: ModelInfo) -> dict:
    """The `model` section of the JSON document. The chat template's text is dropped: it is
    untrusted and can be large; source, sha256 and length identify it."""
    data = dataclasses.asdict(info)
    if data.get("chat_template"):
        data["chat_template"].pop("text", None)
    return data


def _listdir(path: str) -> list[str]:
    try:
        return os.listdir(path)
    except OSError as exc:
        raise InputError(describe_os_error(path, exc)) from None


def _has_gguf_magic(path: str) -> bool:
    from llmdoctor.safe_io import open_regular
    with open_regular(path, "model file") as handle:
        return handle.read(4) == b"GGUF"
