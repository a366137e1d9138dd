"""Dispatch, the JSON shape of model.*, and import hygiene."""
import glob
import json
import os
import subprocess
import sys

from llmdoctor.checkpoint import model_to_dict, read_model

REQUIRED_SPEC_FIELDS = {"num_layers", "hidden_size", "vocab_size", "max_position_embeddings", "layers",
                        "full_attention_layers", "sliding_attention_layers", "linear_attention_layers",
                        "moe", "mtp_layers", "vision"}
REQUIRED_MODEL_FIELDS = {"format", "architecture", "spec", "params_total", "params_active", "weight_bytes",
                         "weight_bytes_by_dtype", "quantization", "torch_dtype", "tie_word_embeddings",
                         "chat_template", "files"}
REQUIRED_LAYER_FIELDS = {"kind", "num_kv_heads", "head_dim_k", "head_dim_v", "window", "state", "state_bytes",
                         "kv_lora_rank", "rope_dim"}


def test_issue_field_names_are_reachable(fixtures_dir):
    for path in [os.path.join(fixtures_dir, "Qwen--Qwen3.5-27B", "config.json")] + sorted(glob.glob(os.path.join(fixtures_dir, "gguf", "*.gguf"))):
        if not os.path.exists(path):
            continue
        doc = json.loads(json.dumps(model_to_dict(read_model(path))))
        assert REQUIRED_MODEL_FIELDS <= set(doc)
        assert REQUIRED_SPEC_FIELDS <= set(doc["spec"])
        assert REQUIRED_LAYER_FIELDS <= set(doc["spec"]["layers"][0])
        assert {"count", "total_bytes"} <= set(doc["files"])


def test_config_json_path_is_config_only(fixtures_dir):
    info = read_model(os.path.join(fixtures_dir, "Qwen--Qwen3-8B", "config.json"))
    assert info.format == "hf-config-only" and info.weights_computed and info.chat_template is None


def test_committed_gguf_fixtures_read(fixtures_dir):
    paths = sorted(glob.glob(os.path.join(fixtures_dir, "gguf", "*.gguf")))
    assert len(paths) >= 4
    kinds = {os.path.basename(p): {l.kind for l in read_model(p).spec.layers} for p in paths}
    assert kinds["tiny-qwen35-hybrid-nextn.gguf"] == {"linear", "full"}
    assert kinds["tiny-deepseek2-mla-moe.gguf"] == {"mla"}


def test_reader_import_path_stays_light():
    code = ("import sys; from llmdoctor.checkpoint import read_model; "
            "read_model(sys.argv[1]); print(sorted(m for m in ('numpy', 'gguf', 'safetensors', 'rich') if m in sys.modules))")
    fixture = glob.glob(os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "models", "gguf", "*.gguf"))[0]
    out = subprocess.run([sys.executable, "-c", code, fixture], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
