"""Text rendering of a Plan (rich). Reads the plan only; computes nothing but unit conversions."""
from __future__ import annotations


from rich.markup import escape
from rich.table import Table

from llmdoctor.render.summary_text import print_command
from llmdoctor.render.units import gib


def render_plan(plan, console, model_name: str | None = None, unknown_flags: list[str] | None = None) -> None:
    verdict = "[green]fits[/green]" if plan.fits else "[red]does not fit[/red]"
    console.print(f"[bold]{escape(plan.engine)} {escape(str(plan.engine_version))}[/bold] "
                  f"({escape(plan.engine_version_source)}) on {escape(plan.target)}: {verdict}")
    if model_name:
        console.print(f"model: {escape(model_name)}")
    console.print(escape(plan.fits_reason))
    t = Table(show_header=False, box=None, pad_edge=False)
    kv = plan.kv_cache
    rows = [
        ("tensor / pipeline parallel", f"{plan.tensor_parallel_size} / {plan.pipeline_parallel_size}"),
        ("dtype / KV dtype", f"{plan.dtype} / {kv.dtype}"),
        ("weights per GPU", gib(plan.weights.bytes_per_gpu)),
        ("activation / non-static per GPU", gib(plan.activation_bytes_per_gpu)),
        ("memory fraction", str(plan.gpu_memory_utilization)),
        ("KV cache per GPU", gib(kv.available_bytes_per_gpu)),
        ("KV bytes per token per GPU", f"{kv.bytes_per_token:,}"),
        ("block size", str(kv.block_size)),
        ("KV cache tokens", f"{kv.tokens:,}"),
        ("max model len", f"{plan.max_model_len:,}"),
        ("max concurrency", f"{plan.max_concurrency:.2f}x"),
    ] + speed_rows(plan)
    if kv.state_bytes_per_sequence:
        rows.insert(7, ("recurrent state per sequence", gib(kv.state_bytes_per_sequence, 3)))
    if plan.speculative:
        rows.append(("speculative", f"{plan.speculative.method} x {plan.speculative.num_speculative_tokens}"))
    for k, v in rows:
        t.add_row(k, escape(v))
    console.print(t)
    if plan.recommendations:
        console.print("[bold]recommended[/bold]")
        for key, item in plan.recommendations.items():
            console.print(f"  {escape(key)} = {escape(str(item.value))}  [dim]({escape(item.why)})[/dim]")
    if plan.command:
        print_command(plan, console)
    if unknown_flags:
        console.print(f"[yellow]flags not understood (kept, not used):[/yellow] {escape(' '.join(unknown_flags))}")
    speed_notes = plan.speed.assumptions if getattr(plan, "speed", None) else []
    if plan.assumptions or speed_notes:
        console.print("[bold]assumptions[/bold]")
        for a in plan.assumptions:
            console.print(f"  - {escape(a)}")
        for a in speed_notes:
            console.print(f"  - speed: {escape(a)}")


def speed_rows(plan) -> list[tuple[str, str]]:
    """Expected speed with its range (plan.speed); the plain decode figure for plans made without one."""
    sp = getattr(plan, "speed", None)
    if sp is None or sp.decode_tokens_per_s is None:
        return [("decode (1 stream)", f"{plan.decode_tokens_per_s:.1f} tok/s" if plan.decode_tokens_per_s else "unknown")]
    rows = [(f"decode, 1 stream at {sp.context:,} tokens",
             f"{sp.decode_tokens_per_s:.0f} tok/s expected ({sp.decode_low:.0f}-{sp.decode_high:.0f}; "
             f"bandwidth bound {sp.decode_upper_bound:.0f})")]
    if sp.decode_at_max_tokens_per_s is not None:
        rows.append((f"decode, 1 stream at {sp.max_context:,} tokens",
                     f"{sp.decode_at_max_tokens_per_s:.0f} tok/s "
                     f"({sp.decode_at_max_low:.0f}-{sp.decode_at_max_high:.0f})"))
    if sp.aggregate_tokens_per_s is not None and sp.concurrency > 1:
        rows.append((f"decode, {sp.concurrency} streams together",
                     f"{sp.aggregate_tokens_per_s:.0f} tok/s ({sp.aggregate_low:.0f}-{sp.aggregate_high:.0f})"))
    if sp.prefill_tokens_per_s is not None:
        rows.append((f"prefill, {sp.prompt_tokens:,}-token prompt",
                     f"{sp.prefill_tokens_per_s:.0f} tok/s, first token in {sp.ttft_s:.2f} s "
                     f"({sp.ttft_low_s:.2f}-{sp.ttft_high_s:.2f})"))
    else:
        rows.append(("prefill", "unknown (no FLOPs figure for this GPU and dtype)"))
    rows.append(("speed model", sp.kernel_path))
    return rows
