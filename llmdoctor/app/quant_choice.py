"""Which quant of a GGUF repo to take: the largest that fits here, planned with llama.cpp.

Every quant of the repo (a file, or a split set) is weighed. Reading every header would cost a few MB
each, so one header is read first (the quant whose size best matches this machine's GPU memory) and
the others are estimated from it: same architecture and vocabulary, tensor bytes scaled to the quant's
file size (the header bytes taken off). Each candidate is planned with llama.cpp on the same target
and request as `check` would use (pipeline.make_plans); the chosen quant's header is then read and it
is planned again from its own tensors, and the choice is revised while an estimate was wrong (at most
MAX_EXACT headers are read).

Candidates are planned at one context length: --max-model-len when given, else the model's training
context up to DEFAULT_CTX (llama.cpp would otherwise shrink the context of a quant that is too big,
and a 16-bit model with a 4K context is no answer to "which quant?").

The choice: the largest quant that fits in GPU memory; when none does, the largest of about 4 bits
per weight or less that llama.cpp runs with part of it on the CPU (a bigger one would only be
slower), else the smallest that runs; when nothing runs, the smallest, with its plan saying why.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Callable

MAX_EXACT = 3
DEFAULT_CTX = 32768
Q4_CLASS_BPW = 5.0          # Q4_K_M is ~4.9 bits per weight; Q5_K_M ~5.7
PRIOR_SHARE = 0.7           # the share of GPU memory the first guess gives the weights (the rest: KV, buffers)


def chooser(intent, machine) -> Callable:
    def choose(hub, repo, quants):
        return choose_quant(intent, machine, hub, repo, quants)
    return choose


def choose_quant(intent, machine, hub, repo, quants):
    from llmdoctor.checkpoint.remote_hf import pick_quant, read_gguf_quant
    if intent.options.get("quant"):
        quant = pick_quant(repo, quants, str(intent.options["quant"]))
        info = read_gguf_quant(hub, repo, quant)
        info.notes.insert(0, f"quant {quant.label}: named by --quant")
        return info
    if len(quants) == 1:
        info = read_gguf_quant(hub, repo, quants[0])
        info.notes.insert(0, f"quant {quants[0].label}: the repo's only GGUF model")
        return info
    exact = {}
    base = _prior(quants, machine, intent)
    exact[base.label] = read_gguf_quant(hub, repo, base)
    reference = exact[base.label]
    ctx = intent.options.get("max_model_len") or min(reference.spec.max_position_embeddings or DEFAULT_CTX, DEFAULT_CTX)
    at_ctx = replace(intent, options={**intent.options, "max_model_len": ctx})
    plans: dict[tuple[str, bool], object] = {}

    def plan_of(q):
        key = (q.label, q.label in exact)
        if key not in plans:
            model = exact.get(q.label) or estimate(reference, q, repo.repo_id)
            plans[key] = plan_with_llamacpp(at_ctx, machine, model)
        return plans[key]

    while True:
        best, why = _pick(quants, plan_of, reference)
        if best.label in exact:
            break
        if len(exact) >= MAX_EXACT:
            best, why = _pick([q for q in quants if q.label in exact], plan_of, reference)
            break
        hub.wire.note(f"weighing quants: reading {best.label}")
        exact[best.label] = read_gguf_quant(hub, repo, best)
    info = exact[best.label]
    how = "--max-model-len" if intent.options.get("max_model_len") else "--max-model-len to change"
    lines = [f"{len(quants)} GGUF quants in {repo.repo_id}; chosen: {best.label}, {why} (planned with llama.cpp "
             f"at a {ctx:,}-token context; {how})"]
    for q in quants:
        lines.append(_line(q, plan_of(q), q.label in exact, q is best))
    info.notes = lines + list(info.notes)
    return info


def plan_with_llamacpp(intent, machine, model):
    from llmdoctor.app.pipeline import Inputs, make_plans
    plans = make_plans(replace(intent, engines=["llamacpp"]), Inputs(machine=machine, model=model, command=None),
                       prefer_recommended=True)
    return plans[0]


def estimate(base, quant, repo_id: str):
    """`base` (a quant read from its header) resized to another quant of the same model by file size."""
    from llmdoctor.checkpoint.spec import FileSummary, WeightBreakdown
    overhead = max(0, base.files.total_bytes - (base.weight_bytes or 0))
    weight = max(1, quant.total_bytes - overhead)
    r = weight / max(1, base.weight_bytes or 1)
    w = base.weights
    weights = WeightBreakdown(
        embedding=round(w.embedding * r), lm_head=round(w.lm_head * r), per_layer=[round(x * r) for x in w.per_layer],
        per_layer_experts=[round(x * r) for x in w.per_layer_experts], mtp=round(w.mtp * r),
        vision=round(w.vision * r), other=round(w.other * r))
    quantization = base.quantization
    if quantization is not None:
        bits = round(weight * 8 / base.params_total, 3) if base.params_total else None
        quantization = replace(quantization, bits=bits, weight_dtype=quant.label,
                               raw={**(quantization.raw or {}), "file_type": quant.label})
    names = [f.path.rsplit("/", 1)[-1] for f in quant.files]
    return replace(base, path=f"{repo_id}:{quant.label}", weight_bytes=weight, weight_bytes_by_dtype={quant.label: weight},
                   weights=weights, quantization=quantization, gguf_file_type=quant.label,
                   files=FileSummary(count=len(names), total_bytes=quant.total_bytes, names=names), notes=[])


def _prior(quants, machine, intent):
    """The quant whose header is read first: the largest whose file fits in PRIOR_SHARE of GPU memory
    (of host RAM without GPUs), else the smallest."""
    gpus = list(getattr(machine, "gpus", None) or [])
    count = intent.options.get("num_gpus") or len(gpus)
    budget = sum(g.memory_total_bytes or 0 for g in gpus[:count]) * PRIOR_SHARE
    if not budget:
        host = getattr(machine, "host", None)
        budget = (getattr(host, "ram_available_bytes", None) or 0) * 0.5
    fitting = [q for q in quants if q.total_bytes <= budget]
    return max(fitting, key=lambda q: q.total_bytes) if fitting else min(quants, key=lambda q: q.total_bytes)


def _on_gpu(plan) -> bool:
    return plan.fits and not plan.weights.offloaded_bytes


def _pick(quants, plan_of, reference):
    size = lambda q: q.total_bytes          # noqa: E731
    on_gpu = [q for q in quants if _on_gpu(plan_of(q))]
    if on_gpu:
        return max(on_gpu, key=size), "the largest that fits in GPU memory"
    runs = [q for q in quants if plan_of(q).fits]
    params = reference.params_total or 0
    small = [q for q in runs if params and q.total_bytes * 8 / params <= Q4_CLASS_BPW]
    if small:
        return max(small, key=size), ("none fits in GPU memory; the largest of about 4 bits per weight, which runs "
                                      "with part of it on the CPU")
    if runs:
        return min(runs, key=size), "none fits in GPU memory; the smallest, which runs with part of it on the CPU"
    return min(quants, key=size), "none fits here; the smallest"


def _line(quant, plan, exact: bool, chosen: bool) -> str:
    gib = quant.total_bytes / 2**30
    files = f", {len(quant.files)} files" if len(quant.files) > 1 else ""
    if _on_gpu(plan):
        status = "fits in GPU memory"
    elif plan.fits:
        status = f"runs with {plan.weights.offloaded_bytes / 2**30:.2f} GiB of weights on the CPU"
    else:
        reason = " ".join(str(plan.fits_reason).split())
        status = "does not fit" + (f": {reason[:140]}" if reason else "")
    how = "planned from its header" if exact else "estimated from its size"
    return f"quant {quant.label} ({gib:.2f} GiB{files}): {status} ({how}){' <- chosen' if chosen else ''}"
