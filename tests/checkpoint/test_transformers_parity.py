"""Config semantics equal to transformers': every fixture config, loaded with `transformers.AutoConfig`,
gives the layers, heads, KV heads, head_dim, vocabulary, sliding window, layer types, rope scaling and
tied embeddings llmdoctor reads, and so does every fixture config with any one of those keys left
out (then the config class's default decides: llmdoctor/checkpoint/config_defaults.json).
transformers is a test-only dependency; without it the comparisons skip.

Where the two differ by convention rather than by meaning, the comparison says so below (EQUIVALENT).
"""
import glob
import importlib.util
import json
import os
import warnings

import pytest

from llmdoctor.checkpoint import read_model
from llmdoctor.checkpoint.spec import FULL, LINEAR, MAMBA, MLA, MLP_ONLY, SLIDING
from llmdoctor.errors import InputError

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


@pytest.fixture(scope="module")
def tf():
    return pytest.importorskip("transformers")


ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CONFIG_DIRS = sorted(
    os.path.dirname(p) for pattern in ("fixtures/models/*/config.json", "../shared/knowledge/configs/*/config.json",
                                       "shared/knowledge/configs/*/config.json")
    for p in glob.glob(os.path.join(ROOT, pattern)))

# transformers layer_types -> the llmdoctor kinds that mean the same thing.
# EQUIVALENT: transformers calls DeepSeek's MLA layers "full_attention" and both Gated DeltaNet and
# Mamba2 (Nemotron-H) mixers "linear_attention"; a Nemotron-H "moe" block is an MLP-only block.
KINDS = {
    "full_attention": {FULL, MLA}, "sliding_attention": {SLIDING}, "chunked_attention": {SLIDING},
    "linear_attention": {LINEAR, MAMBA}, "mlp": {MLP_ONLY}, "moe": {MLP_ONLY},
}


def _ids():
    return [os.path.basename(d) for d in CONFIG_DIRS]


def _load(path):
    import transformers
    from transformers import AutoConfig
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING

    with open(os.path.join(path, "config.json"), encoding="utf-8") as fh:
        model_type = json.load(fh).get("model_type")
    if model_type not in CONFIG_MAPPING:
        pytest.skip(f"transformers {transformers.__version__} does not know model_type {model_type!r}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        config = AutoConfig.from_pretrained(path, trust_remote_code=False)
    text = config.get_text_config(decoder=True)
    if hasattr(text, "allow_global_per_layer_attribute_access"):
        text.allow_global_per_layer_attribute_access = True       # Gemma-4: global values, per-layer below
    return config, text


def _layer_config(text, index):
    """The config of one layer (transformers >= 5 heterogeneous configs), else the global one."""
    per_layer = getattr(text, "per_layer_config", None)
    return per_layer[index] if per_layer is not None else text


def _head_dim(cfg):
    # The modeling code's fallback where a class keeps head_dim None (Mixtral, Qwen2, Phi-3).
    return getattr(cfg, "head_dim", None) or cfg.hidden_size // cfg.num_attention_heads


def _layer_types(text):
    types = getattr(text, "layer_types", None)
    if types is None:
        types = getattr(text, "layers_block_type", None)
    return list(types) if types is not None else None


def _sliding_window(text):
    """The window transformers applies: to the sliding layers of layer_types, or to every layer of a
    class without layer_types (Mistral, Phi-3)."""
    window = getattr(text, "sliding_window", None)
    types = _layer_types(text)
    if types is not None:
        return window if window and any(t in ("sliding_attention", "chunked_attention") for t in types) else None
    if window and text.max_position_embeddings and window >= text.max_position_embeddings:
        return None            # EQUIVALENT: a window as long as the context never slides (Phi-4; vLLM reads it so)
    return window or None


def _expected_kinds(text, num_layers):
    types = _layer_types(text)
    if types is None:
        return [{SLIDING} if _sliding_window(text) else {FULL, MLA}] * num_layers
    return [KINDS.get(t, {t}) for t in types]


def _rope_entries(params):
    """(rope_type, factor, original_max_position_embeddings) of every entry that scales.
    EQUIVALENT: plain "default" entries scale nothing; transformers standardizes Qwen-VL's "mrope" to
    "default" with mrope_section, which llmdoctor keeps as rope_type "mrope" with no factor."""
    if not isinstance(params, dict):
        return set()
    entries = [params] if ("rope_type" in params or "type" in params) else \
        [v for v in params.values() if isinstance(v, dict)]
    out = set()
    for e in entries:
        kind = e.get("rope_type", e.get("type", "default"))
        factor = e.get("factor")
        if kind in ("default", "mrope") and factor is None:
            continue
        orig = e.get("original_max_position_embeddings")
        out.add((kind, float(factor) if factor is not None else None, orig))
    return out


def _spec_rope_entries(spec):
    return {(r.rope_type, r.factor, r.original_max_position_embeddings) for r in spec.rope_scaling
            if not (r.rope_type in ("default", "mrope") and r.factor is None)}


def _rope_theta(text):
    params = getattr(text, "rope_parameters", None) or {}
    if isinstance(params.get("full_attention"), dict):
        params = params["full_attention"]
    theta = params.get("rope_theta", getattr(text, "rope_theta", None))
    return float(theta) if theta is not None else None


def compare(path):
    """{field: (transformers, llmdoctor)} for every field that differs."""
    config, text = _load(path)
    info = read_model(path)
    spec = info.spec
    full_index = next((i for i, layer in enumerate(spec.layers) if layer.kind == FULL), None)
    kv_cfg = _layer_config(text, full_index) if full_index is not None else text
    pairs = {
        "num_layers": (text.num_hidden_layers, spec.num_layers),
        "num_attention_heads": (text.num_attention_heads, spec.num_attention_heads),
        "num_kv_heads": (kv_cfg.num_key_value_heads, spec.num_kv_heads),
        "head_dim": (_head_dim(text), spec.head_dim),
        "vocab_size": (text.vocab_size, spec.vocab_size),
        "max_position_embeddings": (text.max_position_embeddings, spec.max_position_embeddings),
        "sliding_window": (_sliding_window(text), spec.sliding_window),
        "rope_scaling": (_rope_entries(getattr(text, "rope_parameters", None)), _spec_rope_entries(spec)),
        "rope_theta": (_rope_theta(text), spec.rope_theta),
        "tie_word_embeddings": (config.tie_word_embeddings, info.tie_word_embeddings),
    }
    expected = _expected_kinds(text, text.num_hidden_layers)
    actual = [layer.kind for layer in spec.layers]
    bad = [i for i, (want, got) in enumerate(zip(expected, actual)) if got not in want]
    if bad or len(expected) != len(actual):
        pairs["layer_types"] = ([sorted(expected[i]) for i in bad[:3]], [actual[i] for i in bad[:3]])
    # Per-layer head_dim and KV heads of attention layers (Gemma-4's global layers differ).
    for layer in spec.layers:
        if layer.kind in (FULL, SLIDING) and layer.kv_shared_from is None:
            lc = _layer_config(text, layer.index)
            got, want = (layer.head_dim_k, layer.num_kv_heads), (_head_dim(lc), lc.num_key_value_heads)
            if got != want:
                pairs[f"layer {layer.index} (head_dim, kv_heads)"] = (want, got)
                break
    return {k: v for k, v in pairs.items() if k == "layer_types" or " " in k or v[0] != v[1]}


@pytest.mark.parametrize("path", CONFIG_DIRS, ids=_ids())
def test_fixture_config_reads_as_transformers_does(tf, path):
    assert compare(path) == {}


# Keys a config may leave to its class (the fields compared above, and those they derive from).
DROPPABLE = ("head_dim", "vocab_size", "num_key_value_heads", "num_attention_heads", "num_hidden_layers",
             "max_position_embeddings", "sliding_window", "use_sliding_window", "max_window_layers",
             "layer_types", "sliding_window_pattern", "full_attention_interval", "hybrid_override_pattern",
             "global_head_dim", "num_global_key_value_heads", "rope_theta", "rope_scaling", "rope_parameters",
             "tie_word_embeddings")


# Left-out keys where llmdoctor deliberately parts from transformers, and why.
KNOWN_DIFFERENCES = {
    # NemotronHConfig without hybrid_override_pattern / layers_block_type falls back to a 4-block
    # default pattern and ignores num_hidden_layers (52, 118...) with a warning; llmdoctor refuses
    # the config as inconsistent rather than plan a 4-layer model.
    ("nemotron_h", "hybrid_override_pattern"),
}


def _without(config: dict, key: str) -> dict:
    out = {k: v for k, v in config.items() if k != key}
    if isinstance(config.get("text_config"), dict):
        out["text_config"] = {k: v for k, v in config["text_config"].items() if k != key}
    return out


@pytest.mark.parametrize("path", CONFIG_DIRS, ids=_ids())
def test_fixture_config_less_one_key_reads_as_transformers_does(tf, path, tmp_path):
    """Each key left out in turn: the class default (or the rule that derives it) is the same on both sides."""
    with open(os.path.join(path, "config.json"), encoding="utf-8") as fh:
        config = json.load(fh)
    text = config.get("text_config") if isinstance(config.get("text_config"), dict) else config
    differences = {}
    for key in DROPPABLE:
        if (key not in text and key not in config) or (text.get("model_type"), key) in KNOWN_DIFFERENCES:
            continue
        folder = tmp_path / key
        folder.mkdir()
        (folder / "config.json").write_text(json.dumps(_without(config, key)))
        try:
            _load(str(folder))
        except Exception:
            continue                          # transformers refuses the config: nothing to compare
        try:
            diff = compare(str(folder))
        except InputError as exc:
            diff = {"llmdoctor refuses": str(exc)}
        if diff:
            differences[key] = diff
    assert differences == {}


def test_every_fixture_model_type_is_in_the_defaults_table():
    from llmdoctor.checkpoint.config_view import defaults_table

    table = defaults_table()
    missing = set()
    for path in CONFIG_DIRS:
        with open(os.path.join(path, "config.json"), encoding="utf-8") as fh:
            cfg = json.load(fh)
        for part in (cfg, cfg.get("text_config") or {}):
            if isinstance(part.get("model_type"), str) and part["model_type"] not in table:
                missing.add(part["model_type"])
    assert not missing, "regenerate: python tools/config_defaults/gen_transformers_defaults.py"


def test_defaults_table_is_what_this_transformers_gives(tf):
    """The committed table equals the generator's output, when the installed transformers is the
    version that made it (another version may move defaults: regenerate then)."""
    path = os.path.join(ROOT, "tools", "config_defaults", "gen_transformers_defaults.py")
    with open(os.path.join(ROOT, "llmdoctor", "checkpoint", "config_defaults.json"), encoding="utf-8") as fh:
        committed = json.load(fh)
    if committed["transformers_version"] != tf.__version__:
        pytest.skip(f"table made with transformers {committed['transformers_version']}, {tf.__version__} installed")
    spec = importlib.util.spec_from_file_location("gen_transformers_defaults", path)
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    assert gen.build() == committed


# What the issue reported, without transformers: Gemma-3 text configs carry no head_dim, and
# Gemma3TextConfig's 256 is not hidden_size / heads (3840 / 16 = 240).
GEMMA3_12B_TEXT = {"model_type": "gemma3_text", "hidden_size": 3840, "num_attention_heads": 16,
                   "num_key_value_heads": 8, "num_hidden_layers": 48, "intermediate_size": 15360,
                   "sliding_window": 1024}


def _read(tmp_path, config):
    (tmp_path / "config.json").write_text(json.dumps(config))
    return read_model(str(tmp_path))


def test_gemma3_text_without_head_dim_takes_the_class_default(tmp_path):
    spec = _read(tmp_path, {"architectures": ["Gemma3ForConditionalGeneration"], "model_type": "gemma3",
                            "text_config": GEMMA3_12B_TEXT}).spec
    assert spec.head_dim == 256 and {l.head_dim_k for l in spec.layers if l.head_dim_k} == {256}
    assert spec.vocab_size == 262_208 and spec.max_position_embeddings == 131_072
    assert spec.rope_theta == 1_000_000.0
    assert (spec.full_attention_layers, spec.sliding_attention_layers) == (8, 40)   # 5 sliding : 1 full


def test_llama_without_head_dim_or_kv_heads_derives_them(tmp_path):
    info = _read(tmp_path, {"model_type": "llama", "hidden_size": 2048, "num_attention_heads": 16,
                            "num_hidden_layers": 4, "intermediate_size": 8192, "vocab_size": 1000})
    assert (info.spec.head_dim, info.spec.num_kv_heads) == (128, 16)
    assert info.tie_word_embeddings is False                       # LlamaConfig's default


def test_gemma4_text_without_layer_types_follows_the_class_rule(tmp_path):
    spec = _read(tmp_path, {"model_type": "gemma4_text", "hidden_size": 2560, "num_attention_heads": 8,
                            "num_hidden_layers": 13, "intermediate_size": 10240}).spec
    kinds = [layer.kind for layer in spec.layers]
    assert kinds == [SLIDING] * 5 + [FULL] + [SLIDING] * 5 + [FULL] + [FULL]     # the last layer is global
    assert spec.layers[5].head_dim_k == 512 and spec.layers[0].head_dim_k == 256  # global_head_dim 512


def test_gpt_oss_without_rope_scaling_gets_the_class_yarn(tmp_path):
    spec = _read(tmp_path, {"model_type": "gpt_oss", "num_hidden_layers": 2}).spec
    assert [(r.rope_type, r.factor, r.original_max_position_embeddings) for r in spec.rope_scaling] == \
        [("yarn", 32.0, 4096)]
    assert [layer.kind for layer in spec.layers] == [SLIDING, FULL] and spec.sliding_window == 128


def test_a_class_default_the_reader_does_not_model_is_left_to_the_family_rules(tmp_path):
    # DeepseekV32Config defaults layer_types to "indexed_attention": the MLA rule still reads it.
    spec = _read(tmp_path, {"model_type": "deepseek_v32", "num_hidden_layers": 3, "kv_lora_rank": 512,
                            "qk_rope_head_dim": 64}).spec
    assert [layer.kind for layer in spec.layers] == [MLA] * 3


def test_a_given_layer_type_the_reader_does_not_know_is_refused(tmp_path):
    with pytest.raises(InputError):
        _read(tmp_path, {"model_type": "llama", "hidden_size": 64, "num_attention_heads": 4, "num_hidden_layers": 2,
                         "vocab_size": 10, "layer_types": ["full_attention", "indexed_attention"]})
