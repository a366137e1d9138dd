#!/usr/bin/env python3
"""Generate llmdoctor/checkpoint/config_defaults.json from transformers' config classes.

A published config.json may leave out any key its transformers config class defaults (Gemma-3 text
configs carry no `head_dim`: `Gemma3TextConfig` says 256). Engines read configs through
transformers, so llmdoctor's HF reader must fill a missing key exactly as the class would. This
script records, per model_type, what the class does with the keys llmdoctor's readers use.

How to run
----------
transformers is NOT a runtime dependency of llmdoctor; use a scratch virtual environment (torch is
not needed to instantiate config classes)::

    python3 -m venv /tmp/tf-defaults
    /tmp/tf-defaults/bin/pip install transformers            # or transformers==X.Y.Z
    /tmp/tf-defaults/bin/python tools/config_defaults/gen_transformers_defaults.py

from the repository root. ``--out PATH`` writes elsewhere; ``--check`` only compares the table that
would be written with the committed one and exits 1 when they differ.

How the defaults are found
--------------------------
Each class is instantiated with no arguments (``CONFIG_MAPPING[model_type]()``) and also read as
the dataclass it is in transformers >= 5 (``dataclasses.fields``). For every key the readers use
(the quoted identifiers in ``llmdoctor/checkpoint/hf_*.py`` and ``config_view.py`` that the class
knows, see ``reader_keys``):

``defaults``   the value the class gives a key that config.json leaves out, when that value does not
               depend on other keys: the field's declared default, or the value ``__post_init__``
               sets from nothing (verified constant under perturbation of the other keys).
``kwargs``     defaults of legacy keys that are not fields but that ``__post_init__`` /
               ``convert_rope_params_to_dict`` read from the raw config with
               ``kwargs.get/pop/setdefault("name", default)`` (found with ``ast`` in the class's
               source, e.g. Gemma-3's ``sliding_window_pattern`` = 6, Qwen3-Next's
               ``full_attention_interval`` = 4, Gemma-4's ``global_head_dim`` = 512).
``derived``    keys that, when absent, are computed from other keys. Each carries a rule from a
               small vocabulary the reader evaluates (``ConfigView``), and every rule is checked
               here against fresh instances built with other inputs before it is written:
                 copy      {"from": K}                 value of K  (num_key_value_heads <- heads)
                 floordiv  {"from": [A, B]}            A // B      (head_dim <- hidden / heads)
                 len       {"from": K}                 len(K)      (Nemotron-H num_hidden_layers)
                 period    {"key": K|null, "period": N, "hit": T1, "miss": T2, "last": T|null}
                           layer i is T1 iff (i + 1) % N == 0, else T2 (N read from K when the
                           config gives K); "last" forces the last layer's type (Gemma-4)
                 sliding_from {"window": W, "enable": E, "start": S}
                           layer i slides iff E and W are set and i >= S (Qwen2/Qwen3)
                 uniform   {"window": W}               every layer slides iff W is set (Ministral)
                 pattern   {"key": K, "map": {char: type}, "default": [...]}
                           one layer type per character of the *given* K, else "default"
                           (Nemotron-H layers_block_type from hybrid_override_pattern)
                 pattern_string {"from": K, "map": {type: char}}
                           the inverse (Nemotron-H hybrid_override_pattern from layers_block_type)
                 rope      {"value": {...}}            the class's rope_parameters when the config
                           gives neither rope_parameters nor rope_scaling
                 unverified {"value_at_defaults": ...} no rule above reproduces the class: the
                           reader ignores it and keeps its own family logic (Jamba, Qwen2-MoE...)
               A derived default applies when the key is absent, or given as null.
``post_init``  where the value after ``__post_init__`` differs from the declared default, both
               values, for reference. Some are transformations of given values too (Qwen's
               ``sliding_window`` is dropped unless ``use_sliding_window``, which hf_layers.py
               applies itself); some are constants set from None (``mlp_only_layers`` = []), which
               ``defaults`` then holds.
``text_config`` for composite (multimodal) classes: the model_type of the text sub-config, whose
               entry holds the language-model defaults; the composite entry keeps its own
               top-level fields (``tie_word_embeddings``).
``aliases``    the class's ``attribute_map`` restricted to reader keys: two names of one value
               (the default is recorded under the name the value is stored as).
``ignored_legacy_keys``  rope thetas of the class that a legacy ``rope_theta`` /
               ``rope_local_base_freq`` in config.json does not move (Gemma-4).

Model types covered: every model_type of the fixture configs (fixtures/models and shared/knowledge/
configs), the text sub-config type of every composite class among them, and ``EXTRA_MODEL_TYPES``
(the types the readers name and families they read with the generic path). A type transformers
does not know is listed under ``"unknown_model_types"``, one it cannot build without arguments
under ``"failed_model_types"``.
"""
from __future__ import annotations

import argparse
import ast
import copy
import dataclasses
import glob
import inspect
import json
import math
import os
import re
import sys
import textwrap
import warnings

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "llmdoctor", "checkpoint", "config_defaults.json")
READER_SOURCES = ["llmdoctor/checkpoint/config_view.py", "llmdoctor/checkpoint/hf_model.py",
                  "llmdoctor/checkpoint/hf_layers.py", "llmdoctor/checkpoint/hf_params.py"]
FIXTURE_CONFIGS = ["fixtures/models/*/config.json", "../shared/knowledge/configs/*/config.json",
                   "shared/knowledge/configs/*/config.json"]
# The model types the readers name (hf_layers.py / hf_params.py) and families they read with the
# generic attention + MLP path, beyond those of the fixtures.
EXTRA_MODEL_TYPES = [
    "deepseek_v2", "deepseek_v3", "deepseek_v32", "kimi_k2", "kimi_vl", "gemma", "gemma2", "gemma3",
    "gemma3_text", "gemma3n", "gemma4", "gemma4_text", "glm4", "glm4_moe", "glm4v_moe", "gpt2", "gpt_oss",
    "jamba", "llama", "llama4", "mistral", "mistral3", "ministral", "mixtral", "nemotron_h", "olmo2", "olmoe",
    "phi", "phi3", "qwen2", "qwen2_moe", "qwen2_vl", "qwen2_5_vl", "qwen3", "qwen3_moe", "qwen3_next",
    "qwen3_5", "qwen3_5_moe", "qwen3_vl", "qwen3_vl_moe", "granite", "granitemoe", "exaone4",
    "ernie4_5_moe", "hunyuan_v1_moe", "seed_oss", "smollm3",
]
# Quoted identifiers in the reader that are not configuration values with class defaults.
NOT_DEFAULTED = {"architectures", "model_type", "dtype", "torch_dtype", "text_config", "vision_config",
                 "audio_config", "quantization_config", "language_config", "llm_config", "transformers_version"}
SECTIONS = ("defaults", "kwargs", "derived", "aliases", "ignored_legacy_keys")
# Legacy keys that are views of another attribute in transformers >= 5 (rope_scaling -> rope_parameters).
LEGACY_ALIASES = {"rope_scaling"}


def reader_keys() -> list[str]:
    keys: set[str] = set()
    for rel in READER_SOURCES:
        with open(os.path.join(ROOT, rel), encoding="utf-8") as fh:
            keys |= set(re.findall(r'"([a-z][a-z0-9_]*)"', fh.read()))
    return sorted(keys - NOT_DEFAULTED)


def fixture_model_types() -> list[str]:
    found = set()
    for pattern in FIXTURE_CONFIGS:
        for path in glob.glob(os.path.join(ROOT, pattern)):
            with open(path, encoding="utf-8") as fh:
                cfg = json.load(fh)
            for part in (cfg, cfg.get("text_config") or {}):
                if isinstance(part, dict) and isinstance(part.get("model_type"), str):
                    found.add(part["model_type"])
    return sorted(found)


# ---------------------------------------------------------------------------------------------
# Reading a config class

def jsonable(value):
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    return repr(value)


def instantiate(cls, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cfg = cls(**kwargs)
    if hasattr(cfg, "allow_global_per_layer_attribute_access"):
        try:
            cfg.allow_global_per_layer_attribute_access = True     # Gemma-4: per-layer overrides
        except Exception:
            pass
    return cfg


def value_of(cfg, key):
    try:
        return jsonable(getattr(cfg, key))
    except AttributeError:
        return AttributeError
    except Exception:                                   # heterogeneous configs and other refusals
        return AttributeError


def declared_fields(cls) -> dict:
    out = {}
    if not dataclasses.is_dataclass(cls):
        return out
    for f in dataclasses.fields(cls):
        if f.default is not dataclasses.MISSING:
            out[f.name] = f.default
        elif f.default_factory is not dataclasses.MISSING:
            out[f.name] = f.default_factory()
        else:
            out[f.name] = dataclasses.MISSING
    return out


def kwarg_defaults(cls) -> dict:
    """`kwargs.get/pop/setdefault("name", <constant>)` in the class's own methods (and its bases')."""
    found: dict = {}
    for klass in reversed(cls.__mro__):
        if not klass.__module__.startswith("transformers.models."):
            continue
        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(klass)))
        except (OSError, TypeError, SyntaxError):
            continue
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("get", "pop", "setdefault")
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "kwargs"
                    and len(node.args) == 2 and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)):
                continue
            try:
                default = ast.literal_eval(node.args[1])
            except ValueError:
                continue
            found[node.args[0].value] = default
    return found


def source_file(cls) -> str:
    path = inspect.getsourcefile(cls) or ""
    i = path.rfind("transformers" + os.sep)
    return path[i:].replace(os.sep, "/") if i >= 0 else path


# ---------------------------------------------------------------------------------------------
# Rules (the same semantics as llmdoctor.checkpoint.config_view.ConfigView._derive)

def apply_rule(rule: dict, get, given):
    """`get(key)`: the config's value or the table's default; `given(key)`: the config's value only."""
    kind = rule["rule"]
    if kind == "copy":
        return get(rule["from"])
    if kind == "floordiv":
        a, b = get(rule["from"][0]), get(rule["from"][1])
        return a // b if isinstance(a, int) and isinstance(b, int) and b else None
    if kind == "len":
        v = get(rule["from"])
        return len(v) if isinstance(v, (list, str)) else None
    if kind == "period":
        layers = get("num_hidden_layers")
        n = get(rule["key"]) if rule.get("key") else None
        n = n if isinstance(n, int) and n > 0 else rule["period"]
        out = [rule["hit"] if (i + 1) % n == 0 else rule["miss"] for i in range(layers)]
        if rule.get("last") and out:
            out[-1] = rule["last"]
        return out
    if kind == "sliding_from":
        layers = get("num_hidden_layers")
        window = get(rule["window"]) if get(rule["enable"]) else None
        start = get(rule["start"])
        return ["sliding_attention" if window is not None and i >= start else "full_attention"
                for i in range(layers)]
    if kind == "uniform":
        layers = get("num_hidden_layers")
        return ["sliding_attention" if get(rule["window"]) is not None else "full_attention"] * layers
    if kind == "pattern":
        pattern = given(rule["key"])
        return [rule["map"][c] for c in pattern] if isinstance(pattern, str) else list(rule["default"])
    if kind == "pattern_string":
        types = get(rule["from"])
        return "".join(rule["map"][t] for t in types) if isinstance(types, list) else None
    if kind == "rope":
        return rule["value"]
    raise ValueError(kind)


class Probe:
    """One instantiation with given inputs; `get` answers like ConfigView would (given, else default)."""

    def __init__(self, cls, entry: dict, given: dict):
        self.given_values = given
        self.entry = entry
        self.cfg = instantiate(cls, **given)

    def given(self, key):
        return self.given_values.get(key)

    def get(self, key):
        if key in self.given_values:
            return self.given_values[key]
        for section in ("defaults", "kwargs"):
            if key in self.entry[section]:
                return self.entry[section][key]
        if key in self.entry["derived"]:
            return apply_rule(self.entry["derived"][key], self.get, self.given)
        return None


def bump(value):
    if isinstance(value, bool) or not isinstance(value, (int, list, str)):
        return []
    if isinstance(value, int):
        return [value * 2, value + 1, value * 3] if value else [1, 2]
    return [value[:-1], value[::-1]] if len(value) > 1 else []


def targeted_probes(rule: dict, base: dict) -> list[dict]:
    """Inputs that move the rule's sources, so that a coincidence at the defaults cannot pass."""
    kind = rule["rule"]
    if kind in ("copy", "len", "pattern_string"):
        return [{rule["from"]: v} for v in bump(base.get(rule["from"]))]
    if kind == "floordiv":
        a, b = rule["from"]
        out = [{a: v} for v in bump(base.get(a))] + [{b: v} for v in bump(base.get(b))]
        return out + [{"hidden_size": 768, "num_attention_heads": 12, "num_key_value_heads": 4}]
    if kind in ("period", "sliding_from", "pattern", "uniform"):
        return LAYER_PROBES + [{k: 3, "num_hidden_layers": 13} for k in PERIOD_KEYS] + _own_probes(rule)
    return []


LAYER_PROBES = [
    {"num_hidden_layers": 13}, {"num_hidden_layers": 7},
    {"use_sliding_window": True, "sliding_window": 64, "max_window_layers": 5, "num_hidden_layers": 13},
    {"use_sliding_window": False, "sliding_window": 64, "max_window_layers": 5, "num_hidden_layers": 13},
    {"use_sliding_window": True, "sliding_window": 64, "max_window_layers": 0, "num_hidden_layers": 7},
    {"sliding_window": None, "num_hidden_layers": 13}, {"sliding_window": 64, "num_hidden_layers": 13},
]
PERIOD_KEYS = ("sliding_window_pattern", "full_attention_interval")   # legacy keys that set a period


def _own_probes(rule: dict) -> list[dict]:
    kind = rule["rule"]
    if kind == "period":
        out = []
        if rule.get("key"):
            out += [{rule["key"]: rule["period"] + 1, "num_hidden_layers": 13},
                    {rule["key"]: max(1, rule["period"] - 1), "num_hidden_layers": 11}]
        return out
    if kind == "pattern":
        return [{rule["key"]: "M*-"}, {rule["key"]: "*M*E-"}]
    return []


def verified(cls, entry: dict, key: str, rule: dict, base: dict) -> bool:
    """The rule reproduces the class at its defaults and under every input that moves its sources."""
    trial = copy.deepcopy(entry)
    trial["derived"][key] = rule
    targeted = [g for g in targeted_probes(rule, base) if key not in g]
    moved = 0
    for given in [{}] + targeted:
        try:
            probe = Probe(cls, trial, given)
        except Exception:
            continue                                   # an input the class refuses: no evidence
        actual = value_of(probe.cfg, key)
        if actual is AttributeError:
            continue
        try:
            expected = jsonable(apply_rule(rule, probe.get, probe.given))
        except Exception:
            return False
        if expected != actual:
            return False
        moved += bool(given)
    return moved > 0 or rule["rule"] == "rope"


def layer_type_candidates(values, kwargs: dict) -> list[dict]:
    out = []
    if not isinstance(values, list) or not values:
        return out
    names = sorted(set(values))
    if len(names) <= 2:
        for hit in names:
            miss = next((x for x in names if x != hit), None)
            if miss is None:
                miss = "sliding_attention" if hit == "full_attention" else "full_attention"
            for period in range(1, len(values) + 2):
                keys = [None] + [k for k, v in kwargs.items() if v == period and not isinstance(v, bool)]
                for key in keys:
                    for last in (None, hit):
                        out.append({"rule": "period", "key": key, "period": period, "hit": hit, "miss": miss,
                                    "last": last})
    out.append({"rule": "sliding_from", "window": "sliding_window", "enable": "use_sliding_window",
                "start": "max_window_layers"})
    out.append({"rule": "uniform", "window": "sliding_window"})
    return out


def candidates_for(cls, key: str, value, present: dict, kwargs: dict) -> list[dict]:
    if key == "rope_parameters":
        return [{"rule": "rope", "value": value}]
    out = []
    if key in ("layer_types", "layers_block_type"):
        if hasattr(cls, "_pattern_to_list"):
            out.append({"rule": "pattern", "key": "hybrid_override_pattern", "map": pattern_map(cls),
                        "default": value})
        out += layer_type_candidates(value, kwargs)
    if isinstance(value, str) and hasattr(cls, "_list_to_pattern"):
        inverse = {t: ch for ch, t in pattern_map(cls).items()}
        out += [{"rule": "pattern_string", "from": k, "map": inverse} for k, v in present.items()
                if isinstance(v, list) and k != key]
    if isinstance(value, int) and not isinstance(value, bool):
        ints = [k for k, v in present.items() if isinstance(v, int) and not isinstance(v, bool) and k != key]
        out += [{"rule": "copy", "from": k} for k in ints if present[k] == value]
        out += [{"rule": "floordiv", "from": [a, b]} for a in ints for b in ints
                if a != b and present[b] and present[a] // present[b] == value]
        out += [{"rule": "len", "from": k} for k, v in present.items()
                if isinstance(v, (list, str)) and len(v) == value and k != key]
    return out


def is_constant(cls, key: str, value, present: dict) -> bool:
    """The same value whatever the other inputs (so a plain default, set in __post_init__)."""
    probes = [{k: v} for k, v0 in present.items() if k != key for v in bump(v0)[:1]]
    probes += [{"num_hidden_layers": 13}, {"hidden_size": 768, "num_attention_heads": 12, "num_key_value_heads": 4}]
    for given in probes:
        if key in given:
            continue
        try:
            cfg = instantiate(cls, **given)
        except Exception:
            continue
        if value_of(cfg, key) != value:
            return False
    return True


def describe(model_type: str, cls, keys: list[str]) -> dict:
    declared = declared_fields(cls)
    # attribute_map: two names for one value, stored under the target name; a default declared
    # under the source name is the target's default.
    aliases = {k: v for k, v in getattr(cls, "attribute_map", {}).items() if k in keys or v in keys}
    for src, tgt in aliases.items():
        if src in declared and tgt not in declared:
            declared[tgt] = declared[src]
    keys = sorted(set(keys) | set(aliases.values()))
    kwargs = {k: jsonable(v) for k, v in kwarg_defaults(cls).items()
              if k in keys and k not in declared and k not in LEGACY_ALIASES}
    base = instantiate(cls)
    entry = {"class": cls.__name__, "source": source_file(cls)}
    text = getattr(base, "text_config", None)
    composite = text is not None and hasattr(text, "model_type")
    if composite:
        entry["text_config"] = text.model_type
    entry.update({"defaults": {}, "kwargs": kwargs, "derived": {}, "post_init": {}})
    if aliases:
        entry["aliases"] = aliases
    present = {}
    for key in keys:
        if key in aliases or key in LEGACY_ALIASES:
            continue                                   # answered by the attribute it names
        if composite and key not in declared:
            continue                                   # the text_config entry answers
        value = value_of(base, key)
        if value is not AttributeError:
            present[key] = value

    pending = []
    for key, value in sorted(present.items()):
        decl = declared.get(key, dataclasses.MISSING)
        decl = jsonable(decl) if decl is not dataclasses.MISSING else dataclasses.MISSING
        if decl is dataclasses.MISSING or (decl is None and value is not None):
            pending.append(key)                        # computed in __post_init__ or a property
            continue
        entry["defaults"][key] = decl
        if decl != value:                              # declared, then transformed in __post_init__
            entry["post_init"][key] = {"declared": decl, "after_init": value}

    # Computed values: keep the first candidate rule that the class confirms; repeat while that
    # helps (a rule may read a value another rule gives).
    while pending:
        progress = False
        for key in list(pending):
            for rule in candidates_for(cls, key, present[key], present, kwargs):
                if verified(cls, entry, key, rule, present):
                    entry["derived"][key] = rule
                    pending.remove(key)
                    progress = True
                    break
        if not progress:
            break
    for key in pending:
        value = present[key]
        if is_constant(cls, key, value, present):
            entry["defaults"][key] = value
            entry["post_init"][key] = {"declared": declared.get(key) if key in declared else "(not a field)",
                                       "after_init": value}
        else:
            entry["derived"][key] = {"rule": "unverified", "value_at_defaults": value}
            print(f"warning: {model_type}.{key}: no rule reproduces the class; the reader keeps its own",
                  file=sys.stderr)
    rope_kwargs(cls, entry)
    for name in ("defaults", "kwargs", "derived", "post_init"):
        entry[name] = dict(sorted(entry[name].items()))
    if not entry["post_init"]:
        del entry["post_init"]
    return entry


def rope_thetas(params) -> dict:
    """rope_theta (full attention) and rope_local_base_freq (sliding) of a rope_parameters value."""
    out = {}
    if not isinstance(params, dict):
        return out
    if isinstance(params.get("rope_theta"), (int, float)):
        out["rope_theta"] = params["rope_theta"]
    for sub, name in (("full_attention", "rope_theta"), ("sliding_attention", "rope_local_base_freq")):
        if isinstance(params.get(sub), dict) and isinstance(params[sub].get("rope_theta"), (int, float)):
            out[name] = params[sub]["rope_theta"]
    return out


def rope_kwargs(cls, entry: dict) -> None:
    """The class's default rope thetas, as the legacy keys that move them (rope_theta, rope_local_base_freq)."""
    rule = entry["derived"].get("rope_parameters")
    if not rule or rule.get("rule") != "rope":
        return
    for name, theta in rope_thetas(rule["value"]).items():
        try:
            moved = rope_thetas(value_of(instantiate(cls, **{name: 12345.0}), "rope_parameters")).get(name)
        except Exception:
            moved = None
        if moved == 12345.0:
            entry["kwargs"][name] = theta
        else:
            entry.setdefault("ignored_legacy_keys", {})[name] = theta


def pattern_map(cls) -> dict:
    fn = getattr(cls, "_pattern_to_list", None)
    out = {}
    for ch in "M*-E":
        try:
            out[ch] = fn(ch)[0]
        except Exception:
            pass
    return out


def build(model_types: list[str] | None = None) -> dict:
    import transformers
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING

    keys = reader_keys()
    wanted = set(fixture_model_types()) | set(EXTRA_MODEL_TYPES)
    if model_types:
        wanted = set(model_types)
    table, unknown, failed = {}, [], {}
    queue = sorted(wanted)
    while queue:
        mt = queue.pop(0)
        if mt in table or mt in unknown or mt in failed:
            continue
        if mt not in CONFIG_MAPPING:
            unknown.append(mt)
            continue
        try:
            entry = describe(mt, CONFIG_MAPPING[mt], keys)
        except Exception as exc:                       # a class that cannot be built without arguments
            failed[mt] = f"{type(exc).__name__}: {exc}"[:200]
            continue
        table[mt] = entry
        if entry.get("text_config") and entry["text_config"] not in table:
            queue.append(entry["text_config"])
    return {
        "generator": "tools/config_defaults/gen_transformers_defaults.py",
        "transformers_version": transformers.__version__,
        "reader_keys": sorted({k for e in table.values() for section in SECTIONS for k in e.get(section, {})}),
        "unknown_model_types": sorted(unknown),
        "failed_model_types": dict(sorted(failed.items())),
        "model_types": dict(sorted(table.items())),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=OUT)
    parser.add_argument("--check", action="store_true", help="compare with the committed table, write nothing")
    parser.add_argument("model_types", nargs="*", help="only these (default: all the readers support)")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    table = build(args.model_types)
    text = json.dumps(table, indent=1, sort_keys=False) + "\n"
    if args.check:
        with open(args.out, encoding="utf-8") as fh:
            same = fh.read() == text
        print("up to date" if same else f"{args.out} differs from what transformers "
              f"{table['transformers_version']} gives: regenerate it")
        return 0 if same else 1
    with open(args.out, "w", encoding="utf-8") as fh:
        fh.write(text)
    unknown = ", ".join(table["unknown_model_types"])
    print(f"wrote {args.out}: {len(table['model_types'])} model types, transformers "
          f"{table['transformers_version']}" + (f"; unknown to transformers: {unknown}" if unknown else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
