"""quantization_config / hf_quant_config.json -> QuantSpec, and stored bytes per parameter by role.

Byte costs are the checkpoint's storage layouts:
- AWQ / GPTQ int-b, group g: packed b-bit weights + fp16 scale and packed b-bit zero per group.
- compressed-tensors pack-quantized: packed weights + bf16 scale per group (+ zero if asymmetric).
- FP8 (e4m3): 1 byte, + fp32 scale per 128x128 block when weight_block_size is given.
- NVFP4 (modelopt): 4-bit values + one fp8 scale per 16 elements.
- MXFP4 (gpt-oss): 4-bit values + one e8m0 scale per 32 elements.
- bitsandbytes nf4/fp4: 4-bit values + fp32 absmax per 64 elements; int8: 1 byte + row scales.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from llmdoctor.checkpoint.spec import QuantSpec

ROLES = ("attention", "mlp", "experts", "lm_head")
_ROLE_PATTERNS = {
    "attention": re.compile(r"(self_attn|linear_attn|\.attn|mixer|attention)"),
    "experts": re.compile(r"\.experts(\.|\*|$)"),
    "mlp": re.compile(r"(\.mlp|shared_expert|feed_forward)"),
    "lm_head": re.compile(r"lm_head"),
}
RAW_LIST_LIMIT = 32


@dataclass
class RoleBytes:
    """Bytes per parameter for each quantizable role; None means "stored at the model dtype"."""
    attention: Optional[float] = None
    mlp: Optional[float] = None
    experts: Optional[float] = None
    lm_head: Optional[float] = None


def int_group_bytes(bits: float, group: Optional[int], scale_bytes: float = 2.0, zero: bool = True) -> float:
    if not group or group <= 0:
        return bits / 8                                   # per-channel scales: negligible per parameter
    return bits / 8 + (scale_bytes + (bits / 8 if zero else 0)) / group


def fp8_bytes(block: Optional[list]) -> float:
    if isinstance(block, list) and len(block) == 2 and all(isinstance(b, int) and b > 0 for b in block):
        return 1 + 4 / (block[0] * block[1])
    return 1.0


NVFP4_BYTES = 0.5 + 1 / 16
MXFP4_BYTES = 0.5 + 1 / 32


def summarize_raw(value, depth: int = 0):
    """The quantization config as JSON, with long lists/maps reduced to their sizes (some list
    every module of every layer)."""
    if depth > 6:
        return "…"
    if isinstance(value, dict):
        if len(value) > RAW_LIST_LIMIT:
            return {"_entries": len(value)}
        return {str(k): summarize_raw(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        if len(value) > RAW_LIST_LIMIT:
            return {"_entries": len(value)}
        return [summarize_raw(v, depth + 1) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def skip_entry_role(pattern: str) -> Optional[str]:
    """The role one skip-list entry names; norms are never quantized, so they name nothing."""
    if re.search(r"norm", pattern):
        return None
    if "lm_head" in pattern:
        return "lm_head"
    if re.search(r"(router|\.gate(\*|$))", pattern):
        return "router"
    if re.search(r"\.experts", pattern):
        return "experts"
    if re.search(r"(self_attn|linear_attn|\.attn(\.|\*|$)|mixer)", pattern):
        return "attention"
    if re.search(r"(\.mlp|shared_expert|feed_forward)", pattern):
        return "mlp"
    if re.search(r"(^|\.)mtp", pattern):
        return "mtp"
    if re.search(r"(visual|vision|audio)", pattern):
        return "vision"
    return None


def unquantized_roles(patterns: list, num_layers: int) -> list[str]:
    """Which roles a skip list spares, summarized: a role counts when a wildcard skips it or it is
    skipped in at least half of the layers. Embeddings are never quantized by these methods."""
    hits: dict[str, list[str]] = {}
    for pattern in patterns[:100_000]:
        if isinstance(pattern, str):
            role = skip_entry_role(pattern)
            if role:
                hits.setdefault(role, []).append(pattern)
    roles = []
    for role in ("lm_head", "attention", "mlp", "experts", "router", "mtp", "vision"):
        found = hits.get(role, [])
        if role in ("lm_head", "mtp", "vision") and found:
            roles.append(role)
        elif found and (any("*" in p for p in found) or len(found) >= max(1, num_layers // 2)):
            roles.append(role)
    return roles


def parse_quantization(qcfg: Optional[dict], hf_quant: Optional[dict], num_layers: int) -> tuple[Optional[QuantSpec], RoleBytes]:
    if hf_quant and isinstance(hf_quant.get("quantization"), dict):
        # ModelOpt's own file: {"producer":..., "quantization": {"quant_algo", "group_size", "exclude_modules"}}
        q = hf_quant["quantization"]
        merged = dict(qcfg or {})
        merged.setdefault("quant_method", "modelopt")
        merged.setdefault("quant_algo", q.get("quant_algo"))
        merged.setdefault("group_size", q.get("group_size"))
        merged.setdefault("ignore", q.get("exclude_modules") or [])
        merged.setdefault("kv_cache_quant_algo", q.get("kv_cache_quant_algo"))
        if isinstance(q.get("quantized_layers"), dict):
            merged.setdefault("quantized_layers", q["quantized_layers"])
        qcfg = merged
    if not isinstance(qcfg, dict) or not qcfg:
        return None, RoleBytes()
    method = str(qcfg.get("quant_method") or qcfg.get("quant_algo") or "unknown").lower()
    skip = qcfg.get("modules_to_not_convert") or qcfg.get("ignore") or qcfg.get("exclude_modules") or []
    skip = skip if isinstance(skip, list) else []
    spec = QuantSpec(method=method, raw=summarize_raw(qcfg))
    spec.unquantized_modules = unquantized_roles(skip, num_layers)
    per_param = _method_bytes(method, qcfg, spec)
    roles = RoleBytes(**{r: per_param for r in ROLES})
    if "lm_head" in spec.unquantized_modules or method in ("awq", "gptq", "fp8", "bitsandbytes", "compressed-tensors", "mxfp4"):
        roles.lm_head = None                         # these methods leave lm_head alone unless told
    for role in ("attention", "mlp", "experts"):
        if role in spec.unquantized_modules:
            setattr(roles, role, None)
    if isinstance(qcfg.get("quantized_layers"), dict):
        _mixed_precision_roles(qcfg["quantized_layers"], roles)
    if "lm_head" not in spec.unquantized_modules and roles.lm_head is None:
        spec.unquantized_modules.insert(0, "lm_head")
    spec.unquantized_modules.insert(0, "embed_tokens")
    return spec, roles


def _method_bytes(method: str, qcfg: dict, spec: QuantSpec) -> Optional[float]:
    bits = qcfg.get("bits") or qcfg.get("w_bit")
    group = qcfg.get("group_size") or qcfg.get("q_group_size")
    bits = bits if isinstance(bits, (int, float)) and 0 < bits <= 16 else None
    group = group if isinstance(group, int) and group > 0 else None
    if method in ("awq", "gptq", "awq_marlin", "gptq_marlin", "auto-round", "autoround"):
        spec.bits, spec.group_size = bits or 4, group
        spec.weight_dtype, spec.activation_dtype = f"int{int(spec.bits)}", None
        return int_group_bytes(spec.bits, group)      # both store packed zeros (qzeros), even when symmetric
    if method == "fp8":
        spec.bits, spec.weight_dtype = 8, "fp8_" + str(qcfg.get("fmt") or "e4m3")
        spec.activation_dtype = "fp8" if qcfg.get("activation_scheme") else None
        block = qcfg.get("weight_block_size")
        spec.group_size = block[0] * block[1] if isinstance(block, list) and len(block) == 2 and all(isinstance(b, int) for b in block) else None
        return fp8_bytes(block)
    if method == "mxfp4":
        spec.bits, spec.group_size, spec.weight_dtype = 4.25, 32, "mxfp4"
        return MXFP4_BYTES
    if method == "bitsandbytes":
        if qcfg.get("load_in_8bit"):
            spec.bits, spec.weight_dtype = 8, "int8"
            return 1.0
        spec.bits, spec.group_size = 4, 64
        spec.weight_dtype = str(qcfg.get("bnb_4bit_quant_type") or "nf4")
        return 0.5 + 4 / 64
    if method in ("compressed-tensors", "modelopt"):
        return _config_groups_bytes(method, qcfg, spec)
    return None


def _config_groups_bytes(method: str, qcfg: dict, spec: QuantSpec) -> Optional[float]:
    algo = str(qcfg.get("quant_algo") or "").upper()
    kv = qcfg.get("kv_cache_scheme") or qcfg.get("kv_cache_quant_algo")
    if kv:
        spec.kv_cache_scheme = kv if isinstance(kv, str) else _scheme_name(kv)
    groups = qcfg.get("config_groups")
    weights = acts = None
    if isinstance(groups, dict):
        for group in groups.values():
            if isinstance(group, dict) and isinstance(group.get("weights"), dict):
                weights, acts = group["weights"], group.get("input_activations")
                break
    if "NVFP4" in algo or (weights and weights.get("type") == "float" and weights.get("num_bits") == 4):
        spec.bits, spec.group_size, spec.weight_dtype = 4, 16, "nvfp4"
        spec.activation_dtype = None if "W4A16" in algo else "nvfp4" if acts else None
        return NVFP4_BYTES
    if algo == "FP8" or (weights and weights.get("type") == "float" and weights.get("num_bits") == 8):
        spec.bits, spec.weight_dtype = 8, "fp8_e4m3"
        spec.activation_dtype = "fp8" if acts or algo == "FP8" else None
        return 1.0
    if weights and isinstance(weights.get("num_bits"), int):
        bits = weights["num_bits"]
        group = weights.get("group_size") if isinstance(weights.get("group_size"), int) else None
        spec.bits, spec.group_size, spec.weight_dtype = bits, group, f"int{bits}"
        spec.activation_dtype = f"int{acts['num_bits']}" if isinstance(acts, dict) and isinstance(acts.get("num_bits"), int) else None
        return int_group_bytes(bits, group, zero=weights.get("symmetric") is False)
    return None


def _scheme_name(scheme) -> Optional[str]:
    if isinstance(scheme, dict) and isinstance(scheme.get("num_bits"), int):
        return f"{scheme.get('type', 'int')}{scheme['num_bits']}"
    return None


def _mixed_precision_roles(layers: dict, roles: RoleBytes) -> None:
    """ModelOpt MIXED_PRECISION lists an algorithm per module; take each role's most common one."""
    votes: dict[str, dict[str, int]] = {}
    for module, info in list(layers.items())[:100_000]:
        if not isinstance(info, dict):
            continue
        algo = str(info.get("quant_algo") or "").upper()
        cost = NVFP4_BYTES if "NVFP4" in algo else 1.0 if "FP8" in algo else None
        if cost is None:
            continue
        for role in ("lm_head", "experts", "attention", "mlp"):
            if _ROLE_PATTERNS[role].search(str(module)):
                votes.setdefault(role, {}).setdefault(str(cost), 0)
                votes[role][str(cost)] += 1
                break
    for role in ROLES:
        if role in votes:
            best = max(votes[role].items(), key=lambda kv: kv[1])[0]
            setattr(roles, role, float(best))
        else:
            setattr(roles, role, None)
